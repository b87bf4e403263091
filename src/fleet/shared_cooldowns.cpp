#include "fleet/shared_cooldowns.hpp"

#include "fleet/scripts.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace llmux::fleet {

namespace {

constexpr const char* kChannel = "llmux:cooldowns";

}  // namespace

SharedCooldowns::SharedCooldowns(asio::io_context& io, const redis::Options& options,
                                 Instance& instance, redis::Client& client,
                                 DeploymentIds deployment_ids, int allowed_fails,
                                 std::chrono::milliseconds cooldown, OnCooled on_cooled)
    : io_(io),
      instance_(instance),
      client_(client),
      deployment_ids_(std::move(deployment_ids)),
      allowed_fails_(allowed_fails),
      cooldown_(cooldown),
      on_cooled_(std::move(on_cooled)),
      subscriber_(io, options,
                  {.channels = {kChannel},
                   .on_message = [this](const redis::Message& message) { heard(message); },
                   .on_subscribed = [this] { asio::co_spawn(io_, catch_up(), asio::detached); }}) {}

// The message: the cooling instance's id (for a reader of the channel), then the deployment's id.
void SharedCooldowns::failed(std::string_view deployment_id, bool cools_at_once) {
  asio::post(io_, [this, deployment = std::string(deployment_id), cools_at_once]() mutable {
    asio::co_spawn(
        io_,
        [this, deployment = std::move(deployment), cools_at_once]() -> asio::awaitable<void> {
          const std::vector<std::string> no_keys;
          const std::vector<std::string> arguments{deployment,
                                                   std::to_string(allowed_fails_),
                                                   std::to_string(cooldown_.count()),
                                                   cools_at_once ? "1" : "0",
                                                   kChannel,
                                                   instance_.id + '\n' + deployment};
          // Lost when Redis is away: this instance's own count cools it meanwhile.
          auto counted = co_await client_.eval(count_failure_script(), no_keys, arguments);
          instance_.redis_answered(counted.has_value());
        },
        asio::detached);
  });
}

void SharedCooldowns::heard(const redis::Message& message) {
  const std::size_t end_of_instance = message.payload.find('\n');
  if (end_of_instance == std::string::npos) return;
  telemetry::FleetMetrics::add(instance_.metrics.cooldowns_heard);
  on_cooled_(std::string_view(message.payload).substr(end_of_instance + 1), cooldown_);
}

asio::awaitable<void> SharedCooldowns::catch_up() {
  const std::vector<std::string> no_keys;
  const std::vector<std::string> ids = deployment_ids_();
  auto cooling = co_await client_.eval(cooling_script(), no_keys, ids);
  instance_.redis_answered(cooling.has_value());
  if (!cooling || cooling->type != redis::Reply::Type::array) co_return;
  for (std::size_t i = 0; i < cooling->elements.size() && i < ids.size(); ++i) {
    const std::int64_t left = cooling->elements[i].integer;
    if (left <= 0) continue;
    telemetry::FleetMetrics::add(instance_.metrics.cooldowns_heard);
    on_cooled_(ids[i], std::chrono::milliseconds(left));
  }
}

}  // namespace llmux::fleet
