// The daily aggregate tables (migration 0006): written with each spend batch, read by the routes
// that sum spend.
#include "store/store.hpp"

#include "base/utc_time.hpp"

#include <array>
#include <compare>
#include <ctime>
#include <map>

namespace llmux::store {

namespace {

constexpr Millis kDay = 86'400'000;

// The tables, by what each counts; table and column names come from this list only.
using Counted = DailyCounted;
struct DailyTable {
  std::string_view table;
  std::string_view counted_column;
};
constexpr std::array<DailyTable, 4> kDailyTables = {{{"llmux_daily_user_spend", "user_id"},
                                                     {"llmux_daily_team_spend", "team_id"},
                                                     {"llmux_daily_end_user_spend", "end_user_id"},
                                                     {"llmux_daily_tag_spend", "tag"}}};

std::string utc_date_of_day(std::int64_t day) {
  return utc_text(static_cast<std::time_t>(day * (kDay / 1000)), "%Y-%m-%d");
}

std::int64_t day_number(Millis millis) {
  return millis >= 0 ? millis / kDay : (millis - kDay + 1) / kDay;
}

// One row of one table. Views into the batch's events, which outlive the map.
struct DailyRow {
  Counted counted;
  std::string_view id;  // the user, team, end user or tag
  std::int64_t day;
  std::string_view api_key, model_group, model, provider;
  auto operator<=>(const DailyRow&) const = default;
};
struct DailyTotals {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double spend = 0;
  std::int64_t requests = 0;
  std::int64_t successes = 0;
};

std::string upsert_sql(const DailyTable& daily) {
  const std::string table(daily.table), key = std::string(daily.counted_column) +
                                              ", date, api_key, model_group, model, "
                                              "custom_llm_provider";
  std::string sql = "INSERT INTO " + table + " (" + key +
                    ", prompt_tokens, completion_tokens, spend, api_requests, "
                    "successful_requests, failed_requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?) ON CONFLICT (" +
                    key + ") DO UPDATE SET ";
  const char* sums[] = {"prompt_tokens", "completion_tokens",   "spend",
                        "api_requests",  "successful_requests", "failed_requests"};
  for (std::size_t n = 0; n < std::size(sums); ++n) {
    if (n) sql += ", ";
    sql += std::string(sums[n]) + " = " + table + "." + sums[n] + " + excluded." + sums[n];
  }
  return sql;
}

// The first and last UTC dates (inclusive) of calls started in [start, end).
std::pair<std::string, std::string> date_bounds(std::optional<Millis> start,
                                                std::optional<Millis> end) {
  return {start ? utc_date_of_day(day_number(*start)) : std::string("0000-00-00"),
          end ? utc_date_of_day(day_number(*end - 1)) : std::string("9999-99-99")};
}

}  // namespace

void Store::add_daily_spend(const std::vector<SpendEvent>& events) {
  // Summed per row first: a batch of a busy gateway's calls is a few rows per key and model.
  std::map<DailyRow, DailyTotals> rows;
  const auto add = [&rows](Counted counted, std::string_view id, const SpendEvent& event,
                           std::int64_t day) {
    DailyTotals& totals =
        rows[{counted, id, day, event.api_key, event.model_group, event.model, event.provider}];
    totals.prompt_tokens += event.prompt_tokens;
    totals.completion_tokens += event.completion_tokens;
    totals.spend += event.spend;
    ++totals.requests;
    if (event.status == "success") ++totals.successes;
  };
  for (const SpendEvent& event : events) {
    const std::int64_t day = day_number(event.start_time);
    add(Counted::user, event.user_id, event, day);
    add(Counted::team, event.team_id, event, day);
    add(Counted::end_user, event.end_user, event, day);
    for (const auto& tag : event.tags) add(Counted::tag, tag, event, day);
  }
  static const std::array<std::string, 4> upserts = [] {
    std::array<std::string, 4> sql;
    for (std::size_t n = 0; n < sql.size(); ++n) sql[n] = upsert_sql(kDailyTables[n]);
    return sql;
  }();
  std::int64_t day = INT64_MIN;
  std::string date;
  for (const auto& [row, totals] : rows) {
    if (row.day != day) date = utc_date_of_day(day = row.day);
    database_->query(
        upserts[static_cast<std::size_t>(row.counted)],
        {std::string(row.id), date, std::string(row.api_key), std::string(row.model_group),
         std::string(row.model), std::string(row.provider), totals.prompt_tokens,
         totals.completion_tokens, totals.spend, totals.requests, totals.successes,
         totals.requests - totals.successes});
  }
}

double Store::total_spend(std::optional<Millis> start_time, std::optional<Millis> end_time) {
  const auto [first, last] = date_bounds(start_time, end_time);
  return database_
      ->query(
          "SELECT COALESCE(SUM(spend), 0) FROM llmux_daily_user_spend WHERE date >= ? AND "
          "date <= ?",
          {first, last})
      .front()
      .real(0);
}

std::vector<SpendReportRow> Store::spend_report(const std::string& group_by, Millis start_time,
                                                Millis end_time) {
  // Every call has a row in the user table (under its key) and in the team and end-user tables.
  const auto& [table, column] =
      group_by == "api_key"    ? std::pair{"llmux_daily_user_spend", "api_key"}
      : group_by == "customer" ? std::pair{"llmux_daily_end_user_spend", "end_user_id"}
                               : std::pair{"llmux_daily_team_spend", "team_id"};
  const auto [first, last] = date_bounds(start_time, end_time);
  const auto rows = database_->query(
      std::string("SELECT date, ") + column +
          ", model_group, SUM(spend), SUM(prompt_tokens) + SUM(completion_tokens), "
          "SUM(api_requests) FROM " +
          table + " WHERE date >= ? AND date <= ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
      {first, last});
  std::vector<SpendReportRow> report;
  for (const Row& row : rows) {
    report.push_back({.day = row.text(0),
                      .group = row.text(1),
                      .model = row.text(2),
                      .spend = row.real(3),
                      .total_tokens = row.integer(4),
                      .requests = row.integer(5)});
  }
  return report;
}

std::pair<std::vector<DailySpendRow>, std::int64_t> Store::daily_spend(
    const DailySpendQuery& query) {
  const DailyTable& daily =
      kDailyTables[static_cast<std::size_t>(query.teams ? Counted::team : Counted::user)];
  const std::string column(daily.counted_column);
  std::string where = " FROM " + std::string(daily.table) + " WHERE date >= ? AND date <= ?";
  Params params{query.first_date, query.last_date};
  if (!query.ids.empty()) {
    where += " AND " + column + " IN (?";
    for (std::size_t n = 1; n < query.ids.size(); ++n) where += ", ?";
    where += ')';
    params.insert(params.end(), query.ids.begin(), query.ids.end());
  }
  if (query.model) where += " AND model = ?", params.emplace_back(*query.model);
  if (query.api_key) where += " AND api_key = ?", params.emplace_back(*query.api_key);
  const std::int64_t total = database_->query("SELECT COUNT(*)" + where, params).front().integer(0);
  params.emplace_back(query.limit);
  params.emplace_back(query.offset);
  std::vector<DailySpendRow> rows;
  for (const Row& row : database_->query(
           "SELECT " + column +
               ", date, api_key, model_group, model, custom_llm_provider, prompt_tokens, "
               "completion_tokens, spend, api_requests, successful_requests, failed_requests" +
               where + " ORDER BY date DESC, " + column +
               ", api_key, model_group, model, custom_llm_provider LIMIT ? OFFSET ?",
           params)) {
    rows.push_back({.id = row.text(0),
                    .date = row.text(1),
                    .api_key = row.text(2),
                    .model_group = row.text(3),
                    .model = row.text(4),
                    .provider = row.text(5),
                    .prompt_tokens = row.integer(6),
                    .completion_tokens = row.integer(7),
                    .spend = row.real(8),
                    .api_requests = row.integer(9),
                    .successful_requests = row.integer(10),
                    .failed_requests = row.integer(11)});
  }
  return {std::move(rows), total};
}

bool Store::insert_daily_spend(DailyCounted counted, const DailySpendRow& row) {
  const DailyTable& daily = kDailyTables[static_cast<std::size_t>(counted)];
  database_->query("INSERT INTO " + std::string(daily.table) + " (" +
                       std::string(daily.counted_column) +
                       ", date, api_key, model_group, model, custom_llm_provider, prompt_tokens, "
                       "completion_tokens, spend, api_requests, successful_requests, "
                       "failed_requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                       "DO NOTHING",
                   {row.id, row.date, row.api_key, row.model_group, row.model, row.provider,
                    row.prompt_tokens, row.completion_tokens, row.spend, row.api_requests,
                    row.successful_requests, row.failed_requests});
  return database_->changed_rows() > 0;
}

}  // namespace llmux::store
