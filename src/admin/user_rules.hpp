// The rules of users (/user/*) and end users (/customer/*): ids used once, the roles a user may
// have, the fields each takes. Each takes the request's fields (`body`: a JSON body, or a query
// for reads) and the store, and returns values (admin/rules.hpp).
#pragma once

#include "admin/fields.hpp"
#include "admin/key_rules.hpp"
#include "admin/rules.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmux::admin {

struct UserInfo {
  store::UserRecord user;
  std::vector<store::KeyRecord> keys;    // the user's keys (the first 1,000)
  std::vector<store::TeamRecord> teams;  // the teams the user is a member of
};
// /user/info?user_id=…; 404 when there is no such user. The master key reads any user; a virtual
// key its own user, which it need not name (else LiteLLM's 403).
Result<UserInfo> user_info(store::Store& store, FieldReader& query, const auth::Caller& caller);

struct NewUser {
  store::UserRecord user;
  std::optional<IssuedKey> key;
};
// /user/new: user_id (a new UUID when absent) must not exist yet. Unless auto_create_key is
// false, the user gets a key, as LiteLLM's: the user's, for the user's models, with the body's
// key_alias, duration and aliases (its budget and limits are the user's).
Result<Changed<NewUser>> create_user(store::Store& store, FieldReader& body, store::Millis now);
// /user/update: the body's fields (null clears a field) on the user its user_id names.
Result<Changed<store::UserRecord>> update_user(store::Store& store, FieldReader& body,
                                               store::Millis now);
// /user/delete: user_ids; answers those deleted, 404 when none was.
Result<Changed<std::vector<std::string>>> delete_users(store::Store& store, FieldReader& body);

// /customer/info?end_user_id=…; 404 when there is no such end user.
Result<store::EndUserRecord> end_user_info(store::Store& store, FieldReader& query);
// /customer/new: user_id is required and must not exist yet.
Result<Changed<store::EndUserRecord>> create_end_user(store::Store& store, FieldReader& body,
                                                      store::Millis now);
// /customer/update: the body's fields on the end user its user_id names.
Result<Changed<store::EndUserRecord>> update_end_user(store::Store& store, FieldReader& body,
                                                      store::Millis now);
// /customer/block, /customer/unblock.
Result<Changed<store::EndUserRecord>> set_end_user_blocked(store::Store& store, FieldReader& body,
                                                           bool blocked);
// /customer/delete: user_ids; answers those deleted, 404 when none was.
Result<Changed<std::vector<std::string>>> delete_end_users(store::Store& store, FieldReader& body);

}  // namespace llmux::admin
