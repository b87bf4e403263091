#include "handlers/model_calls.hpp"

#include "api/error_body.hpp"
#include "api/json_scan.hpp"
#include "cache/embedding_answer.hpp"
#include "cache/stream_answer.hpp"
#include "providers/wire/sse.hpp"
#include "router/request_options.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <charconv>

namespace llmux::handlers {

namespace {

// A missed answer on its way into the response cache: a whole answer as it is, a stream assembled
// from its frames. Stored before the client's last byte leaves, so that a request sent once the
// client has its answer finds it.
struct CacheFill {
  cache::ResponseCache& cache;
  const cache::Ticket& ticket;
  cache::StreamAssembler assembler;
};

// The call's attempts as the client's routing options (body and x-litellm-* headers) and the
// router make them, its fallbacks limited to the groups the caller may use. Also where
// client-side credentials and user_config are allowed or refused (router/client_side).
Result<router::AttemptPlan> plan_call(const server::Exchange& exchange, const auth::Caller& caller,
                                      const api::Request& request, const router::Router& router) {
  auto options = router::request_options(
      request, [&](std::string_view name) { return exchange.header(name); });
  if (!options) return options.error();
  if (options->fallbacks) {
    if (auto allowed = authorize_fallbacks(caller, *options->fallbacks, router.models()); !allowed)
      return allowed.error();
  }
  auto plan = router.plan(request, std::move(*options), exchange.received_at());
  if (plan) plan->restrict_groups(group_access(caller, router.models()));
  return plan;
}

// An embeddings request some (not all) of whose inputs the cache had: each input's entry, nullptr
// for those sent upstream.
using CachedInputs = std::vector<std::shared_ptr<const cache::Entry>>;

// The relay's answers, written to the exchange: each part of the record's life where it belongs
// (the cost settled and every header composed before a whole answer leaves; the head of a stream
// with its first frames; an in-band error reported before it ends the stream), in the client's
// dialect.
class ExchangeSink final : public relay::Sink {
 public:
  // `fill`: where a missed answer is stored; nullptr when it is not. `cached_inputs`: the
  // inputs' entries the upstream's answer is stitched into; nullptr for none.
  ExchangeSink(server::Exchange& exchange, CallRecord& record, Dialect& dialect, CacheFill* fill,
               const CachedInputs* cached_inputs = nullptr)
      : exchange_(exchange),
        record_(record),
        dialect_(dialect),
        fill_(fill),
        cached_inputs_(cached_inputs) {}

  // An answer in the client's dialect (a passed-through call's) is not a chat answer the cache
  // could replay: only chat answers are stored.
  asio::awaitable<void> answer(std::string chat_answer) override {
    if (fill_ && !record_.outcome.native)
      co_await fill_->cache.store(fill_->ticket, chat_answer, record_.outcome.usage);
    if (cached_inputs_) {
      auto stitched = cache::stitch_embeddings(*cached_inputs_, chat_answer,
                                               record_.outcome.usage.prompt_tokens);
      if (!stitched) {
        const Error unstitchable = make_error(ErrorKind::upstream_failed,
                                              "The upstream's embeddings answer has not one "
                                              "vector per input it was sent.");
        co_return co_await refuse(unstitchable);
      }
      chat_answer = std::move(*stitched);
    }
    auto translated =
        dialect_.answer(std::move(chat_answer), record_.outcome.usage, record_.outcome.native);
    if (!translated) co_return co_await refuse(translated.error());
    std::string body = std::move(*translated);
    if (dialect_.has_state_to_keep()) co_await dialect_.keep_state();
    record_.keep_response(body);
    record_.keep_answer_id(api::answer_id(body));
    record_.settle();
    record_.compose_headers(CallRecord::Leaving::answer);
    record_.report();
    co_await exchange_.respond(200, std::move(body));
  }

  asio::awaitable<bool> stream(std::string_view chat_frames, bool last) override {
    if (fill_ && !record_.outcome.native) {
      fill_->assembler.feed(chat_frames);
      if (last) {
        const api::Usage& usage = record_.outcome.usage;
        if (auto whole = fill_->assembler.finish(usage))
          co_await fill_->cache.store(fill_->ticket, std::move(*whole), usage);
      }
    }
    const std::string_view frames = dialect_.frames(chat_frames, last, record_.outcome.native);
    if (dialect_.has_state_to_keep()) co_await dialect_.keep_state();
    if (frames.empty() && !last) co_return !client_left();
    if (!exchange_.streaming()) {
      record_.keep_answer_id(api::stream_answer_id(frames));
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
    co_await exchange_.write(dialect_.stream_error(error), true);
  }

  bool started() const override { return exchange_.responded(); }
  bool client_left() const override { return exchange_.client_left() || exchange_.failed(); }
  void watch_client(std::function<void()> on_leave) override {
    exchange_.watch_client(std::move(on_leave));
  }

 private:
  // An answer the dialect could not translate (an upstream's answer without a choice).
  asio::awaitable<void> refuse(const Error& error) {
    record_.outcome.status = dialect_.error_status(error);
    record_.outcome.failure = error;
    record_.settle();
    record_.compose_headers(CallRecord::Leaving::error);
    record_.report();
    co_await exchange_.respond(static_cast<unsigned>(record_.outcome.status),
                               dialect_.error_body(error));
  }

  server::Exchange& exchange_;
  CallRecord& record_;
  Dialect& dialect_;
  CacheFill* fill_;
  const CachedInputs* cached_inputs_;
};

using verb = server::http::verb;

// A similarity as LiteLLM's header writes it (Python's str of a float: "0.0", "0.8731…").
std::string similarity_text(double similarity) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, similarity).ptr;
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

void ModelCalls::add_to(server::Routes& routes) {
  const auto route = [this](api::Endpoint endpoint) {
    return [this, endpoint](server::Exchange& exchange, std::string_view) {
      return handle(exchange, endpoint, {}, openai_);
    };
  };
  // Azure SDK clients name the deployment in the path:
  // /openai/deployments/{model}/chat/completions.
  const auto azure_route = [this](api::Endpoint endpoint) {
    return [this, endpoint](server::Exchange& exchange, std::string_view model) {
      return handle(exchange, endpoint, model, openai_);
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
                                         Dialect& dialect, const Error& error) {
  record.outcome.status = dialect.error_status(error);
  record.outcome.failure = error;
  record.settle();
  record.compose_headers(CallRecord::Leaving::error);
  record.report();
  if (error.retry_after)
    exchange.set_header("retry-after", std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<unsigned>(record.outcome.status),
                            dialect.error_body(error));
}

asio::awaitable<bool> ModelCalls::answer_from_cache(
    server::Exchange& exchange, CallRecord& record, const api::Request& request,
    const cache::Ticket& ticket, std::vector<std::shared_ptr<const cache::Entry>>& cached_inputs) {
  if (!ticket.read) co_return false;  // no-cache: not looked up
  std::shared_ptr<const cache::Entry> entry;
  if (cache_->semantic()) {
    cache::SemanticMatch match = co_await cache_->find_similar(ticket);
    // As LiteLLM: on a hit the similarity, on a miss 0.0.
    exchange.set_header("x-litellm-semantic-similarity", similarity_text(match.similarity));
    entry = std::move(match.entry);
  } else {
    entry = co_await cache_->find(ticket, &cached_inputs);
  }
  if (!entry) co_return false;
  std::string frames;
  if (request.stream) {
    auto replayed = cache::stream_frames(entry->answer, request.include_usage);
    if (!replayed) co_return false;
    frames = std::move(*replayed);
  }
  record.answered_from_cache({.prompt_tokens = entry->prompt_tokens,
                              .completion_tokens = entry->completion_tokens,
                              .total_tokens = entry->prompt_tokens + entry->completion_tokens,
                              .reported = true});
  record.keep_response(entry->answer);
  record.keep_answer_id(api::answer_id(entry->answer));
  record.settle();
  if (request.stream) {
    record.compose_headers(CallRecord::Leaving::stream_head);
    exchange.start_stream();
    co_await exchange.write(frames, true);
  } else {
    record.compose_headers(CallRecord::Leaving::answer);
    co_await exchange.respond(200, entry->answer);
  }
  record.report();
  co_return true;
}

asio::awaitable<void> ModelCalls::embed_prompt(server::Exchange& exchange,
                                               const auth::Caller& caller, cache::Ticket& ticket) {
  if (!ticket.read && !ticket.write) co_return;
  CallRecord record(services_, exchange, api::Endpoint::embeddings,
                    CallRecord::Origin::semantic_cache_embedding);
  auto vector = co_await embedder_->embed(ticket.prompt, caller, record);
  if (!vector) co_return cache_->embedding_failed(vector.error());
  cache_->embedding_answered();
  ticket.vector = std::move(*vector);
}

asio::awaitable<void> ModelCalls::handle(server::Exchange& exchange, api::Endpoint endpoint,
                                         std::string_view model_from_path, Dialect& dialect) {
  CallRecord record(services_, exchange, endpoint);
  services_.metrics.request_started();
  struct InFlight {
    telemetry::WorkerMetrics& metrics;
    ~InFlight() { metrics.request_finished(); }
  } in_flight{services_.metrics};

  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await refuse(exchange, record, dialect, caller.error());
  auto client_request = api::parse_request(endpoint, exchange.request().body(), model_from_path);
  if (!client_request) co_return co_await refuse(exchange, record, dialect, client_request.error());
  if (dialect.stateful()) {
    if (auto restored = co_await dialect.restore(*client_request, *caller); !restored)
      co_return co_await refuse(exchange, record, dialect, restored.error());
  }
  auto request = dialect.translate(*client_request);
  if (!request) co_return co_await refuse(exchange, record, dialect, request.error());
  // A key's metadata.cache takes the place of the body's cache controls.
  const boost::json::value* key_cache_controls =
      caller->key && caller->key->cache_controls ? &*caller->key->cache_controls : nullptr;
  if (caller->key && !caller->key->allowed_cache_controls.empty()) {
    if (auto allowed =
            cache::check_allowed_controls(request->body, {.key_controls = key_cache_controls},
                                          caller->key->allowed_cache_controls);
        !allowed) {
      co_return co_await refuse(exchange, record, dialect, allowed.error());
    }
  }
  if (auto authorized = record.authorize(*caller, *request); !authorized)
    co_return co_await refuse(exchange, record, dialect, authorized.error());
  // Planned before the limits are counted, so that under usage-based-routing in a fleet the
  // admission's Redis round trip also claims the first attempt's deployment (not when the
  // response cache may answer instead); a plan's error is still answered after the limits'.
  auto plan = plan_call(exchange, *caller, *request, record.router());
  if (auto admitted = co_await record.admit(plan && !cache_ ? &*plan : nullptr); !admitted)
    co_return co_await refuse(exchange, record, dialect, admitted.error());
  if (!plan) co_return co_await refuse(exchange, record, dialect, plan.error());
  record.planned();

  // The response cache (docs/CACHING.md): a hit is the answer; a miss is relayed and stored.
  std::optional<cache::Ticket> ticket;
  // A call whose chat form left something out is not the call that form's cached answer answered.
  if (cache_ && !request->left_out_of_chat) {
    const cache::ControlSources sources{.cache_control = exchange.header("cache-control"),
                                        .key_controls = key_cache_controls};
    auto asked = cache_->ticket(endpoint, request->model, request->body, sources);
    if (!asked) co_return co_await refuse(exchange, record, dialect, asked.error());
    ticket = std::move(*asked);
  }
  std::optional<CacheFill> fill;
  CachedInputs cached_inputs;
  std::optional<api::Request> missing_inputs;  // what goes upstream when some inputs are cached
  if (ticket) {
    exchange.set_header("x-litellm-cache-key", ticket->key);
    if (embedder_) co_await embed_prompt(exchange, *caller, *ticket);
    if (co_await answer_from_cache(exchange, record, *request, *ticket, cached_inputs)) co_return;
    if (std::any_of(cached_inputs.begin(), cached_inputs.end(),
                    [](const auto& in) { return in; })) {
      missing_inputs = api::request_from_body(
          endpoint, cache::with_missing_inputs(request->body, cached_inputs));
      missing_inputs->model = request->model;
      // Only what goes upstream is stored.
      std::vector<std::string> upstream_keys;
      for (std::size_t i = 0; i < cached_inputs.size(); ++i) {
        if (!cached_inputs[i]) upstream_keys.push_back(std::move(ticket->input_keys[i]));
      }
      ticket->input_keys = std::move(upstream_keys);
    } else {
      cached_inputs.clear();
    }
    if (ticket->write) fill.emplace(CacheFill{.cache = *cache_, .ticket = *ticket});
  }

  ExchangeSink sink(exchange, record, dialect, fill ? &*fill : nullptr,
                    cached_inputs.empty() ? nullptr : &cached_inputs);
  relay::SteadyClock clock(co_await asio::this_coro::executor);
  relay::End end = co_await relay_.run(
      missing_inputs ? *missing_inputs : *request, *plan, sink, clock, presented_key(exchange),
      record.outcome, record.upstream_traceparent(), std::move(record.first_claim));
  if (end.error) co_return co_await refuse(exchange, record, dialect, *end.error);
  // The client went away before its answer: no response; the connection closes. (An answer
  // was settled and reported when it reached the client.)
  if (record.outcome.status == 499) exchange.close_after();
  record.settle();
  record.report();
}

}  // namespace llmux::handlers
