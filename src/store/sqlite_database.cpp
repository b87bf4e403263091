// The embedded engine: one SQLite file in WAL mode (readers never block the writer), with the
// prepared statements cached by their text.
#include "store/database.hpp"
#include "store/private_file.hpp"

#include <sqlite3.h>

#include <unordered_map>

namespace llmux::store {

namespace {

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const std::string& path) {
    // SQLite creates files 0644 (less the umask), and its -wal and -shm with the database's
    // mode: the database is made first, owner only, and files an earlier run left are tightened.
    if (path != ":memory:") {
      make_private_file(path);
      make_private_if_present(path + "-wal");
      make_private_if_present(path + "-shm");
    }
    const int opened =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (opened != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(opened);
      sqlite3_close(db_);
      throw DatabaseError("cannot open SQLite database " + path + ": " + message, false);
    }
    // Another process (a second llmux, the sqlite3 shell) may hold the write lock briefly.
    sqlite3_busy_timeout(db_, 5000);
    execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  }

  ~SqliteDatabase() override {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }

  std::vector<Row> query(std::string_view sql, const Params& params) override {
    // Transactions take the write lock when they begin: the spend indexer's connection writes
    // at the same time, and a transaction that read first could not upgrade to writing once
    // the other connection had committed (SQLITE_BUSY at once, without the busy timeout).
    if (sql == "BEGIN") sql = "BEGIN IMMEDIATE";
    sqlite3_stmt* statement = prepare(sql);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    for (std::size_t i = 0; i < params.size(); ++i)
      bind(statement, static_cast<int>(i + 1), params[i]);
    std::vector<Row> rows;
    for (;;) {
      const int step = sqlite3_step(statement);
      if (step == SQLITE_DONE) break;
      if (step != SQLITE_ROW) {
        const std::string message = sqlite3_errmsg(db_);
        sqlite3_reset(statement);
        throw DatabaseError("SQLite: " + message, step == SQLITE_BUSY || step == SQLITE_LOCKED);
      }
      const int columns = sqlite3_column_count(statement);
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) values.push_back(column(statement, c));
      rows.emplace_back(std::move(values));
    }
    sqlite3_reset(statement);
    return rows;
  }

  std::int64_t changed_rows() const override { return sqlite3_changes64(db_); }
  std::string_view engine() const override { return "sqlite"; }

  void execute_script(std::string_view sql) override {
    char* error = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      throw DatabaseError("SQLite: " + message, false);
    }
  }

  bool reconnect() override { return true; }  // a local file does not go away

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &statement, nullptr) != SQLITE_OK) {
      throw DatabaseError("SQLite cannot prepare statement: " + std::string(sqlite3_errmsg(db_)),
                          false);
    }
    statements_.emplace(std::string(sql), statement);
    return statement;
  }

  static void bind(sqlite3_stmt* statement, int index, const Value& value) {
    if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* real = std::get_if<double>(&value)) {
      sqlite3_bind_double(statement, index, *real);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      // The params outlive the statement's run (bindings are cleared before its next one).
      sqlite3_bind_text(statement, index, text->data(), static_cast<int>(text->size()),
                        SQLITE_STATIC);
    } else {
      sqlite3_bind_null(statement, index);
    }
  }

  static Value column(sqlite3_stmt* statement, int index) {
    switch (sqlite3_column_type(statement, index)) {
      case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(statement, index));
      case SQLITE_FLOAT: return sqlite3_column_double(statement, index);
      case SQLITE_NULL: return std::monostate{};
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, index));
        return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, index)));
      }
    }
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteDatabase>(path);
}

}  // namespace llmux::store
