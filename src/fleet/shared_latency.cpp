#include "fleet/shared_latency.hpp"

#include "fleet/scripts.hpp"

#include <boost/asio/co_spawn.hpp>

namespace llmux::fleet {

namespace {

constexpr auto kFreshFor = 3 * SharedLatency::kPeriod;

}  // namespace

SharedLatency::SharedLatency(asio::io_context& io, Instance& instance, redis::Client& client,
                             router::HealthState& health, std::vector<Tracked> deployments)
    : instance_(instance),
      client_(client),
      health_(health),
      deployments_(std::move(deployments)),
      timer_(io) {}

void SharedLatency::start() { schedule(); }

void SharedLatency::schedule() {
  timer_.expires_after(kPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    asio::co_spawn(timer_.get_executor(), exchange(),
                   [this](const std::exception_ptr&) { schedule(); });
  });
}

asio::awaitable<void> SharedLatency::exchange() {
  std::vector<std::string> arguments{instance_.id, std::to_string(kFreshFor.count())};
  arguments.reserve(2 + 2 * deployments_.size());
  for (const Tracked& deployment : deployments_) {
    arguments.push_back(deployment.id);
    arguments.push_back(std::to_string(health_.own_latency(deployment.index).count()));
  }
  const std::vector<std::string> no_keys;
  auto reply = co_await client_.eval(exchange_latency_script(), no_keys, arguments);
  const bool answered = reply && reply->type == redis::Reply::Type::array &&
                        reply->elements.size() == deployments_.size();
  instance_.redis_answered(answered);
  // Unanswered: the fleet's figures are left to go stale, and this process's own count again.
  if (!answered) co_return;
  const router::TimePoint fresh_until = router::Clock::now() + kFreshFor;
  for (std::size_t i = 0; i < deployments_.size(); ++i) {
    health_.observe_fleet_latency(
        deployments_[i].index, std::chrono::microseconds(reply->elements[i].integer), fresh_until);
  }
  telemetry::FleetMetrics::add(instance_.metrics.latency_exchanges);
}

}  // namespace llmux::fleet
