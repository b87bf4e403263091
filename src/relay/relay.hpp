// The relay: one model call from a planned request to the client's answer. It asks the router's
// plan for each attempt (a deployment, a backoff, the timeouts left), has the deployment's
// provider encode the upstream request, sends it through the transport, and writes the decoded
// answer (whole, or frame by frame) to the sink. A failure before anything reached the client
// goes back to the plan, which decides on a retry, a fallback or the final error; once a frame
// has reached the client the call is never retried, and a failure ends the stream in band.
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "relay/clock.hpp"
#include "relay/deployment_claims.hpp"
#include "relay/sink.hpp"
#include "router/attempt_plan.hpp"
#include "upstream/transport.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::relay {

// A failed attempt the call went on from, to a retry or a fallback.
struct RetriedAttempt {
  const router::Deployment* deployment = nullptr;
  std::string served_group;  // the model asked for, or a fallback group
  int status = 0;
  ErrorKind kind = ErrorKind::internal;
};

// What the relay learned of one call, for the handler's record (spend, headers, the log).
struct Outcome {
  const router::Deployment* deployment = nullptr;  // the last attempt's: the one that answered
  std::string served_group;                        // its group: the model asked for, or a fallback
  int status = 0;  // 200; the failure's status; 499 when the client left first
  api::Usage usage;
  Clock::Duration
      upstream_time{};  // the whole upstream call, or the time to a stream's first frame
  int retries = 0;      // retries and fallback groups before this answer
  int fallbacks = 0;
  std::optional<Error> failure;  // the error that ended the call (masked of secrets)
  // Deployments this call's failed attempts put into cooldown (usually none: no allocation).
  std::vector<router::CooldownBegun> cooldowns;
  // The fallback groups this call entered, in order (usually none: no allocation); the failure
  // that made it leave the group asked for, and the deployment that failed it (none when that
  // group had none to call).
  std::vector<std::string> fallback_groups;
  std::optional<Error> fallback_cause;
  const router::Deployment* fallback_cause_deployment = nullptr;
  // Failed attempts before the last one (usually none: no allocation).
  std::vector<RetriedAttempt> retried_attempts;
  // The answering deployment's x-ratelimit-remaining-* fields (LiteLLM's remaining gauges).
  net::http1::RemainingLimits upstream_remaining;
  // The answering deployment was sent the client's own request (api::Request::native), so the
  // answer is already in the client's dialect.
  bool native = false;
};

// What run() ends with: the client has its answer (or left), or nothing was sent and `error`
// is the answer to give.
struct End {
  bool answered = false;
  std::optional<Error> error;
};

// How much of an upstream's answer the relay holds (general_settings): a non-streamed answer, and
// one event of a stream. Past either the attempt fails as an upstream failure.
struct AnswerLimits {
  std::size_t max_answer_bytes = 64u << 20;
  std::size_t max_event_bytes = 16u << 20;
};

class Relay {
 public:
  // claims: a fleet's deployment counts; nullptr without one.
  explicit Relay(upstream::Transport& transport, AnswerLimits limits = {},
                 DeploymentClaims* claims = nullptr)
      : transport_(transport), limits_(limits), claims_(claims) {}

  // `client_key`: the key the client presented, masked in any upstream error relayed.
  // `traceparent`: a W3C traceparent header every attempt sends (the call's span, when a logging
  // callback exports spans); empty: none.
  // `first_claim`: the claim of the plan's first attempt (AttemptPlan::choose_first) made with the
  // call's admission (usage-based-routing in a fleet), which that attempt then does not make.
  asio::awaitable<End> run(const api::Request& request, router::AttemptPlan& plan, Sink& sink,
                           Clock& clock, std::string_view client_key, Outcome& outcome,
                           std::string_view traceparent = {},
                           std::optional<DeploymentClaims::Claim> first_claim = std::nullopt);

  // One non-streamed call of `request` to `deployment` alone, its answer read and dropped: a
  // health probe. No retry, no fallback, and the router's health is not told. nullopt: the
  // deployment answered 2xx with a body its provider could read; else the failure, masked.
  asio::awaitable<std::optional<Error>> probe(const api::Request& request,
                                              const router::Deployment& deployment,
                                              std::chrono::milliseconds timeout, Clock& clock);

 private:
  struct AttemptEnd;
  asio::awaitable<AttemptEnd> attempt(const api::Request& request, const router::Attempt& attempt,
                                      Sink& sink, Clock& clock, Outcome& outcome,
                                      upstream::AbortHandle& abort, std::string_view client_key,
                                      std::string_view traceparent);
  asio::awaitable<AttemptEnd> send(const api::Request& request, const router::Attempt& attempt,
                                   Sink& sink, Clock& clock, Outcome& outcome,
                                   upstream::AbortHandle& abort, std::string_view client_key,
                                   std::string_view traceparent);
  asio::awaitable<AttemptEnd> relay_stream(const api::Request& request,
                                           const router::Attempt& attempt, upstream::Call call,
                                           Sink& sink, Clock& clock, Outcome& outcome,
                                           upstream::AbortHandle& abort,
                                           std::string_view client_key);

  upstream::Transport& transport_;
  AnswerLimits limits_;
  DeploymentClaims* claims_;
};

}  // namespace llmux::relay
