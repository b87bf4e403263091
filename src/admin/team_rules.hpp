// The rules of teams (/team/*): the fields a team takes, a team_id used once, members and their
// roles. Each takes the request's fields (`body`: a JSON body, or a query for reads) and the
// store, and returns values (admin/rules.hpp).
#pragma once

#include "admin/fields.hpp"
#include "admin/rules.hpp"
#include "auth/authenticator.hpp"
#include "store/store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace llmux::admin {

struct TeamInfo {
  store::TeamRecord team;
  std::vector<store::KeyRecord> keys;  // the team's keys (the first 1,000)
};
// /team/info?team_id=…; 404 when there is no such team. The master key reads any team; a
// virtual key the team it is a key of, or a team its user is a member of (else LiteLLM's 403).
Result<TeamInfo> team_info(store::Store& store, FieldReader& query, const auth::Caller& caller);

// Whether `user_id` is one of the team's members_with_roles.
bool has_member(const store::TeamRecord& team, std::string_view user_id);

// /team/new: the team its body describes (members in members_with_roles); its team_id (a new
// UUID when absent) must not exist yet.
Result<Changed<store::TeamRecord>> create_team(store::Store& store, FieldReader& body,
                                               store::Millis now);

// /team/update: the body's fields on the team its team_id names (null clears a field).
Result<Changed<store::TeamRecord>> update_team(store::Store& store, FieldReader& body,
                                               store::Millis now);
// /team/block, /team/unblock.
Result<Changed<store::TeamRecord>> set_team_blocked(store::Store& store, FieldReader& body,
                                                    bool blocked, store::Millis now);
// /team/member_add: `member`, one {"user_id", "role"} or a list of them (role "user" or
// "admin", "user" when absent); a member added again takes the new role.
Result<Changed<store::TeamRecord>> add_team_members(store::Store& store, FieldReader& body,
                                                    store::Millis now);
// /team/member_delete: the member `user_id`; 404 when the team has no such member.
Result<Changed<store::TeamRecord>> remove_team_member(store::Store& store, FieldReader& body,
                                                      store::Millis now);
// /team/delete: team_ids; answers those deleted, 404 when none was.
Result<Changed<std::vector<std::string>>> delete_teams(store::Store& store, FieldReader& body);

}  // namespace llmux::admin
