// One worker's routes: every endpoint family (status, models, model calls, the admin routes) in
// one table, over state that all workers share read-only (model table, router, authenticator).
#pragma once

#include "admin/key_routes.hpp"
#include "admin/management.hpp"
#include "admin/spend_routes.hpp"
#include "admin/team_routes.hpp"
#include "admin/user_routes.hpp"
#include "auth/authenticator.hpp"
#include "handlers/cache_routes.hpp"
#include "handlers/call_record.hpp"
#include "handlers/callers.hpp"
#include "handlers/dialect_routes.hpp"
#include "handlers/model_calls.hpp"
#include "handlers/model_routes.hpp"
#include "handlers/spend_tracker.hpp"
#include "handlers/status_routes.hpp"
#include "handlers/stored_models.hpp"
#include "handlers/stored_responses.hpp"
#include "handlers/ui_routes.hpp"
#include "limits/limiter.hpp"
#include "relay/local_answers.hpp"
#include "router/live_router.hpp"
#include "server/routes.hpp"
#include "store/service.hpp"
#include "telemetry/log.hpp"
#include "telemetry/metrics.hpp"
#include "upstream/transport.hpp"

#include <memory>
#include <optional>
#include <string>

namespace llmux::handlers {

namespace asio = boost::asio;

// Built once at startup; every worker reads it, nobody writes it (the router is replaced whole:
// router::LiveRouter).
struct SharedState {
  // The current router (model table, policy, health: thread-safe, every worker reports to it);
  // replaced whole when the models kept in the database change.
  const router::LiveRouter& router;
  const auth::Authenticator& authenticator;
  std::string version;
  std::int64_t started_at = 0;        // Unix seconds, the "created" of /v1/models entries
  const telemetry::Metrics& metrics;  // every worker's counters, for /metrics
  store::Service* store = nullptr;    // keys and spend; nullptr without a database
  limits::RateCounters* rate_counters = nullptr;  // keys' rpm/tpm/parallel limits
  bool store_prompts_in_spend_logs = false;
  callbacks::Exporter* callbacks = nullptr;  // logging callbacks; nullptr when none is configured
  bool log_messages = true;                  // false: turn_off_message_logging
  bool redact_key_info = false;              // redact_user_api_key_info
  // An upstream answer larger than this fails the call: a non-streamed one, and one event of a
  // stream (general_settings).
  std::size_t max_upstream_response_bytes = 64u << 20;
  std::size_t max_upstream_event_bytes = 16u << 20;
  auth::UiSessions* ui_sessions = nullptr;  // the admin page's logins; nullptr: no page at /ui
  bool listener_tls = false;                // the listener speaks TLS (--ssl_certfile_path)
  // general_settings.background_health_checks: the last run's answer to /health; nullptr: /health
  // probes on demand.
  LastHealthChecks* last_health_checks = nullptr;
  config::AlertingSettings alerting;  // general_settings.alerting
  // Which process-wide alerts (cooldowns, the database) left in the last minute, for all workers.
  std::shared_ptr<AlertClaims> alert_claims = std::make_shared<AlertClaims>();
  std::chrono::milliseconds health_check_interval{300'000};
  StoredResponseLimits stored_responses;  // the Responses API's, kept in `store`
  // The models managed through the API (/model/new, …); nullptr: those routes are not served.
  const StoredModels* stored_models = nullptr;
};

class Gateway {
 public:
  // network: this worker's upstream transport, executor: its event loop; spend_sink: this worker's,
  // nullptr without a database; shared_limits: this worker's, in a fleet only; cache: this worker's
  // response cache, nullptr without one.
  Gateway(const SharedState& shared, upstream::Transport& network, asio::any_io_executor executor,
          telemetry::LogBuffer& log, telemetry::WorkerMetrics& metrics,
          store::SpendSink* spend_sink = nullptr, fleet::SharedLimits* shared_limits = nullptr,
          cache::ResponseCache* cache = nullptr);
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  server::Handler& handler() { return routes_; }
  // Any thread: spend could not be written to the database (the db_exceptions alert).
  void database_write_failed(std::string what) { alerts_.database_write_failed(std::move(what)); }
  // The background health checks (SharedState::last_health_checks), on this worker's loop.
  asio::awaitable<void> check_health_in_background() {
    return status_.check_in_background(health_check_interval_);
  }

 private:
  Callers callers_;
  SpendTracker spend_;
  Alerts alerts_;
  CallServices services_;
  relay::WithLocalAnswers transport_;
  server::Routes routes_;
  StatusRoutes status_;
  ModelRoutes model_routes_;
  ModelCalls model_calls_;
  StoredResponses stored_responses_;
  DialectRoutes dialect_routes_;
  CacheRoutes cache_routes_;
  admin::Management management_;
  admin::KeyRoutes keys_;
  admin::TeamRoutes teams_;
  admin::UserRoutes users_;
  admin::SpendRoutes spend_routes_;
  std::optional<StoredModelRoutes> stored_models_;
  std::optional<UiRoutes> ui_;
  std::chrono::milliseconds health_check_interval_;
};

}  // namespace llmux::handlers
