#include "store/litellm_import.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

namespace llmux::store {

namespace json = boost::json;

namespace {

constexpr std::int64_t kSpendLogPage = 1000;

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

// One LiteLLM table as this database has it. LiteLLM adds columns release after release, so
// each column is read only when the table has it; one it lacks reads as NULL (the record's
// default). A table that does not exist has no columns at all.
class SourceTable {
 public:
  SourceTable(Database& database, std::string_view name, std::string_view alias)
      : name_(name), alias_(alias) {
    for (const Row& row : database.query("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_schema = current_schema() AND "
                                         "table_name = ?",
                                         {name_})) {
      columns_.insert(row.text(0));
    }
  }
  bool exists() const { return !columns_.empty(); }
  bool has(std::string_view column) const { return columns_.contains(std::string(column)); }
  const std::string& name() const { return name_; }
  std::string from() const { return quoted(name_) + " " + alias_; }

  // A column as a SELECT expression whose value the Row accessors read directly.
  std::string value(std::string_view column) const { return has(column) ? ref(column) : "NULL"; }
  std::string millis(std::string_view column) const {  // TIMESTAMP(3), UTC → Unix ms
    return has(column) ? "(EXTRACT(EPOCH FROM " + ref(column) + ") * 1000)::BIGINT" : "NULL";
  }
  std::string list(std::string_view column) const {  // TEXT[] → JSON array text
    return has(column) ? "array_to_json(" + ref(column) + ")::TEXT" : "NULL";
  }
  std::string json_text(std::string_view column) const {  // JSONB → its text
    return has(column) ? ref(column) + "::TEXT" : "NULL";
  }
  std::string flag(std::string_view column) const {  // BOOLEAN, NULL as false
    return has(column) ? "COALESCE(" + ref(column) + ", false)" : "false";
  }

 private:
  std::string ref(std::string_view column) const { return alias_ + "." + quoted(column); }

  std::string name_;
  std::string alias_;
  std::set<std::string, std::less<>> columns_;
};

std::string select_list(const std::vector<std::string>& expressions) {
  std::string sql = "SELECT ";
  for (const auto& expression : expressions) sql += (sql.size() == 7 ? "" : ", ") + expression;
  return sql;
}

// Reads a row's columns in the order they were selected.
class Cursor {
 public:
  explicit Cursor(const Row& row) : row_(row) {}
  std::string text() { return row_.text(next_++); }
  std::optional<std::string> optional_text() { return row_.optional_text(next_++); }
  double real() { return row_.real(next_++); }
  std::optional<double> optional_real() { return row_.optional_real(next_++); }
  std::int64_t integer() { return row_.integer(next_++); }
  std::optional<std::int64_t> optional_integer() { return row_.optional_integer(next_++); }
  bool flag() { return row_.integer(next_++) != 0; }
  json::value json_value() {
    boost::system::error_code ec;
    json::value value = json::parse(row_.text(next_++), ec);
    return ec ? json::value() : value;
  }
  json::object object() {
    json::value value = json_value();
    return value.is_object() ? std::move(value.as_object()) : json::object();
  }
  std::vector<std::string> strings() { return strings_of(json_value()); }

  static std::vector<std::string> strings_of(const json::value& value) {
    std::vector<std::string> items;
    if (!value.is_array()) return items;
    for (const auto& item : value.as_array()) {
      if (item.is_string()) items.emplace_back(item.as_string());
    }
    return items;
  }

 private:
  const Row& row_;
  std::size_t next_ = 0;
};

bool is_sha256_hex(std::string_view token) {
  return token.size() == 64 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A budget window LiteLLM had not scheduled yet starts now, as a new key's would in llmux.
std::optional<Millis> reset_at(std::optional<Millis> stored,
                               const std::optional<std::string>& duration, Millis now) {
  if (stored || !duration) return stored;
  return add_duration(now, *duration);
}

// A key's, a team's or a user's own columns, then the ones all three have (budget, models,
// limits, metadata, times), which read_shared_columns() reads in this order.
std::vector<std::string> with_shared_columns(const SourceTable& table,
                                             std::vector<std::string> own) {
  own.insert(own.end(),
             {table.value("spend"), table.value("max_budget"), table.value("budget_duration"),
              table.millis("budget_reset_at"), table.list("models"), table.value("tpm_limit"),
              table.value("rpm_limit"), table.value("max_parallel_requests"),
              table.json_text("metadata"), table.millis("created_at"), table.millis("updated_at")});
  return own;
}

template <class Record>
void read_shared_columns(Cursor& column, Record& record, Millis now) {
  record.spend = column.real();
  record.max_budget = column.optional_real();
  record.budget_duration = column.optional_text();
  record.budget_reset_at = reset_at(column.optional_integer(), record.budget_duration, now);
  record.models = column.strings();
  record.tpm_limit = column.optional_integer();
  record.rpm_limit = column.optional_integer();
  record.max_parallel_requests = column.optional_integer();
  record.metadata = column.object();
  record.created_at = column.optional_integer().value_or(now);
  record.updated_at = column.optional_integer().value_or(record.created_at);
}

// LiteLLM's members are {"user_id", "user_email", "role"}; llmux keeps {"user_id", "role"}.
json::array members_of(const json::value& value, std::int64_t& dropped) {
  json::array members;
  if (!value.is_array()) return members;
  for (const auto& item : value.as_array()) {
    const auto* member = item.if_object();
    const auto* user_id = member ? member->if_contains("user_id") : nullptr;
    if (!user_id || !user_id->is_string()) {
      ++dropped;
      continue;
    }
    const auto* role = member->if_contains("role");
    const bool admin = role && role->is_string() && role->as_string() == "admin";
    members.push_back(json::object{{"user_id", *user_id}, {"role", admin ? "admin" : "user"}});
  }
  return members;
}

class Importer {
 public:
  Importer(Database& litellm, Store& llmux, LitellmImportSummary& summary)
      : litellm_(litellm), llmux_(llmux), summary_(summary), now_(now_millis()) {}

  void keys() {
    const SourceTable keys(litellm_, "LiteLLM_VerificationToken", "k");
    const SourceTable budgets(litellm_, "LiteLLM_BudgetTable", "b");
    if (!present(keys)) return;
    const bool joined = budgets.exists() && keys.has("budget_id");
    const std::string sql =
        select_list(with_shared_columns(
            keys,
            {keys.value("token"), keys.value("key_name"), keys.value("key_alias"),
             joined ? budgets.value("soft_budget") : "NULL", keys.millis("expires"),
             keys.json_text("aliases"), keys.json_text("model_max_budget"), keys.value("user_id"),
             keys.value("team_id"), keys.flag("blocked"), keys.list("allowed_cache_controls")})) +
        " FROM " + keys.from() +
        (joined ? " LEFT JOIN " + budgets.from() + " ON b.budget_id = k.budget_id" : "") +
        " ORDER BY k.token";
    std::int64_t unhashed = 0;
    for (const Row& row : litellm_.query(sql)) {
      Cursor column(row);
      KeyRecord key;
      key.token = column.text();
      key.key_name = column.optional_text().value_or("sk-...");
      key.key_alias = column.optional_text();
      key.soft_budget = column.optional_real();
      key.expires = column.optional_integer();
      key.aliases = column.object();
      key.model_max_budget = column.object();
      key.user_id = column.optional_text();
      key.team_id = column.optional_text();
      key.blocked = column.flag();
      key.allowed_cache_controls = column.strings();
      read_shared_columns(column, key, now_);
      // LiteLLM keeps a key's tags in its metadata.
      if (const auto* tags = key.metadata.if_contains("tags")) key.tags = Cursor::strings_of(*tags);
      if (!is_sha256_hex(key.token)) {
        // Never named by its token: that would be the key itself.
        ++unhashed, ++summary_.keys.skipped;
        continue;
      }
      if (llmux_.find_key(key.token)) {
        ++summary_.keys.already_present;
        continue;
      }
      if (key.key_alias && llmux_.find_key_by_alias(*key.key_alias)) {
        note("key " + key.key_name + ": its alias \"" + *key.key_alias +
             "\" names another key in llmux; imported without an alias");
        key.key_alias.reset();
      }
      llmux_.insert_key(key);
      ++summary_.keys.imported;
    }
    if (unhashed > 0) {
      note(std::to_string(unhashed) +
           " key(s) stored unhashed by an old LiteLLM (token is not a SHA-256): skipped; "
           "regenerate them");
    }
  }

  void teams() {
    const SourceTable teams(litellm_, "LiteLLM_TeamTable", "t");
    if (!present(teams)) return;
    const std::string sql =
        select_list(with_shared_columns(
            teams, {teams.value("team_id"), teams.value("team_alias"),
                    teams.json_text("members_with_roles"), teams.flag("blocked")})) +
        " FROM " + teams.from() + " ORDER BY t.team_id";
    std::int64_t members_without_id = 0;
    for (const Row& row : litellm_.query(sql)) {
      Cursor column(row);
      TeamRecord team;
      team.team_id = column.text();
      team.team_alias = column.optional_text();
      team.members_with_roles = members_of(column.json_value(), members_without_id);
      team.blocked = column.flag();
      read_shared_columns(column, team, now_);
      if (llmux_.find_team(team.team_id)) {
        ++summary_.teams.already_present;
        continue;
      }
      llmux_.insert_team(team);
      ++summary_.teams.imported;
    }
    if (members_without_id > 0) {
      note(std::to_string(members_without_id) +
           " team member(s) without a user_id (invited by e-mail only): left out");
    }
  }

  void users() {
    const SourceTable users(litellm_, "LiteLLM_UserTable", "u");
    if (!present(users)) return;
    const std::string sql =
        select_list(with_shared_columns(
            users, {users.value("user_id"), users.value("user_email"), users.value("user_role")})) +
        " FROM " + users.from() + " ORDER BY u.user_id";
    std::int64_t roles_changed = 0;
    for (const Row& row : litellm_.query(sql)) {
      Cursor column(row);
      UserRecord user;
      user.user_id = column.text();
      user.user_email = column.optional_text();
      user.user_role = known_role(column.optional_text(), roles_changed);
      read_shared_columns(column, user, now_);
      if (llmux_.find_user(user.user_id)) {
        ++summary_.users.already_present;
        continue;
      }
      llmux_.insert_user(user);
      ++summary_.users.imported;
    }
    if (roles_changed > 0) {
      note(std::to_string(roles_changed) +
           " user(s) with no role or one of LiteLLM's older roles: imported as internal_user");
    }
  }

  void end_users() {
    const SourceTable end_users(litellm_, "LiteLLM_EndUserTable", "e");
    const SourceTable budgets(litellm_, "LiteLLM_BudgetTable", "b");
    if (!present(end_users)) return;
    const bool joined = budgets.exists() && end_users.has("budget_id");
    const std::string sql =
        select_list({end_users.value("user_id"), end_users.value("alias"), end_users.value("spend"),
                     end_users.flag("blocked"), joined ? budgets.value("max_budget") : "NULL",
                     joined ? budgets.value("budget_duration") : "NULL",
                     joined ? budgets.millis("budget_reset_at") : "NULL"}) +
        " FROM " + end_users.from() +
        (joined ? " LEFT JOIN " + budgets.from() + " ON b.budget_id = e.budget_id" : "") +
        " ORDER BY e.user_id";
    for (const Row& row : litellm_.query(sql)) {
      Cursor column(row);
      EndUserRecord end_user;
      end_user.user_id = column.text();
      end_user.alias = column.optional_text();
      end_user.spend = column.real();
      end_user.blocked = column.flag();
      end_user.max_budget = column.optional_real();
      end_user.budget_duration = column.optional_text();
      end_user.budget_reset_at =
          reset_at(column.optional_integer(), end_user.budget_duration, now_);
      end_user.created_at = now_;
      if (llmux_.find_end_user(end_user.user_id)) {
        ++summary_.end_users.already_present;
        continue;
      }
      llmux_.save_end_user(end_user);
      llmux_.set_end_user_spend(end_user.user_id, end_user.spend);
      ++summary_.end_users.imported;
    }
  }

  // A model's litellm_params are copied as LiteLLM wrote them: each string encrypted under its
  // LITELLM_SALT_KEY (or master key), which llmux opens with the same key (store/secret_values).
  void models() {
    const SourceTable models(litellm_, "LiteLLM_ProxyModelTable", "m");
    if (!present(models)) return;
    const std::string sql =
        select_list({models.value("model_id"), models.value("model_name"),
                     models.json_text("litellm_params"), models.json_text("model_info"),
                     models.millis("created_at"), models.millis("updated_at")}) +
        " FROM " + models.from() + " ORDER BY m.model_id";
    std::int64_t team_models = 0;
    for (const Row& row : litellm_.query(sql)) {
      Cursor column(row);
      ModelRecord model;
      model.model_id = column.text();
      model.model_name = column.text();
      model.litellm_params = json::serialize(column.object());
      json::object info = column.object();
      model.created_at = column.optional_integer().value_or(now_);
      model.updated_at = column.optional_integer().value_or(model.created_at);
      if (const auto* team = info.if_contains("team_id"); team && !team->is_null()) {
        ++team_models, ++summary_.models.skipped;
        continue;
      }
      if (llmux_.find_model(model.model_id)) {
        ++summary_.models.already_present;
        continue;
      }
      info["id"] = model.model_id;
      model.model_info = json::serialize(info);
      llmux_.insert_model(model);
      ++summary_.models.imported;
    }
    if (team_models > 0) {
      note(std::to_string(team_models) +
           " team model(s) (model_info.team_id) not imported: llmux has no team models");
    }
    if (summary_.models.imported > 0) {
      note(
          "models are served with general_settings.store_model_in_db, and read with the "
          "LITELLM_SALT_KEY (or master key) LiteLLM encrypted them with");
    }
  }

  // LiteLLM's daily aggregates, into llmux's daily tables: summed by llmux's key (LiteLLM's
  // also has the MCP tool and the endpoint; llmux's the model group), a NULL id, model or
  // provider as ''. True when this database has any of them: then they count every call its
  // log has (and those its retention deleted), so the log's rows are not summed again.
  bool daily_spend() {
    struct Daily {
      std::string_view table, counted_column;
      DailyCounted counted;
    };
    static constexpr Daily kDaily[] = {
        {"LiteLLM_DailyUserSpend", "user_id", DailyCounted::user},
        {"LiteLLM_DailyTeamSpend", "team_id", DailyCounted::team},
        {"LiteLLM_DailyEndUserSpend", "end_user_id", DailyCounted::end_user},
        {"LiteLLM_DailyTagSpend", "tag", DailyCounted::tag}};
    std::vector<std::string> missing;
    for (const Daily& daily : kDaily) {
      const SourceTable rows(litellm_, daily.table, "d");
      if (!rows.exists()) {
        missing.emplace_back(daily.table);
        continue;
      }
      const auto text = [&](std::string_view column) {
        return "COALESCE(" + rows.value(column) + ", '')";
      };
      const auto sum = [&](std::string_view column, std::string_view type) {
        return "COALESCE(SUM(" + rows.value(column) + "), 0)::" + std::string(type);
      };
      const std::string sql =
          select_list({text(daily.counted_column), rows.value("date"), text("api_key"),
                       text("model_group"), text("model"), text("custom_llm_provider"),
                       sum("prompt_tokens", "BIGINT"), sum("completion_tokens", "BIGINT"),
                       sum("spend", "DOUBLE PRECISION"), sum("api_requests", "BIGINT"),
                       sum("successful_requests", "BIGINT"), sum("failed_requests", "BIGINT")}) +
          " FROM " + rows.from() + " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6";
      for (const Row& row : litellm_.query(sql)) {
        Cursor column(row);
        const DailySpendRow copied{.id = column.text(),
                                   .date = column.text(),
                                   .api_key = column.text(),
                                   .model_group = column.text(),
                                   .model = column.text(),
                                   .provider = column.text(),
                                   .prompt_tokens = column.integer(),
                                   .completion_tokens = column.integer(),
                                   .spend = column.real(),
                                   .api_requests = column.integer(),
                                   .successful_requests = column.integer(),
                                   .failed_requests = column.integer()};
        if (llmux_.insert_daily_spend(daily.counted, copied)) {
          ++summary_.daily_spend.imported;
        } else {
          ++summary_.daily_spend.already_present;
        }
      }
    }
    if (missing.size() == std::size(kDaily)) {
      note(
          "no daily spend tables (LiteLLM_DailyUserSpend, …) in this database: the spend log's "
          "rows (--spend_logs) are summed into llmux's daily tables instead");
      return false;
    }
    for (const auto& table : missing) note_missing(table);
    for (std::string_view table : {"LiteLLM_DailyOrganizationSpend", "LiteLLM_DailyAgentSpend"}) {
      const SourceTable rows(litellm_, table, "d");
      if (!rows.exists()) continue;
      const std::int64_t n =
          litellm_.query("SELECT COUNT(*) FROM " + rows.from()).front().integer(0);
      if (n > 0) {
        note(std::to_string(n) + " row(s) of " + std::string(table) +
             " not imported: llmux has no organisation or agent daily table");
      }
    }
    return true;
  }

  // Only the rows: the keys', teams', users' and end users' spend totals came with them.
  void spend_logs(Store::DailyAggregates daily) {
    const SourceTable logs(litellm_, "LiteLLM_SpendLogs", "s");
    if (!present(logs)) return;
    const std::string sql = select_list({logs.value("request_id"),
                                         logs.value("call_type"),
                                         logs.value("api_key"),
                                         logs.value("spend"),
                                         logs.value("prompt_tokens"),
                                         logs.value("completion_tokens"),
                                         logs.millis("startTime"),
                                         logs.millis("endTime"),
                                         logs.millis("completionStartTime"),
                                         logs.value("model"),
                                         logs.value("model_group"),
                                         logs.value("model_id"),
                                         logs.value("custom_llm_provider"),
                                         logs.value("user"),
                                         logs.value("team_id"),
                                         logs.value("end_user"),
                                         logs.value("status"),
                                         logs.value("cache_hit"),
                                         logs.json_text("request_tags"),
                                         logs.json_text("metadata"),
                                         logs.json_text("messages"),
                                         logs.json_text("response")}) +
                            " FROM " + logs.from() +
                            " WHERE s.request_id > ? ORDER BY s.request_id LIMIT ?";
    std::string after;
    for (;;) {
      const auto rows = litellm_.query(sql, {after, kSpendLogPage});
      std::vector<SpendEvent> events;
      for (const Row& row : rows) {
        SpendEvent event = spend_event(row);
        after = event.request_id;
        if (llmux_.has_spend_log(event.request_id)) {
          ++summary_.spend_logs.already_present;
          continue;
        }
        events.push_back(std::move(event));
      }
      llmux_.insert_spend_logs(events, daily);
      summary_.spend_logs.imported += static_cast<std::int64_t>(events.size());
      if (static_cast<std::int64_t>(rows.size()) < kSpendLogPage) break;
    }
  }

  // What llmux does not model, counted so the summary says what stayed behind.
  void organisations() {
    const SourceTable organisations(litellm_, "LiteLLM_OrganizationTable", "o");
    if (!organisations.exists()) return;
    const auto count = litellm_.query("SELECT COUNT(*) FROM " + organisations.from());
    if (const std::int64_t n = count.front().integer(0); n > 0) {
      note(std::to_string(n) +
           " organisation(s) not imported: llmux has no organisations (their teams, keys and "
           "users are imported, without the organisation and its budget)");
    }
  }

 private:
  bool present(const SourceTable& table) {
    if (table.exists()) return true;
    note_missing(table.name());
    return false;
  }

  void note_missing(std::string_view table) {
    note("no table \"" + std::string(table) + "\" in this database: nothing read from it");
  }

  void note(std::string line) { summary_.notes.push_back(std::move(line)); }

  static std::string known_role(const std::optional<std::string>& role, std::int64_t& changed) {
    static const std::set<std::string, std::less<>> kRoles = {
        "proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"};
    if (role && kRoles.contains(*role)) return *role;
    ++changed;
    return "internal_user";
  }

  SpendEvent spend_event(const Row& row) {
    Cursor column(row);
    SpendEvent event;
    event.request_id = column.text();
    event.call_type = column.text();
    event.api_key = column.text();
    event.spend = column.real();
    event.prompt_tokens = column.integer();
    event.completion_tokens = column.integer();
    event.start_time = column.integer();
    event.end_time = column.integer();
    event.completion_start_time = column.optional_integer();
    event.model = column.text();
    event.model_group = column.text();
    event.model_id = column.text();
    event.provider = column.text();
    event.user_id = column.text();
    event.team_id = column.text();
    event.end_user = column.text();
    // Older LiteLLM logged successes only, without a status.
    event.status = column.optional_text().value_or("success");
    const std::string cache_hit = column.text();
    event.cache_hit = cache_hit == "True" || cache_hit == "true";
    event.tags = column.strings();
    event.metadata = json::serialize(column.object());
    // LiteLLM writes "{}" when it did not keep the prompt or the answer.
    auto kept = [](std::optional<std::string> text) -> std::optional<std::string> {
      if (!text || *text == "{}" || *text == "\"\"" || text->empty()) return std::nullopt;
      return text;
    };
    event.messages = kept(column.optional_text());
    event.response = kept(column.optional_text());
    return event;
  }

  Database& litellm_;
  Store& llmux_;
  LitellmImportSummary& summary_;
  Millis now_;
};

std::string count_line(std::string_view what, const ImportCount& count) {
  return std::string(what) + ": " + std::to_string(count.imported) + " imported, " +
         std::to_string(count.already_present) + " already present, " +
         std::to_string(count.skipped) + " skipped\n";
}

}  // namespace

LitellmImportSummary import_litellm(Database& litellm, Store& llmux,
                                    const LitellmImportOptions& options) {
  LitellmImportSummary summary;
  in_transaction(llmux.database(), [&] {
    Importer importer(litellm, llmux, summary);
    importer.teams();
    importer.users();
    importer.keys();
    importer.end_users();
    importer.models();
    const bool daily_copied = importer.daily_spend();
    if (options.spend_logs) {
      importer.spend_logs(daily_copied ? Store::DailyAggregates::leave
                                       : Store::DailyAggregates::add);
    }
    importer.organisations();
  });
  if (!options.spend_logs) {
    summary.notes.push_back("spend logs not copied (add --spend_logs to copy them)");
  }
  return summary;
}

std::string summary_text(const LitellmImportSummary& summary) {
  std::string text =
      count_line("keys", summary.keys) + count_line("teams", summary.teams) +
      count_line("users", summary.users) + count_line("end users", summary.end_users) +
      count_line("models", summary.models) + count_line("daily spend", summary.daily_spend) +
      count_line("spend logs", summary.spend_logs);
  for (const auto& line : summary.notes) text += "note: " + line + "\n";
  return text;
}

}  // namespace llmux::store
