#include "store/service.hpp"

#include "net/percent_encoding.hpp"
#include "telemetry/log.hpp"

#include <boost/asio/post.hpp>

#include <filesystem>

namespace llmux::store {

namespace {

constexpr auto kMaintenanceInterval = std::chrono::seconds(1);

}  // namespace

void SpendSink::add(SpendEvent&& event) {
  bool full = false;
  {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    full = events_.size() == wake_at_;
  }
  if (full && wake_) wake_();
}

std::vector<SpendEvent> SpendSink::take() {
  std::vector<SpendEvent> taken;
  {
    const std::lock_guard lock(mutex_);
    taken.swap(events_);
  }
  // Room for as many events as this flush took, made here on the store thread: the worker then
  // does not move its waiting events again each time the vector grows.
  std::vector<SpendEvent> room;
  room.reserve(taken.size());
  const std::lock_guard lock(mutex_);
  if (events_.empty()) events_.swap(room);
  return taken;
}

Service::Service(std::unique_ptr<Database> database, std::unique_ptr<Database> spend_database,
                 ServiceOptions options)
    : store_(std::move(database)),
      options_(std::move(options)),
      journal_(std::move(spend_database), options_.journal_path, options_.spend_max_lag,
               *options_.journal_clock) {
  journal_.keep_spend_log_rows(options_.spend_log_rows);
}

Service::~Service() {
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

SpendSink& Service::add_sink() {
  return *sinks_.emplace_back(
      std::make_unique<SpendSink>(options_.early_flush_events, [this] { flush_early(); }));
}

void Service::flush_early() {
  if (early_flush_asked_.exchange(true)) return;
  asio::post(io_, [this] {
    early_flush_asked_ = false;
    flush();
  });
}

void Service::start() {
  rebuild({});
  last_refresh_ = std::chrono::steady_clock::now();
  telemetry::log_now(
      "info",
      "spend goes to " + journal_.path() + " every " +
          std::to_string(options_.flush_interval.count()) +
          " ms (proxy_batch_write_at; a crash loses at most that much, SIGTERM nothing), and "
          "into the database when a core is idle (within " +
          std::to_string(options_.spend_max_lag.count()) + " ms)");
  // What an earlier run left in the journal is written at once, not at the first flush.
  asio::post(io_, [this] {
    journal_.index_earlier_run();
    take_replayed_spend();
  });
  schedule_flush();
  schedule_maintenance();
  journal_.start();
  thread_ = std::thread([this] { io_.run(); });
}

Error Service::database_unavailable(const DatabaseError& error) {
  telemetry::log_now("warning", std::string("database: ") + error.what());
  if (error.transient)
    return make_error(ErrorKind::unavailable, "The database is unavailable; try again shortly.");
  // Constraint violations are the caller's doing (e.g. a key_alias that exists already).
  return make_error(ErrorKind::invalid_request,
                    "The database refused the change: " + std::string(error.what()));
}

void Service::keys_changed(const std::vector<std::string>& reset_tokens) {
  rebuild(reset_tokens);
  if (on_local_change_) on_local_change_(reset_tokens);
}

void Service::rebuild(const std::vector<std::string>& reset_tokens) {
  if (on_change_) on_change_(store_, reset_tokens);
}

void Service::keys_changed_elsewhere(std::vector<std::string> reset_tokens) {
  asio::post(io_, [this, reset_tokens = std::move(reset_tokens)] {
    rebuild_pending_ = true;
    pending_reset_tokens_.insert(pending_reset_tokens_.end(), reset_tokens.begin(),
                                 reset_tokens.end());
    rebuild_pending();
  });
}

void Service::rebuild_pending() {
  if (!rebuild_pending_) return;
  try {
    rebuild(pending_reset_tokens_);
    rebuild_pending_ = false;
    pending_reset_tokens_.clear();
    last_refresh_ = std::chrono::steady_clock::now();
  } catch (const DatabaseError& error) {
    telemetry::log_now("warning", std::string("key change from another instance waits for the "
                                              "database: ") +
                                      error.what());
  }
}

void Service::collect() {
  for (auto& sink : sinks_) journal_.append(sink->take());
}

void Service::flush() {
  collect();
  journal_.index_earlier_run();
  journal_.index_overdue(/*bounded=*/true);
  take_replayed_spend();
}

void Service::take_replayed_spend() {
  if (auto replayed = journal_.take_replayed_spend(); !replayed.empty() && on_replayed_)
    on_replayed_(replayed);
}

void Service::schedule_flush() {
  flush_timer_.expires_after(options_.flush_interval);
  flush_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    flush();
    schedule_flush();
  });
}

void Service::schedule_maintenance() {
  maintenance_timer_.expires_after(kMaintenanceInterval);
  maintenance_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      // Lines a flush could not append (the indexer held the file), and what waited too long
      // for idle time (a flush writes only a share of it, to get back to collecting calls).
      journal_.append({});
      journal_.index_overdue(/*bounded=*/false);
      store_.database().reconnect();
      std::vector<std::string> reset;
      if (const auto now = now_millis(); store_.has_due_budgets(now)) {
        // Spend collected so far is written first, so the reset does not carry it over.
        collect();
        journal_.index_all();
        take_replayed_spend();
        reset = store_.reset_due_budgets(now);
      }
      const auto now = std::chrono::steady_clock::now();
      if (!reset.empty()) {
        last_refresh_ = now;
        keys_changed(reset);
      } else if (now - last_refresh_ >= options_.refresh_interval) {
        last_refresh_ = now;
        rebuild({});
      }
      rebuild_pending();
      delete_expired_spend_logs();
    } catch (const DatabaseError& error) {
      telemetry::log_now("warning", std::string("database maintenance skipped: ") + error.what());
    }
    schedule_maintenance();
  });
}

void Service::delete_expired_spend_logs() {
  if (!options_.spend_log_retention) return;
  const Millis now = now_millis();
  if (now < next_spend_log_cleanup_) return;
  next_spend_log_cleanup_ = add_duration(now, options_.spend_log_retention_interval);
  const Millis kept_for = add_duration(now, *options_.spend_log_retention) - now;
  if (const std::int64_t deleted = store_.delete_spend_logs_before(now - kept_for); deleted > 0) {
    telemetry::log_now("info", "spend log: " + std::to_string(deleted) +
                                   " rows older than maximum_spend_logs_retention_period deleted");
  }
}

std::size_t Service::stop_and_flush() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
  collect();
  journal_.stop();
  if (journal_.index_all()) {
    journal_.remove_if_empty();
    return 0;
  }
  const std::size_t left = journal_.unindexed_events();
  telemetry::log_now("warning", "database unavailable at shutdown: the spend of " +
                                    std::to_string(left) + " calls stays in " + journal_.path() +
                                    " and is written at the next start");
  return left;
}

namespace {

bool is_postgres(const std::string& database_url) {
  return database_url.starts_with("postgresql://") || database_url.starts_with("postgres://");
}

std::filesystem::path beside_config(const std::string& config_path, const std::string& name) {
  if (config_path.empty()) return name;
  return std::filesystem::path(config_path).parent_path() / name;
}

std::string sqlite_file(const std::string& database_url, const std::string& config_path) {
  std::string path = database_url;
  if (path.starts_with("sqlite:///")) path = path.substr(std::string_view("sqlite:///").size());
  return path.empty() ? beside_config(config_path, "llmux.db").string() : path;
}

}  // namespace

std::unique_ptr<Database> open_database(const std::string& database_url,
                                        const std::string& config_path) {
  if (is_postgres(database_url)) return open_postgres(database_url);
  return open_sqlite(sqlite_file(database_url, config_path));
}

SecretMask database_url_secrets(const std::string& database_url) {
  SecretMask mask;
  mask.add(database_url);
  // postgresql://user:password@host/db: the password as written and as the server takes it.
  const auto scheme_end = database_url.find("://");
  if (scheme_end == std::string::npos) return mask;
  const std::string_view rest = std::string_view(database_url).substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return mask;
  const std::string_view user_info = authority.substr(0, at);
  if (const auto colon = user_info.find(':'); colon != std::string_view::npos) {
    const std::string_view password = user_info.substr(colon + 1);
    mask.add(password);
    mask.add(net::percent_decoded(password));
  }
  return mask;
}

std::string journal_path_for(const std::string& database_url, const std::string& config_path) {
  // The names earlier versions gave their spool of spend waiting for the database: a file one
  // of them left behind is written like any other journal.
  if (is_postgres(database_url))
    return beside_config(config_path, "llmux-spend-spool.jsonl").string();
  return sqlite_file(database_url, config_path) + ".spend-spool.jsonl";
}

}  // namespace llmux::store
