// The store's own thread. Workers never wait on the database: management routes hand their
// work to this thread and await the answer (their worker keeps serving other requests), and
// finished calls append spend to their worker's SpendSink, which this thread collects every
// flush interval into the spend journal (written into the database at idle priority, see
// spend_journal.hpp). Also resets budgets whose window ended and tells the key cache (through
// on_change) when keys changed.
#pragma once

#include "base/error.hpp"
#include "base/secret_mask.hpp"
#include "store/spend_journal.hpp"
#include "store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

namespace llmux::store {

namespace asio = boost::asio;

// One worker's finished calls, until the store thread takes them. The lock is only contended
// when the store thread swaps the vector out (once per flush).
class SpendSink {
 public:
  // wake runs on the worker, outside the lock, when `wake_at` events are waiting: under load
  // spend is written in batches of that size rather than piling up for a whole flush interval.
  SpendSink(std::size_t wake_at, std::function<void()> wake)
      : wake_at_(wake_at), wake_(std::move(wake)) {}
  void add(SpendEvent&& event);
  std::vector<SpendEvent> take();

 private:
  std::size_t wake_at_;
  std::function<void()> wake_;
  std::mutex mutex_;
  std::vector<SpendEvent> events_;
};

struct ServiceOptions {
  std::chrono::milliseconds flush_interval{10'000};    // proxy_batch_write_at
  std::chrono::milliseconds refresh_interval{30'000};  // key cache TTL
  std::string journal_path;
  // How long a call's spend may wait for idle time before the store thread writes it itself.
  std::chrono::milliseconds spend_max_lag{30'000};
  // A worker's events that make a flush happen before the interval is up. Small: the store
  // thread shares the workers' cores, and what it does per flush (about 0.6 µs a call) holds up
  // every request waiting on that core meanwhile (4,096: p99 at c=50 4.5 ms, at c=1 0.5 ms;
  // 128: 2.1 ms and 0.15-0.2 ms, same machine and load).
  std::size_t early_flush_events = 128;
  // The spend journal's clock (never null): tests pass one they move by hand.
  JournalClock* journal_clock = &steady_journal_clock();
  bool spend_log_rows = true;  // false: disable_spend_logs
  // maximum_spend_logs_retention_period: rows of calls older than this are deleted, every
  // retention_interval; nullopt: kept.
  std::optional<Duration> spend_log_retention;
  Duration spend_log_retention_interval{1, Duration::Unit::day};
};

template <class T>
struct AsResult {
  using type = Result<T>;
};
template <class T>
struct AsResult<Result<T>> {
  using type = Result<T>;
};

class Service {
 public:
  // Runs on the store thread after keys changed (reset_tokens: keys whose spend was set back to
  // zero by a budget reset or an update), at each refresh, and once at start.
  using OnChange = std::function<void(Store& store, const std::vector<std::string>& reset_tokens)>;
  // Runs on the store thread with spend per key written from an earlier run's journal.
  using OnReplayed = std::function<void(const std::map<std::string, double>& spend_by_key)>;
  // Runs on the store thread after on_change for a change made by this instance (a management
  // route's, a budget reset), not for a refresh: what the other instances of a fleet must hear.
  using OnLocalChange = std::function<void(const std::vector<std::string>& reset_tokens)>;

  // Two connections to the same database: one for this thread, one for the spend indexer.
  Service(std::unique_ptr<Database> database, std::unique_ptr<Database> spend_database,
          ServiceOptions options);
  ~Service();

  // Setup, before start().
  SpendSink& add_sink();
  void set_on_change(OnChange on_change) { on_change_ = std::move(on_change); }
  void set_on_replayed(OnReplayed on_replayed) { on_replayed_ = std::move(on_replayed); }
  void set_on_local_change(OnLocalChange on_local_change) {
    on_local_change_ = std::move(on_local_change);
  }
  // Spend the database did not take: SpendJournal::on_write_failed.
  void set_on_write_failed(SpendJournal::OnWriteFailed report) {
    journal_.on_write_failed(std::move(report));
  }
  void start();

  // Runs `work(store)` on the store thread; a DatabaseError becomes a 503 the caller can show.
  // Work that returns a Result<T> itself gives a Result<T>, not a Result<Result<T>>.
  template <class Work>
  auto run(Work work)
      -> asio::awaitable<typename AsResult<decltype(work(std::declval<Store&>()))>::type> {
    using R = typename AsResult<decltype(work(std::declval<Store&>()))>::type;
    // Named, not a temporary in the co_await expression: GCC 12 miscompiles those.
    auto task = [this, work = std::move(work)]() mutable -> asio::awaitable<R> {
      try {
        try {
          co_return R(work(store_));
        } catch (const DatabaseError& error) {
          // A connection the server dropped (a restart) fails once; the work runs again on a
          // new one. Transactions that were cut off were rolled back by the server.
          if (!error.transient || !store_.database().reconnect()) throw;
        }
        co_return R(work(store_));
      } catch (const DatabaseError& error) {
        co_return R(boost::system::in_place_error, database_unavailable(error));
      }
    };
    co_return co_await asio::co_spawn(io_, std::move(task), asio::use_awaitable);
  }
  // From inside run(): keys changed, rebuild the cache now (and tell the fleet).
  void keys_changed(const std::vector<std::string>& reset_tokens = {});
  // Any thread: another instance changed keys (reset_tokens: the budgets it reset). The cache is
  // rebuilt on the store thread; while the database is away, at the first maintenance after it
  // is back.
  void keys_changed_elsewhere(std::vector<std::string> reset_tokens);

  // After the workers stopped: stops this thread and writes every last event into the
  // database. Returns the number of calls whose spend stays in the journal for the next start
  // (the database is away).
  std::size_t stop_and_flush();

  std::string_view engine() { return store_.database().engine(); }

 private:
  static Error database_unavailable(const DatabaseError& error);
  void collect();
  void flush();
  void schedule_flush();
  void schedule_maintenance();
  void delete_expired_spend_logs();
  void flush_early();
  void take_replayed_spend();
  void rebuild(const std::vector<std::string>& reset_tokens);
  void rebuild_pending();

  Store store_;
  ServiceOptions options_;
  SpendJournal journal_;
  OnChange on_change_;
  OnReplayed on_replayed_;
  OnLocalChange on_local_change_;
  // Changes heard from other instances that a rebuild has not taken yet (the database was away).
  bool rebuild_pending_ = false;
  std::vector<std::string> pending_reset_tokens_;
  std::vector<std::unique_ptr<SpendSink>> sinks_;
  asio::io_context io_{1};
  asio::steady_timer flush_timer_{io_};
  asio::steady_timer maintenance_timer_{io_};
  Millis next_spend_log_cleanup_ = 0;  // Unix ms; 0: at the first maintenance
  std::chrono::steady_clock::time_point last_refresh_{};
  // An early flush is asked for once at a time.
  std::atomic<bool> early_flush_asked_{false};
  std::thread thread_;
};

// Where the database is: database_url (or DATABASE_URL) when set, else llmux.db beside the
// config file. Opens it and applies migrations (throws DatabaseError).
std::unique_ptr<Database> open_database(const std::string& database_url,
                                        const std::string& config_path);
// What of database_url no message may show (the URL, its password): masked in what a failed
// write tells the db_exceptions alert.
SecretMask database_url_secrets(const std::string& database_url);
// The spend journal: beside the SQLite file, or beside the config for PostgreSQL.
std::string journal_path_for(const std::string& database_url, const std::string& config_path);

}  // namespace llmux::store
