#include "router/health.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "router/model_table.hpp"

namespace llmux::router {

namespace {

std::int64_t nanoseconds(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

std::int64_t minute_of(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::minutes>(time.time_since_epoch()).count();
}

// Weight of the newest sample in the latency average: recent enough to follow a deployment that
// slows down, smooth enough that one slow call does not move all traffic.
constexpr std::int64_t kLatencyNewSampleShare = 4;  // 1/4

}  // namespace

bool cools_at_once(int status) noexcept {
  return status == 429 || status == 401 || status == 404 || status == 408;
}

bool counts_as_deployment_failure(int status) noexcept {
  return status >= 500 || cools_at_once(status);
}

InMemoryHealth::InMemoryHealth(std::size_t deployment_count, CooldownPolicy policy)
    : count_(deployment_count), policy_(policy) {
  slots_.reserve(std::max<std::size_t>(deployment_count, 1));
  for (std::size_t i = 0; i < std::max<std::size_t>(deployment_count, 1); ++i)
    slots_.push_back(std::make_shared<Slot>());
}

InMemoryHealth::InMemoryHealth(const std::vector<std::string>& deployment_ids,
                               CooldownPolicy policy, const InMemoryHealth* previous)
    : InMemoryHealth(deployment_ids.size(), policy) {
  ids_ = deployment_ids;
  if (!previous) return;
  std::unordered_map<std::string_view, std::size_t> previous_index;
  for (std::size_t i = 0; i < previous->ids_.size(); ++i)
    previous_index.emplace(previous->ids_[i], i);
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    const auto kept = previous_index.find(ids_[i]);
    if (kept != previous_index.end()) slots_[i] = previous->slots_[kept->second];
  }
}

std::unique_ptr<HealthState> InMemoryHealth::successor(
    const std::vector<std::string>& deployment_ids) const {
  auto next = std::make_unique<InMemoryHealth>(deployment_ids, policy_, this);
  next->failure_reporter_ = failure_reporter_;
  return next;
}

InMemoryHealth::Slot& InMemoryHealth::slot(const Deployment& deployment) const {
  return *slots_[deployment.index < count_ ? deployment.index : 0];
}

std::optional<TimePoint> InMemoryHealth::cooling_until(const Deployment& deployment,
                                                       TimePoint now) const {
  const std::int64_t until = slot(deployment).cooling_until_ns.load(std::memory_order_relaxed);
  if (until <= nanoseconds(now)) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(until)));
}

void InMemoryHealth::roll_usage_minute(Slot& slot, std::int64_t minute) {
  std::int64_t seen = slot.usage_minute.load(std::memory_order_relaxed);
  if (seen != minute &&
      slot.usage_minute.compare_exchange_strong(seen, minute, std::memory_order_relaxed)) {
    slot.requests.store(0, std::memory_order_relaxed);
    slot.tokens.store(0, std::memory_order_relaxed);
  }
}

Load InMemoryHealth::load(const Deployment& deployment, TimePoint now) const {
  const Slot& state = slot(deployment);
  Load load{.in_flight = state.in_flight.load(std::memory_order_relaxed),
            .failures = state.failed_calls.load(std::memory_order_relaxed),
            .latency = std::chrono::microseconds(state.latency_us.load(std::memory_order_relaxed))};
  if (state.usage_minute.load(std::memory_order_relaxed) == minute_of(now)) {
    load.requests_this_minute = state.requests.load(std::memory_order_relaxed);
    load.tokens_this_minute = state.tokens.load(std::memory_order_relaxed);
  }
  if (nanoseconds(now) < state.fleet_latency_until_ns.load(std::memory_order_relaxed)) {
    const std::int64_t fleet_latency = state.fleet_latency_us.load(std::memory_order_relaxed);
    if (fleet_latency > 0) load.latency = std::chrono::microseconds(fleet_latency);
  }
  if (nanoseconds(now) < state.fleet_until_ns.load(std::memory_order_relaxed)) {
    load.requests_this_minute =
        std::max(load.requests_this_minute, state.fleet_requests.load(std::memory_order_relaxed));
    load.tokens_this_minute =
        std::max(load.tokens_this_minute, state.fleet_tokens.load(std::memory_order_relaxed));
  }
  return load;
}

void InMemoryHealth::observe_fleet_usage(const Deployment& deployment, std::int64_t requests,
                                         std::int64_t tokens, TimePoint until) {
  Slot& state = slot(deployment);
  // Readers may pair a new count with the old window's end for an instant: routing tolerates it.
  state.fleet_requests.store(requests, std::memory_order_relaxed);
  state.fleet_tokens.store(tokens, std::memory_order_relaxed);
  state.fleet_until_ns.store(nanoseconds(until), std::memory_order_relaxed);
}

std::chrono::microseconds InMemoryHealth::own_latency(std::size_t deployment_index) const {
  if (deployment_index >= count_) return std::chrono::microseconds(0);
  return std::chrono::microseconds(
      slots_[deployment_index]->latency_us.load(std::memory_order_relaxed));
}

void InMemoryHealth::observe_fleet_latency(std::size_t deployment_index,
                                           std::chrono::microseconds latency, TimePoint until) {
  if (deployment_index >= count_) return;
  Slot& state = *slots_[deployment_index];
  state.fleet_latency_us.store(latency.count(), std::memory_order_relaxed);
  state.fleet_latency_until_ns.store(nanoseconds(until), std::memory_order_relaxed);
}

void InMemoryHealth::call_started(const Deployment& deployment, TimePoint now) {
  Slot& state = slot(deployment);
  state.in_flight.fetch_add(1, std::memory_order_relaxed);
  roll_usage_minute(state, minute_of(now));
  state.requests.fetch_add(1, std::memory_order_relaxed);
}

std::optional<std::chrono::milliseconds> InMemoryHealth::call_finished(const Deployment& deployment,
                                                                       const CallOutcome& outcome,
                                                                       TimePoint now) {
  Slot& state = slot(deployment);
  state.in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (outcome.success) {
    roll_usage_minute(state, minute_of(now));
    state.tokens.fetch_add(outcome.tokens, std::memory_order_relaxed);
    const auto sample =
        std::chrono::duration_cast<std::chrono::microseconds>(outcome.latency).count();
    const std::int64_t average = state.latency_us.load(std::memory_order_relaxed);
    state.latency_us.store(
        average == 0 ? sample : average + (sample - average) / kLatencyNewSampleShare,
        std::memory_order_relaxed);
    return std::nullopt;
  }
  if (!outcome.counts_for_cooldown || !counts_as_deployment_failure(outcome.status))
    return std::nullopt;
  state.failed_calls.fetch_add(1, std::memory_order_relaxed);
  if (policy_.disabled || !deployment.cools) return std::nullopt;
  if (failure_reporter_) failure_reporter_(deployment, cools_at_once(outcome.status));
  const std::lock_guard lock(state.failure_mutex);
  const std::int64_t minute = minute_of(now);
  if (state.failure_minute != minute) {
    state.failure_minute = minute;
    state.failures = 0;
  }
  ++state.failures;
  if (cools_at_once(outcome.status) || state.failures > policy_.allowed_fails) {
    state.cooling_until_ns.store(nanoseconds(now + policy_.cooldown_time),
                                 std::memory_order_relaxed);
    state.failures = 0;
    return policy_.cooldown_time;
  }
  return std::nullopt;
}

void InMemoryHealth::report_failures_to(FailureReporter reporter) {
  failure_reporter_ = std::move(reporter);
}

void InMemoryHealth::cool(std::size_t deployment_index, TimePoint until) {
  if (deployment_index >= count_) return;
  std::atomic<std::int64_t>& cooling_until = slots_[deployment_index]->cooling_until_ns;
  std::int64_t seen = cooling_until.load(std::memory_order_relaxed);
  const std::int64_t wanted = nanoseconds(until);
  while (seen < wanted &&
         !cooling_until.compare_exchange_weak(seen, wanted, std::memory_order_relaxed)) {
  }
}

}  // namespace llmux::router
