// The life of a model request: authenticate, parse, pick a deployment, call it (whole or
// streamed), answer, log. See docs/ARCHITECTURE.md.
#include "handlers/gateway.hpp"

#include "api/error_body.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/mock_response.hpp"
#include "providers/wire/sse.hpp"

#include <charconv>

namespace llmux::handlers {

namespace {

using Clock = std::chrono::steady_clock;

// "12.345": milliseconds with three decimals, from integer microseconds (no floating point).
std::string milliseconds_text(Clock::duration duration) {
  const auto micros = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  char text[32];
  auto [end, ec] = std::to_chars(text, text + 24, micros / 1000);
  const auto fraction = micros % 1000;
  *end++ = '.';
  *end++ = static_cast<char>('0' + fraction / 100);
  *end++ = static_cast<char>('0' + fraction / 10 % 10);
  *end++ = static_cast<char>('0' + fraction % 10);
  return std::string(text, end);
}

bool is_success(int status) { return status >= 200 && status < 300; }

// What the access log and the metrics record of one model call.
struct CallRecord {
  api::Endpoint endpoint = api::Endpoint::chat_completions;
  std::string_view request_id;
  std::string_view model;
  const router::Deployment* deployment = nullptr;
  int status = 0;
  Clock::time_point received_at;
  Clock::duration upstream_time{};
  api::Usage usage;
  bool stream = false;
  std::string_view error;  // the failure's message (never holds a secret)
};

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
                 const CallRecord& record) {
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
  line += ",\"status\":" + std::to_string(record.status);
  line += ",\"stream\":";
  line += record.stream ? "true" : "false";
  line += ",\"duration_ms\":" + milliseconds_text(duration);
  line += ",\"upstream_ms\":" + milliseconds_text(record.upstream_time);
  line += ",\"prompt_tokens\":" + std::to_string(record.usage.prompt_tokens);
  line += ",\"completion_tokens\":" + std::to_string(record.usage.completion_tokens);
  if (record.usage.estimated) line += ",\"usage_estimated\":true";
  if (!record.error.empty()) {
    line += ",\"error\":";
    append_json_string(line, record.error);
  }
  line += '}';
  log.add(line);
}

}  // namespace

asio::awaitable<void> Gateway::model_call(server::Exchange& exchange, api::Endpoint endpoint,
                                          std::string_view model_from_path) {
  std::string request_id(exchange.header("x-request-id"));
  if (request_id.empty() || request_id.size() > 128) request_id = make_uuid();
  exchange.set_header("x-request-id", request_id);
  exchange.set_header("x-litellm-call-id", request_id);

  CallRecord record{.endpoint = endpoint, .request_id = request_id, .received_at = exchange.received_at()};
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

  if (!authorized(exchange)) {
    co_return co_await finish(make_error(ErrorKind::unauthenticated, "Authentication Error: invalid or missing API key."));
  }
  auto request = api::parse_request(endpoint, exchange.request().body(), model_from_path);
  if (!request) co_return co_await finish(request.error());
  record.model = request->model;
  record.stream = request->stream;
  // Client-chosen upstreams or credentials would let a caller send traffic (and the operator's
  // keys) anywhere; LiteLLM refuses them unless allow_client_side_credentials is set.
  if (const auto field = api::client_side_routing_field(*request); !field.empty()) {
    co_return co_await finish(make_error(
        ErrorKind::invalid_request,
        "Rejected request: '" + std::string(field) +
            "' is not allowed in the request body. Client-side credentials and routing are off "
            "(general_settings.allow_client_side_credentials is not supported by this version).",
        std::string(field)));
  }

  const router::Deployment* deployment = shared_.models.pick(request->model);
  if (!deployment) {
    co_return co_await finish(make_error(ErrorKind::invalid_request,
                                         "Invalid model name passed in model=" + request->model +
                                             ". Call `/v1/models` to view available models for your key.",
                                         "model", "model_not_found"));
  }
  record.deployment = deployment;
  exchange.set_header("x-litellm-model-id", deployment->id);
  exchange.set_header("x-litellm-model-group", deployment->model_group);

  auto respond_timed = [&](std::string body) -> asio::awaitable<void> {
    const auto total = Clock::now() - record.received_at;
    exchange.set_header("x-litellm-response-duration-ms", milliseconds_text(total));
    exchange.set_header("x-litellm-overhead-duration-ms", milliseconds_text(total - record.upstream_time));
    record.status = 200;
    report_call(log_, metrics_, exchange.path(), record);
    co_await exchange.respond(200, std::move(body));
  };

  if (deployment->mock_response) {
    if (endpoint != api::Endpoint::chat_completions && endpoint != api::Endpoint::completions) {
      co_return co_await finish(make_error(ErrorKind::invalid_request,
                                                "mock_response answers chat and text completions only."));
    }
    if (!request->stream) {
      auto reply = providers::mock_reply(*request, *deployment->mock_response, request->model);
      record.usage = reply.usage;
      co_return co_await respond_timed(std::move(reply.body));
    }
    const std::string stream = providers::mock_stream(*request, *deployment->mock_response, request->model, record.usage);
    exchange.set_header("x-litellm-response-duration-ms", milliseconds_text(Clock::now() - record.received_at));
    record.status = 200;
    report_call(log_, metrics_, exchange.path(), record);
    exchange.start_stream();
    co_await exchange.write(stream, true);
    co_return;
  }

  if (endpoint == api::Endpoint::rerank && !deployment->provider->serves_rerank()) {
    co_return co_await finish(make_error(ErrorKind::invalid_request,
                                         "Model " + request->model + " does not serve /rerank (Cohere deployments do)."));
  }
  auto upstream_request = deployment->provider->encode(*request, deployment->target);
  if (!upstream_request) co_return co_await finish(upstream_request.error());
  upstream::Call call{.url = std::move(upstream_request->url),
                      .headers = std::move(upstream_request->headers),
                      .body = std::move(upstream_request->body),
                      .timeout = deployment->timeout,
                      .first_byte_timeout = request->stream ? deployment->stream_timeout : deployment->timeout};

  // The client went away before its answer: no response; the connection closes.
  auto client_gone = [&] {
    record.status = 499;  // nginx's "client closed request"
    report_call(log_, metrics_, exchange.path(), record);
    exchange.close_after();
  };
  upstream::AbortHandle abort;
  exchange.watch_client([&abort] { abort.abort(); });
  const auto upstream_started = Clock::now();

  if (!request->stream) {
    auto response = co_await client_.send(std::move(call), abort);
    record.upstream_time = Clock::now() - upstream_started;
    if (exchange.client_left()) co_return client_gone();
    if (!response) co_return co_await finish(response.error());
    if (!is_success(response->status)) {
      Error error = deployment->provider->decode_error(response->status, response->body);
      // The header wins; without one, a provider may have read a delay from the body.
      if (response->retry_after) error.retry_after = response->retry_after;
      co_return co_await finish(error);
    }
    auto reply = deployment->provider->decode(*request, response->body, request->model);
    if (!reply) co_return co_await finish(reply.error());
    record.usage = reply->usage;
    co_return co_await respond_timed(std::move(reply->body));
  }

  // Streaming: nothing reaches the client until the first event, so an early failure is still
  // an ordinary JSON error with its status.
  auto stream = co_await client_.open_stream(std::move(call), abort);
  if (!stream) {
    if (exchange.client_left()) co_return client_gone();
    co_return co_await finish(stream.error());
  }
  if (!is_success((*stream)->status())) {
    constexpr std::size_t kMaxErrorBody = 1 << 20;
    auto body = co_await (*stream)->read_all(kMaxErrorBody);
    Error error = body ? deployment->provider->decode_error((*stream)->status(), *body) : body.error();
    if ((*stream)->retry_after()) error.retry_after = (*stream)->retry_after();
    co_return co_await finish(error);
  }
  auto decoder = deployment->provider->make_stream_decoder(*request, request->model);
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
  if (exchange.client_left() || exchange.failed()) co_return client_gone();
  if (failure && !exchange.streaming()) co_return co_await finish(*failure);
  record.status = failure ? http_status(*failure) : 200;
  if (failure) record.error = failure->message;
  report_call(log_, metrics_, exchange.path(), record);
  if (failure) {
    out.clear();
    providers::wire::append_data_event(out, api::error_body(*failure));
    co_await exchange.write(out, true);
    co_return;
  }
  // The client has its whole answer; reading the upstream body to its end lets the upstream
  // connection go back to the pool (usually its terminator came with the last event).
  co_await exchange.end_stream();
  while (true) {
    auto rest = co_await (*stream)->next();
    if (!rest || !*rest) break;
  }
}

}  // namespace llmux::handlers
