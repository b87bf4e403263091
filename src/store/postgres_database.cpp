// PostgreSQL through libpq. Values travel as text parameters of PQexecParams (never spliced
// into the statement); `?` placeholders become $1, $2, … once per statement text.
#include "store/database.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdio>
#include <unordered_map>

namespace llmux::store {

namespace {

constexpr unsigned kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
                   kFloat8Oid = 701, kNumericOid = 1700;

// "a = ? AND b = ?" → "a = $1 AND b = $2"; a `?` inside a quoted literal stays.
std::string numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$' + std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

// A server that stops answering (a network partition, a hung host) must not hold the store
// thread for ever: spend then piles up in the workers' memory. These defaults bound a connect
// to 5 s and notice a silent peer within about 25 s; the URI's own settings win (libpq lets
// the expanded dbname override the keywords before it).
PGconn* connect(const std::string& uri) {
  const char* const keywords[] = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* const values[] = {"5", "1", "10", "5", "3", "25000", uri.c_str(), nullptr};
  return PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
}

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(const std::string& uri) : conn_(connect(uri)) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw DatabaseError("cannot connect to PostgreSQL: " + message, true);
    }
    quiet_notices();
  }
  ~PostgresDatabase() override { PQfinish(conn_); }

  std::vector<Row> query(std::string_view sql, const Params& params) override {
    auto& text = translated_[std::string(sql)];
    if (text.empty()) text = numbered_placeholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
        storage[i] = std::to_string(*integer);
      } else if (const auto* real = std::get_if<double>(&params[i])) {
        char buffer[32];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *real);
        storage[i].assign(buffer, end);
      } else if (const auto* string = std::get_if<std::string>(&params[i])) {
        storage[i] = *string;
      } else {
        continue;  // NULL
      }
      values[i] = storage[i].c_str();
    }
    PGresult* result = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = PQresultErrorMessage(result);
      // Class 40 (a deadlock with the spend indexer's connection, a serialization failure):
      // the server rolled the transaction back and running it again is expected to work.
      const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      const bool rolled_back = state && std::string_view(state).starts_with("40");
      PQclear(result);
      throw DatabaseError("PostgreSQL: " + message,
                          rolled_back || PQstatus(conn_) != CONNECTION_OK);
    }
    changed_ = 0;
    if (const char* tuples = PQcmdTuples(result); tuples && *tuples) changed_ = std::atoll(tuples);
    std::vector<Row> rows;
    const int row_count = PQntuples(result), columns = PQnfields(result);
    rows.reserve(static_cast<std::size_t>(row_count));
    for (int r = 0; r < row_count; ++r) {
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) row.push_back(cell(result, r, c));
      rows.emplace_back(std::move(row));
    }
    PQclear(result);
    return rows;
  }

  std::int64_t changed_rows() const override { return changed_; }
  std::string_view engine() const override { return "postgresql"; }

  void execute_script(std::string_view sql) override {
    PGresult* result = PQexec(conn_, std::string(sql).c_str());
    const auto status = PQresultStatus(result);
    const std::string message = PQresultErrorMessage(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw DatabaseError("PostgreSQL: " + message, PQstatus(conn_) != CONNECTION_OK);
    }
  }

  bool reconnect() override {
    if (PQstatus(conn_) == CONNECTION_OK) return true;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    quiet_notices();
    return true;
  }

 private:
  // "relation already exists, skipping" and the like would go to stderr unstructured.
  void quiet_notices() {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }

  static Value cell(PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) return std::monostate{};
    const char* text = PQgetvalue(result, row, column);
    const std::string_view view(text, static_cast<std::size_t>(PQgetlength(result, row, column)));
    switch (PQftype(result, column)) {
      case kBoolOid: return static_cast<std::int64_t>(view == "t");
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid: {
        std::int64_t parsed = 0;
        std::from_chars(view.data(), view.data() + view.size(), parsed);
        return parsed;
      }
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid: {
        double parsed = 0;
        std::from_chars(view.data(), view.data() + view.size(), parsed);
        return parsed;
      }
      default: return std::string(view);
    }
  }

  PGconn* conn_;
  std::int64_t changed_ = 0;
  std::unordered_map<std::string, std::string> translated_;
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& uri) {
  return std::make_unique<PostgresDatabase>(uri);
}

}  // namespace llmux::store
