// Cost of writing the spend log: batches of finished calls, as the store thread flushes them,
// into a SQLite file that keeps growing across iterations (as a real one does).
#include "base/ids.hpp"
#include "store/store.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>

namespace {

using llmux::store::SpendEvent;

// One call as the benchmark's virtual key makes it: no user or team, empty metadata.
SpendEvent bench_call(std::int64_t at) {
  SpendEvent event;
  event.request_id = llmux::make_time_ordered_uuid();
  event.call_type = "acompletion";
  event.api_key = std::string(64, 'a');
  event.spend = 0.0000123;
  event.prompt_tokens = 12;
  event.completion_tokens = 9;
  event.start_time = at;
  event.end_time = at + 1;
  event.model = "gpt-4o-mini";
  event.model_group = "bench-json";
  event.model_id = "0123456789abcdef";
  event.provider = "openai";
  event.status = "success";
  return event;
}

// range(0) = events per batch.
void BM_WriteSpendBatchSqlite(benchmark::State& state) {
  const auto path = std::filesystem::temp_directory_path() / ("llmux-spend-bench-" + llmux::make_uuid() + ".db");
  {
    llmux::store::Store store(llmux::store::open_sqlite(path.string()));
    std::vector<SpendEvent> batch;
    std::int64_t at = 1'700'000'000'000;
    for (auto _ : state) {
      state.PauseTiming();
      batch.clear();
      for (std::int64_t i = 0; i < state.range(0); ++i) batch.push_back(bench_call(at++));
      const std::string batch_id = llmux::make_uuid();
      state.ResumeTiming();
      store.write_spend(batch_id, batch);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
BENCHMARK(BM_WriteSpendBatchSqlite)->Arg(1000)->Arg(20000)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace
