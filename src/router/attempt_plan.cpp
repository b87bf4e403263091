#include "router/attempt_plan.hpp"

#include "router/client_side.hpp"
#include "router/model_table.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace llmux::router {

namespace {

using std::chrono::milliseconds;

bool is_request_fault(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::unsupported_params:
    case ErrorKind::payload_too_large:
    case ErrorKind::unprocessable: return true;
    default: return false;
  }
}

const std::vector<std::string>* lookup(const std::vector<FallbackList>& lists,
                                       const std::string& group) {
  const FallbackList* any = nullptr;
  for (const FallbackList& list : lists) {
    if (list.group == group) return &list.fallbacks;
    if (list.group == "*") any = &list;
  }
  return any ? &any->fallbacks : nullptr;
}

milliseconds until(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<milliseconds>(to - from);
}

}  // namespace

FailureClass failure_class(const Error& error) noexcept {
  if (error.kind == ErrorKind::content_policy) return FailureClass::content_policy;
  const int status = http_status(error);
  if (status == 401 || status == 403) return FailureClass::authentication;
  if (status == 408) return FailureClass::timeout;
  if (status == 429) return FailureClass::rate_limit;
  if (status >= 500) return FailureClass::internal_server;
  return FailureClass::bad_request;
}

int client_retry_limit(const RouterPolicy& operator_policy) noexcept {
  return std::max(operator_policy.num_retries, kClientRetries);
}

bool retried_by_default(const Error& error) noexcept {
  const int status = http_status(error);
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

AttemptPlan::AttemptPlan(const ModelTable& table, const RouterPolicy& policy, HealthState& health,
                         Draw draw, std::string requested, std::string group,
                         RequestOptions options, TimePoint start)
    : table_(table),
      policy_(policy),
      health_(health),
      draw_(std::move(draw)),
      requested_(std::move(requested)),
      primary_group_(group),
      options_(std::move(options)),
      start_(start) {
  if (options_.timeout) deadline_ = start + *options_.timeout;
  enter_group(std::move(group));
}

void AttemptPlan::enter_group(std::string group) {
  group_ = std::move(group);
  group_deployments_ = table_.deployments_for(group_, owned_);
  tried_.clear();
  retries_in_group_ = 0;
}

int AttemptPlan::retries_allowed(const Error& error) const {
  const FailureClass kind = failure_class(error);
  for (const auto& [policy_class, count] : policy_.retry_policy) {
    if (policy_class == kind) return count;
  }
  if (!retried_by_default(error)) return 0;
  if (options_.num_retries) return std::min(*options_.num_retries, client_retry_limit(policy_));
  return policy_.num_retries;
}

std::vector<std::string> AttemptPlan::fallbacks_for(const Error& error) const {
  if (options_.disable_fallbacks) return {};
  if (error.kind == ErrorKind::context_window_exceeded) {
    const auto* list = lookup(policy_.context_window_fallbacks, primary_group_);
    return list ? *list : std::vector<std::string>{};
  }
  if (error.kind == ErrorKind::content_policy) {
    const auto* list = lookup(policy_.content_policy_fallbacks, primary_group_);
    return list ? *list : std::vector<std::string>{};
  }
  if (is_request_fault(error)) return {};
  if (options_.fallbacks) return *options_.fallbacks;
  if (const auto* list = lookup(policy_.fallbacks, primary_group_)) return *list;
  return policy_.default_fallbacks;
}

// Moves to the next fallback group that has deployments; false when there is none left.
bool AttemptPlan::enter_fallback(const Error& error) {
  if (!fallbacks_planned_) {
    fallbacks_planned_ = true;
    fallback_cause_ = error;
    fallback_queue_ = fallbacks_for(error);
    std::reverse(fallback_queue_.begin(), fallback_queue_.end());  // popped from the back
  } else if (is_request_fault(error)) {
    return false;  // a fallback group refused the request itself: the next would too
  }
  while (!fallback_queue_.empty() && fallbacks_used_ < policy_.max_fallbacks) {
    std::string group = std::move(fallback_queue_.back());
    fallback_queue_.pop_back();
    if (group == group_) continue;
    enter_group(std::move(group));
    if (group_deployments_.empty()) continue;
    if (group_access_ && !group_access_(group_, group_deployments_)) continue;
    ++fallbacks_used_;
    fallback_groups_.push_back(group_);
    return true;
  }
  return false;
}

Clock::duration AttemptPlan::backoff(const Error& error) const {
  if (error.retry_after) return *error.retry_after;
  const double doubling = std::pow(2.0, std::max(0, retries_in_group_ - 1));
  const double base =
      std::min<double>(static_cast<double>(policy_.initial_backoff.count()) * doubling,
                       static_cast<double>(policy_.max_backoff.count()));
  // Jitter spreads the retries of many requests that failed together.
  return milliseconds(static_cast<long long>(base * (1.0 - 0.25 * draw_())));
}

const Attempt* AttemptPlan::choose_first(TimePoint now) {
  if (!first_) first_ = next(now);
  return first_->has_value() ? &first_->value() : nullptr;
}

Result<Attempt> AttemptPlan::next(TimePoint now) {
  if (first_) return *std::exchange(first_, std::nullopt);
  bool retrying = false;
  if (last_failure_) {
    const Error failure = *last_failure_;
    if (retries_in_group_ < retries_allowed(failure)) {
      retrying = true;
      ++retries_in_group_;  // the backoff reads which retry this is
      ++retries_;
    } else if (!enter_fallback(failure)) {
      return failure;
    }
  }
  while (true) {
    auto attempt = pick_in_group(now);
    if (attempt) return attempt;
    if (retrying) {  // no retry was made after all
      retrying = false;
      --retries_in_group_;
      --retries_;
    }
    if (attempt.error().kind == ErrorKind::timeout) return attempt;
    // The group cannot take the call (cooling, or too small a context window): its fallbacks may.
    last_failure_ = attempt.error();
    if (!enter_fallback(*last_failure_)) return attempt;
  }
}

Result<Attempt> AttemptPlan::pick_in_group(TimePoint now) {
  std::vector<Candidate> candidates;
  candidates.reserve(group_deployments_.size());
  std::optional<TimePoint> first_back;
  bool context_too_small = false;
  for (const Deployment* deployment : group_deployments_) {
    if (const auto until = health_.cooling_until(*deployment, now)) {
      first_back = first_back ? std::min(*first_back, *until) : *until;
      continue;
    }
    if (policy_.enable_pre_call_checks && deployment->max_input_tokens &&
        options_.prompt_tokens > *deployment->max_input_tokens) {
      context_too_small = true;
      continue;
    }
    const Load load = health_.load(*deployment, now);
    const bool withdrawn =
        std::find(withdrawn_.begin(), withdrawn_.end(), deployment) != withdrawn_.end();
    if (withdrawn ||
        (policy_.strategy == Strategy::usage_based && !within_limits(*deployment, load))) {
      first_back = first_back.value_or(now + std::chrono::seconds(1));
      continue;
    }
    candidates.push_back({deployment, load});
  }
  if (candidates.empty()) {
    if (context_too_small && !first_back) {
      return make_error(ErrorKind::context_window_exceeded,
                        "The prompt (about " + std::to_string(options_.prompt_tokens) +
                            " tokens) exceeds the context window of every deployment of model=" +
                            group_ + " (enable_pre_call_checks).",
                        "messages", "context_length_exceeded");
    }
    const auto wait_s = std::max<long long>(
        1, static_cast<long long>(
               std::ceil(std::chrono::duration<double>(first_back.value_or(now) - now).count())));
    Error error = make_error(ErrorKind::rate_limited,
                             "No deployments available for selected model, Try again in " +
                                 std::to_string(wait_s) + " seconds. Passed model=" + group_ + ".");
    error.retry_after = std::chrono::seconds(wait_s);
    return error;
  }
  // A retry goes to a deployment this request has not tried yet when the group has one.
  std::vector<Candidate> fresh;
  for (const Candidate& candidate : candidates) {
    if (std::find(tried_.begin(), tried_.end(), candidate.deployment) == tried_.end())
      fresh.push_back(candidate);
  }
  const bool repeat = fresh.empty();
  const Deployment* chosen = pick(policy_.strategy, repeat ? candidates : fresh, draw_());

  Attempt attempt{.deployment = chosen,
                  .served_model = group_ == primary_group_ ? requested_ : group_};
  if (repeat && last_failure_) attempt.wait = backoff(*last_failure_);
  const milliseconds own = options_.timeout.value_or(chosen->timeout);
  const bool deadline_is_own = !deadline_;
  if (!deadline_) deadline_ = start_ + own;  // the first attempt's timeout bounds the whole request
  const milliseconds left = until(now + attempt.wait, *deadline_);
  if (left.count() <= 0) {
    if (last_failure_) return *last_failure_;
    return make_error(ErrorKind::timeout, "Request timed out before a deployment could be called.");
  }
  attempt.timeout = std::min(own, left);
  attempt.timeout_is_clients = options_.timeout.has_value() || (!deadline_is_own && left < own);
  attempt.stream_timeout =
      std::min(options_.stream_timeout.value_or(chosen->stream_timeout), attempt.timeout);
  tried_.push_back(chosen);
  if (!options_.credentials.empty()) {
    owned_.push_back(with_client_credentials(*chosen, options_.credentials));
    attempt.deployment = &owned_.back();
  }
  if (!attempt.deployment->client_destination.empty()) {
    attempt.client_destination = {&policy_.client_destinations,
                                  attempt.deployment->client_destination};
  }
  return attempt;
}

void AttemptPlan::started(const Attempt& attempt, TimePoint now) {
  attempt_started_ = now;
  health_.call_started(*attempt.deployment, now);
}

bool AttemptPlan::counts_deployment_usage() const {
  return policy_.strategy == Strategy::usage_based;
}

void AttemptPlan::fleet_usage(const Deployment& deployment, std::int64_t requests,
                              std::int64_t tokens, TimePoint until) {
  health_.observe_fleet_usage(deployment, requests, tokens, until);
}

bool AttemptPlan::has_room(const Attempt& attempt, TimePoint now) const {
  return within_limits(*attempt.deployment, health_.load(*attempt.deployment, now));
}

void AttemptPlan::withdraw(const Attempt&) {
  // The retry or fallback that chose it is still being made: on another deployment, or the
  // group's "no deployments available".
  if (tried_.empty()) return;
  withdrawn_.push_back(tried_.back());
  tried_.pop_back();
  last_failure_.reset();
}

std::optional<CooldownBegun> AttemptPlan::finished(const Attempt& attempt, const Error* failure,
                                                   TimePoint now, std::int64_t tokens,
                                                   std::optional<Clock::duration> latency) {
  CallOutcome outcome{.success = failure == nullptr,
                      .latency = latency.value_or(now - attempt_started_),
                      .tokens = tokens};
  if (failure) {
    outcome.status = http_status(*failure);
    // A timeout the client chose (or that the request's deadline cut short) says nothing about
    // the deployment.
    outcome.counts_for_cooldown =
        !(failure->kind == ErrorKind::timeout && attempt.timeout_is_clients);
    last_failure_ = *failure;
  } else {
    last_failure_.reset();
  }
  const auto cooldown = health_.call_finished(*attempt.deployment, outcome, now);
  if (!cooldown) return std::nullopt;
  return CooldownBegun{
      .deployment = attempt.deployment, .status = outcome.status, .length = *cooldown};
}

}  // namespace llmux::router
