// The router the workers route with now. Models added, changed or removed through the API
// (docs/MODELS.md) make a new router (model table and health, the kept deployments' health
// shared: Router::with_table) that replaces the current one whole; a request reads the current
// one once and keeps it until its end, so it never sees half a change.
#pragma once

#include "router/router.hpp"

#include <atomic>
#include <memory>

namespace llmux::router {

class LiveRouter {
 public:
  explicit LiveRouter(std::shared_ptr<Router> first) : current_(std::move(first)) {}

  std::shared_ptr<Router> current() const { return current_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<Router> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<Router>> current_;
};

}  // namespace llmux::router
