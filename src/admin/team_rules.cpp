#include "admin/team_rules.hpp"

#include "base/ids.hpp"

#include <algorithm>

namespace llmux::admin {

namespace json = boost::json;

namespace {

Error team_not_found() { return not_found("Team", "team_id"); }

Result<store::TeamRecord> named_team(store::Store& store, FieldReader& body) {
  const std::string team_id = body.text("team_id").value_or("");
  if (body.error()) return *body.error();
  auto team = store.find_team(team_id);
  if (!team) return team_not_found();
  return std::move(*team);
}

Changed<store::TeamRecord> save(store::Store& store, store::TeamRecord& team, store::Millis now) {
  team.updated_at = now;
  store.update_team(team);
  return {*store.find_team(team.team_id)};
}

Result<void> apply_team_fields(FieldReader& body, store::TeamRecord& team, store::Millis now) {
  if (body.has("team_alias")) team.team_alias = body.text("team_alias");
  apply_budget_and_limits(body, team, now);
  if (auto blocked = body.boolean("blocked")) team.blocked = *blocked;
  if (body.error()) return *body.error();
  team.updated_at = now;
  return {};
}

// One {"user_id", "role"} or a list of them, as sent; at least one.
Result<std::vector<json::object>> members_of(const json::value* member) {
  std::vector<json::object> members;
  auto one = [&](const json::value& item) -> Result<void> {
    const auto* object = item.if_object();
    const auto* user = object ? object->if_contains("user_id") : nullptr;
    if (!user || !user->is_string() || user->as_string().empty())
      return make_error(ErrorKind::invalid_request, "Each member needs a user_id.", "member");
    const auto* role = object->if_contains("role");
    const std::string_view role_name =
        role && role->is_string() ? std::string_view(role->as_string()) : "user";
    if (role_name != "user" && role_name != "admin") {
      return make_error(ErrorKind::invalid_request, "A member's role is 'user' or 'admin'.",
                        "member");
    }
    members.push_back(json::object{{"user_id", user->as_string()}, {"role", role_name}});
    return {};
  };
  if (member && member->is_array()) {
    for (const auto& item : member->as_array()) {
      if (auto added = one(item); !added) return added.error();
    }
  } else if (member) {
    if (auto added = one(*member); !added) return added.error();
  }
  if (members.empty()) {
    return make_error(ErrorKind::invalid_request,
                      "Pass a member: {\"user_id\": …, \"role\": \"user\"}.", "member");
  }
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

}  // namespace

bool has_member(const store::TeamRecord& team, std::string_view user_id) {
  return std::any_of(team.members_with_roles.begin(), team.members_with_roles.end(),
                     [&](const json::value& member) {
                       const auto* object = member.if_object();
                       const auto* id = object ? object->if_contains("user_id") : nullptr;
                       return id && id->is_string() && id->as_string() == user_id;
                     });
}

Result<TeamInfo> team_info(store::Store& store, FieldReader& query, const auth::Caller& caller) {
  auto team = named_team(store, query);
  if (!team) return team.error();
  if (!caller.admin && caller.key->team_id != team->team_id &&
      (caller.key->user_id.empty() || !has_member(*team, caller.key->user_id))) {
    const std::string user = caller.key->user_id.empty() ? "None" : caller.key->user_id;
    return not_yours("User=" + user + " not authorized to access this team=" + team->team_id);
  }
  auto keys = store.list_keys(std::nullopt, team->team_id, std::nullopt, 1000, 0);
  return TeamInfo{.team = std::move(*team), .keys = std::move(keys)};
}

Result<Changed<store::TeamRecord>> create_team(store::Store& store, FieldReader& body,
                                               store::Millis now) {
  store::TeamRecord team;
  team.team_id = body.text("team_id").value_or("");
  if (team.team_id.empty()) team.team_id = make_uuid();
  team.created_at = now;
  if (auto applied = apply_team_fields(body, team, now); !applied) return applied.error();
  if (const auto* listed = body.raw("members_with_roles")) {
    auto members = members_of(listed);
    if (!members) return members.error();
    for (auto& member : *members) team.members_with_roles.push_back(std::move(member));
  }
  if (store.find_team(team.team_id)) {
    return make_error(ErrorKind::invalid_request, "A team with this team_id exists already.",
                      "team_id");
  }
  store.insert_team(team);
  return Changed<store::TeamRecord>{*store.find_team(team.team_id)};
}

Result<Changed<store::TeamRecord>> update_team(store::Store& store, FieldReader& body,
                                               store::Millis now) {
  auto team = named_team(store, body);
  if (!team) return team.error();
  if (auto applied = apply_team_fields(body, *team, now); !applied) return applied.error();
  return save(store, *team, now);
}

Result<Changed<store::TeamRecord>> set_team_blocked(store::Store& store, FieldReader& body,
                                                    bool blocked, store::Millis now) {
  auto team = named_team(store, body);
  if (!team) return team.error();
  team->blocked = blocked;
  return save(store, *team, now);
}

Result<Changed<store::TeamRecord>> add_team_members(store::Store& store, FieldReader& body,
                                                    store::Millis now) {
  auto team = named_team(store, body);
  if (!team) return team.error();
  auto members = members_of(body.raw("member"));
  if (!members) return members.error();
  for (auto& member : *members) {
    remove_member(team->members_with_roles, member.at("user_id").as_string());
    team->members_with_roles.push_back(std::move(member));
  }
  return save(store, *team, now);
}

Result<Changed<store::TeamRecord>> remove_team_member(store::Store& store, FieldReader& body,
                                                      store::Millis now) {
  auto team = named_team(store, body);
  if (!team) return team.error();
  const std::string user_id = body.text("user_id").value_or("");
  if (body.error()) return *body.error();
  if (!remove_member(team->members_with_roles, user_id))
    return make_error(ErrorKind::not_found, "No such member in this team.", "user_id");
  return save(store, *team, now);
}

Result<Changed<std::vector<std::string>>> delete_teams(store::Store& store, FieldReader& body) {
  const auto team_ids = body.strings("team_ids").value_or(std::vector<std::string>{});
  if (body.error()) return *body.error();
  std::vector<std::string> gone;
  for (const auto& team_id : team_ids) {
    if (store.delete_team(team_id) > 0) gone.push_back(team_id);
  }
  if (gone.empty()) return team_not_found();
  return Changed<std::vector<std::string>>{std::move(gone)};
}

}  // namespace llmux::admin
