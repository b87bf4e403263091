// Deployment latencies shared by a fleet (latency-based-routing, docs/SCALING.md): every period
// one instance-wide script tells Redis this process's own latency average of each deployment and
// reads the mean of every instance's fresh figures, which the router then compares instead of its
// own. Nothing on the request path waits for it. A figure that is not refreshed (its instance
// stopped, or Redis is away) stops counting after three periods, so while Redis is away each
// instance routes by its own measurements, as without a fleet.
#pragma once

#include "fleet/shared_limits.hpp"
#include "router/live_router.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace llmux::fleet {

class SharedLatency {
 public:
  // How often the figures are exchanged; a figure counts for three periods after it was told.
  static constexpr std::chrono::milliseconds kPeriod{500};

  // Runs on `io`, with `client` (a client on the same io_context), for the deployments of the
  // router `routers` has at each exchange (models added through the API too), by id: the same on
  // every instance running the same config and database.
  SharedLatency(asio::io_context& io, Instance& instance, redis::Client& client,
                const router::LiveRouter& routers);
  // Starts the exchanges (until the io_context stops).
  void start();

 private:
  void schedule();
  asio::awaitable<void> exchange();

  Instance& instance_;
  redis::Client& client_;
  const router::LiveRouter& routers_;
  asio::steady_timer timer_;
};

}  // namespace llmux::fleet
