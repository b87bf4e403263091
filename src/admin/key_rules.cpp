#include "admin/key_rules.hpp"

#include "auth/model_budget.hpp"

#include <sys/random.h>

#include <algorithm>

namespace llmux::admin {

namespace json = boost::json;

namespace {

// "sk-" + 24 bytes from the OS CSPRNG, base64url: 32 characters, 192 bits.
std::string make_virtual_key() {
  unsigned char bytes[24];
  std::size_t filled = 0;
  while (filled < sizeof bytes) {
    const auto got = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (got > 0) filled += static_cast<std::size_t>(got);
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string key = "sk-";
  for (std::size_t i = 0; i < sizeof bytes; i += 3) {
    const unsigned group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) key += kAlphabet[(group >> shift) & 63];
  }
  return key;
}

std::string key_name_of(std::string_view key) {
  return "sk-..." + std::string(key.substr(key.size() >= 4 ? key.size() - 4 : 0));
}

// A secret the request chose (in field `param`), else a random one.
Result<std::string> chosen_or_random(std::string chosen, std::string_view param) {
  if (chosen.empty()) return make_virtual_key();
  if (!chosen.starts_with("sk-") || chosen.size() < 8) {
    return make_error(ErrorKind::invalid_request,
                      "A custom key must start with 'sk-' and be at least 8 characters.",
                      std::string(param));
  }
  return chosen;
}

Error key_not_found() {
  return make_error(ErrorKind::not_found, "Key not found. Pass a key (or its token) that exists.",
                    "key");
}

Error alias_taken() {
  return make_error(
      ErrorKind::invalid_request,
      "Unique key aliases across all keys are required. The key_alias exists already.",
      "key_alias");
}

Error key_exists(std::string param) {
  return make_error(ErrorKind::invalid_request, "This key exists already.", std::move(param));
}

// The fields a key takes (generate and update share them), applied to `key`: a named field is
// set, a null one cleared. True when the request set the spend itself.
Result<bool> apply_key_fields(FieldReader& fields, store::KeyRecord& key, store::Millis now) {
  auto set_if_named = [&](std::string_view name, auto& target) {
    if (fields.has(name)) target = fields.text(name);
  };
  set_if_named("key_alias", key.key_alias);
  set_if_named("user_id", key.user_id);
  set_if_named("team_id", key.team_id);
  if (fields.has("soft_budget")) key.soft_budget = fields.number("soft_budget");
  apply_budget_and_limits(fields, key, now);
  if (fields.has("duration")) {
    key.expires.reset();
    if (auto duration = fields.duration("duration"))
      key.expires = store::add_duration(now, *duration);
  }
  if (fields.has("tags")) key.tags = fields.strings("tags").value_or(std::vector<std::string>{});
  if (fields.has("allowed_cache_controls")) {
    key.allowed_cache_controls =
        fields.strings("allowed_cache_controls").value_or(std::vector<std::string>{});
  }
  if (fields.has("aliases")) key.aliases = fields.object("aliases").value_or(json::object{});
  if (fields.has("model_max_budget")) {
    key.model_max_budget = fields.object("model_max_budget").value_or(json::object{});
    if (auto budgets = auth::parse_model_max_budget(key.model_max_budget); !budgets)
      fields.refuse(budgets.error());
  }
  if (auto blocked = fields.boolean("blocked")) key.blocked = *blocked;
  const auto spend = fields.number("spend");
  if (spend) key.spend = *spend;
  if (fields.error()) return *fields.error();
  key.updated_at = now;
  return spend.has_value();
}

// update_key's changes, which regenerate_key makes too: the fields, then the alias check.
Result<bool> apply_key_update(store::Store& store, FieldReader& fields, store::KeyRecord& key,
                              store::Millis now) {
  auto spend_set = apply_key_fields(fields, key, now);
  if (!spend_set || !key.key_alias) return spend_set;
  if (auto other = store.find_key_by_alias(*key.key_alias); other && other->token != key.token)
    return alias_taken();
  return spend_set;
}

// The key a change names (the key or its token), as its token; 400 when it names none.
Result<std::string> named_token(std::string_view named) {
  if (named.empty()) return make_error(ErrorKind::invalid_request, "Pass the key.", "key");
  return token_of(named);
}

// Stores `record` as the key `secret`; its alias and token must not exist yet.
Result<IssuedKey> insert_new_key(store::Store& store, store::KeyRecord record, std::string secret,
                                 store::Millis now) {
  record.token = auth::hash_key(secret);
  record.key_name = key_name_of(secret);
  record.created_at = now;
  record.updated_at = now;
  if (record.key_alias && store.find_key_by_alias(*record.key_alias)) return alias_taken();
  if (store.find_key(record.token)) return key_exists("key");
  store.insert_key(record);
  return IssuedKey{*store.find_key(record.token), std::move(secret)};
}

}  // namespace

std::string token_of(std::string_view key) {
  const bool is_hash =
      key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  return is_hash ? std::string(key) : auth::hash_key(key);
}

double live_spend(const store::KeyRecord& key, const auth::KeyCache* cache) {
  if (cache) {
    if (const auto* cached = cache->snapshot()->find(key.token)) return cached->spend->value();
  }
  return key.spend;
}

Result<std::string> key_to_read(const auth::Caller& caller, std::string named) {
  if (!caller.admin) {
    if (named.empty()) return caller.token;
    if (token_of(named) != caller.token)
      return not_yours("user not allowed to access this key's info");
  }
  if (named.empty())
    return make_error(ErrorKind::invalid_request, "Pass the key: /key/info?key=…", "key");
  return named;
}

Result<store::KeyRecord> find_key(store::Store& store, const std::string& token) {
  auto key = store.find_key(token);
  if (!key) return key_not_found();
  return std::move(*key);
}

Result<Changed<IssuedKey>> generate_key(store::Store& store, FieldReader& body, store::Millis now) {
  // Read first: a malformed "key" is the error even when later fields are malformed too.
  std::string chosen = body.text("key").value_or("");
  store::KeyRecord record;
  if (auto applied = apply_key_fields(body, record, now); !applied) return applied.error();
  auto secret = chosen_or_random(std::move(chosen), "key");
  if (!secret) return secret.error();
  auto issued = insert_new_key(store, std::move(record), std::move(*secret), now);
  if (!issued) return issued.error();
  return Changed<IssuedKey>{std::move(*issued)};
}

Result<IssuedKey> issue_key(store::Store& store, store::KeyRecord record, store::Millis now) {
  return insert_new_key(store, std::move(record), make_virtual_key(), now);
}

Result<Changed<store::KeyRecord>> update_key(store::Store& store, FieldReader& body,
                                             store::Millis now) {
  auto token = named_token(body.text("key").value_or(""));
  if (!token) return token.error();
  auto key = find_key(store, *token);
  if (!key) return key.error();
  auto spend_set = apply_key_update(store, body, *key, now);
  if (!spend_set) return spend_set.error();
  store.update_key(*key);
  if (!*spend_set) return Changed<store::KeyRecord>{*store.find_key(key->token)};
  store.set_key_spend(key->token, key->spend, key->budget_reset_at);
  return Changed<store::KeyRecord>{*store.find_key(key->token), {key->token}};
}

Result<Changed<store::KeyRecord>> set_key_blocked(store::Store& store, FieldReader& body,
                                                  bool blocked, store::Millis now) {
  auto token = named_token(body.text("key").value_or(""));
  if (!token) return token.error();
  auto key = find_key(store, *token);
  if (!key) return key.error();
  key->blocked = blocked;
  key->updated_at = now;
  store.update_key(*key);
  return Changed<store::KeyRecord>{*store.find_key(key->token)};
}

Result<Changed<IssuedKey>> regenerate_key(store::Store& store, FieldReader& body,
                                          const std::optional<std::string>& key_in_path,
                                          const auth::KeyCache* cache, store::Millis now) {
  auto token = named_token(key_in_path ? *key_in_path : body.text("key").value_or(""));
  if (!token) return token.error();
  std::string chosen = body.text("new_key").value_or("");
  if (body.error()) return *body.error();
  auto secret = chosen_or_random(std::move(chosen), "new_key");
  if (!secret) return secret.error();
  const std::string new_token = auth::hash_key(*secret);
  auto key = find_key(store, *token);
  if (!key) return key.error();
  if (store.find_key(new_token)) return key_exists("new_key");
  auto spend_set = apply_key_update(store, body, *key, now);
  if (!spend_set) return spend_set.error();
  if (!*spend_set) key->spend = live_spend(*key, cache);
  in_transaction(store.database(), [&] {
    store.update_key(*key);
    store.replace_token(*token, new_token, key_name_of(*secret));
    store.set_key_spend(new_token, key->spend, key->budget_reset_at);
  });
  return Changed<IssuedKey>{{*store.find_key(new_token), std::move(*secret)}, {new_token}};
}

Result<Changed<std::vector<std::string>>> delete_keys(store::Store& store, FieldReader& body) {
  const auto keys = body.strings("keys").value_or(std::vector<std::string>{});
  const auto aliases = body.strings("key_aliases").value_or(std::vector<std::string>{});
  if (body.error()) return *body.error();
  if (keys.empty() && aliases.empty())
    return make_error(ErrorKind::invalid_request, "Pass 'keys' or 'key_aliases'.", "keys");
  std::vector<std::string> gone;
  for (const auto& key : keys) {
    if (store.delete_key(token_of(key)) > 0) gone.push_back(key);
  }
  for (const auto& alias : aliases) {
    if (auto found = store.find_key_by_alias(alias); found && store.delete_key(found->token) > 0)
      gone.push_back(alias);
  }
  if (gone.empty()) return key_not_found();
  return Changed<std::vector<std::string>>{std::move(gone)};
}

Result<KeyPage> list_keys(store::Store& store, FieldReader& query) {
  KeyPage page;
  page.page = std::max<std::int64_t>(1, query.integer("page").value_or(1));
  page.size = std::clamp<std::int64_t>(query.integer("size").value_or(10), 1, 100);
  const auto user_id = query.text("user_id"), team_id = query.text("team_id"),
             alias = query.text("key_alias");
  page.full_objects = query.boolean("return_full_object").value_or(false);
  if (query.error()) return *query.error();
  page.total = store.count_keys(user_id, team_id, alias);
  page.keys = store.list_keys(user_id, team_id, alias, page.size, (page.page - 1) * page.size);
  return page;
}

}  // namespace llmux::admin
