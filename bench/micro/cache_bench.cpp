// What the response cache adds to a miss, natively: the key every cached request pays
// (cache::answer_key: the canonical text of the request and its SHA-256), storing a whole answer
// in memory, and assembling a streamed answer into the whole one it stores. OpenSSL hashes with
// the CPU's SHA extensions when it has them; valgrind's emulated CPU has none, so
// bench/callgrind.sh counts the hash's portable code. `OPENSSL_ia32cap=":~0x20000000"` hides
// them here too (docs/PERFORMANCE.md, "The response cache's miss").
#include "cache/key.hpp"
#include "cache/memory_store.hpp"
#include "cache/stream_answer.hpp"

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include <string>

namespace {

namespace api = llmux::api;
namespace cache = llmux::cache;

// bench/workload/chat-small.json as bench/callgrind.sh sends it, and the bench mock's answers to
// it (bench/mock-upstream/nginx.conf): the JSON one, and the 12 events of the streamed one.
constexpr std::string_view kChatSmall =
    R"({"model":"bench-json","messages":[{"role":"system","content":"You are a concise assistant."},)"
    R"({"role":"user","content":"Write a haiku about reverse proxies."}],"temperature":0.7,"max_tokens":64})";
constexpr std::string_view kAnswer =
    R"({"id":"chatcmpl-bench-json","object":"chat.completion","created":1767225600,)"
    R"("model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"One request in,\none request out again;\nthe proxy stays thin.","refusal":null},)"
    R"("logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":27,"completion_tokens":17,)"
    R"("total_tokens":44,"prompt_tokens_details":{"cached_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_bench"})";

std::string bench_stream() {
  const std::string head =
      R"(data: {"id":"chatcmpl-bench-sse","object":"chat.completion.chunk","created":1767225600,)"
      R"("model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_bench","choices":)";
  const auto choice = [&](std::string_view delta, std::string_view reason) {
    return head + R"([{"index":0,"delta":)" + std::string(delta) +
           R"(,"logprobs":null,"finish_reason":)" + std::string(reason) + "}]}\n\n";
  };
  std::string stream = choice(R"({"role":"assistant","content":"","refusal":null})", "null");
  for (std::string_view piece :
       {"One", " request", " in,", " one", " request", " out", " again;", " thin."}) {
    stream += choice(R"({"content":")" + std::string(piece) + "\"}", "null");
  }
  stream += choice("{}", "\"stop\"");
  stream += head + R"([],"usage":{"prompt_tokens":27,"completion_tokens":8,"total_tokens":35}})"
                   "\n\ndata: [DONE]\n\n";
  return stream;
}

void BM_CacheAnswerKey(benchmark::State& state) {
  const boost::json::object body = boost::json::parse(kChatSmall).as_object();
  for (auto _ : state) {
    std::string key = cache::answer_key(api::Endpoint::chat_completions, "bench-json", body, {});
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_CacheAnswerKey);

// A JSON miss's additions: its key, and its answer copied into the memory store.
void BM_CacheJsonMiss(benchmark::State& state) {
  const boost::json::object body = boost::json::parse(kChatSmall).as_object();
  cache::MemoryStore store(64 << 20);
  for (auto _ : state) {
    std::string key = cache::answer_key(api::Endpoint::chat_completions, "bench-json", body, {});
    benchmark::DoNotOptimize(store.put(std::move(key), {.answer = std::string(kAnswer)}, 0));
  }
}
BENCHMARK(BM_CacheJsonMiss);

// A streamed miss's further addition: the stream read into the whole answer to store.
void BM_CacheAssembleStream(benchmark::State& state) {
  const std::string stream = bench_stream();
  for (auto _ : state) {
    cache::StreamAssembler assembler;
    assembler.feed(stream);
    auto whole = assembler.finish({});
    benchmark::DoNotOptimize(whole);
  }
}
BENCHMARK(BM_CacheAssembleStream);

// A streamed hit's frames, rendered from the stored answer (kept with a memory entry after its
// first streamed hit).
void BM_CacheStreamFrames(benchmark::State& state) {
  for (auto _ : state) {
    auto frames = cache::stream_frames(kAnswer, true);
    benchmark::DoNotOptimize(frames);
  }
}
BENCHMARK(BM_CacheStreamFrames);

}  // namespace
