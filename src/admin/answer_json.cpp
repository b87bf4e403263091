#include "admin/answer_json.hpp"

#include "base/utc_time.hpp"

#include <cstdio>
#include <ctime>

namespace llmux::admin {

namespace json = boost::json;

json::array strings_json(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return array;
}

json::value iso_time(std::optional<store::Millis> millis) {
  if (!millis) return nullptr;
  std::string text = utc_text(static_cast<std::time_t>(*millis / 1000), "%Y-%m-%dT%H:%M:%S");
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(*millis % 1000));
  return json::string(text + fraction);
}

namespace {

double live_spend(const store::TeamRecord& team, const auth::KeyCache* cache) {
  if (!cache) return team.spend;
  const auto snapshot = cache->snapshot();
  const auto live = snapshot->teams.find(team.team_id);
  return live == snapshot->teams.end() ? team.spend : live->second.spend->value();
}

}  // namespace

json::object team_json(const store::TeamRecord& team, const auth::KeyCache* cache) {
  json::object answer{{"team_id", team.team_id},
                      {"team_alias", optional_json(team.team_alias)},
                      {"spend", live_spend(team, cache)}};
  add_budget_and_limits_json(answer, team);
  answer["members_with_roles"] = team.members_with_roles;
  answer["blocked"] = team.blocked;
  answer["created_at"] = iso_time(team.created_at);
  answer["updated_at"] = iso_time(team.updated_at);
  return answer;
}

}  // namespace llmux::admin
