// Cost of the pure steps every proxied request takes: parse the client's body, encode the
// upstream request, decode the upstream answer, relay a stream.
#include "api/json_scan.hpp"
#include "api/request.hpp"
#include "providers/openai_compatible.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace {

namespace api = llmux::api;
using llmux::providers::OpenAiCompatibleProvider;
using llmux::providers::Target;

// The body of bench/workload/chat-small.json (the load tests' request), as a client sends it.
constexpr std::string_view kChatSmall =
    R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},)"
    R"({"role":"user","content":"Write a haiku about load balancers."}],"temperature":0.7,"max_tokens":64})";

// A recorded OpenAI answer from tests/fixtures/wire/openai/, located from this file's own path.
std::string read_openai_fixture(std::string_view name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() /
                    "../../tests/fixtures/wire/openai" / std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const OpenAiCompatibleProvider kProvider{/*ask_stream_usage=*/true};
constexpr std::size_t kMaxEventBytes =
    16 << 20;  // general_settings.max_upstream_event_size_mb's default

Target bench_target() {
  return Target{.provider = "openai",
                .upstream_model = "gpt-4o-mini-2024-07-18",
                .api_base = "http://127.0.0.1:8000/v1",
                .api_key = "sk-bench-0123456789abcdef"};
}

api::Request chat_request(std::string_view body) {
  auto request = api::parse_request(api::Endpoint::chat_completions, body);
  if (!request) throw std::runtime_error(request.error().message);
  return std::move(*request);
}

void BM_ParseChatRequest(benchmark::State& state) {
  for (auto _ : state) {
    auto request = api::parse_request(api::Endpoint::chat_completions, kChatSmall);
    if (!request) {
      state.SkipWithError("the workload body was rejected");
      break;
    }
    benchmark::DoNotOptimize(request->model.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kChatSmall.size()));
}
BENCHMARK(BM_ParseChatRequest);

void BM_EncodeChat(benchmark::State& state) {
  const api::Request request = chat_request(kChatSmall);
  const Target target = bench_target();
  for (auto _ : state) {
    auto upstream = kProvider.encode(request, target);
    benchmark::DoNotOptimize(upstream->body.data());
  }
}
BENCHMARK(BM_EncodeChat);

void BM_DecodeChatCompletion(benchmark::State& state) {
  const api::Request request = chat_request(kChatSmall);
  const std::string body = read_openai_fixture("chat_completion.json");
  for (auto _ : state) {
    auto reply = kProvider.decode(request, body, "gpt-4o-mini");
    if (!reply) {
      state.SkipWithError("the fixture did not decode");
      break;
    }
    benchmark::DoNotOptimize(reply->body.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeChatCompletion);

// range(0) = piece size in bytes; 0 feeds the whole stream at once.
void BM_DecodeChatStream(benchmark::State& state) {
  const api::Request request = chat_request(
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true,)"
      R"("stream_options":{"include_usage":true}})");
  const std::string text = read_openai_fixture("chat_completion_stream.sse");
  const std::string_view stream = text;
  const std::size_t piece =
      state.range(0) == 0 ? stream.size() : static_cast<std::size_t>(state.range(0));
  std::string out;
  for (auto _ : state) {
    auto decoder = kProvider.make_stream_decoder(request, "gpt-4o-mini", kMaxEventBytes);
    out.clear();
    bool ok = true;
    for (std::size_t at = 0; at < stream.size() && ok; at += piece)
      ok = bool(decoder->feed(stream.substr(at, piece), out));
    if (!ok || !decoder->finish(out) || decoder->usage().total_tokens != 44) {
      state.SkipWithError("the fixture did not relay");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * 34));  // 33 chunks and [DONE]
}
BENCHMARK(BM_DecodeChatStream)->ArgName("piece")->Arg(0)->Arg(64);

// The JSON chunks of the recorded stream ("data: {…}" lines), in order.
std::vector<std::string> openai_stream_chunks() {
  std::vector<std::string> chunks;
  std::istringstream lines(read_openai_fixture("chat_completion_stream.sse"));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("data: {")) chunks.push_back(line.substr(6));
  }
  return chunks;
}

// Finding the layout of every chunk of one stream: range(0) = 1 scans each chunk whole
// (scan_answer), 0 with a ChunkScanner that skips the members a chunk repeats from the last one.
void BM_ScanStreamChunks(benchmark::State& state) {
  const std::vector<std::string> chunks = openai_stream_chunks();
  const bool whole = state.range(0) == 1;
  std::size_t bytes = 0;
  for (const auto& chunk : chunks) bytes += chunk.size();
  for (auto _ : state) {
    api::ChunkScanner scanner;
    api::AnswerLayout layout;
    for (const auto& chunk : chunks) {
      if (!(whole ? api::scan_answer(chunk, layout) : scanner.scan(chunk, layout))) {
        state.SkipWithError("a chunk did not scan");
        return;
      }
      benchmark::DoNotOptimize(layout);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * chunks.size()));
}
BENCHMARK(BM_ScanStreamChunks)->ArgName("whole")->Arg(1)->Arg(0);

}  // namespace
