#include "store/store.hpp"

#include "store/migrations.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <ctime>
#include <map>
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

constexpr std::string_view kKeyColumns =
    "token, key_name, key_alias, spend, max_budget, soft_budget, budget_duration, budget_reset_at, expires, models, "
    "aliases, metadata, model_max_budget, tags, tpm_limit, rpm_limit, max_parallel_requests, user_id, team_id, "
    "blocked, created_at, updated_at";

KeyRecord key_from(const Row& row) {
  KeyRecord key;
  key.token = row.text(0);
  key.key_name = row.text(1);
  key.key_alias = row.optional_text(2);
  key.spend = row.real(3);
  key.max_budget = row.optional_real(4);
  key.soft_budget = row.optional_real(5);
  key.budget_duration = row.optional_text(6);
  key.budget_reset_at = row.optional_integer(7);
  key.expires = row.optional_integer(8);
  key.models = list_from(row.text(9));
  key.aliases = object_from(row.text(10));
  key.metadata = object_from(row.text(11));
  key.model_max_budget = object_from(row.text(12));
  key.tags = list_from(row.text(13));
  key.tpm_limit = row.optional_integer(14);
  key.rpm_limit = row.optional_integer(15);
  key.max_parallel_requests = row.optional_integer(16);
  key.user_id = row.optional_text(17);
  key.team_id = row.optional_text(18);
  key.blocked = row.integer(19) != 0;
  key.created_at = row.integer(20);
  key.updated_at = row.integer(21);
  return key;
}

// The values of every column but token/spend/created_at, in update order.
Params mutable_key_values(const KeyRecord& key) {
  return {optional_value(key.key_alias),
          optional_value(key.max_budget),
          optional_value(key.soft_budget),
          optional_value(key.budget_duration),
          optional_value(key.budget_reset_at),
          optional_value(key.expires),
          list_text(key.models),
          json::serialize(key.aliases),
          json::serialize(key.metadata),
          json::serialize(key.model_max_budget),
          list_text(key.tags),
          optional_value(key.tpm_limit),
          optional_value(key.rpm_limit),
          optional_value(key.max_parallel_requests),
          optional_value(key.user_id),
          optional_value(key.team_id),
          std::int64_t{key.blocked ? 1 : 0},
          key.updated_at};
}

// WHERE clause and parameters for the optional key-list filters.
std::string key_filter(const std::optional<std::string>& user_id, const std::optional<std::string>& team_id,
                       const std::optional<std::string>& key_alias, Params& params) {
  std::string where = " WHERE 1=1";
  if (user_id) where += " AND user_id = ?", params.emplace_back(*user_id);
  if (team_id) where += " AND team_id = ?", params.emplace_back(*team_id);
  if (key_alias) where += " AND key_alias = ?", params.emplace_back(*key_alias);
  return where;
}

std::string day_of(Millis millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &parts);
  return text;
}

constexpr std::string_view kTeamColumns =
    "team_id, team_alias, spend, max_budget, budget_duration, budget_reset_at, models, tpm_limit, rpm_limit, "
    "max_parallel_requests, members_with_roles, metadata, blocked, created_at, updated_at";

TeamRecord team_from(const Row& row) {
  TeamRecord team;
  team.team_id = row.text(0);
  team.team_alias = row.optional_text(1);
  team.spend = row.real(2);
  team.max_budget = row.optional_real(3);
  team.budget_duration = row.optional_text(4);
  team.budget_reset_at = row.optional_integer(5);
  team.models = list_from(row.text(6));
  team.tpm_limit = row.optional_integer(7);
  team.rpm_limit = row.optional_integer(8);
  team.max_parallel_requests = row.optional_integer(9);
  boost::system::error_code ec;
  if (json::value members = json::parse(row.text(10), ec); !ec && members.is_array()) {
    team.members_with_roles = std::move(members.as_array());
  }
  team.metadata = object_from(row.text(11));
  team.blocked = row.integer(12) != 0;
  team.created_at = row.integer(13);
  team.updated_at = row.integer(14);
  return team;
}

Params mutable_team_values(const TeamRecord& team) {
  return {optional_value(team.team_alias),
          optional_value(team.max_budget),
          optional_value(team.budget_duration),
          optional_value(team.budget_reset_at),
          list_text(team.models),
          optional_value(team.tpm_limit),
          optional_value(team.rpm_limit),
          optional_value(team.max_parallel_requests),
          json::serialize(team.members_with_roles),
          json::serialize(team.metadata),
          std::int64_t{team.blocked ? 1 : 0},
          team.updated_at};
}

}  // namespace

Millis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Store::Store(std::unique_ptr<Database> database) : database_(std::move(database)) { migrate(*database_); }

void Store::insert_key(const KeyRecord& key) {
  Params params{key.token, key.key_name, key.spend};
  for (auto& value : mutable_key_values(key)) params.push_back(std::move(value));
  params.emplace_back(key.created_at);
  database_->query(
      "INSERT INTO llmux_keys (token, key_name, spend, key_alias, max_budget, soft_budget, budget_duration, "
      "budget_reset_at, expires, models, aliases, metadata, model_max_budget, tags, tpm_limit, rpm_limit, "
      "max_parallel_requests, user_id, team_id, blocked, updated_at, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      params);
}

void Store::update_key(const KeyRecord& key) {
  Params params = mutable_key_values(key);
  params.emplace_back(key.token);
  database_->query(
      "UPDATE llmux_keys SET key_alias = ?, max_budget = ?, soft_budget = ?, budget_duration = ?, "
      "budget_reset_at = ?, expires = ?, models = ?, aliases = ?, metadata = ?, model_max_budget = ?, tags = ?, "
      "tpm_limit = ?, rpm_limit = ?, max_parallel_requests = ?, user_id = ?, team_id = ?, blocked = ?, "
      "updated_at = ? WHERE token = ?",
      params);
}

void Store::set_key_spend(const std::string& token, double spend, std::optional<Millis> budget_reset_at) {
  database_->query("UPDATE llmux_keys SET spend = ?, budget_reset_at = ? WHERE token = ?",
                   {spend, optional_value(budget_reset_at), token});
}

void Store::replace_token(const std::string& old_token, const std::string& new_token, const std::string& key_name) {
  database_->query("UPDATE llmux_keys SET token = ?, key_name = ?, updated_at = ? WHERE token = ?",
                   {new_token, key_name, now_millis(), old_token});
}

std::int64_t Store::delete_key(const std::string& token) {
  database_->query("DELETE FROM llmux_keys WHERE token = ?", {token});
  return database_->changed_rows();
}

std::optional<KeyRecord> Store::find_key(const std::string& token) {
  const auto rows = database_->query("SELECT " + std::string(kKeyColumns) + " FROM llmux_keys WHERE token = ?", {token});
  if (rows.empty()) return std::nullopt;
  return key_from(rows.front());
}

std::optional<KeyRecord> Store::find_key_by_alias(const std::string& alias) {
  const auto rows =
      database_->query("SELECT " + std::string(kKeyColumns) + " FROM llmux_keys WHERE key_alias = ?", {alias});
  if (rows.empty()) return std::nullopt;
  return key_from(rows.front());
}

std::vector<KeyRecord> Store::list_keys(const std::optional<std::string>& user_id,
                                        const std::optional<std::string>& team_id,
                                        const std::optional<std::string>& key_alias, std::int64_t limit,
                                        std::int64_t offset) {
  Params params;
  const std::string where = key_filter(user_id, team_id, key_alias, params);
  params.emplace_back(limit);
  params.emplace_back(offset);
  std::vector<KeyRecord> keys;
  for (const Row& row : database_->query("SELECT " + std::string(kKeyColumns) + " FROM llmux_keys" + where +
                                             " ORDER BY created_at DESC, token LIMIT ? OFFSET ?",
                                         params)) {
    keys.push_back(key_from(row));
  }
  return keys;
}

std::int64_t Store::count_keys(const std::optional<std::string>& user_id, const std::optional<std::string>& team_id,
                               const std::optional<std::string>& key_alias) {
  Params params;
  const std::string where = key_filter(user_id, team_id, key_alias, params);
  return database_->query("SELECT COUNT(*) FROM llmux_keys" + where, params).front().integer(0);
}

std::vector<KeyRecord> Store::all_keys() {
  std::vector<KeyRecord> keys;
  for (const Row& row : database_->query("SELECT " + std::string(kKeyColumns) + " FROM llmux_keys")) {
    keys.push_back(key_from(row));
  }
  return keys;
}

void Store::insert_team(const TeamRecord& team) {
  Params params{team.team_id, team.spend};
  for (auto& value : mutable_team_values(team)) params.push_back(std::move(value));
  params.emplace_back(team.created_at);
  database_->query(
      "INSERT INTO llmux_teams (team_id, spend, team_alias, max_budget, budget_duration, budget_reset_at, models, "
      "tpm_limit, rpm_limit, max_parallel_requests, members_with_roles, metadata, blocked, updated_at, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      params);
}

void Store::update_team(const TeamRecord& team) {
  Params params = mutable_team_values(team);
  params.emplace_back(team.team_id);
  database_->query(
      "UPDATE llmux_teams SET team_alias = ?, max_budget = ?, budget_duration = ?, budget_reset_at = ?, models = ?, "
      "tpm_limit = ?, rpm_limit = ?, max_parallel_requests = ?, members_with_roles = ?, metadata = ?, blocked = ?, "
      "updated_at = ? WHERE team_id = ?",
      params);
}

std::int64_t Store::delete_team(const std::string& team_id) {
  database_->query("DELETE FROM llmux_teams WHERE team_id = ?", {team_id});
  return database_->changed_rows();
}

std::optional<TeamRecord> Store::find_team(const std::string& team_id) {
  const auto rows =
      database_->query("SELECT " + std::string(kTeamColumns) + " FROM llmux_teams WHERE team_id = ?", {team_id});
  if (rows.empty()) return std::nullopt;
  return team_from(rows.front());
}

std::vector<TeamRecord> Store::all_teams() {
  std::vector<TeamRecord> teams;
  for (const Row& row :
       database_->query("SELECT " + std::string(kTeamColumns) + " FROM llmux_teams ORDER BY created_at, team_id")) {
    teams.push_back(team_from(row));
  }
  return teams;
}

namespace {

// Every table with a budget window; names come from this list only, never from a request.
struct BudgetTable {
  std::string_view table;
  std::string_view id_column;
  const std::string& prefix;
};
const std::string kNoPrefix;
const BudgetTable kBudgetTables[] = {{"llmux_keys", "token", kNoPrefix},
                                     {"llmux_teams", "team_id", kTeamPrefix},
                                     {"llmux_users", "user_id", kUserPrefix},
                                     {"llmux_end_users", "user_id", kEndUserPrefix}};

}  // namespace

bool Store::has_due_budgets(Millis now) {
  for (const auto& budget : kBudgetTables) {
    if (!database_->query("SELECT 1 FROM " + std::string(budget.table) +
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
      const auto due = database_->query("SELECT " + id + ", budget_duration FROM " + table +
                                            " WHERE budget_reset_at IS NOT NULL AND budget_reset_at <= ?",
                                        {now});
      for (const Row& row : due) {
        const auto next_reset = add_duration(now, row.text(1));
        database_->query("UPDATE " + table + " SET spend = 0, budget_reset_at = ? WHERE " + id + " = ?",
                         {next_reset ? Value(*next_reset) : Value(), row.text(0)});
        reset.push_back(budget.prefix + row.text(0));
      }
    }
  });
  return reset;
}

constexpr std::string_view kUserColumns =
    "user_id, user_email, user_role, spend, max_budget, budget_duration, budget_reset_at, models, tpm_limit, "
    "rpm_limit, metadata, created_at, updated_at, max_parallel_requests";

static UserRecord user_from(const Row& row) {
  UserRecord user;
  user.user_id = row.text(0);
  user.user_email = row.optional_text(1);
  user.user_role = row.text(2);
  user.spend = row.real(3);
  user.max_budget = row.optional_real(4);
  user.budget_duration = row.optional_text(5);
  user.budget_reset_at = row.optional_integer(6);
  user.models = list_from(row.text(7));
  user.tpm_limit = row.optional_integer(8);
  user.rpm_limit = row.optional_integer(9);
  user.metadata = object_from(row.text(10));
  user.created_at = row.integer(11);
  user.updated_at = row.integer(12);
  user.max_parallel_requests = row.optional_integer(13);
  return user;
}

void Store::insert_user(const UserRecord& user) {
  database_->query("INSERT INTO llmux_users (user_id, spend, created_at, updated_at) VALUES (?, ?, ?, ?)",
                   {user.user_id, user.spend, user.created_at, user.updated_at});
  update_user(user);
}

void Store::update_user(const UserRecord& user) {
  database_->query(
      "UPDATE llmux_users SET user_email = ?, user_role = ?, max_budget = ?, budget_duration = ?, "
      "budget_reset_at = ?, models = ?, tpm_limit = ?, rpm_limit = ?, max_parallel_requests = ?, metadata = ?, "
      "updated_at = ? WHERE user_id = ?",
      {optional_value(user.user_email), user.user_role, optional_value(user.max_budget),
       optional_value(user.budget_duration), optional_value(user.budget_reset_at), list_text(user.models),
       optional_value(user.tpm_limit), optional_value(user.rpm_limit), optional_value(user.max_parallel_requests),
       json::serialize(user.metadata), user.updated_at, user.user_id});
}

std::int64_t Store::delete_user(const std::string& user_id) {
  database_->query("DELETE FROM llmux_users WHERE user_id = ?", {user_id});
  return database_->changed_rows();
}

std::optional<UserRecord> Store::find_user(const std::string& user_id) {
  const auto rows =
      database_->query("SELECT " + std::string(kUserColumns) + " FROM llmux_users WHERE user_id = ?", {user_id});
  if (rows.empty()) return std::nullopt;
  return user_from(rows.front());
}

std::vector<UserRecord> Store::all_users() {
  std::vector<UserRecord> users;
  for (const Row& row :
       database_->query("SELECT " + std::string(kUserColumns) + " FROM llmux_users ORDER BY created_at, user_id")) {
    users.push_back(user_from(row));
  }
  return users;
}

constexpr std::string_view kEndUserColumns =
    "user_id, alias, spend, max_budget, budget_duration, budget_reset_at, blocked, created_at";

static EndUserRecord end_user_from(const Row& row) {
  return {.user_id = row.text(0),
          .alias = row.optional_text(1),
          .spend = row.real(2),
          .max_budget = row.optional_real(3),
          .budget_duration = row.optional_text(4),
          .budget_reset_at = row.optional_integer(5),
          .blocked = row.integer(6) != 0,
          .created_at = row.integer(7)};
}

void Store::save_end_user(const EndUserRecord& end_user) {
  database_->query(
      "INSERT INTO llmux_end_users (user_id, alias, max_budget, budget_duration, budget_reset_at, blocked, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET alias = excluded.alias, "
      "max_budget = excluded.max_budget, budget_duration = excluded.budget_duration, "
      "budget_reset_at = excluded.budget_reset_at, blocked = excluded.blocked",
      {end_user.user_id, optional_value(end_user.alias), optional_value(end_user.max_budget),
       optional_value(end_user.budget_duration), optional_value(end_user.budget_reset_at),
       std::int64_t{end_user.blocked ? 1 : 0}, end_user.created_at});
}

std::int64_t Store::delete_end_user(const std::string& user_id) {
  database_->query("DELETE FROM llmux_end_users WHERE user_id = ?", {user_id});
  return database_->changed_rows();
}

std::optional<EndUserRecord> Store::find_end_user(const std::string& user_id) {
  const auto rows = database_->query(
      "SELECT " + std::string(kEndUserColumns) + " FROM llmux_end_users WHERE user_id = ?", {user_id});
  if (rows.empty()) return std::nullopt;
  return end_user_from(rows.front());
}

std::vector<EndUserRecord> Store::limited_end_users() {
  std::vector<EndUserRecord> end_users;
  for (const Row& row : database_->query("SELECT " + std::string(kEndUserColumns) +
                                         " FROM llmux_end_users WHERE max_budget IS NOT NULL OR blocked = 1")) {
    end_users.push_back(end_user_from(row));
  }
  return end_users;
}

namespace {

constexpr std::string_view kSpendLogColumns =
    "request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time, "
    "completion_start_time, model, model_group, model_id, custom_llm_provider, user_id, team_id, end_user, status, "
    "cache_hit, request_tags, metadata, messages, response";
constexpr std::size_t kSpendLogColumnCount = 23;
// Rows per INSERT statement: one statement per row spent most of its time opening and closing
// the table's and indexes' cursors.
constexpr std::size_t kSpendLogRowsPerInsert = 64;

std::string spend_log_insert(std::size_t rows) {
  std::string row = "(?";
  for (std::size_t column = 1; column < kSpendLogColumnCount; ++column) row += ", ?";
  row += ')';
  std::string sql = "INSERT INTO llmux_spend_logs (" + std::string(kSpendLogColumns) + ") VALUES " + row;
  for (std::size_t n = 1; n < rows; ++n) sql += ", " + row;
  return sql;
}

void append_spend_log_row(Params& params, const SpendEvent& event) {
  const auto text_or_null = [](const std::string& text) { return text.empty() ? Value() : Value(text); };
  params.insert(params.end(),
                {event.request_id, event.call_type, event.api_key, event.spend, event.prompt_tokens,
                 event.completion_tokens, event.prompt_tokens + event.completion_tokens, event.start_time,
                 event.end_time, optional_value(event.completion_start_time), event.model, event.model_group,
                 event.model_id, event.provider, text_or_null(event.user_id), text_or_null(event.team_id),
                 text_or_null(event.end_user), event.status, std::int64_t{event.cache_hit ? 1 : 0},
                 list_text(event.tags), event.metadata, optional_value(event.messages),
                 optional_value(event.response)});
}

}  // namespace

bool Store::write_spend(const std::string& batch_id, const std::vector<SpendEvent>& events) {
  return in_transaction(*database_, [&] {
    if (!database_->query("SELECT 1 FROM llmux_spend_batches WHERE batch_id = ?", {batch_id}).empty()) return false;
    database_->query("INSERT INTO llmux_spend_batches (batch_id, written_at) VALUES (?, ?)", {batch_id, now_millis()});
    static const std::string full_insert = spend_log_insert(kSpendLogRowsPerInsert);
    Params params;
    params.reserve(kSpendLogColumnCount * kSpendLogRowsPerInsert);
    for (std::size_t first = 0; first < events.size(); first += kSpendLogRowsPerInsert) {
      const std::size_t rows = std::min(kSpendLogRowsPerInsert, events.size() - first);
      params.clear();
      for (std::size_t n = first; n < first + rows; ++n) append_spend_log_row(params, events[n]);
      database_->query(rows == kSpendLogRowsPerInsert ? full_insert : spend_log_insert(rows), params);
    }
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

std::vector<SpendEvent> Store::spend_logs(const SpendLogQuery& query) {
  std::string sql = "SELECT " + std::string(kSpendLogColumns) + " FROM llmux_spend_logs WHERE 1=1";
  Params params;
  if (query.api_key) sql += " AND api_key = ?", params.emplace_back(*query.api_key);
  if (query.user_id) sql += " AND user_id = ?", params.emplace_back(*query.user_id);
  if (query.team_id) sql += " AND team_id = ?", params.emplace_back(*query.team_id);
  if (query.request_id) sql += " AND request_id = ?", params.emplace_back(*query.request_id);
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
    events.push_back(std::move(event));
  }
  return events;
}

double Store::total_spend(std::optional<Millis> start_time, std::optional<Millis> end_time) {
  std::string sql = "SELECT COALESCE(SUM(spend), 0) FROM llmux_spend_logs WHERE 1=1";
  Params params;
  if (start_time) sql += " AND start_time >= ?", params.emplace_back(*start_time);
  if (end_time) sql += " AND start_time < ?", params.emplace_back(*end_time);
  return database_->query(sql, params).front().real(0);
}

std::vector<std::pair<std::string, double>> Store::key_spend_by_model_group(const std::string& token, Millis since) {
  std::vector<std::pair<std::string, double>> spend;
  for (const Row& row : database_->query("SELECT model_group, SUM(spend) FROM llmux_spend_logs WHERE api_key = ? AND "
                                         "start_time >= ? GROUP BY model_group",
                                         {token, since})) {
    spend.emplace_back(row.text(0), row.real(1));
  }
  return spend;
}

std::vector<SpendReportRow> Store::spend_report(const std::string& group_by, Millis start_time, Millis end_time) {
  // The column is chosen from a fixed list, never from the caller's text.
  const std::string column = group_by == "api_key" ? "api_key" : group_by == "customer" ? "end_user" : "team_id";
  constexpr Millis kDay = 86'400'000;
  // Integer division by a day's milliseconds gives the UTC day in both engines.
  const auto rows = database_->query(
      "SELECT start_time / ? AS day, COALESCE(" + column +
          ", ''), model_group, SUM(spend), SUM(total_tokens), COUNT(*) FROM llmux_spend_logs "
          "WHERE start_time >= ? AND start_time < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
      {kDay, start_time, end_time});
  std::vector<SpendReportRow> report;
  for (const Row& row : rows) {
    report.push_back({.day = day_of(row.integer(0) * kDay),
                      .group = row.text(1),
                      .model = row.text(2),
                      .spend = row.real(3),
                      .total_tokens = row.integer(4),
                      .requests = row.integer(5)});
  }
  return report;
}

}  // namespace llmux::store
