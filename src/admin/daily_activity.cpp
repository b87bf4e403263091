#include "admin/daily_activity.hpp"

#include "admin/key_rules.hpp"

#include <boost/json/array.hpp>

#include <functional>
#include <tuple>

namespace llmux::admin {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxPageSize = 1000;

// LiteLLM's SpendMetrics; llmux does not count cache tokens per day (always 0).
struct Metrics {
  double spend = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t api_requests = 0;
  std::int64_t successful_requests = 0;
  std::int64_t failed_requests = 0;

  void add(const store::DailySpendRow& row) {
    spend += row.spend;
    prompt_tokens += row.prompt_tokens;
    completion_tokens += row.completion_tokens;
    api_requests += row.api_requests;
    successful_requests += row.successful_requests;
    failed_requests += row.failed_requests;
  }
  json::object to_json() const {
    return {{"spend", spend},
            {"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"cache_read_input_tokens", 0},
            {"cache_creation_input_tokens", 0},
            {"total_tokens", prompt_tokens + completion_tokens},
            {"successful_requests", successful_requests},
            {"failed_requests", failed_requests},
            {"api_requests", api_requests}};
  }
};

struct Day {
  Metrics metrics;
  std::map<std::string, Metrics> models, model_groups, providers, api_keys, entities;
};

Result<std::string> required_date(FieldReader& query, std::string_view name) {
  const auto text = query.text(name);
  if (!text) {
    return make_error(ErrorKind::invalid_request, "Please provide start_date and end_date",
                      std::string(name));
  }
  if (text->size() != 10 || !parse_time(*text)) {
    return make_error(ErrorKind::invalid_request, std::string(name) + " must be YYYY-MM-DD.",
                      std::string(name));
  }
  return *text;
}

Result<std::int64_t> bounded(FieldReader& query, std::string_view name, std::int64_t fallback,
                             std::int64_t most) {
  const std::int64_t value = query.integer(name).value_or(fallback);
  if (value < 1 || value > most) {
    return make_error(ErrorKind::invalid_request,
                      std::string(name) + " must be between 1 and " + std::to_string(most) + ".",
                      std::string(name));
  }
  return value;
}

std::vector<std::string> comma_separated(const std::string& text) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

json::object breakdown_json(const std::map<std::string, Metrics>& items,
                            const std::function<json::object(const std::string&)>& metadata) {
  json::object out;
  for (const auto& [name, metrics] : items) {
    out[name] = json::object{{"metrics", metrics.to_json()}, {"metadata", metadata(name)}};
  }
  return out;
}

}  // namespace

Result<DailyActivity> daily_activity(store::Store& store, FieldReader& query, bool teams) {
  auto first = required_date(query, "start_date");
  if (!first) return first.error();
  auto last = required_date(query, "end_date");
  if (!last) return last.error();
  auto page = bounded(query, "page", 1, INT32_MAX);
  if (!page) return page.error();
  auto page_size = bounded(query, "page_size", 50, kMaxPageSize);
  if (!page_size) return page_size.error();
  store::DailySpendQuery filter{.teams = teams,
                                .first_date = *first,
                                .last_date = *last,
                                .model = query.text("model"),
                                .limit = *page_size,
                                .offset = (*page - 1) * *page_size};
  if (auto key = query.text("api_key")) filter.api_key = token_of(*key);
  if (teams) {
    if (auto ids = query.text("team_ids")) filter.ids = comma_separated(*ids);
  } else if (auto user = query.text("user_id")) {
    filter.ids = {*user};
  }
  if (query.error()) return *query.error();

  DailyActivity activity{.teams = teams, .page = *page, .page_size = *page_size};
  std::tie(activity.rows, activity.total_rows) = store.daily_spend(filter);
  for (const auto& row : activity.rows) {
    if (!row.api_key.empty() && !activity.keys.contains(row.api_key)) {
      const auto key = store.find_key(row.api_key);
      activity.keys[row.api_key] =
          key ? DailyActivity::KeyFacts{key->key_alias, key->team_id} : DailyActivity::KeyFacts{};
    }
    if (teams && !row.id.empty() && !activity.team_aliases.contains(row.id)) {
      const auto team = store.find_team(row.id);
      activity.team_aliases[row.id] = team ? team->team_alias : std::nullopt;
    }
  }
  return activity;
}

json::object daily_activity_json(const DailyActivity& activity) {
  std::map<std::string, Day, std::greater<>> days;  // newest first, as the page's rows
  Metrics totals;
  for (const auto& row : activity.rows) {
    Day& day = days[row.date];
    day.metrics.add(row);
    day.models[row.model].add(row);
    day.model_groups[row.model_group.empty() ? row.model : row.model_group].add(row);
    day.providers[row.provider.empty() ? "unknown" : row.provider].add(row);
    day.api_keys[row.api_key].add(row);
    if (!row.id.empty()) day.entities[row.id].add(row);
    totals.add(row);
  }
  const auto no_metadata = [](const std::string&) { return json::object{}; };
  const auto key_metadata = [&](const std::string& api_key) {
    const auto found = activity.keys.find(api_key);
    const auto facts = found == activity.keys.end() ? DailyActivity::KeyFacts{} : found->second;
    return json::object{{"key_alias", facts.key_alias ? json::value(*facts.key_alias) : nullptr},
                        {"team_id", facts.team_id ? json::value(*facts.team_id) : nullptr}};
  };
  const auto entity_metadata = [&](const std::string& id) {
    if (!activity.teams) return json::object{};
    const auto found = activity.team_aliases.find(id);
    const bool known = found != activity.team_aliases.end() && found->second;
    return json::object{{"team_alias", known ? json::value(*found->second) : nullptr}};
  };
  json::array results;
  for (const auto& [date, day] : days) {
    results.push_back(json::object{
        {"date", date},
        {"metrics", day.metrics.to_json()},
        {"breakdown", json::object{{"models", breakdown_json(day.models, no_metadata)},
                                   {"model_groups", breakdown_json(day.model_groups, no_metadata)},
                                   {"providers", breakdown_json(day.providers, no_metadata)},
                                   {"api_keys", breakdown_json(day.api_keys, key_metadata)},
                                   {"entities", breakdown_json(day.entities, entity_metadata)}}}});
  }
  const std::int64_t total_pages =
      (activity.total_rows + activity.page_size - 1) / activity.page_size;
  return {{"results", std::move(results)},
          {"metadata",
           json::object{{"total_spend", totals.spend},
                        {"total_prompt_tokens", totals.prompt_tokens},
                        {"total_completion_tokens", totals.completion_tokens},
                        {"total_tokens", totals.prompt_tokens + totals.completion_tokens},
                        {"total_api_requests", totals.api_requests},
                        {"total_successful_requests", totals.successful_requests},
                        {"total_failed_requests", totals.failed_requests},
                        {"total_cache_read_input_tokens", 0},
                        {"total_cache_creation_input_tokens", 0},
                        {"page", activity.page},
                        {"total_pages", total_pages},
                        {"has_more", activity.page * activity.page_size < activity.total_rows}}}};
}

}  // namespace llmux::admin
