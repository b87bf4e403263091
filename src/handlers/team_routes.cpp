// /team/new|info|update|delete|list|member_add|member_delete|block|unblock, admin only. A
// team's models, budget (with its window) and limits apply to every key whose team_id names it.
#include "base/ids.hpp"
#include "handlers/admin_request.hpp"
#include "handlers/gateway.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

json::object team_json(const store::TeamRecord& team, const auth::KeyCache* cache) {
  const auto live = cache ? cache->snapshot()->teams.find(team.team_id)
                          : decltype(cache->snapshot()->teams.end()){};
  const bool cached = cache && live != cache->snapshot()->teams.end();
  json::object answer{{"team_id", team.team_id},
                      {"team_alias", optional_json(team.team_alias)},
                      {"spend", cached ? live->second.spend->value() : team.spend}};
  add_budget_and_limits_json(answer, team);
  answer["members_with_roles"] = team.members_with_roles;
  answer["blocked"] = team.blocked;
  answer["created_at"] = iso_time(team.created_at);
  answer["updated_at"] = iso_time(team.updated_at);
  return answer;
}

void apply_team_fields(FieldReader& fields, store::TeamRecord& team, store::Millis now) {
  if (fields.has("team_alias")) team.team_alias = fields.text("team_alias");
  apply_budget_and_limits(fields, team, now);
  if (auto blocked = fields.boolean("blocked")) team.blocked = *blocked;
  if (fields.error()) throw *fields.error();
  team.updated_at = now;
}

// member_add's `member`: one {"user_id", "role"} or a list of them.
std::vector<json::object> members_of(const json::value* member) {
  std::vector<json::object> members;
  auto one = [&](const json::value& item) {
    const auto* object = item.if_object();
    const auto* user = object ? object->if_contains("user_id") : nullptr;
    if (!user || !user->is_string() || user->as_string().empty()) {
      throw make_error(ErrorKind::invalid_request, "Each member needs a user_id.", "member");
    }
    const auto* role = object->if_contains("role");
    const std::string_view role_name =
        role && role->is_string() ? std::string_view(role->as_string()) : "user";
    if (role_name != "user" && role_name != "admin") {
      throw make_error(ErrorKind::invalid_request, "A member's role is 'user' or 'admin'.",
                       "member");
    }
    members.push_back(json::object{{"user_id", user->as_string()}, {"role", role_name}});
  };
  if (member && member->is_array()) {
    for (const auto& item : member->as_array()) one(item);
  } else if (member) {
    one(*member);
  }
  if (members.empty())
    throw make_error(ErrorKind::invalid_request,
                     "Pass a member: {\"user_id\": …, \"role\": \"user\"}.", "member");
  return members;
}

// Removes the member with `user_id`; true when there was one.
bool remove_member(json::array& members, std::string_view user_id) {
  json::array kept;
  for (auto& member : members) {
    const auto* user = member.is_object() ? member.as_object().if_contains("user_id") : nullptr;
    if (!(user && user->is_string() && user->as_string() == user_id))
      kept.push_back(std::move(member));
  }
  const bool removed = kept.size() != members.size();
  members = std::move(kept);
  return removed;
}

Error team_not_found() { return make_error(ErrorKind::not_found, "Team not found.", "team_id"); }

}  // namespace

asio::awaitable<void> Gateway::team_route(server::Exchange& exchange, std::string_view path) {
  store::Service& service = *shared_.store;
  const auth::KeyCache* cache = shared_.authenticator.keys();
  const store::Millis now = store::now_millis();

  if (path == "/team/info" || path == "/team/list") {
    auto query = FieldReader::from_query(exchange.request().target());
    const std::string team_id = query.text("team_id").value_or("");
    if (query.error()) co_return co_await fail(exchange, *query.error());
    if (path == "/team/list") {
      auto listed_work = [](store::Store& store) { return store.all_teams(); };
      auto listed = co_await service.run(std::move(listed_work));
      if (!listed) co_return co_await fail(exchange, listed.error());
      json::array teams;
      for (const auto& team : *listed) teams.push_back(team_json(team, cache));
      std::string answer = json::serialize(teams);
      co_return co_await exchange.respond(200, std::move(answer));
    }
    auto found_work = [&](store::Store& store)
        -> Result<std::pair<store::TeamRecord, std::vector<store::KeyRecord>>> {
      auto team = store.find_team(team_id);
      if (!team) return team_not_found();
      return std::make_pair(std::move(*team),
                            store.list_keys(std::nullopt, team_id, std::nullopt, 1000, 0));
    };
    auto found = co_await service.run(std::move(found_work));
    if (!found) co_return co_await fail(exchange, found.error());
    json::array keys;
    for (const auto& key : found->second) keys.emplace_back(key.token);
    std::string answer = json::serialize(json::object{{"team_id", team_id},
                                                      {"team_info", team_json(found->first, cache)},
                                                      {"keys", std::move(keys)}});
    co_return co_await exchange.respond(200, std::move(answer));
  }

  if (exchange.request().method() != server::http::verb::post) {
    co_return co_await fail(exchange, make_error(ErrorKind::invalid_request,
                                                 "Use POST for " + std::string(path) + "."));
  }
  auto fields = FieldReader::from_body(exchange.request().body());
  if (fields.error()) co_return co_await fail(exchange, *fields.error());

  if (path == "/team/delete") {
    const auto team_ids = fields.strings("team_ids").value_or(std::vector<std::string>{});
    if (fields.error()) co_return co_await fail(exchange, *fields.error());
    auto deleted_work = [&](store::Store& store) {
      json::array gone;
      for (const auto& team_id : team_ids) {
        if (store.delete_team(team_id) > 0) gone.emplace_back(team_id);
      }
      if (!gone.empty()) service.keys_changed();
      return gone;
    };
    auto deleted = co_await service.run(std::move(deleted_work));
    if (!deleted) co_return co_await fail(exchange, deleted.error());
    if (deleted->empty()) co_return co_await fail(exchange, team_not_found());
    std::string answer = json::serialize(json::object{{"deleted_teams", std::move(*deleted)}});
    co_return co_await exchange.respond(200, std::move(answer));
  }

  // The other routes create or change one team and answer with it.
  auto changed_work = [&](store::Store& store) -> Result<store::TeamRecord> {
    try {
      if (path == "/team/new") {
        store::TeamRecord team;
        team.team_id = fields.text("team_id").value_or("");
        if (team.team_id.empty()) team.team_id = make_uuid();
        team.created_at = now;
        apply_team_fields(fields, team, now);
        if (const auto* members = fields.raw("members_with_roles")) {
          for (auto& member : members_of(members))
            team.members_with_roles.push_back(std::move(member));
        }
        if (store.find_team(team.team_id)) {
          return make_error(ErrorKind::invalid_request, "A team with this team_id exists already.",
                            "team_id");
        }
        store.insert_team(team);
        service.keys_changed();
        return *store.find_team(team.team_id);
      }
      const std::string team_id = fields.text("team_id").value_or("");
      if (fields.error()) return *fields.error();
      auto team = store.find_team(team_id);
      if (!team) return team_not_found();
      if (path == "/team/update") {
        apply_team_fields(fields, *team, now);
      } else if (path == "/team/block" || path == "/team/unblock") {
        team->blocked = path == "/team/block";
      } else if (path == "/team/member_add") {
        for (auto& member : members_of(fields.raw("member"))) {
          remove_member(team->members_with_roles,
                        member.at("user_id").as_string());  // a re-add changes the role
          team->members_with_roles.push_back(std::move(member));
        }
      } else if (path == "/team/member_delete") {
        const std::string user_id = fields.text("user_id").value_or("");
        if (fields.error()) return *fields.error();
        if (!remove_member(team->members_with_roles, user_id)) {
          return make_error(ErrorKind::not_found, "No such member in this team.", "user_id");
        }
      } else {
        return make_error(ErrorKind::not_found, "Unknown route: " + std::string(path));
      }
      team->updated_at = now;
      store.update_team(*team);
      service.keys_changed();
      return *store.find_team(team_id);
    } catch (const Error& error) {
      return error;
    }
  };
  auto changed = co_await service.run(std::move(changed_work));
  if (!changed) co_return co_await fail(exchange, changed.error());
  std::string answer = json::serialize(team_json(*changed, cache));
  co_await exchange.respond(200, std::move(answer));
}

}  // namespace llmux::handlers
