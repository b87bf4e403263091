// What the gateway keeps in its database — virtual keys, spend and the spend log — as plain
// records, and the operations on them. Written once over store::Database, so SQLite and
// PostgreSQL run the same code. Not thread-safe: one thread (store::Service) owns a Store.
#pragma once

#include "store/database.hpp"
#include "store/durations.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llmux::store {

using Millis = std::int64_t;  // Unix time in milliseconds

// Marks ids of other budget holders among key tokens (reset lists, live spend).
inline const std::string kTeamPrefix = "team:";
inline const std::string kUserPrefix = "user:";
inline const std::string kEndUserPrefix = "end_user:";

Millis now_millis();

struct KeyRecord {
  std::string token;     // SHA-256 of the key, hex
  std::string key_name;  // "sk-...abcd"
  std::optional<std::string> key_alias;
  double spend = 0;
  std::optional<double> max_budget;
  std::optional<double> soft_budget;
  std::optional<std::string> budget_duration;
  std::optional<Millis> budget_reset_at;
  std::optional<Millis> expires;
  std::vector<std::string> models;  // empty: every model
  boost::json::object aliases;      // model alias → model group
  boost::json::object metadata;
  boost::json::object model_max_budget;
  std::vector<std::string> tags;
  std::vector<std::string> allowed_cache_controls;  // empty: any
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  std::optional<std::string> user_id;
  std::optional<std::string> team_id;
  bool blocked = false;
  Millis created_at = 0;
  Millis updated_at = 0;
};

struct TeamRecord {
  std::string team_id;
  std::optional<std::string> team_alias;
  double spend = 0;
  std::optional<double> max_budget;
  std::optional<std::string> budget_duration;
  std::optional<Millis> budget_reset_at;
  std::vector<std::string> models;  // empty: every model
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  boost::json::array members_with_roles;  // [{"user_id": …, "role": "admin"|"user"}]
  boost::json::object metadata;
  bool blocked = false;
  Millis created_at = 0;
  Millis updated_at = 0;
};

struct UserRecord {
  std::string user_id;
  std::optional<std::string> user_email;
  std::string user_role = "internal_user";
  double spend = 0;
  std::optional<double> max_budget;
  std::optional<std::string> budget_duration;
  std::optional<Millis> budget_reset_at;
  std::vector<std::string> models;
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  boost::json::object metadata;
  Millis created_at = 0;
  Millis updated_at = 0;
};

// An end user ("customer"): the `user` of a request body or x-litellm-customer-id.
struct EndUserRecord {
  std::string user_id;
  std::optional<std::string> alias;
  double spend = 0;
  std::optional<double> max_budget;
  std::optional<std::string> budget_duration;
  std::optional<Millis> budget_reset_at;
  bool blocked = false;
  Millis created_at = 0;
};

// One finished model call, as the spend log keeps it.
struct SpendEvent {
  std::string request_id;   // llmux's call id (x-litellm-call-id), or LiteLLM's of an imported row
  std::string response_id;  // the id in the client's answer ("chatcmpl-…"); "" when it had none
  std::string call_type;    // "acompletion", "aembedding", …
  std::string api_key;      // the key's SHA-256; "" for the master key / an open gateway
  double spend = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  Millis start_time = 0;
  Millis end_time = 0;
  std::optional<Millis> completion_start_time;
  std::string model;
  std::string model_group;
  std::string model_id;
  std::string provider;
  std::string user_id;
  std::string team_id;
  std::string end_user;
  std::string status;  // "success" or "failure"
  bool cache_hit = false;
  std::vector<std::string> tags;
  std::string metadata = "{}";          // JSON object text from the request
  std::optional<std::string> messages;  // only with store_prompts_in_spend_logs
  std::optional<std::string> response;
};

struct SpendLogQuery {
  std::optional<std::string> api_key;  // hashed
  std::optional<std::string> user_id;
  std::optional<std::string> team_id;
  std::optional<std::string> request_id;  // the call id or the answer's id (response_id)
  std::optional<std::string> model;       // the model group the client named, or the upstream model
  std::optional<std::string> status;      // "success" or "failure"
  // The rows after this request's row, in the log's order (newest first): a page that costs the
  // same however deep it is, where an offset scans every row before it.
  std::optional<std::string> before_request_id;
  std::optional<Millis> start_time;  // inclusive
  std::optional<Millis> end_time;    // exclusive
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};

struct SpendReportRow {
  std::string day;    // YYYY-MM-DD (UTC)
  std::string group;  // team id, hashed key or end user
  std::string model;
  double spend = 0;
  std::int64_t total_tokens = 0;
  std::int64_t requests = 0;
};

// LiteLLM's /user/daily/activity and /team/daily/activity: rows of the daily user or team table.
struct DailySpendQuery {
  bool teams = false;                  // the team table, else the user table
  std::vector<std::string> ids;        // the users or teams to read; empty: all
  std::string first_date, last_date;   // YYYY-MM-DD, both included
  std::optional<std::string> model;    // the upstream model
  std::optional<std::string> api_key;  // hashed
  std::int64_t limit = 50;             // a page of rows, newest date first
  std::int64_t offset = 0;
};

// The daily aggregate tables, by what each counts.
enum class DailyCounted : std::uint8_t { user, team, end_user, tag };

struct DailySpendRow {
  std::string id;  // the user, team, end user or tag ('' for calls without one)
  std::string date;
  std::string api_key;
  std::string model_group;
  std::string model;
  std::string provider;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double spend = 0;
  std::int64_t api_requests = 0;
  std::int64_t successful_requests = 0;
  std::int64_t failed_requests = 0;
};

// One response of OpenAI's Responses API kept for GET / DELETE /v1/responses/{id} and
// previous_response_id, readable only with the key that made it.
struct StoredResponse {
  std::string response_id;
  std::string api_key;  // the owner: its key's SHA-256, "" for the master key
  Millis created_at = 0;
  Millis expires_at = 0;
  std::string input_items;  // JSON array: the conversation the response answered
  std::string response;     // JSON object: the response as the client had it
};

// A model added through the API (POST /model/new): its LiteLLM params and model_info as the
// client sent them, JSON objects in text.
struct ModelRecord {
  std::string model_id;
  std::string model_name;
  std::string litellm_params;
  std::string model_info;
  Millis created_at = 0;
  Millis updated_at = 0;

  bool operator==(const ModelRecord&) const = default;
};

class Store {
 public:
  explicit Store(std::unique_ptr<Database> database);
  Database& database() { return *database_; }

  // Keys. insert_key fails (DatabaseError) on a duplicate alias.
  void insert_key(const KeyRecord& key);
  // Writes every field but `spend`, which only spend flushes and set_key_spend change.
  void update_key(const KeyRecord& key);
  void set_key_spend(const std::string& token, double spend, std::optional<Millis> budget_reset_at);
  // Replaces a key's token (regenerate), keeping everything else.
  void replace_token(const std::string& old_token, const std::string& new_token,
                     const std::string& key_name);
  std::int64_t delete_key(const std::string& token);
  std::optional<KeyRecord> find_key(const std::string& token);
  std::optional<KeyRecord> find_key_by_alias(const std::string& alias);
  std::vector<KeyRecord> list_keys(const std::optional<std::string>& user_id,
                                   const std::optional<std::string>& team_id,
                                   const std::optional<std::string>& key_alias, std::int64_t limit,
                                   std::int64_t offset);
  std::int64_t count_keys(const std::optional<std::string>& user_id,
                          const std::optional<std::string>& team_id,
                          const std::optional<std::string>& key_alias);
  std::vector<KeyRecord> all_keys();
  bool has_due_budgets(Millis now);
  // Keys, teams, users and end users whose budget window has ended at `now`: spend back to 0,
  // next window scheduled. Returns the keys' tokens and the others' ids with their prefix.
  std::vector<std::string> reset_due_budgets(Millis now);

  // Teams. update_team writes every field but `spend`.
  void insert_team(const TeamRecord& team);
  void update_team(const TeamRecord& team);
  std::int64_t delete_team(const std::string& team_id);
  std::optional<TeamRecord> find_team(const std::string& team_id);
  std::vector<TeamRecord> all_teams();

  // Users. update_user writes every field but `spend`.
  void insert_user(const UserRecord& user);
  void update_user(const UserRecord& user);
  std::int64_t delete_user(const std::string& user_id);
  std::optional<UserRecord> find_user(const std::string& user_id);
  std::vector<UserRecord> all_users();

  // End users. save_end_user inserts or replaces every field but `spend`.
  void save_end_user(const EndUserRecord& end_user);
  void set_end_user_spend(const std::string& user_id, double spend);
  std::int64_t delete_end_user(const std::string& user_id);
  std::optional<EndUserRecord> find_end_user(const std::string& user_id);
  // Only those with a budget or blocked: the rest need no check on the request path.
  std::vector<EndUserRecord> limited_end_users();
  std::vector<EndUserRecord> all_end_users();

  // Spend: one transaction per batch. A batch id seen before is skipped (its first COMMIT
  // landed even if the answer to it was lost), so a retried batch is never counted twice.
  // Returns false when the batch had already been written. The calls go to the spend log, the
  // daily aggregates and the totals of keys, users, teams, end users and tags; without spend-log
  // rows (keep_spend_log_rows(false): disable_spend_logs) to the aggregates and totals only.
  bool write_spend(const std::string& batch_id, const std::vector<SpendEvent>& events);
  void keep_spend_log_rows(bool keep) { spend_log_rows_ = keep; }
  // Deletes the spend-log rows of calls started before `cutoff`, a few thousand per statement
  // (each its own transaction, so writers wait for one batch at most). Returns how many.
  std::int64_t delete_spend_logs_before(Millis cutoff);
  // Spend-log rows, no totals changed (rows copied from elsewhere, whose totals came with their
  // keys, teams and users), and their daily aggregates unless the aggregates are copied too.
  enum class DailyAggregates { add, leave };
  void insert_spend_logs(const std::vector<SpendEvent>& events,
                         DailyAggregates daily = DailyAggregates::add);
  bool has_spend_log(const std::string& request_id);
  std::vector<SpendEvent> spend_logs(const SpendLogQuery& query);
  // The sums below read the daily aggregates (store/daily_spend.cpp), not the log: they count
  // calls whose log rows the retention deleted, or that had none (disable_spend_logs). A range
  // counts the whole UTC days its calls may have started in.
  double total_spend(std::optional<Millis> start_time, std::optional<Millis> end_time);
  // A key's spend per model group in calls started at or after `since` (seeds model budgets).
  std::vector<std::pair<std::string, double>> key_spend_by_model_group(const std::string& token,
                                                                       Millis since);
  // group_by: "team", "api_key" or "customer".
  std::vector<SpendReportRow> spend_report(const std::string& group_by, Millis start_time,
                                           Millis end_time);

  // A page of the query's rows, and how many rows it has in all.
  std::pair<std::vector<DailySpendRow>, std::int64_t> daily_spend(const DailySpendQuery& query);
  // A daily aggregate row copied from elsewhere (import-litellm). False when the table has a
  // row under the same key (id, date, key, model group, model, provider): that one is left as
  // it is.
  bool insert_daily_spend(DailyCounted counted, const DailySpendRow& row);

  // Stored responses (store/responses.cpp). Saving first removes the rows expired at `now`, so
  // the table holds what the retention allows and little more.
  void save_response(const StoredResponse& response, Millis now);
  // Only the owner's, and only before it expired.
  std::optional<StoredResponse> find_response(const std::string& response_id,
                                              const std::string& api_key, Millis now);
  bool delete_response(const std::string& response_id, const std::string& api_key);

  // Models added through the API (store/models.cpp), oldest first. insert_model fails
  // (DatabaseError) on an id that is taken; update_model and delete_model say whether the id was
  // there.
  std::vector<ModelRecord> all_models();
  std::optional<ModelRecord> find_model(const std::string& model_id);
  void insert_model(const ModelRecord& model);
  bool update_model(const ModelRecord& model);
  bool delete_model(const std::string& model_id);

 private:
  // Adds a batch's calls to the daily aggregate tables (in the caller's transaction).
  void add_daily_spend(const std::vector<SpendEvent>& events);

  std::unique_ptr<Database> database_;
  bool spend_log_rows_ = true;
};

}  // namespace llmux::store
