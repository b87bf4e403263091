// /key/generate|update|delete|info|list|regenerate|block|unblock and /key/{key}/regenerate, with
// LiteLLM's fields and answers. Changes run on the store thread (store::Service::run); the key
// cache is rebuilt there before the answer goes out, so a new key works on the very next request.
#include "handlers/admin_request.hpp"
#include "handlers/gateway.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <sys/random.h>

namespace llmux::handlers {

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

// A key named in a request: the key itself, or its SHA-256 as /key/list shows it.
std::string token_of(std::string_view key) {
  const bool is_hash =
      key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  return is_hash ? std::string(key) : auth::hash_key(key);
}

// The key's spend as the gateway knows it now (the cache's live value is ahead of the database
// until the next flush).
double live_spend(const store::KeyRecord& key, const auth::KeyCache* cache) {
  if (cache) {
    if (const auto* cached = cache->snapshot()->find(key.token)) return cached->spend->value();
  }
  return key.spend;
}

json::object key_json(const store::KeyRecord& key, const auth::KeyCache* cache) {
  return {{"token", key.token},
          {"key_name", key.key_name},
          {"key_alias", optional_json(key.key_alias)},
          {"spend", live_spend(key, cache)},
          {"max_budget", optional_json(key.max_budget)},
          {"soft_budget", optional_json(key.soft_budget)},
          {"budget_duration", optional_json(key.budget_duration)},
          {"budget_reset_at", iso_time(key.budget_reset_at)},
          {"expires", iso_time(key.expires)},
          {"models", strings_json(key.models)},
          {"aliases", key.aliases},
          {"metadata", key.metadata},
          {"model_max_budget", key.model_max_budget},
          {"tags", strings_json(key.tags)},
          {"tpm_limit", optional_json(key.tpm_limit)},
          {"rpm_limit", optional_json(key.rpm_limit)},
          {"max_parallel_requests", optional_json(key.max_parallel_requests)},
          {"user_id", optional_json(key.user_id)},
          {"team_id", optional_json(key.team_id)},
          {"blocked", key.blocked},
          {"created_at", iso_time(key.created_at)},
          {"updated_at", iso_time(key.updated_at)}};
}

// The answer to /key/generate and /key/regenerate: the record, plus the key shown this once.
json::object new_key_json(const store::KeyRecord& key, const std::string& plain,
                          const auth::KeyCache* cache) {
  json::object body = key_json(key, cache);
  body["key"] = plain;
  body["token_id"] = key.token;
  return body;
}

// Applies the fields a request carries to `key` (generate and update share it). Present-but-null
// clears a field. `spend_set`: the request set the spend itself.
void apply_key_fields(FieldReader& fields, store::KeyRecord& key, store::Millis now,
                      bool& spend_set) {
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
    if (auto duration = fields.text("duration")) {
      key.expires = store::add_duration(now, *duration);
      if (!key.expires) {
        throw make_error(
            ErrorKind::invalid_request,
            "Invalid value for 'duration': expected e.g. 30s, 30m, 30h, 30d, 2w or 1mo.",
            "duration");
      }
    }
  }
  if (fields.has("tags")) key.tags = fields.strings("tags").value_or(std::vector<std::string>{});
  if (fields.has("aliases")) key.aliases = fields.object("aliases").value_or(json::object{});
  if (fields.has("model_max_budget")) {
    key.model_max_budget = fields.object("model_max_budget").value_or(json::object{});
    if (auto budgets = auth::parse_model_max_budget(key.model_max_budget); !budgets)
      throw budgets.error();
  }
  if (auto blocked = fields.boolean("blocked")) key.blocked = *blocked;
  if (auto spend = fields.number("spend")) {
    key.spend = *spend;
    spend_set = true;
  }
  if (fields.error()) throw *fields.error();
  key.updated_at = now;
}

// /key/update's field changes on an existing key (regenerate takes the same), with the unique
// alias check. Throws Error (400).
void update_key_fields(store::Store& store, FieldReader& fields, store::KeyRecord& key,
                       store::Millis now, bool& spend_set) {
  apply_key_fields(fields, key, now, spend_set);
  if (!key.key_alias) return;
  if (auto other = store.find_key_by_alias(*key.key_alias); other && other->token != key.token) {
    throw make_error(
        ErrorKind::invalid_request,
        "Unique key aliases across all keys are required. The key_alias exists already.",
        "key_alias");
  }
}

// The key named by /key/{key}/regenerate (percent-decoded); nullopt for any other path.
std::optional<std::string> key_in_regenerate_path(std::string_view target) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  const auto segments = url->segments();
  if (segments.size() != 3) return std::nullopt;
  auto segment = segments.begin();
  if (*segment != "key") return std::nullopt;
  std::string key = *++segment;
  if (key.empty() || *++segment != "regenerate") return std::nullopt;
  return key;
}

Error key_not_found() {
  return make_error(ErrorKind::not_found, "Key not found. Pass a key (or its token) that exists.",
                    "key");
}

}  // namespace

asio::awaitable<void> Gateway::key_route(server::Exchange& exchange, std::string_view path,
                                         const auth::Caller& caller) {
  store::Service& service = *shared_.store;
  const auth::KeyCache* cache = shared_.authenticator.keys();
  // /key/{key}/regenerate carries a key in its path, which messages must not repeat.
  const auto key_in_path = key_in_regenerate_path(exchange.request().target());
  if (key_in_path) path = "/key/{key}/regenerate";
  const bool post = exchange.request().method() == server::http::verb::post;
  const std::string_view body = exchange.request().body();

  // A virtual key may read its own /key/info, nothing else here.
  if (path == "/key/info") {
    auto query = FieldReader::from_query(exchange.request().target());
    std::string key = query.text("key").value_or("");
    if (!caller.admin) {
      if (!key.empty() && token_of(key) != caller.token)
        co_return co_await fail(exchange, admin_only(path));
      if (key.empty()) key = caller.token;
    }
    if (key.empty()) {
      co_return co_await fail(
          exchange, make_error(ErrorKind::invalid_request, "Pass the key: /key/info?key=…", "key"));
    }
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto found_work = [token = token_of(key)](store::Store& store) {
      return store.find_key(token);
    };
    auto found = co_await service.run(std::move(found_work));
    if (!found) co_return co_await fail(exchange, found.error());
    if (!*found) co_return co_await fail(exchange, key_not_found());
    std::string answer =
        json::serialize(json::object{{"key", key}, {"info", key_json(**found, cache)}});
    co_return co_await exchange.respond(200, std::move(answer));
  }
  if (!caller.admin) co_return co_await fail(exchange, admin_only(path));

  if (path == "/key/list") {
    auto query = FieldReader::from_query(exchange.request().target());
    const auto page = std::max<std::int64_t>(1, query.integer("page").value_or(1));
    const auto size = std::clamp<std::int64_t>(query.integer("size").value_or(10), 1, 100);
    const auto user_id = query.text("user_id"), team_id = query.text("team_id"),
               alias = query.text("key_alias");
    const bool full = query.boolean("return_full_object").value_or(false);
    if (query.error()) co_return co_await fail(exchange, *query.error());
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto listed_work = [&](store::Store& store) {
      return std::make_pair(store.count_keys(user_id, team_id, alias),
                            store.list_keys(user_id, team_id, alias, size, (page - 1) * size));
    };
    auto listed = co_await service.run(std::move(listed_work));
    if (!listed) co_return co_await fail(exchange, listed.error());
    json::array keys;
    for (const auto& key : listed->second) {
      keys.push_back(full ? json::value(key_json(key, cache)) : json::value(key.token));
    }
    const auto total = listed->first;
    std::string answer = json::serialize(json::object{{"keys", std::move(keys)},
                                                      {"total_count", total},
                                                      {"current_page", page},
                                                      {"total_pages", (total + size - 1) / size}});
    co_return co_await exchange.respond(200, std::move(answer));
  }

  if (!post)
    co_return co_await fail(exchange, make_error(ErrorKind::invalid_request,
                                                 "Use POST for " + std::string(path) + "."));
  auto fields = FieldReader::from_body(body);
  if (fields.error()) co_return co_await fail(exchange, *fields.error());
  const store::Millis now = store::now_millis();

  if (path == "/key/generate") {
    store::KeyRecord key;
    bool spend_set = false;
    std::string plain = fields.text("key").value_or("");
    std::optional<Error> invalid;
    try {
      apply_key_fields(fields, key, now, spend_set);
    } catch (const Error& error) {
      invalid = error;
    }
    if (invalid) co_return co_await fail(exchange, *invalid);
    if (!plain.empty() && (!plain.starts_with("sk-") || plain.size() < 8)) {
      co_return co_await fail(
          exchange,
          make_error(ErrorKind::invalid_request,
                     "A custom key must start with 'sk-' and be at least 8 characters.", "key"));
    }
    if (plain.empty()) plain = make_virtual_key();
    key.token = auth::hash_key(plain);
    key.key_name = key_name_of(plain);
    key.created_at = now;
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto created_work = [&](store::Store& store) -> Result<store::KeyRecord> {
      if (key.key_alias && store.find_key_by_alias(*key.key_alias)) {
        return make_error(
            ErrorKind::invalid_request,
            "Unique key aliases across all keys are required. The key_alias exists already.",
            "key_alias");
      }
      if (store.find_key(key.token))
        return make_error(ErrorKind::invalid_request, "This key exists already.", "key");
      store.insert_key(key);
      service.keys_changed();
      return *store.find_key(key.token);
    };
    auto created = co_await service.run(std::move(created_work));
    if (!created) co_return co_await fail(exchange, created.error());
    std::string answer = json::serialize(new_key_json(*created, plain, cache));
    co_return co_await exchange.respond(200, std::move(answer));
  }

  if (path == "/key/delete") {
    const auto keys = fields.strings("keys").value_or(std::vector<std::string>{});
    const auto aliases = fields.strings("key_aliases").value_or(std::vector<std::string>{});
    if (fields.error()) co_return co_await fail(exchange, *fields.error());
    if (keys.empty() && aliases.empty()) {
      co_return co_await fail(exchange, make_error(ErrorKind::invalid_request,
                                                   "Pass 'keys' or 'key_aliases'.", "keys"));
    }
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto deleted_work = [&](store::Store& store) {
      std::vector<std::string> gone;
      for (const auto& key : keys) {
        if (store.delete_key(token_of(key)) > 0) gone.push_back(key);
      }
      for (const auto& alias : aliases) {
        if (auto found = store.find_key_by_alias(alias);
            found && store.delete_key(found->token) > 0)
          gone.push_back(alias);
      }
      if (!gone.empty()) service.keys_changed();
      return gone;
    };
    auto deleted = co_await service.run(std::move(deleted_work));
    if (!deleted) co_return co_await fail(exchange, deleted.error());
    if (deleted->empty()) co_return co_await fail(exchange, key_not_found());
    std::string answer = json::serialize(json::object{{"deleted_keys", strings_json(*deleted)}});
    co_return co_await exchange.respond(200, std::move(answer));
  }

  // The remaining routes name one existing key: in the body, or in the path of
  // /key/{key}/regenerate.
  const std::string named = key_in_path ? *key_in_path : fields.text("key").value_or("");
  if (named.empty())
    co_return co_await fail(exchange,
                            make_error(ErrorKind::invalid_request, "Pass the key.", "key"));
  const std::string token = token_of(named);

  if (path == "/key/update" || path == "/key/block" || path == "/key/unblock") {
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto updated_work = [&](store::Store& store) -> Result<store::KeyRecord> {
      auto key = store.find_key(token);
      if (!key) return key_not_found();
      bool spend_set = false;
      if (path == "/key/update") {
        try {
          update_key_fields(store, fields, *key, now, spend_set);
        } catch (const Error& error) {
          return error;
        }
      } else {
        key->blocked = path == "/key/block";
        key->updated_at = now;
      }
      store.update_key(*key);
      if (spend_set) store.set_key_spend(token, key->spend, key->budget_reset_at);
      service.keys_changed(spend_set ? std::vector<std::string>{token}
                                     : std::vector<std::string>{});
      return *store.find_key(token);
    };
    auto updated = co_await service.run(std::move(updated_work));
    if (!updated) co_return co_await fail(exchange, updated.error());
    std::string answer = json::serialize(key_json(*updated, cache));
    co_return co_await exchange.respond(200, std::move(answer));
  }

  // A new secret for the key; the body may change its fields on the way (as /key/update does).
  if (path == "/key/regenerate" || path == "/key/{key}/regenerate") {
    std::string plain = fields.text("new_key").value_or("");
    if (fields.error()) co_return co_await fail(exchange, *fields.error());
    if (!plain.empty() && (!plain.starts_with("sk-") || plain.size() < 8)) {
      co_return co_await fail(
          exchange, make_error(ErrorKind::invalid_request,
                               "A custom key must start with 'sk-' and be at least 8 characters.",
                               "new_key"));
    }
    if (plain.empty()) plain = make_virtual_key();
    const std::string new_token = auth::hash_key(plain);
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto regenerated_work = [&](store::Store& store) -> Result<store::KeyRecord> {
      auto key = store.find_key(token);
      if (!key) return key_not_found();
      if (store.find_key(new_token))
        return make_error(ErrorKind::invalid_request, "This key exists already.", "new_key");
      bool spend_set = false;
      try {
        update_key_fields(store, fields, *key, now, spend_set);
      } catch (const Error& error) {
        return error;
      }
      // The live spend is ahead of the database by the calls not written yet, which the writer
      // will credit to the old token, a row that is gone by then: the new row takes the live value.
      if (!spend_set) key->spend = live_spend(*key, cache);
      in_transaction(store.database(), [&] {
        store.update_key(*key);
        store.replace_token(token, new_token, key_name_of(plain));
        store.set_key_spend(new_token, key->spend, key->budget_reset_at);
      });
      service.keys_changed({new_token});
      return *store.find_key(new_token);
    };
    auto regenerated = co_await service.run(std::move(regenerated_work));
    if (!regenerated) co_return co_await fail(exchange, regenerated.error());
    std::string answer = json::serialize(new_key_json(*regenerated, plain, cache));
    co_return co_await exchange.respond(200, std::move(answer));
  }

  co_await fail(exchange, make_error(ErrorKind::not_found, "Unknown route: " + std::string(path)));
}

}  // namespace llmux::handlers
