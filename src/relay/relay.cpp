#include "relay/relay.hpp"

#include "base/secret_mask.hpp"
#include "providers/registry.hpp"
#include "router/model_table.hpp"

#include <utility>

namespace llmux::relay {

namespace {

bool is_success(int status) { return status >= 200 && status < 300; }

std::int64_t tokens_of(const api::Usage& usage) {
  return usage.prompt_tokens + usage.completion_tokens;
}

// An upstream's failure as the client, the log and the router see it: the credentials the attempt
// sent and the client's own key masked (an upstream may echo what it received).
Error masked(Error error, const router::Deployment& deployment, std::string_view client_key) {
  SecretMask mask;
  providers::add_secrets(mask, deployment.target);
  mask.add(client_key);
  mask.apply(error);
  return error;
}

// The client closed its connection: reported to the router as nobody's failure (499 neither
// cools a deployment nor counts as its latency).
Error client_gone_failure() {
  Error failure = make_error(ErrorKind::invalid_request, "The client closed the connection.");
  failure.status = 499;
  return failure;
}

// A probe's answer goes nowhere: nobody waits for it but the prober.
class DiscardingSink final : public Sink {
 public:
  asio::awaitable<void> answer(std::string) override { co_return; }
  asio::awaitable<bool> stream(std::string_view, bool) override { co_return true; }
  void stream_completed() override {}
  asio::awaitable<void> stream_failed(const Error&) override { co_return; }
  bool started() const override { return false; }
  bool client_left() const override { return false; }
  void watch_client(std::function<void()>) override {}
};

}  // namespace

// How one attempt ended: `answered` when the client has its answer (or has gone).
struct Relay::AttemptEnd {
  std::optional<Error> failure;
  bool answered = false;
  std::int64_t tokens = 0;
  Clock::Duration latency{};  // whole call, or time to a stream's first frame
  // A stream the client has in full whose upstream tail (usually just its terminator) is still to
  // be read, so that its connection can go back to the pool: read after the outcome is reported,
  // so the router sees the call end when the client does.
  std::unique_ptr<upstream::ResponseStream> unread;
};

asio::awaitable<End> Relay::run(const api::Request& request, router::AttemptPlan& plan, Sink& sink,
                                Clock& clock, std::string_view client_key, Outcome& outcome,
                                std::string_view traceparent,
                                std::optional<DeploymentClaims::Claim> first_claim) {
  upstream::AbortHandle abort;
  // A client that goes away stops the upstream call in flight, or the wait before a retry.
  sink.watch_client([&abort, &clock] {
    abort.abort();
    clock.cancel();
  });
  std::optional<RetriedAttempt> failed;  // the last attempt, when it failed unanswered
  while (true) {
    auto next = plan.next(clock.now());
    outcome.retries = plan.attempted_retries();
    outcome.fallbacks = plan.attempted_fallbacks();
    if (plan.fallback_groups().size() > outcome.fallback_groups.size()) {
      if (outcome.fallback_groups.empty()) {
        outcome.fallback_cause = plan.fallback_cause();
        outcome.fallback_cause_deployment = outcome.deployment;  // the last attempt's, if any
      }
      outcome.fallback_groups.assign(plan.fallback_groups().begin(), plan.fallback_groups().end());
    }
    if (!next) co_return End{.error = std::move(next.error())};
    if (next->wait > Clock::Duration::zero()) {
      co_await clock.wait(next->wait);
      if (sink.client_left()) {
        outcome.status = 499;
        co_return End{.answered = true};
      }
    }
    const bool claimed = claims_ && plan.counts_deployment_usage();
    if (claimed) {
      const auto group = plan.group_deployments();
      DeploymentClaims::Claim claim;
      if (first_claim) {
        claim = *std::exchange(first_claim, std::nullopt);
      } else {
        claim = co_await claims_->claim(*next->deployment, group);
      }
      if (claim.verdict != DeploymentClaims::Claim::Verdict::unavailable) {
        const auto until = clock.now() + claim.window_left;
        for (std::size_t i = 0; i < group.size() && i < claim.group.size(); ++i)
          plan.fleet_usage(*group[i], claim.group[i].requests, claim.group[i].tokens, until);
      }
      // Without Redis's answer the process counts alone, and other calls of this deployment may
      // have started while the claim was out: its own count decides again.
      const bool full = claim.verdict == DeploymentClaims::Claim::Verdict::full ||
                        (claim.verdict == DeploymentClaims::Claim::Verdict::unavailable &&
                         !plan.has_room(*next, clock.now()));
      if (full) {
        plan.withdraw(*next);
        continue;
      }
    }
    if (failed) {
      outcome.retried_attempts.push_back(std::move(*failed));
      failed.reset();
    }
    plan.started(*next, clock.now());
    AttemptEnd end =
        co_await attempt(request, *next, sink, clock, outcome, abort, client_key, traceparent);
    if (end.failure && !end.answered) {
      failed.emplace(RetriedAttempt{.deployment = next->deployment,
                                    .served_group = next->served_model,
                                    .status = http_status(*end.failure),
                                    .kind = end.failure->kind});
    }
    if (const auto cooldown = plan.finished(*next, end.failure ? &*end.failure : nullptr,
                                            clock.now(), end.tokens, end.latency)) {
      outcome.cooldowns.push_back(*cooldown);
    }
    if (claimed && end.tokens > 0) claims_->add_tokens(*next->deployment, end.tokens);
    while (end.unread) {
      auto rest = co_await end.unread->next();
      if (!rest || !*rest) break;
    }
    if (end.answered) co_return End{.answered = true};
  }
}

asio::awaitable<std::optional<Error>> Relay::probe(const api::Request& request,
                                                   const router::Deployment& deployment,
                                                   std::chrono::milliseconds timeout,
                                                   Clock& clock) {
  const router::Attempt attempt{.deployment = &deployment,
                                .served_model = deployment.model_group,
                                .timeout = timeout,
                                .stream_timeout = timeout};
  DiscardingSink sink;
  Outcome outcome;
  upstream::AbortHandle abort;
  AttemptEnd end = co_await this->attempt(request, attempt, sink, clock, outcome, abort, {}, {});
  co_return std::move(end.failure);
}

// One attempt on one deployment. Answers the client on success, and on a failure once the stream
// has started (in-band error) or the client has gone; otherwise returns the failure unanswered so
// the plan may try again.
asio::awaitable<Relay::AttemptEnd> Relay::attempt(const api::Request& request,
                                                  const router::Attempt& attempt, Sink& sink,
                                                  Clock& clock, Outcome& outcome,
                                                  upstream::AbortHandle& abort,
                                                  std::string_view client_key,
                                                  std::string_view traceparent) {
  const router::Deployment& deployment = *attempt.deployment;
  outcome.deployment = &deployment;
  outcome.served_group = attempt.served_model;
  if (request.endpoint == api::Endpoint::rerank && !deployment.provider->serves_rerank()) {
    Error refused = make_error(
        ErrorKind::invalid_request,
        "Model " + request.model + " does not serve /rerank (Cohere deployments do).", "model");
    co_return AttemptEnd{.failure = std::move(refused)};
  }
  // An ingress dialect's call goes as it is to a deployment that speaks that dialect.
  outcome.native = request.native && deployment.provider->speaks(request.native->endpoint);
  if (!outcome.native && request.left_out_of_chat)
    co_return AttemptEnd{.failure = *request.left_out_of_chat};
  const api::Request& sent = outcome.native ? *request.native : request;
  co_return co_await send(sent, attempt, sink, clock, outcome, abort, client_key, traceparent);
}

// The attempt's request, in the dialect the deployment is sent.
asio::awaitable<Relay::AttemptEnd> Relay::send(const api::Request& request,
                                               const router::Attempt& attempt, Sink& sink,
                                               Clock& clock, Outcome& outcome,
                                               upstream::AbortHandle& abort,
                                               std::string_view client_key,
                                               std::string_view traceparent) {
  const router::Deployment& deployment = *attempt.deployment;
  auto upstream_request = deployment.provider->encode(request, deployment.target);
  if (!upstream_request) co_return AttemptEnd{.failure = upstream_request.error()};
  // The call's span becomes the parent of the upstream's own spans.
  if (!traceparent.empty())
    upstream_request->headers.emplace_back("traceparent", std::string(traceparent));
  upstream::Call call{
      .url = std::move(upstream_request->url),
      .headers = std::move(upstream_request->headers),
      .body = std::move(upstream_request->body),
      .timeout = attempt.timeout,
      .first_byte_timeout = request.stream ? attempt.stream_timeout : attempt.timeout,
      .client_destination = attempt.client_destination,
      .max_answer_bytes = limits_.max_answer_bytes};
  if (request.stream) {
    co_return co_await relay_stream(request, attempt, std::move(call), sink, clock, outcome, abort,
                                    client_key);
  }

  const auto started = clock.now();
  auto response = co_await transport_.send(std::move(call), abort);
  outcome.upstream_time = clock.now() - started;
  if (sink.client_left()) {
    outcome.status = 499;
    co_return AttemptEnd{.failure = client_gone_failure(), .answered = true};
  }
  if (!response) co_return AttemptEnd{.failure = masked(response.error(), deployment, client_key)};
  if (!is_success(response->status)) {
    Error error = deployment.provider->decode_error(response->status, response->body);
    // The header wins; without one, a provider may have read a delay from the body.
    if (response->retry_after) error.retry_after = response->retry_after;
    co_return AttemptEnd{.failure = masked(std::move(error), deployment, client_key)};
  }
  auto reply = deployment.provider->decode(request, response->body, attempt.served_model);
  if (!reply) co_return AttemptEnd{.failure = masked(reply.error(), deployment, client_key)};
  outcome.usage = reply->usage;
  outcome.status = 200;
  outcome.upstream_remaining = response->remaining;
  co_await sink.answer(std::move(reply->body));
  co_return AttemptEnd{
      .answered = true, .tokens = tokens_of(outcome.usage), .latency = outcome.upstream_time};
}

// Streaming: nothing reaches the client until the first frame, so an early failure can still go
// to another deployment, or be an ordinary JSON error with its status.
asio::awaitable<Relay::AttemptEnd> Relay::relay_stream(
    const api::Request& request, const router::Attempt& attempt, upstream::Call call, Sink& sink,
    Clock& clock, Outcome& outcome, upstream::AbortHandle& abort, std::string_view client_key) {
  const router::Deployment& deployment = *attempt.deployment;
  const auto started = clock.now();
  auto stream = co_await transport_.open_stream(std::move(call), abort);
  if (!stream) {
    if (sink.client_left()) {
      outcome.status = 499;
      co_return AttemptEnd{.failure = client_gone_failure(), .answered = true};
    }
    co_return AttemptEnd{.failure = masked(stream.error(), deployment, client_key)};
  }
  if (!is_success((*stream)->status())) {
    constexpr std::size_t kMaxErrorBody = 1 << 20;
    auto body = co_await (*stream)->read_all(kMaxErrorBody);
    Error error =
        body ? deployment.provider->decode_error((*stream)->status(), *body) : body.error();
    if ((*stream)->retry_after()) error.retry_after = (*stream)->retry_after();
    co_return AttemptEnd{.failure = masked(std::move(error), deployment, client_key)};
  }
  outcome.upstream_remaining = (*stream)->remaining_limits();
  auto decoder = deployment.provider->make_stream_decoder(request, attempt.served_model,
                                                          limits_.max_event_bytes);
  std::string out;
  std::optional<Error> failure;
  while (!failure) {
    auto piece = co_await (*stream)->next();
    if (!piece) {
      failure = piece.error();
      break;
    }
    out.clear();
    const bool ended = !*piece;
    auto decoded = ended ? decoder->finish(out) : decoder->feed(**piece, out);
    if (!decoded) failure = decoded.error();
    if (!out.empty()) {
      if (!sink.started())
        outcome.upstream_time = clock.now() - started;  // time to the first frame
      const bool last = !failure && (ended || decoder->done());
      // Known before the last frame leaves, so that the sink can store the whole answer with it.
      if (last) outcome.usage = decoder->usage();
      if (!co_await sink.stream(out, last)) break;
    }
    if (ended || decoder->done()) break;
  }
  outcome.usage = decoder->usage();
  if (failure) failure = masked(std::move(*failure), deployment, client_key);
  if (sink.client_left()) {
    outcome.status = 499;
    co_return AttemptEnd{.failure = failure ? std::move(failure) : client_gone_failure(),
                         .answered = true};
  }
  // Never retried once a byte reached the client: the failure ends the stream in band.
  if (failure && !sink.started()) co_return AttemptEnd{.failure = std::move(failure)};
  if (failure) {
    outcome.status = http_status(*failure);
    outcome.failure = *failure;
    co_await sink.stream_failed(*failure);
    co_return AttemptEnd{.failure = std::move(failure), .answered = true};
  }
  outcome.status = 200;
  sink.stream_completed();
  co_return AttemptEnd{.answered = true,
                       .tokens = tokens_of(outcome.usage),
                       .latency = outcome.upstream_time,
                       .unread = std::move(*stream)};
}

}  // namespace llmux::relay
