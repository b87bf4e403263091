#include "handlers/prompt_embedder.hpp"

#include "router/request_options.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

// The relay's answer, kept: an embeddings call never streams and has no client to watch.
class AnswerSink final : public relay::Sink {
 public:
  asio::awaitable<void> answer(std::string body) override {
    answer_ = std::move(body);
    co_return;
  }
  asio::awaitable<bool> stream(std::string_view, bool) override { co_return true; }
  void stream_completed() override {}
  asio::awaitable<void> stream_failed(const Error&) override { co_return; }
  bool started() const override { return false; }
  bool client_left() const override { return false; }
  void watch_client(std::function<void()>) override {}

  std::string& body() { return answer_; }

 private:
  std::string answer_;
};

Error no_embedding(std::string_view why) {
  return make_error(ErrorKind::upstream_failed,
                    "the semantic cache's embedding model answered without " + std::string(why));
}

}  // namespace

Result<std::vector<float>> first_embedding(std::string_view answer) {
  boost::system::error_code ec;
  const json::value document = json::parse(answer, ec);
  const json::object* object = ec ? nullptr : document.if_object();
  const json::value* data = object ? object->if_contains("data") : nullptr;
  const json::array* items = data ? data->if_array() : nullptr;
  if (!items || items->empty() || !items->front().is_object()) return no_embedding("data");
  const json::value* embedding = items->front().as_object().if_contains("embedding");
  const json::array* numbers = embedding ? embedding->if_array() : nullptr;
  if (!numbers || numbers->empty()) return no_embedding("an embedding of numbers");
  std::vector<float> vector;
  vector.reserve(numbers->size());
  for (const json::value& number : *numbers) {
    if (!number.is_number()) return no_embedding("an embedding of numbers");
    vector.push_back(static_cast<float>(number.to_number<double>()));
  }
  return vector;
}

asio::awaitable<Result<std::vector<float>>> PromptEmbedder::embed(std::string_view prompt,
                                                                  const auth::Caller& caller,
                                                                  CallRecord& record) {
  const api::Request request = api::request_from_body(
      api::Endpoint::embeddings, json::object{{"model", model_group_}, {"input", prompt}});
  record.begin_gateway_call(caller, request);
  Result<std::vector<float>> vector =
      co_await relay_call(request, record.outcome, record.upstream_traceparent());
  if (!vector) {
    record.outcome.status = http_status(vector.error());
    record.outcome.failure = vector.error();
  }
  record.settle();
  record.report();
  co_return vector;
}

asio::awaitable<Result<std::vector<float>>> PromptEmbedder::relay_call(
    const api::Request& request, relay::Outcome& outcome, std::string_view traceparent) {
  auto options =
      router::request_options(request, [](std::string_view) { return std::string_view(); });
  if (!options) co_return options.error();
  relay::SteadyClock clock(co_await asio::this_coro::executor);
  const auto current = router_.current();  // kept until the call ends: the plan is its
  auto plan = current->plan(request, std::move(*options), clock.now());
  if (!plan) co_return plan.error();
  AnswerSink sink;
  const relay::End end = co_await relay_.run(request, *plan, sink, clock, {}, outcome, traceparent);
  if (end.error) co_return *end.error;
  co_return first_embedding(sink.body());
}

}  // namespace llmux::handlers
