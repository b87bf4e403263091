// One in-process call through sdk::Client on a mock_response deployment (answered without a
// socket): the library's own cost per call (hand-over to its thread, plan, relay, answer back),
// the figure the Python binding's overhead is measured against (bench/sdk/binding_bench.py); and
// the same call awaited in a coroutine (sdk/asio.hpp), resumed on the caller's io_context.
#include "sdk/asio.hpp"
#include "sdk/client.hpp"

#include "config/load.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace {

constexpr std::string_view kConfig = R"(
model_list:
  - model_name: local
    litellm_params: {model: openai/local, mock_response: "Hi there"}
)";
constexpr std::string_view kBody =
    R"({"model":"local","messages":[{"role":"user","content":"Hi"}]})";

void BM_SdkCallMockResponse(benchmark::State& state) {
  llmux::sdk::Client client(llmux::config::load_string(kConfig, "bench.yaml"));
  for (auto _ : state) {
    auto answer = client.call(llmux::api::Endpoint::chat_completions, std::string(kBody));
    if (!answer) {
      state.SkipWithError(answer.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(answer->body.data());
  }
}
BENCHMARK(BM_SdkCallMockResponse)->UseRealTime();
// Fixed counts, for instructions per call under callgrind (bench/sdk/count_instructions.sh): the
// difference between the two runs is 1000 calls, without the set-up.
BENCHMARK(BM_SdkCallMockResponse)->Iterations(200);
BENCHMARK(BM_SdkCallMockResponse)->Iterations(1200);

void BM_SdkAcompletionMockResponse(benchmark::State& state) {
  namespace asio = boost::asio;
  llmux::sdk::Client client(llmux::config::load_string(kConfig, "bench.yaml"));
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
          auto answer = co_await llmux::sdk::acompletion(client, std::string(kBody));
          if (!answer) {
            state.SkipWithError(answer.error().message.c_str());
            break;
          }
          benchmark::DoNotOptimize(answer->body.data());
        }
      },
      asio::detached);
  io.run();
}
BENCHMARK(BM_SdkAcompletionMockResponse)->UseRealTime();
BENCHMARK(BM_SdkAcompletionMockResponse)->Iterations(200);
BENCHMARK(BM_SdkAcompletionMockResponse)->Iterations(1200);

}  // namespace
