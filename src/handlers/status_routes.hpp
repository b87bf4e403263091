// The gateway's own state, without a key: liveness and readiness (LiteLLM's /health routes) and
// the Prometheus counters (/metrics). With the master key, /health probes the deployments as
// LiteLLM's does (deployment_probes.hpp).
#pragma once

#include "handlers/callers.hpp"
#include "handlers/deployment_probes.hpp"
#include "router/live_router.hpp"
#include "server/routes.hpp"
#include "telemetry/metrics.hpp"

#include <chrono>
#include <string>

namespace llmux::handlers {

namespace asio = boost::asio;

class StatusRoutes {
 public:
  // last_checks: where the background health checks keep their last answer; nullptr when
  // /health probes on demand.
  StatusRoutes(const router::LiveRouter& router, const telemetry::Metrics& metrics,
               std::string version, bool has_database, Callers& callers, relay::Relay relay,
               telemetry::WorkerMetrics& worker_metrics, LastHealthChecks* last_checks)
      : router_(router),
        metrics_(metrics),
        version_(std::move(version)),
        has_database_(has_database),
        callers_(callers),
        prober_(relay),
        worker_metrics_(worker_metrics),
        last_checks_(last_checks) {}

  void add_to(server::Routes& routes);

  // Probes every deployment now and every `interval` after, on this worker, into last_checks.
  asio::awaitable<void> check_in_background(std::chrono::milliseconds interval);

 private:
  asio::awaitable<void> health(server::Exchange& exchange, bool readiness);
  asio::awaitable<void> probe_deployments(server::Exchange& exchange);
  // Probes them, each verdict becoming its deployment's last outcome (litellm_deployment_state).
  asio::awaitable<std::vector<ProbeResult>> probe(
      std::vector<const router::Deployment*> deployments);

  std::string metrics_text() const;

  const router::LiveRouter& router_;
  const telemetry::Metrics& metrics_;
  std::string version_;
  bool has_database_;
  Callers& callers_;
  DeploymentProber prober_;
  telemetry::WorkerMetrics& worker_metrics_;
  LastHealthChecks* last_checks_;
};

}  // namespace llmux::handlers
