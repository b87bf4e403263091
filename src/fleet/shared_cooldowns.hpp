// Deployment cooldowns shared by a fleet (docs/SCALING.md): every instance counts a deployment's
// failures in Redis, so failures on several instances add up towards allowed_fails; the failure
// that cools it publishes the cooldown, and every instance (this one too) marks the deployment
// cooling in its own health state on hearing it. Picking a deployment reads only that local state:
// no Redis round trip per request. Cooldowns published while the subscription was down are lost, so
// each (re)subscription reads the cooldowns running in Redis. While Redis is away each instance
// cools on its own counts, as without a fleet.
#pragma once

#include "fleet/shared_limits.hpp"
#include "redis/subscriber.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::fleet {

class SharedCooldowns {
 public:
  // Told, on `io`'s thread, that a deployment (by its id) cools for `left` from now.
  using OnCooled =
      std::function<void(std::string_view deployment_id, std::chrono::milliseconds left)>;

  // The ids of the deployments served now (the config's and the stored ones), read on `io`'s
  // thread at each (re)subscription.
  using DeploymentIds = std::function<std::vector<std::string>()>;

  // Runs on `io`, counting with `client` (a client on the same io_context).
  SharedCooldowns(asio::io_context& io, const redis::Options& options, Instance& instance,
                  redis::Client& client, DeploymentIds deployment_ids, int allowed_fails,
                  std::chrono::milliseconds cooldown, OnCooled on_cooled);

  // Any thread: one failure of the deployment that counts towards its cooldown.
  void failed(std::string_view deployment_id, bool cools_at_once);

 private:
  void heard(const redis::Message& message);
  asio::awaitable<void> catch_up();

  asio::io_context& io_;
  Instance& instance_;
  redis::Client& client_;
  const DeploymentIds deployment_ids_;
  const int allowed_fails_;
  const std::chrono::milliseconds cooldown_;
  OnCooled on_cooled_;
  redis::Subscriber subscriber_;
};

}  // namespace llmux::fleet
