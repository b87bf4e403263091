#include "fleet/shared_latency.hpp"

#include "fleet/scripts.hpp"

#include <boost/asio/co_spawn.hpp>

#include <unordered_set>

namespace llmux::fleet {

namespace {

constexpr auto kFreshFor = 3 * SharedLatency::kPeriod;

}  // namespace

SharedLatency::SharedLatency(asio::io_context& io, Instance& instance, redis::Client& client,
                             const router::LiveRouter& routers)
    : instance_(instance), client_(client), routers_(routers), timer_(io) {}

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
  // Held to the exchange's end: the figures read back go to the router they were told from.
  const std::shared_ptr<router::Router> current = routers_.current();
  router::HealthState& health = current->health();
  const router::ModelTable& models = current->models();
  std::vector<std::size_t> indexes;
  std::vector<std::string> arguments{instance_.id, std::to_string(kFreshFor.count())};
  std::unordered_set<std::string> seen;
  for (const std::string& id : models.deployment_ids()) {
    const auto index = models.index_of(id);
    if (!index || !seen.insert(id).second) continue;
    indexes.push_back(*index);
    arguments.push_back(id);
    arguments.push_back(std::to_string(health.own_latency(*index).count()));
  }
  const std::vector<std::string> no_keys;
  auto reply = co_await client_.eval(exchange_latency_script(), no_keys, arguments);
  const bool answered =
      reply && reply->type == redis::Reply::Type::array && reply->elements.size() == indexes.size();
  instance_.redis_answered(answered);
  // Unanswered: the fleet's figures are left to go stale, and this process's own count again.
  if (!answered) co_return;
  const router::TimePoint fresh_until = router::Clock::now() + kFreshFor;
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    health.observe_fleet_latency(indexes[i], std::chrono::microseconds(reply->elements[i].integer),
                                 fresh_until);
  }
  telemetry::FleetMetrics::add(instance_.metrics.latency_exchanges);
}

}  // namespace llmux::fleet
