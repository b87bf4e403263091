// Throughput of the upstream SSE parser on a recorded OpenAI stream, fed whole and in pieces the
// size network reads can have.
#include "providers/wire/sse.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace {

using llmux::providers::wire::SseEvent;
using llmux::providers::wire::SseEventSink;
using llmux::providers::wire::SseEventView;
using llmux::providers::wire::SseParser;

// The recorded stream lives in the repository; this file's own path locates it.
const std::string& openai_stream() {
  static const std::string text = [] {
    const auto path = std::filesystem::path(__FILE__).parent_path() /
                      "../../tests/fixtures/wire/openai/chat_completion_stream.sse";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream body;
    body << in.rdbuf();
    return body.str();
  }();
  return text;
}

// range(0) = piece size in bytes; 0 feeds the whole stream at once.
void BM_SseParseOpenAiStream(benchmark::State& state) {
  const std::string_view text = openai_stream();
  const std::size_t piece =
      state.range(0) == 0 ? text.size() : static_cast<std::size_t>(state.range(0));
  std::vector<SseEvent> events;
  std::size_t event_count = 0;
  for (auto _ : state) {
    SseParser parser;
    events.clear();
    for (std::size_t at = 0; at < text.size(); at += piece)
      parser.feed(text.substr(at, piece), events);
    parser.finish(events);
    event_count += events.size();
    benchmark::DoNotOptimize(events.data());
  }
  if (event_count != 34 * static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("the fixture did not parse into 34 events");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(event_count));
}
BENCHMARK(BM_SseParseOpenAiStream)->ArgName("piece")->Arg(0)->Arg(64)->Arg(1);

// The same handed to a sink, as the stream relay does: an event's data is a view into the fed
// bytes unless it spans two feeds.
void BM_SseParseOpenAiStreamToSink(benchmark::State& state) {
  struct Counter final : SseEventSink {
    void dispatch(const SseEventView& event) override {
      ++events;
      benchmark::DoNotOptimize(event.data.data());
    }
    std::size_t events = 0;
  } sink;
  const std::string_view text = openai_stream();
  const std::size_t piece =
      state.range(0) == 0 ? text.size() : static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    SseParser parser;
    for (std::size_t at = 0; at < text.size(); at += piece)
      parser.feed(text.substr(at, piece), sink);
    parser.finish(sink);
  }
  if (sink.events != 34 * static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("the fixture did not parse into 34 events");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(sink.events));
}
BENCHMARK(BM_SseParseOpenAiStreamToSink)->ArgName("piece")->Arg(0)->Arg(64)->Arg(1);

}  // namespace
