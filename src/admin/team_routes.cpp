#include "admin/team_routes.hpp"

#include "admin/answer_json.hpp"
#include "admin/team_rules.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::admin {

namespace json = boost::json;
using verb = server::http::verb;

void TeamRoutes::add_to(server::Routes& routes) {
  const auth::KeyCache* cache = management_.cache();
  auto team_answer = [cache](const store::TeamRecord& team) { return team_json(team, cache); };
  management_.add_own_read(routes, "/team/info", &team_info, [cache](const TeamInfo& info) {
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
