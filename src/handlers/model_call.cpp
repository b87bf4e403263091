// The life of a model request: authenticate, parse, pick a deployment, call it (whole or
// streamed), answer, log. See docs/ARCHITECTURE.md.
#include "handlers/gateway.hpp"
#include "handlers/call_accounting.hpp"

#include "api/error_body.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/mock_response.hpp"
#include "providers/registry.hpp"
#include "providers/wire/sse.hpp"
#include "router/request_options.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

namespace llmux::handlers {

namespace {

using Clock = std::chrono::steady_clock;

// Appends "12.345": milliseconds with three decimals, from integer microseconds (no floating point).
void append_milliseconds(std::string& out, Clock::duration duration) {
  const auto micros = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  char text[32];
  auto [end, ec] = std::to_chars(text, text + 24, micros / 1000);
  const auto fraction = micros % 1000;
  *end++ = '.';
  *end++ = static_cast<char>('0' + fraction / 100);
  *end++ = static_cast<char>('0' + fraction / 10 % 10);
  *end++ = static_cast<char>('0' + fraction % 10);
  out.append(text, end);
}

std::string milliseconds_text(Clock::duration duration) {
  std::string text;
  append_milliseconds(text, duration);
  return text;
}

bool is_success(int status) { return status >= 200 && status < 300; }

}  // namespace

// What the access log and the metrics record of one model call.
struct CallRecord {
  api::Endpoint endpoint = api::Endpoint::chat_completions;
  std::string_view request_id;
  std::string_view model;
  const router::Deployment* deployment = nullptr;
  std::string served_group;  // the group of `deployment`: the model asked for, or a fallback
  int status = 0;
  Clock::time_point received_at;
  Clock::duration upstream_time{};
  api::Usage usage;
  bool stream = false;
  std::string_view error;  // the failure's message (never holds a secret)
  int retries = 0;         // the router's retries and fallback groups before this answer
  int fallbacks = 0;
  CallAccounting accounting;  // keys: limits held during the call, spend after it
};

namespace {

telemetry::Route route_of(api::Endpoint endpoint) {
  switch (endpoint) {
    case api::Endpoint::chat_completions: return telemetry::Route::chat_completions;
    case api::Endpoint::completions: return telemetry::Route::completions;
    case api::Endpoint::embeddings: return telemetry::Route::embeddings;
    case api::Endpoint::moderations: return telemetry::Route::moderations;
    case api::Endpoint::rerank: return telemetry::Route::rerank;
  }
  return telemetry::Route::chat_completions;
}

// One access-log line and the metrics of a finished model call.
void report_call(telemetry::LogBuffer& log, telemetry::WorkerMetrics& metrics, std::string_view path,
                 CallRecord& record) {
  const Settlement settlement =
      settle_call(record.accounting, {.deployment = record.deployment, .served_group = record.served_group,
                                      .usage = record.usage, .status = record.status,
                                      .received_at = record.received_at, .time_to_first_chunk = record.upstream_time,
                                      .stream = record.stream});
  if (settlement.soft_budget_crossed) metrics.soft_budget_crossed();
  const auto duration = Clock::now() - record.received_at;
  metrics.record(route_of(record.endpoint), record.status, record.stream,
                 static_cast<std::uint64_t>(record.usage.prompt_tokens),
                 static_cast<std::uint64_t>(record.usage.completion_tokens),
                 static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(duration).count()));
  std::string line;
  line.reserve(320);
  line += "{\"type\":\"access\",\"request_id\":";
  append_json_string(line, record.request_id);
  line += ",\"path\":";
  append_json_string(line, path);
  line += ",\"model\":";
  append_json_string(line, record.model);
  if (record.deployment) {
    line += ",\"deployment\":";
    append_json_string(line, record.deployment->id);
  }
  line += ",\"status\":";
  append_number(line, record.status);
  line += ",\"stream\":";
  line += record.stream ? "true" : "false";
  line += ",\"duration_ms\":";
  append_milliseconds(line, duration);
  line += ",\"upstream_ms\":";
  append_milliseconds(line, record.upstream_time);
  line += ",\"prompt_tokens\":";
  append_number(line, record.usage.prompt_tokens);
  line += ",\"completion_tokens\":";
  append_number(line, record.usage.completion_tokens);
  if (record.usage.estimated) line += ",\"usage_estimated\":true";
  if (record.retries > 0) {
    line += ",\"retries\":";
    append_number(line, record.retries);
  }
  if (record.fallbacks > 0) {
    line += ",\"fallbacks\":";
    append_number(line, record.fallbacks);
  }
  if (!record.error.empty()) {
    line += ",\"error\":";
    append_json_string(line, record.error);
  }
  line += '}';
  log.add(line);
}

// The client went away before its answer: no response; the connection closes.
void report_client_gone(telemetry::LogBuffer& log, telemetry::WorkerMetrics& metrics, server::Exchange& exchange,
                        CallRecord& record) {
  record.status = 499;  // nginx's "client closed request"
  report_call(log, metrics, exchange.path(), record);
  exchange.close_after();
}

}  // namespace

asio::awaitable<void> Gateway::model_call(server::Exchange& exchange, api::Endpoint endpoint,
                                          std::string_view model_from_path) {
  std::string request_id(exchange.header("x-request-id"));
  if (request_id.empty() || request_id.size() > 128) request_id = make_time_ordered_uuid();
  exchange.set_header("x-request-id", request_id);
  exchange.set_header("x-litellm-call-id", request_id);

  CallRecord record{.endpoint = endpoint, .request_id = request_id, .received_at = exchange.received_at(),
                    .accounting = {.tracker = &spend_, .exchange = &exchange}};
  metrics_.request_started();
  struct InFlight {
    telemetry::WorkerMetrics& metrics;
    ~InFlight() { metrics.request_finished(); }
  } in_flight{metrics_};
  auto finish = [&](const Error& error) -> asio::awaitable<void> {
    record.status = http_status(error);
    record.error = error.message;
    report_call(log_, metrics_, exchange.path(), record);
    co_await fail(exchange, error);
  };

  auto caller = authenticate(exchange);
  if (!caller) co_return co_await finish(caller.error());
  auto request = api::parse_request(endpoint, exchange.request().body(), model_from_path);
  if (!request) co_return co_await finish(request.error());
  if (auto admitted = admit_call(record.accounting, *caller, *request, request_id, shared_.models, shared_.rate_counters);
      !admitted) {
    co_return co_await finish(admitted.error());
  }
  record.model = request->model;
  record.stream = request->stream;
  auto options = router::request_options(*request, [&](std::string_view name) { return exchange.header(name); });
  if (!options) co_return co_await finish(options.error());
  if (options->fallbacks) {
    if (auto allowed = authorize_fallbacks(*caller, *options->fallbacks, shared_.models); !allowed) {
      co_return co_await finish(allowed.error());
    }
  }
  // Also where client-side credentials and user_config are allowed or refused (router/client_side).
  auto plan = shared_.router.plan(*request, std::move(*options), record.received_at);
  if (!plan) co_return co_await finish(plan.error());
  plan->restrict_groups(group_access(*caller));
  upstream::AbortHandle abort;
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  // A client that goes away stops the upstream call in flight, or the wait before a retry.
  exchange.watch_client([&abort, &backoff] {
    abort.abort();
    backoff.cancel();
  });
  // The router picks each attempt; a failure before anything reached the client is reported and
  // the next attempt (retry or fallback) follows, until the plan says there is none.
  while (true) {
    auto attempt = plan->next(Clock::now());
    record.retries = plan->attempted_retries();
    record.fallbacks = plan->attempted_fallbacks();
    exchange.set_header("x-litellm-attempted-retries", std::to_string(record.retries));
    exchange.set_header("x-litellm-attempted-fallbacks", std::to_string(record.fallbacks));
    if (!attempt) co_return co_await finish(attempt.error());
    if (attempt->wait > Clock::duration::zero()) {
      backoff.expires_after(attempt->wait);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      if (exchange.client_left()) co_return report_client_gone(log_, metrics_, exchange, record);
    }
    plan->started(*attempt, Clock::now());
    AttemptEnd end = co_await call_deployment(exchange, *request, *attempt, record, abort);
    plan->finished(*attempt, end.failure ? &*end.failure : nullptr, Clock::now(), end.tokens, end.latency);
    // The client has its whole answer; reading the upstream body to its end lets the upstream
    // connection go back to the pool (usually its terminator came with the last event).
    while (end.unread) {
      auto rest = co_await end.unread->next();
      if (!rest || !*rest) break;
    }
    if (end.answered) co_return;
  }
}

Error Gateway::masked(Error error, const router::Deployment& deployment, const server::Exchange& exchange) const {
  SecretMask mask;
  providers::add_secrets(mask, deployment.target);
  mask.add(presented_key(exchange));
  mask.apply(error);
  return error;
}

// One attempt on one deployment. Answers the client on success, and on a failure once the stream
// has started (in-band error) or the client has gone; otherwise returns the failure unanswered so
// the router may try again.
asio::awaitable<Gateway::AttemptEnd> Gateway::call_deployment(server::Exchange& exchange, const api::Request& request,
                                                              const router::Attempt& attempt, CallRecord& record,
                                                              upstream::AbortHandle& abort) {
  const router::Deployment& deployment = *attempt.deployment;
  record.deployment = &deployment;
  record.served_group = attempt.served_model;
  exchange.set_header("x-litellm-model-id", deployment.id);
  exchange.set_header("x-litellm-model-group", attempt.served_model);
  const std::string_view served_model = attempt.served_model;

  auto respond_timed = [&](std::string body) -> asio::awaitable<void> {
    const auto total = Clock::now() - record.received_at;
    exchange.set_header("x-litellm-response-duration-ms", milliseconds_text(total));
    exchange.set_header("x-litellm-overhead-duration-ms", milliseconds_text(total - record.upstream_time));
    record.status = 200;
    record.accounting.response_body = body;
    report_call(log_, metrics_, exchange.path(), record);
    co_await exchange.respond(200, std::move(body));
  };
  auto tokens_of = [](const api::Usage& usage) { return static_cast<std::int64_t>(usage.prompt_tokens + usage.completion_tokens); };
  // Reported to the router as a failure that is nobody's fault (499 neither cools a deployment
  // nor counts as its latency).
  auto client_gone = [&](std::optional<Error> failure) {
    report_client_gone(log_, metrics_, exchange, record);
    if (!failure) {
      failure = make_error(ErrorKind::invalid_request, "The client closed the connection.");
      failure->status = 499;
    }
    return AttemptEnd{.failure = std::move(failure), .answered = true};
  };

  if (deployment.mock_response) {
    if (request.endpoint != api::Endpoint::chat_completions && request.endpoint != api::Endpoint::completions) {
      co_return AttemptEnd{.failure = make_error(ErrorKind::invalid_request,
                                                 "mock_response answers chat and text completions only.")};
    }
    if (!request.stream) {
      auto reply = providers::mock_reply(request, *deployment.mock_response, served_model);
      record.usage = reply.usage;
      co_await respond_timed(std::move(reply.body));
      co_return AttemptEnd{.answered = true, .tokens = tokens_of(record.usage)};
    }
    const std::string stream = providers::mock_stream(request, *deployment.mock_response, served_model, record.usage);
    exchange.set_header("x-litellm-response-duration-ms", milliseconds_text(Clock::now() - record.received_at));
    record.status = 200;
    report_call(log_, metrics_, exchange.path(), record);
    exchange.start_stream();
    co_await exchange.write(stream, true);
    co_return AttemptEnd{.answered = true, .tokens = tokens_of(record.usage)};
  }

  if (request.endpoint == api::Endpoint::rerank && !deployment.provider->serves_rerank()) {
    Error refused = make_error(ErrorKind::invalid_request,
                               "Model " + request.model + " does not serve /rerank (Cohere deployments do).", "model");
    co_return AttemptEnd{.failure = std::move(refused)};
  }
  auto upstream_request = deployment.provider->encode(request, deployment.target);
  if (!upstream_request) co_return AttemptEnd{.failure = upstream_request.error()};
  upstream::Call call{.url = std::move(upstream_request->url),
                      .headers = std::move(upstream_request->headers),
                      .body = std::move(upstream_request->body),
                      .timeout = attempt.timeout,
                      .first_byte_timeout = request.stream ? attempt.stream_timeout : attempt.timeout,
                      .client_destination = attempt.client_destination,
                      .max_answer_bytes = shared_.max_upstream_response_bytes};
  const auto upstream_started = Clock::now();

  if (!request.stream) {
    auto response = co_await client_.send(std::move(call), abort);
    record.upstream_time = Clock::now() - upstream_started;
    if (exchange.client_left()) co_return client_gone(std::nullopt);
    if (!response) co_return AttemptEnd{.failure = masked(response.error(), deployment, exchange)};
    if (!is_success(response->status)) {
      Error error = deployment.provider->decode_error(response->status, response->body);
      // The header wins; without one, a provider may have read a delay from the body.
      if (response->retry_after) error.retry_after = response->retry_after;
      co_return AttemptEnd{.failure = masked(std::move(error), deployment, exchange)};
    }
    auto reply = deployment.provider->decode(request, response->body, served_model);
    if (!reply) co_return AttemptEnd{.failure = masked(reply.error(), deployment, exchange)};
    record.usage = reply->usage;
    co_await respond_timed(std::move(reply->body));
    co_return AttemptEnd{.answered = true, .tokens = tokens_of(record.usage), .latency = record.upstream_time};
  }

  // Streaming: nothing reaches the client until the first event, so an early failure can still
  // go to another deployment, or be an ordinary JSON error with its status.
  auto stream = co_await client_.open_stream(std::move(call), abort);
  if (!stream) {
    if (exchange.client_left()) co_return client_gone(std::nullopt);
    co_return AttemptEnd{.failure = masked(stream.error(), deployment, exchange)};
  }
  if (!is_success((*stream)->status())) {
    constexpr std::size_t kMaxErrorBody = 1 << 20;
    auto body = co_await (*stream)->read_all(kMaxErrorBody);
    Error error = body ? deployment.provider->decode_error((*stream)->status(), *body) : body.error();
    if ((*stream)->retry_after()) error.retry_after = (*stream)->retry_after();
    co_return AttemptEnd{.failure = masked(std::move(error), deployment, exchange)};
  }
  auto decoder = deployment.provider->make_stream_decoder(request, served_model, shared_.max_upstream_event_bytes);
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
      if (!exchange.streaming()) {
        record.upstream_time = Clock::now() - upstream_started;  // time to the first event
        exchange.set_header("x-litellm-response-duration-ms", milliseconds_text(Clock::now() - record.received_at));
        exchange.start_stream();
      }
      if (!co_await exchange.write(out, !failure && (ended || decoder->done()))) break;
    }
    if (ended || decoder->done()) break;
  }
  record.usage = decoder->usage();
  if (failure) failure = masked(std::move(*failure), deployment, exchange);
  if (exchange.client_left() || exchange.failed()) co_return client_gone(failure);
  // Never retried once a byte reached the client: the failure ends the stream in band.
  if (failure && !exchange.streaming()) co_return AttemptEnd{.failure = std::move(failure)};
  record.status = failure ? http_status(*failure) : 200;
  if (failure) record.error = failure->message;
  report_call(log_, metrics_, exchange.path(), record);
  if (failure) {
    out.clear();
    providers::wire::append_data_event(out, api::error_body(*failure));
    co_await exchange.write(out, true);
    co_return AttemptEnd{.failure = std::move(failure), .answered = true};
  }
  co_await exchange.end_stream();
  co_return AttemptEnd{.answered = true,
                       .tokens = tokens_of(record.usage),
                       .latency = record.upstream_time,
                       .unread = std::move(*stream)};
}

}  // namespace llmux::handlers
