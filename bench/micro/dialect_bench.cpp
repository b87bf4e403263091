// What an ingress dialect adds to a call: its request parsed, validated and turned into a chat
// completion; the chat answer, or each frame of the chat stream, turned back. Compare with
// request_bench.cpp's BM_ParseChatRequest, the chat route's own parse of the same conversation.
#include "api/request.hpp"
#include "handlers/dialects.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace api = llmux::api;
namespace handlers = llmux::handlers;

// bench/workload/messages-small.json and responses-small.json: chat-small.json's conversation.
constexpr std::string_view kMessagesSmall =
    R"({"model":"gpt-4o-mini","system":"You are a concise assistant.","messages":[{"role":"user",)"
    R"("content":"Write a haiku about reverse proxies."}],"temperature":0.7,"max_tokens":64})";
constexpr std::string_view kResponsesSmall =
    R"({"model":"gpt-4o-mini","instructions":"You are a concise assistant.","input":"Write a )"
    R"(haiku about reverse proxies.","temperature":0.7,"max_output_tokens":64})";

std::string read_openai_fixture(std::string_view name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() /
                    "../../tests/fixtures/wire/openai" / std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Responses dialect as a gateway without a database has it: nothing stored.
handlers::StoredResponses no_store(nullptr, {});

template <class Dialect>
Dialect make_dialect() {
  if constexpr (std::is_same_v<Dialect, handlers::ResponsesDialect>)
    return Dialect(no_store);
  else
    return Dialect({});  // no anthropic-beta or anthropic-version header
}

template <class Dialect>
void translate_request(benchmark::State& state, api::Endpoint endpoint, std::string_view body) {
  for (auto _ : state) {
    auto client = api::parse_request(endpoint, body);
    Dialect dialect = make_dialect<Dialect>();
    auto chat = client ? dialect.translate(*client) : client;
    if (!chat) {
      state.SkipWithError("the workload body was rejected");
      break;
    }
    benchmark::DoNotOptimize(chat->text.data());
  }
}

template <class Dialect>
void translate_answer(benchmark::State& state, api::Endpoint endpoint, std::string_view body) {
  auto client = api::parse_request(endpoint, body);
  Dialect dialect = make_dialect<Dialect>();
  if (!client || !dialect.translate(*client)) throw std::runtime_error("rejected");
  const std::string answer = read_openai_fixture("chat_completion.json");
  const api::Usage usage{.prompt_tokens = 19, .completion_tokens = 10, .total_tokens = 29};
  for (auto _ : state) {
    auto translated = dialect.answer(answer, usage, /*native=*/false);
    benchmark::DoNotOptimize(translated->data());
  }
}

// The recorded chat stream (with its usage chunk), fed as the relay writes it: one frame per call.
template <class Dialect>
void translate_stream(benchmark::State& state, api::Endpoint endpoint, std::string_view body) {
  auto client = api::parse_request(endpoint, body);
  if (!client) throw std::runtime_error("rejected");
  const std::string stream = read_openai_fixture("chat_completion_stream.sse");
  std::vector<std::string_view> frames;
  for (std::size_t at = 0; at < stream.size();) {
    const auto end = stream.find("\n\n", at);
    const auto next = end == std::string::npos ? stream.size() : end + 2;
    frames.push_back(std::string_view(stream).substr(at, next - at));
    at = next;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    Dialect dialect = make_dialect<Dialect>();
    if (!dialect.translate(*client)) throw std::runtime_error("rejected");
    for (std::size_t i = 0; i < frames.size(); ++i)
      bytes += dialect.frames(frames[i], i + 1 == frames.size(), /*native=*/false).size();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(frames.size()));
}

void BM_MessagesRequest(benchmark::State& state) {
  translate_request<handlers::MessagesDialect>(state, api::Endpoint::messages, kMessagesSmall);
}
void BM_ResponsesRequest(benchmark::State& state) {
  translate_request<handlers::ResponsesDialect>(state, api::Endpoint::responses, kResponsesSmall);
}
void BM_MessagesAnswer(benchmark::State& state) {
  translate_answer<handlers::MessagesDialect>(state, api::Endpoint::messages, kMessagesSmall);
}
void BM_ResponsesAnswer(benchmark::State& state) {
  translate_answer<handlers::ResponsesDialect>(state, api::Endpoint::responses, kResponsesSmall);
}
void BM_MessagesStream(benchmark::State& state) {
  translate_stream<handlers::MessagesDialect>(state, api::Endpoint::messages, kMessagesSmall);
}
void BM_ResponsesStream(benchmark::State& state) {
  translate_stream<handlers::ResponsesDialect>(state, api::Endpoint::responses, kResponsesSmall);
}

BENCHMARK(BM_MessagesRequest);
BENCHMARK(BM_ResponsesRequest);
BENCHMARK(BM_MessagesAnswer);
BENCHMARK(BM_ResponsesAnswer);
BENCHMARK(BM_MessagesStream);
BENCHMARK(BM_ResponsesStream);

}  // namespace
