// Cost of the spend log: batches of finished calls appended to the journal (what the store
// thread pays while the gateway is busy) and written into a SQLite file that keeps growing
// across iterations, as a real one does (what the idle-priority indexer pays).
#include "base/ids.hpp"
#include "store/spend_journal.hpp"
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

// Times write(batch) on a fresh batch of range(0) calls per iteration.
template <class Write>
void time_batches(benchmark::State& state, Write write) {
  std::vector<SpendEvent> batch;
  std::int64_t at = 1'700'000'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (std::int64_t i = 0; i < state.range(0); ++i) batch.push_back(bench_call(at++));
    state.ResumeTiming();
    write(batch);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_WriteSpendBatchSqlite(benchmark::State& state) {
  const auto path =
      std::filesystem::temp_directory_path() / ("llmux-spend-bench-" + llmux::make_uuid() + ".db");
  {
    llmux::store::Store store(llmux::store::open_sqlite(path.string()));
    // The batch id is made inside the timing: the store thread makes one per batch too.
    time_batches(state, [&](const std::vector<SpendEvent>& batch) {
      store.write_spend(llmux::make_uuid(), batch);
    });
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
BENCHMARK(BM_WriteSpendBatchSqlite)
    ->Arg(1000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3);

// No indexer runs: the file only grows, as under a long overload.
void BM_AppendSpendBatchToJournal(benchmark::State& state) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("llmux-journal-bench-" + llmux::make_uuid());
  std::filesystem::create_directories(dir);
  {
    llmux::store::SpendJournal journal(llmux::store::open_sqlite((dir / "llmux.db").string()),
                                       (dir / "journal.jsonl").string(), std::chrono::hours(1));
    // The store thread moves its batch in; here each append takes a copy, which is timed too.
    time_batches(state, [&](const std::vector<SpendEvent>& batch) {
      journal.append(std::vector<SpendEvent>(batch));
    });
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendSpendBatchToJournal)
    ->Arg(1000)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2);

// /spend/logs pages at a million rows: 1,000 keys, a tenth of the calls with a user, spread over
// 30 days. Built once (a few seconds), removed at exit.
class MillionRowSpendLog {
 public:
  static constexpr std::int64_t kRows = 1'000'000;
  static constexpr std::int64_t kFirst = 1'700'000'000'000;
  static constexpr std::int64_t kSpan = 30LL * 24 * 3600 * 1000;

  static llmux::store::Store& store() {
    static MillionRowSpendLog log;
    return *log.store_;
  }
  ~MillionRowSpendLog() {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }

 private:
  MillionRowSpendLog()
      : path_(std::filesystem::temp_directory_path() /
              ("llmux-spend-1m-" + llmux::make_uuid() + ".db")),
        store_(std::make_unique<llmux::store::Store>(llmux::store::open_sqlite(path_.string()))) {
    std::vector<SpendEvent> batch;
    for (std::int64_t row = 0; row < kRows; ++row) {
      SpendEvent event = bench_call(kFirst + row * (kSpan / kRows));
      event.api_key = "key-" + std::to_string(row % 1000);
      if (row % 10 == 0) event.user_id = "user-" + std::to_string(row % 100);
      batch.push_back(std::move(event));
      if (batch.size() == 10'000) {
        store_->write_spend(llmux::make_uuid(), batch);
        batch.clear();
      }
    }
  }
  std::filesystem::path path_;
  std::unique_ptr<llmux::store::Store> store_;
};

void BM_SpendLogsPageAtOneMillionRows(benchmark::State& state, llmux::store::SpendLogQuery query) {
  auto& store = MillionRowSpendLog::store();
  std::size_t rows = 0;
  for (auto _ : state) rows = store.spend_logs(query).size();
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK_CAPTURE(BM_SpendLogsPageAtOneMillionRows, newest, llmux::store::SpendLogQuery{})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SpendLogsPageAtOneMillionRows, by_key,
                  llmux::store::SpendLogQuery{.api_key = "key-7"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SpendLogsPageAtOneMillionRows, by_user_in_a_week,
                  llmux::store::SpendLogQuery{
                      .user_id = "user-30",
                      .start_time = MillionRowSpendLog::kFirst + 7LL * 24 * 3600 * 1000,
                      .end_time = MillionRowSpendLog::kFirst + 14LL * 24 * 3600 * 1000})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SpendLogsPageAtOneMillionRows, by_key_page_50,
                  llmux::store::SpendLogQuery{.api_key = "key-7", .limit = 100, .offset = 100})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
