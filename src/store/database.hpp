// One SQL connection, whichever engine is behind it. Everything above (store.cpp) is written
// once against this: statements use `?` placeholders and the engine binds every value as a
// parameter (PostgreSQL's are renumbered to $1, $2, …), so no value is ever spliced into SQL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llmux::store {

// A failed statement or connection; `transient` when retrying later may succeed (the server is
// down or busy), as opposed to a bug in our SQL.
struct DatabaseError : std::runtime_error {
  DatabaseError(const std::string& message, bool transient_failure)
      : std::runtime_error(message), transient(transient_failure) {}
  bool transient;
};

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

// One result row; the accessors convert between the types both engines may report.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  bool is_null(std::size_t column) const {
    return std::holds_alternative<std::monostate>(values_.at(column));
  }
  std::string text(std::size_t column) const;      // NULL: ""
  std::int64_t integer(std::size_t column) const;  // NULL: 0
  double real(std::size_t column) const;           // NULL: 0
  std::optional<std::int64_t> optional_integer(std::size_t column) const;
  std::optional<double> optional_real(std::size_t column) const;
  std::optional<std::string> optional_text(std::size_t column) const;

 private:
  std::vector<Value> values_;
};

using Params = std::vector<Value>;

class Database {
 public:
  virtual ~Database() = default;
  // Runs one statement; returns its rows (none for statements without results).
  virtual std::vector<Row> query(std::string_view sql, const Params& params = {}) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE run through query().
  virtual std::int64_t changed_rows() const = 0;
  virtual std::string_view engine() const = 0;  // "sqlite" or "postgresql"
  // Runs several statements without parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;
  // Re-establishes a lost connection; true when the database answers again.
  virtual bool reconnect() = 0;
};

// Runs `work` in one transaction: committed when it returns, rolled back when it throws.
template <class Work>
auto in_transaction(Database& database, Work&& work) {
  database.query("BEGIN");
  try {
    if constexpr (std::is_void_v<decltype(work())>) {
      work();
      database.query("COMMIT");
    } else {
      auto result = work();
      database.query("COMMIT");
      return result;
    }
  } catch (...) {
    try {
      database.query("ROLLBACK");
    } catch (const DatabaseError&) {
      // The connection is gone: the server rolls the transaction back itself.
    }
    throw;
  }
}

// sqlite: a file path; postgresql://… : a libpq connection URI.
std::unique_ptr<Database> open_sqlite(const std::string& path);
std::unique_ptr<Database> open_postgres(const std::string& uri);

}  // namespace llmux::store
