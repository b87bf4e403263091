// The gateway's HTTP face: maps each route to its handler. One Gateway per worker thread, over
// state that all workers share read-only (model table, authenticator).
#pragma once

#include "api/request.hpp"
#include "auth/authenticator.hpp"
#include "router/router.hpp"
#include "handlers/spend_tracker.hpp"
#include "limits/limiter.hpp"
#include "router/model_table.hpp"
#include "server/exchange.hpp"
#include "store/service.hpp"
#include "telemetry/log.hpp"
#include "telemetry/metrics.hpp"
#include "upstream/client.hpp"

#include <chrono>
#include <string>

namespace llmux::handlers {

namespace asio = boost::asio;

// Built once at startup; every worker reads it, nobody writes it.
struct SharedState {
  const router::ModelTable& models;
  const router::Router& router;  // its health state is thread-safe: every worker reports to it
  const auth::Authenticator& authenticator;
  std::string version;
  std::int64_t started_at = 0;  // Unix seconds, the "created" of /v1/models entries
  const telemetry::Metrics& metrics;  // every worker's counters, for /metrics
  store::Service* store = nullptr;     // keys and spend; nullptr without a database
  limits::RateCounters* rate_counters = nullptr;  // keys' rpm/tpm/parallel limits
  bool store_prompts_in_spend_logs = false;
  // An upstream answer larger than this fails the call: a non-streamed one, and one event of a
  // stream (general_settings).
  std::size_t max_upstream_response_bytes = 64u << 20;
  std::size_t max_upstream_event_bytes = 16u << 20;
};

struct CallRecord;

// The key the client presented, in whichever header it came.
std::string_view presented_key(const server::Exchange& exchange);

class Gateway final : public server::Handler {
 public:
  // spend_sink: this worker's, nullptr without a database.
  Gateway(const SharedState& shared, upstream::Client& client, telemetry::LogBuffer& log,
          telemetry::WorkerMetrics& metrics, store::SpendSink* spend_sink = nullptr);

  asio::awaitable<void> handle(server::Exchange& exchange) override;
  std::string error_body(unsigned status, std::string_view message) const override;

 private:
  // Every route but a model call.
  asio::awaitable<void> other_route(server::Exchange& exchange, std::string_view path);
  Result<auth::Caller> authenticate(const server::Exchange& exchange);
  // /key/*, /team/*, /user/*, /customer/*, /spend/*, /global/spend*: admin routes (a virtual key may read its own /key/info).
  asio::awaitable<void> management(server::Exchange& exchange, std::string_view path);
  asio::awaitable<void> key_route(server::Exchange& exchange, std::string_view path, const auth::Caller& caller);
  asio::awaitable<void> spend_route(server::Exchange& exchange, std::string_view path);
  asio::awaitable<void> team_route(server::Exchange& exchange, std::string_view path);
  asio::awaitable<void> user_route(server::Exchange& exchange, std::string_view path);
  asio::awaitable<void> fail(server::Exchange& exchange, const Error& error);
  asio::awaitable<void> list_models(server::Exchange& exchange, const auth::Caller& caller);
  asio::awaitable<void> get_model(server::Exchange& exchange, const auth::Caller& caller, std::string_view id);
  bool may_call(const auth::Caller& caller, std::string_view model) const;
  asio::awaitable<void> model_call(server::Exchange& exchange, api::Endpoint endpoint,
                                   std::string_view model_from_path);
  // How one attempt ended: `answered` when the client has its response (or has gone).
  struct AttemptEnd {
    std::optional<Error> failure;
    bool answered = false;
    std::int64_t tokens = 0;
    std::chrono::steady_clock::duration latency{};  // whole call, or time to a stream's first event
    // A stream the client has in full whose upstream tail (usually just its terminator) is still
    // to be read, so that its connection can go back to the pool: read after the outcome is
    // reported, so the router sees the call end when the client does.
    std::unique_ptr<upstream::Stream> unread;
  };
  asio::awaitable<AttemptEnd> call_deployment(server::Exchange& exchange, const api::Request& request,
                                              const router::Attempt& attempt, CallRecord& record,
                                              upstream::AbortHandle& abort);

  // An upstream's failure as the client, the log and the router see it: the credentials sent
  // for the attempt and the client's own key masked (an upstream may echo what it received).
  Error masked(Error error, const router::Deployment& deployment, const server::Exchange& exchange) const;

  const SharedState& shared_;
  upstream::Client& client_;
  telemetry::LogBuffer& log_;
  telemetry::WorkerMetrics& metrics_;
  auth::KeyReader key_reader_;
  SpendTracker spend_;
};

}  // namespace llmux::handlers
