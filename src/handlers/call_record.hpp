// One model call's record, owned by the call from its first byte to its log line, and the three
// phases the model-call handler runs on it:
//   admit  — before any upstream work: model access and aliases, per-model and end-user budgets,
//            the rpm / tpm / parallel limits of the key, its team and its user;
//   settle — once the relay has its outcome: tokens to the limits' permits, the cost to the live
//            spend and the spend log, the key's model budget, the soft-budget warning;
//   report — the access-log line, the metrics, and the call's payload for the logging callbacks.
// A call answered from the response cache (ModelCalls' cache step) is admitted like any other (it
// counts towards rpm limits, as in LiteLLM), then settled at no cost and logged as a cache hit.
// compose_headers() writes every x-litellm-* / x-ratelimit-* header of the answer in one place.
// New call steps (caching, callbacks) hook into these phases.
#pragma once

#include "api/request.hpp"
#include "auth/authenticator.hpp"
#include "callbacks/exporter.hpp"
#include "fleet/shared_limits.hpp"
#include "handlers/alerts.hpp"
#include "handlers/spend_tracker.hpp"
#include "limits/limiter.hpp"
#include "relay/relay.hpp"
#include "router/attempt_plan.hpp"
#include "router/live_router.hpp"
#include "router/model_table.hpp"
#include "server/exchange.hpp"
#include "telemetry/log.hpp"
#include "telemetry/metrics.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::handlers {

namespace asio = boost::asio;

// What the phases use, per worker.
struct CallServices {
  const router::LiveRouter& router;  // each call routes with the router current at its start
  limits::RateCounters* rate_counters = nullptr;  // nullptr without a database
  // A fleet (router_settings.redis): the limits are counted in Redis, rate_counters hold this
  // instance's share of them while Redis is away.
  fleet::SharedLimits* shared_limits = nullptr;
  SpendTracker& spend;
  telemetry::LogBuffer& log;
  telemetry::WorkerMetrics& metrics;
  std::string_view master_key_hash;          // labels the master key's calls in LiteLLM's metrics
  callbacks::Exporter* callbacks = nullptr;  // nullptr: no logging callback configured
  Alerts* alerts = nullptr;                  // nullptr: no alerting
  bool log_messages = true;                  // false: litellm_settings.turn_off_message_logging
  bool redact_key_info = false;              // litellm_settings.redact_user_api_key_info
};

class CallRecord {
 public:
  using Clock = std::chrono::steady_clock;

  // Who makes the call: a client, or the gateway for a client's call — the semantic cache's
  // embedding of its prompt, which LiteLLM logs as a call of its own (an id of its own), charged
  // to the caller's key alone (not its team, user or end user).
  enum class Origin { client, semantic_cache_embedding };

  CallRecord(const CallServices& services, server::Exchange& exchange, api::Endpoint endpoint,
             Origin origin = Origin::client);
  CallRecord(const CallRecord&) = delete;
  CallRecord& operator=(const CallRecord&) = delete;

  std::string_view request_id() const { return request_id_; }
  // The router the call routes with, the current one when it started: kept until its end.
  const router::Router& router() const { return *router_; }

  // The caller's model access and end user's block. May rewrite request.model (a key's alias).
  // An error is the call's answer (401 / 400).
  Result<void> authorize(const auth::Caller& caller, api::Request& request);
  // After authorize(): the limits and budgets the call counts against. An error is the call's
  // answer (400 / 429). Waits on Redis only in a fleet, and only for a key, team or user with
  // limits; under usage-based-routing that one round trip also claims the deployment of
  // `plan`'s first attempt (first_claim), when a plan is given.
  asio::awaitable<Result<void>> admit(router::AttemptPlan* plan);
  // The gateway's own call for `caller` (Origin::semantic_cache_embedding): not admitted against
  // the caller's limits, as LiteLLM does not; settled and reported as any call.
  void begin_gateway_call(const auth::Caller& caller, const api::Request& request);
  // The request's options are known and its plan made: its attempts are counted in the headers.
  void planned() { planned_ = true; }
  // Each idempotent: the first call does the work, later ones nothing.
  void settle();
  void report();
  // What is about to leave for the client.
  enum class Leaving { answer, stream_head, error };
  // Sets this call's headers on the exchange before `leaving` goes: request ids, rate limits, the
  // deployment, attempts, durations and (known only before a whole answer or an error) the cost.
  void compose_headers(Leaving leaving);

  // The answer comes from the response cache: status 200, the stored answer's usage, no cost.
  void answered_from_cache(const api::Usage& usage);

  // The W3C traceparent the call's upstream requests carry: its span as their parent, when a
  // logging callback exports spans; else "".
  std::string_view upstream_traceparent() const {
    return trace_ ? trace_->upstream_header() : std::string_view();
  }

  // The whole answer's bytes, for the spend log when the operator stores prompts.
  void keep_response(std::string_view body) { response_body_ = body; }
  // The id the client sees in its answer (api::answer_id), which the spend log keeps beside the
  // call id so that /spend/logs?request_id= finds the call by either, as LiteLLM's by the first.
  void keep_answer_id(std::string_view id) { answer_id_ = id; }

  relay::Outcome outcome;
  // The claim admit() made for the plan's first attempt, for the relay.
  std::optional<relay::DeploymentClaims::Claim> first_claim;

 private:
  asio::awaitable<Result<void>> admit_limits(const auth::Caller& caller, router::AttemptPlan* plan);
  Result<void> admit_local_limits(std::span<const fleet::Holder> holders, std::uint64_t instances,
                                  limits::Millis now);
  void record_litellm_metrics(Clock::duration total);
  void record_retried_attempts(const telemetry::CallSample& call);
  void record_budgets(const auth::CachedKey& key);
  void record_fallbacks(const telemetry::CallSample& call);
  void report_cooldowns();
  void send_to_callbacks(Clock::duration total);

  const CallServices& services_;
  std::shared_ptr<const router::Router> router_;
  server::Exchange& exchange_;
  api::Endpoint endpoint_;
  Origin origin_;
  std::string request_id_;
  Clock::time_point received_at_;
  const auth::Caller* caller_ = nullptr;
  const api::Request* request_ = nullptr;
  std::string_view end_user_;       // the body's "user" or x-litellm-customer-id
  std::string_view response_body_;  // kept only with store_prompts_in_spend_logs
  std::string answer_id_;           // a stream's outlives the frames it came in
  // The in-flight slots of the key and of its owners (team, user, as CachedKey::owners() lists
  // them), until the call's tokens are added at its end.
  limits::Permit key_permit_;
  std::array<limits::Permit, 2> owner_permits_;
  fleet::Lease shared_lease_;  // in a fleet: the call's place in the shared counts
  // In a fleet, the names Redis counts the key's model budget and the end user's budget under.
  std::string model_budget_subject_;
  std::string end_user_subject_;
  // The key's own limits and its counts with this call, for the x-ratelimit-* headers.
  limits::Limits key_limits_;
  limits::Usage key_usage_;
  bool key_admitted_ = false;
  bool admitted_ = false;
  bool planned_ = false;
  bool settled_ = false;
  bool reported_ = false;
  bool cache_hit_ = false;
  double cost_ = 0;
  std::optional<callbacks::TraceContext> trace_;  // made when a callback exports spans
};

// What a key's models list may name a model by besides its name (its provider, its access
// groups), from the model table; nothing for a name only a wildcard entry serves.
auth::ModelTraits model_traits(const router::ModelTable& models, std::string_view model);

// The fallback groups a client names in its body (`fallbacks`) pass the same model access and
// model budget checks as the model it asks for: 401 / 400 naming the first it may not use.
Result<void> authorize_fallbacks(const auth::Caller& caller, const std::vector<std::string>& groups,
                                 const router::ModelTable& models);
// Every other group the router may fall back to (the config's fallbacks, a user_config's) is
// passed over when the caller may not use it; empty for the master key.
router::GroupAccess group_access(const auth::Caller& caller, const router::ModelTable& models);

}  // namespace llmux::handlers
