#include "admin/team_routes.hpp"

#include "admin/answer_json.hpp"
#include "admin/team_rules.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::admin {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

// The team's spend as the gateway knows it now (the cache's live value is ahead of the database
// until the next flush).
double live_spend(const store::TeamRecord& team, const auth::KeyCache* cache) {
  if (!cache) return team.spend;
  const auto snapshot = cache->snapshot();
  const auto live = snapshot->teams.find(team.team_id);
  return live == snapshot->teams.end() ? team.spend : live->second.spend->value();
}

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

}  // namespace

void TeamRoutes::add_to(server::Routes& routes) {
  const auth::KeyCache* cache = management_.cache();
  auto team_answer = [cache](const store::TeamRecord& team) { return team_json(team, cache); };
  management_.add_read(routes, "/team/info", &team_info, [cache](const TeamInfo& info) {
    json::array keys;
    for (const auto& key : info.keys) keys.emplace_back(key.token);
    return json::object{{"team_id", info.team.team_id},
                        {"team_info", team_json(info.team, cache)},
                        {"keys", std::move(keys)}};
  });
  management_.add_read(
      routes, "/team/list", [](store::Store& store, FieldReader&) { return store.all_teams(); },
      [cache](const std::vector<store::TeamRecord>& teams) {
        json::array answer;
        for (const auto& team : teams) answer.push_back(team_json(team, cache));
        return answer;
      });
  management_.add_change(routes, "/team/new", &create_team, team_answer);
  management_.add_change(routes, "/team/update", &update_team, team_answer);
  management_.add_change(routes, "/team/member_add", &add_team_members, team_answer);
  management_.add_change(routes, "/team/member_delete", &remove_team_member, team_answer);
  management_.add_change(
      routes, "/team/block",
      [](store::Store& store, FieldReader& body, store::Millis now) {
        return set_team_blocked(store, body, true, now);
      },
      team_answer);
  management_.add_change(
      routes, "/team/unblock",
      [](store::Store& store, FieldReader& body, store::Millis now) {
        return set_team_blocked(store, body, false, now);
      },
      team_answer);
  management_.add_change(
      routes, "/team/delete",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return delete_teams(store, body);
      },
      [](const std::vector<std::string>& deleted) {
        return json::object{{"deleted_teams", strings_json(deleted)}};
      });
}

}  // namespace llmux::admin
