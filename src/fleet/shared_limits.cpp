#include "fleet/shared_limits.hpp"

#include "base/ids.hpp"
#include "fleet/scripts.hpp"
#include "telemetry/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

namespace llmux::fleet {

namespace {

std::string limit_text(const std::optional<std::int64_t>& limit) {
  return std::to_string(limit.value_or(-1));
}

// How often an instance says it is alive and renews its leases: three times per lease, at most
// once a second. An instance silent for three beats no longer counts.
std::chrono::milliseconds beat_period(std::chrono::milliseconds lease) {
  return std::clamp<std::chrono::milliseconds>(lease / 3, std::chrono::milliseconds(10),
                                               std::chrono::milliseconds(1000));
}

// claim_deployment_script's arguments.
void add_claim_arguments(std::vector<std::string>& arguments, const DeploymentToClaim& to_claim) {
  arguments.push_back(to_claim.chosen.id);
  arguments.push_back(limit_text(to_claim.chosen.rpm));
  arguments.push_back(limit_text(to_claim.chosen.tpm));
  for (const router::Deployment* deployment : to_claim.group) arguments.push_back(deployment->id);
}

std::size_t claim_argument_count(const DeploymentToClaim& to_claim) {
  return 3 + to_claim.group.size();
}

// A claim's reply, from element `first` of `reply` to its end: unavailable when it is not one for
// a group of `group_size`.
relay::DeploymentClaims::Claim read_claim(const redis::Reply& reply, std::size_t first,
                                          std::size_t group_size) {
  using Claim = relay::DeploymentClaims::Claim;
  Claim claim;
  if (reply.type != redis::Reply::Type::array ||
      reply.elements.size() != first + 2 + 2 * group_size) {
    return claim;
  }
  const auto number = [&reply, first](std::size_t i) { return reply.elements[first + i].integer; };
  claim.verdict = number(0) == 1 ? Claim::Verdict::claimed : Claim::Verdict::full;
  claim.window_left = std::chrono::milliseconds(number(1));
  claim.group.reserve(group_size);
  for (std::size_t i = 0; i < group_size; ++i)
    claim.group.push_back({.requests = number(2 + 2 * i), .tokens = number(3 + 2 * i)});
  return claim;
}

}  // namespace

std::int64_t nano_usd(double usd) { return std::llround(usd * 1e9); }

Instance::Instance(std::chrono::milliseconds lease, telemetry::FleetMetrics& metrics)
    : id(make_uuid()), lease(lease), metrics(metrics) {}

void Instance::redis_answered(bool up) {
  if (metrics.redis_up.exchange(up, std::memory_order_relaxed) == up) return;
  if (up) {
    telemetry::log_now("info", "fleet: Redis answers; limits are counted fleet-wide");
  } else {
    telemetry::FleetMetrics::add(metrics.degraded_periods);
    telemetry::log_now("warning",
                       "fleet: Redis does not answer; each instance now counts its share of "
                       "every limit (limit / live instances) until it does");
  }
}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    finish(0, 0);
    owner_ = std::exchange(other.owner_, nullptr);
    number_ = other.number_;
    id_ = std::move(other.id_);
  }
  return *this;
}

void Lease::finish(std::int64_t tokens, double cost, std::string_view also_charged) {
  if (owner_) std::exchange(owner_, nullptr)->settle(*this, tokens, cost, also_charged);
}

SharedLimits::SharedLimits(asio::io_context& io, const redis::Options& options, Instance& instance)
    : io_(io), client_(io, options), instance_(instance), beat_timer_(io) {}

void SharedLimits::start() { schedule_beat(); }

std::uint64_t SharedLimits::instances() const {
  return std::max<std::uint64_t>(1, instance_.metrics.instances.load(std::memory_order_relaxed));
}

std::string SharedLimits::lease_id(std::uint64_t number) const {
  return instance_.id + ':' + std::to_string(number);
}

asio::awaitable<SharedAdmission> SharedLimits::admit(std::span<const Holder> holders,
                                                     Reservation reservation,
                                                     const DeploymentToClaim* to_claim) {
  const std::uint64_t number = next_lease_++;
  std::string id = lease_id(number);
  const std::size_t claim_arguments = to_claim ? claim_argument_count(*to_claim) : 0;
  std::vector<std::string> arguments{
      id, std::to_string(instance_.lease.count()), std::to_string(reservation.tokens),
      std::to_string(nano_usd(reservation.cost)), std::to_string(claim_arguments)};
  arguments.reserve(5 + claim_arguments + holders.size() * 7);
  if (to_claim) add_claim_arguments(arguments, *to_claim);
  for (const Holder& holder : holders) {
    arguments.emplace_back(holder.subject);
    arguments.push_back(limit_text(holder.limits.rpm));
    arguments.push_back(limit_text(holder.limits.tpm));
    arguments.push_back(limit_text(holder.limits.max_parallel));
    arguments.push_back(std::to_string(holder.budget ? nano_usd(*holder.budget) : -1));
    arguments.push_back(std::to_string(nano_usd(holder.spend)));
    arguments.emplace_back(holder.charged_at_end ? "1" : "0");
  }
  const std::vector<std::string> no_keys;
  auto reply = co_await client_.eval(admit_script(), no_keys, arguments);
  SharedAdmission admission;
  const auto number_at = [&reply](std::size_t i) { return reply->elements[i].integer; };
  if (!reply || reply->type != redis::Reply::Type::array || reply->elements.size() < 5) {
    instance_.redis_answered(false);
    if (to_claim) telemetry::FleetMetrics::add(instance_.metrics.local_deployment_claims);
    co_return admission;  // unavailable, its claim too
  }
  instance_.redis_answered(true);
  telemetry::FleetMetrics::add(instance_.metrics.shared_admissions);
  const auto window_ends_at = [](std::int64_t ms_left) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           ms_left;
  };
  if (number_at(0) == 0 && reply->elements.size() >= 8) {
    admission.verdict = SharedAdmission::Verdict::refused;
    admission.holder = std::min<std::size_t>(
        holders.size() - 1, static_cast<std::size_t>(std::max<std::int64_t>(1, number_at(1)) - 1));
    admission.over_budget = number_at(2) == 2;
    admission.usage = {.requests = number_at(3),
                       .tokens = number_at(4),
                       .in_flight = number_at(5),
                       .window_ends_at = window_ends_at(number_at(6))};
    admission.spend = static_cast<double>(number_at(7)) / 1e9;
    co_return admission;
  }
  admission.verdict = SharedAdmission::Verdict::admitted;
  admission.usage = {.requests = number_at(2),
                     .tokens = number_at(3),
                     .in_flight = number_at(4),
                     .window_ends_at = window_ends_at(number_at(1))};
  if (to_claim) admission.claim = read_claim(*reply, 5, to_claim->group.size());
  // Only tokens for a tpm limit, a cost for a budget and parallel slots need the call's end:
  // without them, no second command (and the script kept no record).
  const bool settles = std::any_of(holders.begin(), holders.end(), [](const Holder& holder) {
    return holder.limits.tpm || holder.limits.max_parallel || holder.budget;
  });
  if (!settles) co_return admission;
  live_.insert(number);
  admission.lease.owner_ = this;
  admission.lease.number_ = number;
  admission.lease.id_ = std::move(id);
  co_return admission;
}

void SharedLimits::settle(const Lease& lease, std::int64_t tokens, double cost,
                          std::string_view also_charged) {
  if (live_.erase(lease.number_) == 0) return;
  ends_.push_back(lease.id_);
  ends_.push_back(std::to_string(tokens));
  ends_.push_back(std::to_string(nano_usd(cost)));
  ends_.emplace_back(also_charged);
  if (std::exchange(flush_posted_, true)) return;
  asio::post(io_, [this] { flush_ends(); });
}

void SharedLimits::flush_ends() {
  flush_posted_ = false;
  // Not awaited: the calls' answers do not wait on Redis. When Redis is away the tokens are lost
  // to the shared window, the costs reach Redis's spend only through the database (the spend an
  // instance knows, when Redis starts again from it), and the slots and reservations come back
  // when their lease ends.
  asio::co_spawn(
      io_,
      [this, arguments = std::exchange(ends_, {})]() -> asio::awaitable<void> {
        const std::vector<std::string> no_keys;
        auto reply = co_await client_.eval(settle_script(), no_keys, arguments);
        instance_.redis_answered(reply.has_value());
        if (reply && reply->type == redis::Reply::Type::integer && reply->integer > 0) {
          instance_.metrics.call_ends_counted.fetch_add(static_cast<std::uint64_t>(reply->integer),
                                                        std::memory_order_relaxed);
        }
      },
      asio::detached);
}

asio::awaitable<relay::DeploymentClaims::Claim> SharedLimits::claim(
    const router::Deployment& chosen, std::span<const router::Deployment* const> group) {
  const DeploymentToClaim to_claim{.chosen = chosen, .group = group};
  std::vector<std::string> arguments;
  arguments.reserve(claim_argument_count(to_claim));
  add_claim_arguments(arguments, to_claim);
  const std::vector<std::string> no_keys;
  auto reply = co_await client_.eval(claim_deployment_script(), no_keys, arguments);
  Claim claim = reply ? read_claim(*reply, 0, group.size()) : Claim{};
  const bool answered = claim.verdict != Claim::Verdict::unavailable;
  instance_.redis_answered(answered);
  if (!answered) telemetry::FleetMetrics::add(instance_.metrics.local_deployment_claims);
  co_return claim;
}

void SharedLimits::add_tokens(const router::Deployment& deployment, std::int64_t tokens) {
  asio::co_spawn(
      io_,
      [this, arguments = std::vector<std::string>{deployment.id, std::to_string(tokens)}]()
          -> asio::awaitable<void> {
        const std::vector<std::string> no_keys;
        auto reply = co_await client_.eval(deployment_tokens_script(), no_keys, arguments);
        instance_.redis_answered(reply.has_value());
      },
      asio::detached);
}

void SharedLimits::schedule_beat() {
  beat_timer_.expires_after(beat_period(instance_.lease));
  beat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    asio::co_spawn(io_, beat(), [this](const std::exception_ptr&) { schedule_beat(); });
  });
}

asio::awaitable<void> SharedLimits::beat() {
  std::vector<std::string> arguments{instance_.id,
                                     std::to_string(beat_period(instance_.lease).count() * 3),
                                     std::to_string(instance_.lease.count())};
  arguments.reserve(3 + live_.size());
  for (const std::uint64_t number : live_) arguments.push_back(lease_id(number));
  const std::vector<std::string> no_keys;
  auto reply = co_await client_.eval(beat_script(), no_keys, arguments);
  if (reply && reply->type == redis::Reply::Type::integer) {
    instance_.metrics.instances.store(static_cast<std::uint64_t>(reply->integer),
                                      std::memory_order_relaxed);
  }
  instance_.redis_answered(reply && !reply->is_error());
}

}  // namespace llmux::fleet
