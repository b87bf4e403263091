#include "admin/spend_routes.hpp"

#include "admin/answer_json.hpp"
#include "admin/daily_activity.hpp"
#include "admin/key_rules.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

namespace llmux::admin {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

constexpr std::int64_t kMaxPageSize = 1000;

json::value json_or_text(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  boost::system::error_code ec;
  json::value parsed = json::parse(*text, ec);
  return ec ? json::value(*text) : parsed;
}

json::object spend_log_json(const store::SpendEvent& event) {
  json::array tags;
  for (const auto& tag : event.tags) tags.emplace_back(tag);
  auto or_null = [](const std::string& text) {
    return text.empty() ? json::value(nullptr) : json::value(text);
  };
  return {{"request_id", event.request_id},
          {"response_id", or_null(event.response_id)},  // llmux's own: the answer's id
          {"call_type", event.call_type},
          {"api_key", event.api_key},
          {"spend", event.spend},
          {"total_tokens", event.prompt_tokens + event.completion_tokens},
          {"prompt_tokens", event.prompt_tokens},
          {"completion_tokens", event.completion_tokens},
          {"startTime", iso_time(event.start_time)},
          {"endTime", iso_time(event.end_time)},
          {"completionStartTime", iso_time(event.completion_start_time)},
          {"model", event.model},
          {"model_id", event.model_id},
          {"model_group", event.model_group},
          {"custom_llm_provider", event.provider},
          {"user", or_null(event.user_id)},
          {"team_id", or_null(event.team_id)},
          {"end_user", or_null(event.end_user)},
          {"status", event.status},
          {"cache_hit", event.cache_hit ? "True" : "False"},
          {"request_tags", std::move(tags)},
          {"metadata", json_or_text(event.metadata)},
          {"messages", json_or_text(event.messages)},
          {"response", json_or_text(event.response)}};
}

// start_date / end_date as LiteLLM takes them; an end date without a time means the whole day.
Result<std::pair<std::optional<store::Millis>, std::optional<store::Millis>>> date_range(
    FieldReader& query) {
  std::optional<store::Millis> start, end;
  if (auto text = query.text("start_date")) {
    start = parse_time(*text);
    if (!start)
      return make_error(ErrorKind::invalid_request, "start_date must be YYYY-MM-DD or ISO-8601.",
                        "start_date");
  }
  if (auto text = query.text("end_date")) {
    end = parse_time(*text);
    if (!end)
      return make_error(ErrorKind::invalid_request, "end_date must be YYYY-MM-DD or ISO-8601.",
                        "end_date");
    if (text->size() == 10) *end += 86'400'000;
  }
  return std::make_pair(start, end);
}

// The report as LiteLLM shapes it: per day, per group (team, customer or api_key), its total and
// its spend per model.
json::array report_json(const std::vector<store::SpendReportRow>& rows,
                        const std::string& group_by) {
  // day → group → models, in the order the query sorted them.
  std::map<std::string, std::map<std::string, std::pair<double, json::array>>> days;
  for (const auto& row : rows) {
    auto& [total, models] = days[row.day][row.group];
    total += row.spend;
    models.push_back(json::object{{"model", row.model},
                                  {"spend", row.spend},
                                  {"total_tokens", row.total_tokens},
                                  {"api_requests", row.requests}});
  }
  const std::string_view list_name = group_by == "team"       ? "teams"
                                     : group_by == "customer" ? "customers"
                                                              : "api_keys";
  const std::string_view name_field = group_by == "team"       ? "team_name"
                                      : group_by == "customer" ? "customer"
                                                               : "api_key";
  json::array report;
  for (auto& [day, groups] : days) {
    json::array entries;
    for (auto& [group, totals] : groups) {
      entries.push_back(
          json::object{{name_field, group.empty() ? json::value(nullptr) : json::value(group)},
                       {"total_spend", totals.first},
                       {"metadata", std::move(totals.second)}});
    }
    report.push_back(json::object{{"group_by_day", day}, {list_name, std::move(entries)}});
  }
  return report;
}

}  // namespace

void SpendRoutes::add_to(server::Routes& routes) {
  management_.add(routes, verb::get, "/spend/logs", Access::admin,
                  [this](Admitted request) { return logs(request); });
  management_.add(routes, verb::get, "/global/spend", Access::admin,
                  [this](Admitted request) { return total(request); });
  management_.add(routes, verb::get, "/global/spend/report", Access::admin,
                  [this](Admitted request) { return report(request); });
  const auto activity_of = [](bool teams) {
    return [teams](store::Store& store, FieldReader& query) {
      return daily_activity(store, query, teams);
    };
  };
  management_.add_read(routes, "/user/daily/activity", activity_of(false), &daily_activity_json);
  management_.add_read(routes, "/team/daily/activity", activity_of(true), &daily_activity_json);
}

asio::awaitable<void> SpendRoutes::logs(Admitted request) {
  auto query = FieldReader::from_query(request.exchange.request().target());
  auto range = date_range(query);
  if (!range) co_return co_await fail(request.exchange, range.error());
  store::SpendLogQuery filter{.user_id = query.text("user_id"),
                              .team_id = query.text("team_id"),
                              .request_id = query.text("request_id"),
                              .model = query.text("model"),
                              .status = query.text("status"),
                              .before_request_id = query.text("before_request_id"),
                              .start_time = range->first,
                              .end_time = range->second};
  if (auto key = query.text("api_key")) filter.api_key = token_of(*key);
  const auto page = std::max<std::int64_t>(1, query.integer("page").value_or(1));
  filter.limit =
      std::clamp<std::int64_t>(query.integer("page_size").value_or(100), 1, kMaxPageSize);
  filter.offset = (page - 1) * filter.limit;
  if (query.error()) co_return co_await fail(request.exchange, *query.error());
  // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
  auto work = [&](store::Store& store) { return store.spend_logs(filter); };
  auto found = co_await management_.read(std::move(work));
  if (!found) co_return co_await fail(request.exchange, found.error());
  json::array rows;
  for (const auto& event : *found) rows.push_back(spend_log_json(event));
  std::string answer = json::serialize(rows);
  co_await request.exchange.respond(200, std::move(answer));
}

// A query that does not parse sets no date: the total of all time.
asio::awaitable<void> SpendRoutes::total(Admitted request) {
  auto query = FieldReader::from_query(request.exchange.request().target());
  auto range = date_range(query);
  if (!range) co_return co_await fail(request.exchange, range.error());
  auto work = [&](store::Store& store) { return store.total_spend(range->first, range->second); };
  auto total = co_await management_.read(std::move(work));
  if (!total) co_return co_await fail(request.exchange, total.error());
  std::string answer = json::serialize(json::object{{"spend", *total}, {"max_budget", 0}});
  co_await request.exchange.respond(200, std::move(answer));
}

asio::awaitable<void> SpendRoutes::report(Admitted request) {
  auto query = FieldReader::from_query(request.exchange.request().target());
  auto range = date_range(query);
  if (!range) co_return co_await fail(request.exchange, range.error());
  const std::string group_by = query.text("group_by").value_or("team");
  if (group_by != "team" && group_by != "customer" && group_by != "api_key") {
    co_return co_await fail(request.exchange,
                            make_error(ErrorKind::invalid_request,
                                       "group_by must be team, customer or api_key.", "group_by"));
  }
  if (query.error()) co_return co_await fail(request.exchange, *query.error());
  const store::Millis end = range->second.value_or(store::now_millis() + 1);
  const store::Millis start = range->first.value_or(end - 30 * 86'400'000LL);
  auto work = [&](store::Store& store) { return store.spend_report(group_by, start, end); };
  auto rows = co_await management_.read(std::move(work));
  if (!rows) co_return co_await fail(request.exchange, rows.error());
  std::string answer = json::serialize(report_json(*rows, group_by));
  co_await request.exchange.respond(200, std::move(answer));
}

}  // namespace llmux::admin
