// The gateway's own state, without a key: liveness and readiness (LiteLLM's /health routes) and
// the Prometheus counters (/metrics).
#pragma once

#include "router/model_table.hpp"
#include "router/router.hpp"
#include "server/routes.hpp"
#include "telemetry/metrics.hpp"

#include <string>

namespace llmux::handlers {

namespace asio = boost::asio;

class StatusRoutes {
 public:
  StatusRoutes(const router::Router& router, const telemetry::Metrics& metrics, std::string version,
               bool has_database)
      : router_(router),
        models_(router.models()),
        metrics_(metrics),
        version_(std::move(version)),
        has_database_(has_database) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> health(server::Exchange& exchange, bool readiness);

  std::string metrics_text() const;

  const router::Router& router_;
  const router::ModelTable& models_;
  const telemetry::Metrics& metrics_;
  std::string version_;
  bool has_database_;
};

}  // namespace llmux::handlers
