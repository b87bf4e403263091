#include "handlers/gateway.hpp"

#include "api/error_body.hpp"

namespace llmux::handlers {

namespace {

std::string error_body(unsigned status, std::string_view message) {
  return api::error_body(Error{.kind = kind_from_status(static_cast<int>(status)),
                               .message = std::string(message),
                               .status = static_cast<int>(status)});
}

}  // namespace

Gateway::Gateway(const SharedState& shared, upstream::Transport& network,
                 asio::any_io_executor executor, telemetry::LogBuffer& log,
                 telemetry::WorkerMetrics& metrics, store::SpendSink* spend_sink,
                 fleet::SharedLimits* shared_limits, cache::ResponseCache* cache)
    : callers_(shared.authenticator, shared.ui_sessions),
      spend_(spend_sink, shared.store_prompts_in_spend_logs),
      alerts_(shared.alerting, *shared.alert_claims, network, std::move(executor), metrics),
      services_{.router = shared.router,
                .rate_counters = shared.rate_counters,
                .shared_limits = shared_limits,
                .spend = spend_,
                .log = log,
                .metrics = metrics,
                .master_key_hash = shared.authenticator.master_key_hash(),
                .callbacks = shared.callbacks,
                .alerts = &alerts_,
                .log_messages = shared.log_messages,
                .redact_key_info = shared.redact_key_info},
      transport_(network),
      routes_(&error_body),
      status_(shared.router, shared.metrics, shared.version, shared.store != nullptr, callers_,
              relay::Relay(transport_, {.max_answer_bytes = shared.max_upstream_response_bytes,
                                        .max_event_bytes = shared.max_upstream_event_bytes}),
              metrics, shared.last_health_checks),
      model_routes_(shared.router, callers_, shared.started_at),
      model_calls_(callers_, services_, transport_,
                   {.max_answer_bytes = shared.max_upstream_response_bytes,
                    .max_event_bytes = shared.max_upstream_event_bytes},
                   cache),
      stored_responses_(shared.store, shared.stored_responses),
      dialect_routes_(model_calls_, callers_, stored_responses_),
      cache_routes_(callers_, cache),
      management_(
          [this](const server::Exchange& exchange) {
            return callers_.identify(exchange, auth::Purpose::management);
          },
          shared.store, shared.authenticator.keys()),
      keys_(management_),
      teams_(management_),
      users_(management_),
      spend_routes_(management_),
      health_check_interval_(shared.health_check_interval) {
  model_calls_.add_to(routes_);
  dialect_routes_.add_to(routes_);
  cache_routes_.add_to(routes_);
  status_.add_to(routes_);
  model_routes_.add_to(routes_);
  keys_.add_to(routes_);
  teams_.add_to(routes_);
  users_.add_to(routes_);
  spend_routes_.add_to(routes_);
  if (shared.stored_models != nullptr) {
    stored_models_.emplace(*shared.stored_models, management_);
    stored_models_->add_to(routes_);
  }
  if (shared.ui_sessions != nullptr) {
    ui_.emplace(*shared.ui_sessions, shared.authenticator, shared.store != nullptr,
                shared.listener_tls);
    ui_->add_to(routes_);
  }
}

}  // namespace llmux::handlers
