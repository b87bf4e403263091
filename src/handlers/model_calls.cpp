#include "handlers/model_calls.hpp"

#include "api/error_body.hpp"
#include "providers/wire/sse.hpp"
#include "router/request_options.hpp"

#include <boost/asio/this_coro.hpp>

namespace llmux::handlers {

namespace {

// The relay's answers, written to the exchange: each part of the record's life where it belongs
// (the cost settled and every header composed before a whole answer leaves; the head of a stream
// with its first frames; an in-band error reported before it ends the stream).
class ExchangeSink final : public relay::Sink {
 public:
  ExchangeSink(server::Exchange& exchange, CallRecord& record)
      : exchange_(exchange), record_(record) {}

  asio::awaitable<void> answer(std::string body) override {
    record_.keep_response(body);
    record_.settle();
    record_.compose_headers(CallRecord::Leaving::answer);
    record_.report();
    co_await exchange_.respond(200, std::move(body));
  }

  asio::awaitable<bool> stream(std::string_view frames, bool last) override {
    if (!exchange_.streaming()) {
      record_.compose_headers(CallRecord::Leaving::stream_head);
      exchange_.start_stream();
    }
    co_return co_await exchange_.write(frames, last);
  }

  void stream_completed() override {
    record_.settle();
    record_.report();
  }

  asio::awaitable<void> stream_failed(const Error& error) override {
    record_.settle();
    record_.report();
    std::string event;
    providers::wire::append_data_event(event, api::error_body(error));
    co_await exchange_.write(event, true);
  }

  bool started() const override { return exchange_.responded(); }
  bool client_left() const override { return exchange_.client_left() || exchange_.failed(); }
  void watch_client(std::function<void()> on_leave) override {
    exchange_.watch_client(std::move(on_leave));
  }

 private:
  server::Exchange& exchange_;
  CallRecord& record_;
};

using verb = server::http::verb;

}  // namespace

void ModelCalls::add_to(server::Routes& routes) {
  const auto route = [this](api::Endpoint endpoint) {
    return [this, endpoint](server::Exchange& exchange, std::string_view) {
      return handle(exchange, endpoint, {});
    };
  };
  // Azure SDK clients name the deployment in the path:
  // /openai/deployments/{model}/chat/completions.
  const auto azure_route = [this](api::Endpoint endpoint) {
    return [this, endpoint](server::Exchange& exchange, std::string_view model) {
      return handle(exchange, endpoint, model);
    };
  };
  for (const auto endpoint :
       {api::Endpoint::chat_completions, api::Endpoint::completions, api::Endpoint::embeddings,
        api::Endpoint::moderations, api::Endpoint::rerank}) {
    routes.add({verb::post}, api::endpoint_path(endpoint), route(endpoint));
  }
  for (const auto endpoint :
       {api::Endpoint::chat_completions, api::Endpoint::completions, api::Endpoint::embeddings}) {
    routes.add({verb::post},
               "/openai/deployments/{model}" + std::string(api::endpoint_path(endpoint)),
               azure_route(endpoint));
  }
}

asio::awaitable<void> ModelCalls::refuse(server::Exchange& exchange, CallRecord& record,
                                         const Error& error) {
  record.outcome.status = http_status(error);
  record.outcome.failure = error;
  record.settle();
  record.compose_headers(CallRecord::Leaving::error);
  record.report();
  if (error.retry_after)
    exchange.set_header("retry-after", std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<unsigned>(record.outcome.status), api::error_body(error));
}

asio::awaitable<void> ModelCalls::handle(server::Exchange& exchange, api::Endpoint endpoint,
                                         std::string_view model_from_path) {
  CallRecord record(services_, exchange, endpoint);
  services_.metrics.request_started();
  struct InFlight {
    telemetry::WorkerMetrics& metrics;
    ~InFlight() { metrics.request_finished(); }
  } in_flight{services_.metrics};

  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await refuse(exchange, record, caller.error());
  auto request = api::parse_request(endpoint, exchange.request().body(), model_from_path);
  if (!request) co_return co_await refuse(exchange, record, request.error());
  if (auto admitted = co_await record.admit(*caller, *request); !admitted) {
    co_return co_await refuse(exchange, record, admitted.error());
  }
  auto options = router::request_options(
      *request, [&](std::string_view name) { return exchange.header(name); });
  if (!options) co_return co_await refuse(exchange, record, options.error());
  if (options->fallbacks) {
    if (auto allowed = authorize_fallbacks(*caller, *options->fallbacks, services_.models);
        !allowed) {
      co_return co_await refuse(exchange, record, allowed.error());
    }
  }
  // Also where client-side credentials and user_config are allowed or refused (router/client_side).
  auto plan = router_.plan(*request, std::move(*options), exchange.received_at());
  if (!plan) co_return co_await refuse(exchange, record, plan.error());
  plan->restrict_groups(group_access(*caller));
  record.planned();

  ExchangeSink sink(exchange, record);
  relay::SteadyClock clock(co_await asio::this_coro::executor);
  relay::End end =
      co_await relay_.run(*request, *plan, sink, clock, presented_key(exchange), record.outcome);
  if (end.error) co_return co_await refuse(exchange, record, *end.error);
  // The client went away before its answer: no response; the connection closes. (An answer
  // was settled and reported when it reached the client.)
  if (record.outcome.status == 499) exchange.close_after();
  record.settle();
  record.report();
}

}  // namespace llmux::handlers
