// The rules of virtual keys (/key/*): who may read which key, the fields a key takes, unique
// aliases, a new secret in one transaction. Values in, values out (admin/rules.hpp).
#pragma once

#include "admin/fields.hpp"
#include "admin/rules.hpp"
#include "auth/authenticator.hpp"
#include "auth/key_cache.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::admin {

// A key named in a request: the key itself, or its SHA-256 as /key/list shows it.
std::string token_of(std::string_view key);

// The key's spend as the gateway knows it now: the key cache's live value is ahead of the
// database until the next flush. Without a cache (nullptr), the database's.
double live_spend(const store::KeyRecord& key, const auth::KeyCache* cache);

// /key/info: the key the caller may read, as named (the key or its token). The master key reads
// any key it names; a virtual key only itself, which it need not name (then: its token), and
// another key is LiteLLM's 403.
Result<std::string> key_to_read(const auth::Caller& caller, std::string named);

// The key with this token; 404 when there is none.
Result<store::KeyRecord> find_key(store::Store& store, const std::string& token);

// A key and its secret, shown this once (/key/generate, /key/regenerate).
struct IssuedKey {
  store::KeyRecord record;
  std::string secret;
};

// /key/generate: the key its body describes. The secret is the body's `key` ("sk-…", at least 8
// characters) or a random one; the key's alias and token must not exist yet.
Result<Changed<IssuedKey>> generate_key(store::Store& store, FieldReader& body, store::Millis now);

// A new key for `record` (its fields set, its token and name not) with a random secret; its
// alias must not exist yet. Inserted, and read back as stored.
Result<IssuedKey> issue_key(store::Store& store, store::KeyRecord record, store::Millis now);

// /key/update: the body's fields on the key its `key` names (the key or its token; null clears
// a field). Its alias must stay unique. Setting `spend` writes it.
Result<Changed<store::KeyRecord>> update_key(store::Store& store, FieldReader& body,
                                             store::Millis now);
// /key/block, /key/unblock.
Result<Changed<store::KeyRecord>> set_key_blocked(store::Store& store, FieldReader& body,
                                                  bool blocked, store::Millis now);
// /key/regenerate and /key/{key}/regenerate (key_in_path): the key gets a new secret (the body's
// `new_key`, or a random one) and the body's fields as update_key applies them, in one
// transaction. Its spend moves to the new token at its live value (the spend writer credits
// calls not written yet to the old token, whose row is gone by then) unless the body sets it.
Result<Changed<IssuedKey>> regenerate_key(store::Store& store, FieldReader& body,
                                          const std::optional<std::string>& key_in_path,
                                          const auth::KeyCache* cache, store::Millis now);
// /key/delete: `keys` (keys or tokens) and `key_aliases`; answers the names of those deleted,
// 404 when none was.
Result<Changed<std::vector<std::string>>> delete_keys(store::Store& store, FieldReader& body);

// /key/list: the keys its query's filters (user_id, team_id, key_alias) match, a page of them.
struct KeyPage {
  std::int64_t page = 1;      // from 1
  std::int64_t size = 10;     // 1 to 100
  bool full_objects = false;  // return_full_object: records, not just tokens
  std::int64_t total = 0;     // every key the filters match
  std::vector<store::KeyRecord> keys;
};
Result<KeyPage> list_keys(store::Store& store, FieldReader& query);

}  // namespace llmux::admin
