#include "store/store.hpp"

#include "store/migrations.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <map>
#include <thread>
#include <tuple>

namespace llmux::store {

namespace json = boost::json;

namespace {

std::string list_text(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return json::serialize(array);
}

std::vector<std::string> list_from(const std::string& text) {
  std::vector<std::string> items;
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec);
  if (ec || !value.is_array()) return items;
  for (const auto& item : value.as_array()) {
    if (item.is_string()) items.emplace_back(item.as_string());
  }
  return items;
}

json::object object_from(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.as_object());
}

template <class T>
Value optional_value(const std::optional<T>& value) {
  if (!value) return std::monostate{};
  return Value(*value);
}

// How a record field is read from its column and bound as a parameter, chosen by the field's type.
void read_column(const Row& row, std::size_t column, std::string& field) {
  field = row.text(column);
}
void read_column(const Row& row, std::size_t column, std::optional<std::string>& field) {
  field = row.optional_text(column);
}
void read_column(const Row& row, std::size_t column, double& field) { field = row.real(column); }
void read_column(const Row& row, std::size_t column, std::optional<double>& field) {
  field = row.optional_real(column);
}
void read_column(const Row& row, std::size_t column, std::int64_t& field) {
  field = row.integer(column);
}
void read_column(const Row& row, std::size_t column, std::optional<std::int64_t>& field) {
  field = row.optional_integer(column);
}
void read_column(const Row& row, std::size_t column, bool& field) {
  field = row.integer(column) != 0;
}
void read_column(const Row& row, std::size_t column, std::vector<std::string>& field) {
  field = list_from(row.text(column));
}
void read_column(const Row& row, std::size_t column, json::object& field) {
  field = object_from(row.text(column));
}
void read_column(const Row& row, std::size_t column, json::array& field) {
  boost::system::error_code ec;
  if (json::value value = json::parse(row.text(column), ec); !ec && value.is_array()) {
    field = std::move(value.as_array());
  }
}

Value column_value(const std::string& field) { return field; }
template <class T>
Value column_value(const std::optional<T>& field) {
  return optional_value(field);
}
Value column_value(double field) { return field; }
Value column_value(std::int64_t field) { return field; }
Value column_value(bool field) { return std::int64_t{field ? 1 : 0}; }
Value column_value(const std::vector<std::string>& field) { return list_text(field); }
Value column_value(const json::object& field) { return json::serialize(field); }
Value column_value(const json::array& field) { return json::serialize(field); }

// Which statements write a column. kId: the first column, naming the row (the WHERE of update
// and delete, the conflict target of upsert). kOnInsert: set when the row is made, then changed
// only by dedicated statements (spend by spend flushes, a key's name by replace_token). kAlways:
// by update and upsert too. kNever: written only elsewhere (an end user's spend).
enum class Written { kId, kOnInsert, kAlways, kNever };

template <class Record>
struct Column {
  std::string_view name;
  Written written;
  void (*read)(const Row& row, std::size_t column, Record& record);
  Value (*value)(const Record& record);
};

template <class Member>
struct MemberOf;
template <class Record, class Field>
struct MemberOf<Field Record::*> {
  using record = Record;
};

template <auto member>
Column<typename MemberOf<decltype(member)>::record> column(std::string_view name, Written written) {
  using Record = typename MemberOf<decltype(member)>::record;
  return {name, written,
          [](const Row& row, std::size_t index, Record& record) {
            read_column(row, index, record.*member);
          },
          [](const Record& record) { return column_value(record.*member); }};
}

// One record type's table: its SQL is built once from the column list, so a record's reader,
// its INSERT/UPDATE statements and their parameter lists cannot disagree on a column's order.
template <class Record>
class Table {
 public:
  // The id column comes first.
  Table(std::string_view name, std::vector<Column<Record>> columns)
      : name_(name), columns_(std::move(columns)) {
    std::string names, placeholders, assignments, upserts;
    for (const auto& column : columns_) {
      const std::string column_name(column.name);
      names += (names.empty() ? "" : ", ") + column_name;
      if (column.written == Written::kNever) continue;
      insert_columns_ += (insert_columns_.empty() ? "" : ", ") + column_name;
      placeholders += placeholders.empty() ? "?" : ", ?";
      if (column.written != Written::kAlways) continue;
      assignments += (assignments.empty() ? "" : ", ") + column_name + " = ?";
      upserts += (upserts.empty() ? "" : ", ") + column_name + " = excluded." + column_name;
    }
    const std::string table(name_), id(id_column());
    select_ = "SELECT " + names + " FROM " + table;
    insert_ = "INSERT INTO " + table + " (" + insert_columns_ + ") VALUES (" + placeholders + ")";
    update_ = "UPDATE " + table + " SET " + assignments + " WHERE " + id + " = ?";
    upsert_ = insert_ + " ON CONFLICT (" + id + ") DO UPDATE SET " + upserts;
    delete_ = "DELETE FROM " + table + " WHERE " + id + " = ?";
  }

  std::string_view name() const { return name_; }
  std::string_view id_column() const { return columns_.front().name; }
  // "SELECT <every column> FROM <table>", for a WHERE/ORDER BY to follow.
  const std::string& select() const { return select_; }
  const std::string& insert() const { return insert_; }
  // Sets every kAlways column of the row named by the id.
  const std::string& update() const { return update_; }
  // Inserts, or on an existing id sets every kAlways column.
  const std::string& upsert() const { return upsert_; }
  const std::string& remove() const { return delete_; }

  Record read(const Row& row) const {
    Record record;
    for (std::size_t index = 0; index < columns_.size(); ++index)
      columns_[index].read(row, index, record);
    return record;
  }
  Params insert_values(const Record& record) const {
    Params params;
    for (const auto& column : columns_) {
      if (column.written != Written::kNever) params.push_back(column.value(record));
    }
    return params;
  }
  Params update_values(const Record& record) const {
    Params params;
    for (const auto& column : columns_) {
      if (column.written == Written::kAlways) params.push_back(column.value(record));
    }
    params.push_back(columns_.front().value(record));
    return params;
  }

 private:
  std::string_view name_;
  std::vector<Column<Record>> columns_;
  std::string insert_columns_, select_, insert_, update_, upsert_, delete_;
};

template <class Record>
std::vector<Record> records(Database& database, const Table<Record>& table, const std::string& rest,
                            const Params& params = {}) {
  std::vector<Record> found;
  for (const Row& row : database.query(table.select() + rest, params))
    found.push_back(table.read(row));
  return found;
}

template <class Record>
std::optional<Record> first_record(Database& database, const Table<Record>& table,
                                   const std::string& rest, const Params& params) {
  const auto rows = database.query(table.select() + rest, params);
  if (rows.empty()) return std::nullopt;
  return table.read(rows.front());
}

template <class Record>
std::int64_t delete_record(Database& database, const Table<Record>& table, const std::string& id) {
  database.query(table.remove(), {id});
  return database.changed_rows();
}

using enum Written;

const Table<KeyRecord> kKeys{
    "llmux_keys",
    {column<&KeyRecord::token>("token", kId),
     column<&KeyRecord::key_name>("key_name", kOnInsert),
     column<&KeyRecord::key_alias>("key_alias", kAlways),
     column<&KeyRecord::spend>("spend", kOnInsert),
     column<&KeyRecord::max_budget>("max_budget", kAlways),
     column<&KeyRecord::soft_budget>("soft_budget", kAlways),
     column<&KeyRecord::budget_duration>("budget_duration", kAlways),
     column<&KeyRecord::budget_reset_at>("budget_reset_at", kAlways),
     column<&KeyRecord::expires>("expires", kAlways),
     column<&KeyRecord::models>("models", kAlways),
     column<&KeyRecord::aliases>("aliases", kAlways),
     column<&KeyRecord::metadata>("metadata", kAlways),
     column<&KeyRecord::model_max_budget>("model_max_budget", kAlways),
     column<&KeyRecord::tags>("tags", kAlways),
     column<&KeyRecord::allowed_cache_controls>("allowed_cache_controls", kAlways),
     column<&KeyRecord::tpm_limit>("tpm_limit", kAlways),
     column<&KeyRecord::rpm_limit>("rpm_limit", kAlways),
     column<&KeyRecord::max_parallel_requests>("max_parallel_requests", kAlways),
     column<&KeyRecord::user_id>("user_id", kAlways),
     column<&KeyRecord::team_id>("team_id", kAlways),
     column<&KeyRecord::blocked>("blocked", kAlways),
     column<&KeyRecord::created_at>("created_at", kOnInsert),
     column<&KeyRecord::updated_at>("updated_at", kAlways)}};

const Table<TeamRecord> kTeams{
    "llmux_teams",
    {column<&TeamRecord::team_id>("team_id", kId),
     column<&TeamRecord::team_alias>("team_alias", kAlways),
     column<&TeamRecord::spend>("spend", kOnInsert),
     column<&TeamRecord::max_budget>("max_budget", kAlways),
     column<&TeamRecord::budget_duration>("budget_duration", kAlways),
     column<&TeamRecord::budget_reset_at>("budget_reset_at", kAlways),
     column<&TeamRecord::models>("models", kAlways),
     column<&TeamRecord::tpm_limit>("tpm_limit", kAlways),
     column<&TeamRecord::rpm_limit>("rpm_limit", kAlways),
     column<&TeamRecord::max_parallel_requests>("max_parallel_requests", kAlways),
     column<&TeamRecord::members_with_roles>("members_with_roles", kAlways),
     column<&TeamRecord::metadata>("metadata", kAlways),
     column<&TeamRecord::blocked>("blocked", kAlways),
     column<&TeamRecord::created_at>("created_at", kOnInsert),
     column<&TeamRecord::updated_at>("updated_at", kAlways)}};

const Table<UserRecord> kUsers{
    "llmux_users",
    {column<&UserRecord::user_id>("user_id", kId),
     column<&UserRecord::user_email>("user_email", kAlways),
     column<&UserRecord::user_role>("user_role", kAlways),
     column<&UserRecord::spend>("spend", kOnInsert),
     column<&UserRecord::max_budget>("max_budget", kAlways),
     column<&UserRecord::budget_duration>("budget_duration", kAlways),
     column<&UserRecord::budget_reset_at>("budget_reset_at", kAlways),
     column<&UserRecord::models>("models", kAlways),
     column<&UserRecord::tpm_limit>("tpm_limit", kAlways),
     column<&UserRecord::rpm_limit>("rpm_limit", kAlways),
     column<&UserRecord::max_parallel_requests>("max_parallel_requests", kAlways),
     column<&UserRecord::metadata>("metadata", kAlways),
     column<&UserRecord::created_at>("created_at", kOnInsert),
     column<&UserRecord::updated_at>("updated_at", kAlways)}};

const Table<EndUserRecord> kEndUsers{
    "llmux_end_users",
    {column<&EndUserRecord::user_id>("user_id", kId),
     column<&EndUserRecord::alias>("alias", kAlways),
     column<&EndUserRecord::spend>("spend", kNever),
     column<&EndUserRecord::max_budget>("max_budget", kAlways),
     column<&EndUserRecord::budget_duration>("budget_duration", kAlways),
     column<&EndUserRecord::budget_reset_at>("budget_reset_at", kAlways),
     column<&EndUserRecord::blocked>("blocked", kAlways),
     column<&EndUserRecord::created_at>("created_at", kOnInsert)}};

// WHERE clause and parameters for the optional key-list filters.
std::string key_filter(const std::optional<std::string>& user_id,
                       const std::optional<std::string>& team_id,
                       const std::optional<std::string>& key_alias, Params& params) {
  std::string where = " WHERE 1=1";
  if (user_id) where += " AND user_id = ?", params.emplace_back(*user_id);
  if (team_id) where += " AND team_id = ?", params.emplace_back(*team_id);
  if (key_alias) where += " AND key_alias = ?", params.emplace_back(*key_alias);
  return where;
}

// Every table with a budget window; names come from this list only, never from a request.
struct BudgetTable {
  std::string_view table;
  std::string_view id_column;
  const std::string& prefix;
};
const std::string kNoPrefix;
const BudgetTable kBudgetTables[] = {{kKeys.name(), kKeys.id_column(), kNoPrefix},
                                     {kTeams.name(), kTeams.id_column(), kTeamPrefix},
                                     {kUsers.name(), kUsers.id_column(), kUserPrefix},
                                     {kEndUsers.name(), kEndUsers.id_column(), kEndUserPrefix}};

}  // namespace

Millis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Store::Store(std::unique_ptr<Database> database) : database_(std::move(database)) {
  migrate(*database_);
}

void Store::insert_key(const KeyRecord& key) {
  database_->query(kKeys.insert(), kKeys.insert_values(key));
}

void Store::update_key(const KeyRecord& key) {
  database_->query(kKeys.update(), kKeys.update_values(key));
}

void Store::set_key_spend(const std::string& token, double spend,
                          std::optional<Millis> budget_reset_at) {
  database_->query("UPDATE llmux_keys SET spend = ?, budget_reset_at = ? WHERE token = ?",
                   {spend, optional_value(budget_reset_at), token});
}

void Store::replace_token(const std::string& old_token, const std::string& new_token,
                          const std::string& key_name) {
  database_->query("UPDATE llmux_keys SET token = ?, key_name = ?, updated_at = ? WHERE token = ?",
                   {new_token, key_name, now_millis(), old_token});
}

std::int64_t Store::delete_key(const std::string& token) {
  return delete_record(*database_, kKeys, token);
}

std::optional<KeyRecord> Store::find_key(const std::string& token) {
  return first_record(*database_, kKeys, " WHERE token = ?", {token});
}

std::optional<KeyRecord> Store::find_key_by_alias(const std::string& alias) {
  return first_record(*database_, kKeys, " WHERE key_alias = ?", {alias});
}

std::vector<KeyRecord> Store::list_keys(const std::optional<std::string>& user_id,
                                        const std::optional<std::string>& team_id,
                                        const std::optional<std::string>& key_alias,
                                        std::int64_t limit, std::int64_t offset) {
  Params params;
  const std::string where = key_filter(user_id, team_id, key_alias, params);
  params.emplace_back(limit);
  params.emplace_back(offset);
  return records(*database_, kKeys, where + " ORDER BY created_at DESC, token LIMIT ? OFFSET ?",
                 params);
}

std::int64_t Store::count_keys(const std::optional<std::string>& user_id,
                               const std::optional<std::string>& team_id,
                               const std::optional<std::string>& key_alias) {
  Params params;
  const std::string where = key_filter(user_id, team_id, key_alias, params);
  return database_->query("SELECT COUNT(*) FROM llmux_keys" + where, params).front().integer(0);
}

std::vector<KeyRecord> Store::all_keys() { return records(*database_, kKeys, ""); }

void Store::insert_team(const TeamRecord& team) {
  database_->query(kTeams.insert(), kTeams.insert_values(team));
}

void Store::update_team(const TeamRecord& team) {
  database_->query(kTeams.update(), kTeams.update_values(team));
}

std::int64_t Store::delete_team(const std::string& team_id) {
  return delete_record(*database_, kTeams, team_id);
}

std::optional<TeamRecord> Store::find_team(const std::string& team_id) {
  return first_record(*database_, kTeams, " WHERE team_id = ?", {team_id});
}

std::vector<TeamRecord> Store::all_teams() {
  return records(*database_, kTeams, " ORDER BY created_at, team_id");
}

bool Store::has_due_budgets(Millis now) {
  for (const auto& budget : kBudgetTables) {
    if (!database_
             ->query("SELECT 1 FROM " + std::string(budget.table) +
                         " WHERE budget_reset_at IS NOT NULL AND budget_reset_at <= ? LIMIT 1",
                     {now})
             .empty()) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> Store::reset_due_budgets(Millis now) {
  std::vector<std::string> reset;
  in_transaction(*database_, [&] {
    for (const auto& budget : kBudgetTables) {
      const std::string table(budget.table), id(budget.id_column);
      const auto due =
          database_->query("SELECT " + id + ", budget_duration FROM " + table +
                               " WHERE budget_reset_at IS NOT NULL AND budget_reset_at <= ?",
                           {now});
      for (const Row& row : due) {
        const auto next_reset = add_duration(now, row.text(1));
        // Only while the row is still due: when several instances share the database, the one
        // whose UPDATE lands first resets it and the others change nothing (PostgreSQL re-reads
        // the row after waiting for the first one's lock), so a budget resets once per fleet.
        database_->query("UPDATE " + table + " SET spend = 0, budget_reset_at = ? WHERE " + id +
                             " = ? AND budget_reset_at IS NOT NULL AND budget_reset_at <= ?",
                         {next_reset ? Value(*next_reset) : Value(), row.text(0), now});
        if (database_->changed_rows() > 0) reset.push_back(budget.prefix + row.text(0));
      }
    }
  });
  return reset;
}

void Store::insert_user(const UserRecord& user) {
  database_->query(kUsers.insert(), kUsers.insert_values(user));
}

void Store::update_user(const UserRecord& user) {
  database_->query(kUsers.update(), kUsers.update_values(user));
}

std::int64_t Store::delete_user(const std::string& user_id) {
  return delete_record(*database_, kUsers, user_id);
}

std::optional<UserRecord> Store::find_user(const std::string& user_id) {
  return first_record(*database_, kUsers, " WHERE user_id = ?", {user_id});
}

std::vector<UserRecord> Store::all_users() {
  return records(*database_, kUsers, " ORDER BY created_at, user_id");
}

void Store::save_end_user(const EndUserRecord& end_user) {
  database_->query(kEndUsers.upsert(), kEndUsers.insert_values(end_user));
}

void Store::set_end_user_spend(const std::string& user_id, double spend) {
  database_->query("UPDATE llmux_end_users SET spend = ? WHERE user_id = ?", {spend, user_id});
}

std::int64_t Store::delete_end_user(const std::string& user_id) {
  return delete_record(*database_, kEndUsers, user_id);
}

std::optional<EndUserRecord> Store::find_end_user(const std::string& user_id) {
  return first_record(*database_, kEndUsers, " WHERE user_id = ?", {user_id});
}

std::vector<EndUserRecord> Store::limited_end_users() {
  return records(*database_, kEndUsers, " WHERE max_budget IS NOT NULL OR blocked = 1");
}

std::vector<EndUserRecord> Store::all_end_users() { return records(*database_, kEndUsers, ""); }

namespace {

constexpr std::string_view kSpendLogColumns =
    "request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, "
    "start_time, end_time, "
    "completion_start_time, model, model_group, model_id, custom_llm_provider, user_id, team_id, "
    "end_user, status, "
    "cache_hit, request_tags, metadata, messages, response, response_id";
// Written, not read: what the index of response_id holds (migration 0008).
constexpr std::string_view kSpendLogWrittenOnly = ", response_key, response_bucket";
constexpr std::size_t kSpendLogColumnCount = 26;
// Rows per INSERT statement: one statement per row spent most of its time opening and closing
// the table's and indexes' cursors.
constexpr std::size_t kSpendLogRowsPerInsert = 64;

std::string spend_log_insert(std::size_t rows) {
  std::string row = "(?";
  for (std::size_t column = 1; column < kSpendLogColumnCount; ++column) row += ", ?";
  row += ')';
  std::string sql = "INSERT INTO llmux_spend_logs (" + std::string(kSpendLogColumns) +
                    std::string(kSpendLogWrittenOnly) + ") VALUES " + row;
  for (std::size_t n = 1; n < rows; ++n) sql += ", " + row;
  return sql;
}

// What the spend log's index of response ids holds for one (migration 0008): a 32-bit FNV-1a
// hash (signed, so that SQLite stores it in 4 bytes; a lookup compares the id itself after it)
// and one of 16 buckets, the hash's low bits.
struct ResponseKey {
  std::int64_t hash = 0;
  std::int64_t bucket = 0;
};
constexpr std::int64_t kResponseBuckets = 16;

ResponseKey response_key(std::string_view response_id) {
  std::uint32_t hash = 2166136261u;
  for (const char c : response_id) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return {static_cast<std::int32_t>(hash), hash % kResponseBuckets};
}

void append_spend_log_row(Params& params, const SpendEvent& event) {
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? Value() : Value(text);
  };
  params.insert(params.end(), {event.request_id,
                               event.call_type,
                               event.api_key,
                               event.spend,
                               event.prompt_tokens,
                               event.completion_tokens,
                               event.prompt_tokens + event.completion_tokens,
                               event.start_time,
                               event.end_time,
                               optional_value(event.completion_start_time),
                               event.model,
                               event.model_group,
                               event.model_id,
                               event.provider,
                               text_or_null(event.user_id),
                               text_or_null(event.team_id),
                               text_or_null(event.end_user),
                               event.status,
                               std::int64_t{event.cache_hit ? 1 : 0},
                               list_text(event.tags),
                               event.metadata,
                               optional_value(event.messages),
                               optional_value(event.response)});
  if (event.response_id.empty()) {
    params.insert(params.end(), 3, Value());
  } else {
    const ResponseKey key = response_key(event.response_id);
    params.insert(params.end(), {event.response_id, key.hash, key.bucket});
  }
}

void insert_spend_log_rows(Database& database, const std::vector<SpendEvent>& events) {
  // Statements of 64, 32, …, 1 rows: a batch of any size is written with these seven, which the
  // database prepares once each. (A statement per remainder size made up to 63 more, each
  // prepared at its first use: 17 % of the indexer's instructions in a new process's first
  // thousand calls.)
  static const std::array<std::string, 7> inserts = [] {
    std::array<std::string, 7> sql;
    for (std::size_t n = 0; n < sql.size(); ++n)
      sql[n] = spend_log_insert(kSpendLogRowsPerInsert >> n);
    return sql;
  }();
  Params params;
  params.reserve(kSpendLogColumnCount * kSpendLogRowsPerInsert);
  for (std::size_t first = 0; first < events.size();) {
    std::size_t step = 0;
    while ((kSpendLogRowsPerInsert >> step) > events.size() - first) ++step;
    const std::size_t rows = kSpendLogRowsPerInsert >> step;
    params.clear();
    for (std::size_t n = first; n < first + rows; ++n) append_spend_log_row(params, events[n]);
    database.query(inserts[step], params);
    first += rows;
    // The store thread may share a core with a worker: between statements (a few hundred
    // microseconds each) a worker with requests waiting gets the core, so a large batch
    // never stalls requests for the whole of its write.
    std::this_thread::yield();
  }
}

}  // namespace

bool Store::write_spend(const std::string& batch_id, const std::vector<SpendEvent>& events) {
  return in_transaction(*database_, [&] {
    if (!database_->query("SELECT 1 FROM llmux_spend_batches WHERE batch_id = ?", {batch_id})
             .empty())
      return false;
    database_->query("INSERT INTO llmux_spend_batches (batch_id, written_at) VALUES (?, ?)",
                     {batch_id, now_millis()});
    if (spend_log_rows_) insert_spend_log_rows(*database_, events);
    add_daily_spend(events);
    // Summed per entity first: one UPDATE per key in the batch, not one per request.
    std::map<std::string, double> by_key, by_user, by_team, by_end_user, by_tag;
    for (const SpendEvent& event : events) {
      if (event.spend == 0) continue;
      if (!event.api_key.empty()) by_key[event.api_key] += event.spend;
      if (!event.user_id.empty()) by_user[event.user_id] += event.spend;
      if (!event.team_id.empty()) by_team[event.team_id] += event.spend;
      if (!event.end_user.empty()) by_end_user[event.end_user] += event.spend;
      for (const auto& tag : event.tags) by_tag[tag] += event.spend;
    }
    for (const auto& [token, spend] : by_key) {
      database_->query("UPDATE llmux_keys SET spend = spend + ? WHERE token = ?", {spend, token});
    }
    for (const auto& [user, spend] : by_user) {
      database_->query("UPDATE llmux_users SET spend = spend + ? WHERE user_id = ?", {spend, user});
    }
    for (const auto& [team, spend] : by_team) {
      database_->query("UPDATE llmux_teams SET spend = spend + ? WHERE team_id = ?", {spend, team});
    }
    // End users and tags exist once they have spent (LiteLLM creates end users the same way).
    for (const auto& [end_user, spend] : by_end_user) {
      database_->query(
          "INSERT INTO llmux_end_users (user_id, spend, created_at) VALUES (?, ?, ?) "
          "ON CONFLICT (user_id) DO UPDATE SET spend = llmux_end_users.spend + excluded.spend",
          {end_user, spend, now_millis()});
    }
    for (const auto& [tag, spend] : by_tag) {
      database_->query(
          "INSERT INTO llmux_tags (tag, spend) VALUES (?, ?) "
          "ON CONFLICT (tag) DO UPDATE SET spend = llmux_tags.spend + excluded.spend",
          {tag, spend});
    }
    return true;
  });
}

std::int64_t Store::delete_spend_logs_before(Millis cutoff) {
  constexpr std::int64_t kRowsPerStatement = 5'000;
  std::int64_t deleted = 0;
  for (;;) {
    // Oldest first, through the (start_time, id) index.
    database_->query(
        "DELETE FROM llmux_spend_logs WHERE id IN (SELECT id FROM llmux_spend_logs WHERE "
        "start_time < ? ORDER BY start_time LIMIT " +
            std::to_string(kRowsPerStatement) + ")",
        {cutoff});
    const std::int64_t rows = database_->changed_rows();
    deleted += rows;
    if (rows < kRowsPerStatement) return deleted;
    std::this_thread::yield();  // as the inserts do: a worker sharing the core goes first
  }
}

void Store::insert_spend_logs(const std::vector<SpendEvent>& events, DailyAggregates daily) {
  insert_spend_log_rows(*database_, events);
  if (daily == DailyAggregates::add) add_daily_spend(events);
}

bool Store::has_spend_log(const std::string& request_id) {
  return !database_
              ->query("SELECT 1 FROM llmux_spend_logs WHERE request_id = ? LIMIT 1", {request_id})
              .empty();
}

std::vector<SpendEvent> Store::spend_logs(const SpendLogQuery& query) {
  std::string sql = "SELECT " + std::string(kSpendLogColumns) + " FROM llmux_spend_logs WHERE 1=1";
  Params params;
  if (query.api_key) sql += " AND api_key = ?", params.emplace_back(*query.api_key);
  if (query.user_id) sql += " AND user_id = ?", params.emplace_back(*query.user_id);
  if (query.team_id) sql += " AND team_id = ?", params.emplace_back(*query.team_id);
  if (query.request_id) {
    const ResponseKey key = response_key(*query.request_id);
    sql +=
        " AND (request_id = ? OR (response_bucket = ? AND response_key = ? AND response_id = ?))";
    params.insert(params.end(), {*query.request_id, key.bucket, key.hash, *query.request_id});
  }
  if (query.model) {
    sql += " AND (model_group = ? OR model = ?)";
    params.emplace_back(*query.model);
    params.emplace_back(*query.model);
  }
  if (query.status) sql += " AND status = ?", params.emplace_back(*query.status);
  if (query.before_request_id) {
    sql +=
        " AND (start_time, id) < (SELECT start_time, id FROM llmux_spend_logs WHERE request_id = ? "
        "ORDER BY start_time DESC, id DESC LIMIT 1)";
    params.emplace_back(*query.before_request_id);
  }
  if (query.start_time) sql += " AND start_time >= ?", params.emplace_back(*query.start_time);
  if (query.end_time) sql += " AND start_time < ?", params.emplace_back(*query.end_time);
  sql += " ORDER BY start_time DESC, id DESC LIMIT ? OFFSET ?";
  params.emplace_back(query.limit);
  params.emplace_back(query.offset);
  std::vector<SpendEvent> events;
  for (const Row& row : database_->query(sql, params)) {
    SpendEvent event;
    event.request_id = row.text(0);
    event.call_type = row.text(1);
    event.api_key = row.text(2);
    event.spend = row.real(3);
    event.prompt_tokens = row.integer(4);
    event.completion_tokens = row.integer(5);  // 6 is their total
    event.start_time = row.integer(7);
    event.end_time = row.integer(8);
    event.completion_start_time = row.optional_integer(9);
    event.model = row.text(10);
    event.model_group = row.text(11);
    event.model_id = row.text(12);
    event.provider = row.text(13);
    event.user_id = row.text(14);
    event.team_id = row.text(15);
    event.end_user = row.text(16);
    event.status = row.text(17);
    event.cache_hit = row.integer(18) != 0;
    event.tags = list_from(row.text(19));
    event.metadata = row.text(20);
    event.messages = row.optional_text(21);
    event.response = row.optional_text(22);
    event.response_id = row.text(23);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::pair<std::string, double>> Store::key_spend_by_model_group(
    const std::string& token, Millis since) {
  std::vector<std::pair<std::string, double>> spend;
  for (const Row& row : database_->query(
           "SELECT model_group, SUM(spend) FROM llmux_spend_logs WHERE api_key = ? AND "
           "start_time >= ? GROUP BY model_group",
           {token, since})) {
    spend.emplace_back(row.text(0), row.real(1));
  }
  return spend;
}

}  // namespace llmux::store
