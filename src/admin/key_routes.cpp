#include "admin/key_routes.hpp"

#include "admin/answer_json.hpp"
#include "admin/key_rules.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/pct_string_view.hpp>

namespace llmux::admin {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

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
          {"metadata", config::masked_logging_metadata(key.metadata)},
          {"model_max_budget", key.model_max_budget},
          {"tags", strings_json(key.tags)},
          {"allowed_cache_controls", strings_json(key.allowed_cache_controls)},
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
json::object new_key_json(const store::KeyRecord& key, const std::string& secret,
                          const auth::KeyCache* cache) {
  json::object body = key_json(key, cache);
  body["key"] = secret;
  body["token_id"] = key.token;
  return body;
}

// A path segment percent-decoded; as sent when it is not valid percent-encoding (then it names
// no key).
std::string percent_decoded(std::string_view segment) {
  const auto encoded = boost::urls::make_pct_string_view(segment);
  return encoded ? encoded->decode() : std::string(segment);
}

}  // namespace

void KeyRoutes::add_to(server::Routes& routes) {
  const auth::KeyCache* cache = management_.cache();
  auto key_answer = [cache](const store::KeyRecord& key) { return key_json(key, cache); };
  auto issued_answer = [cache](const IssuedKey& key) {
    return new_key_json(key.record, key.secret, cache);
  };
  management_.add(routes, verb::get, "/key/info", Access::any_key,
                  [this](Admitted request) { return info(request); });
  management_.add_read(routes, "/key/list", &list_keys, [cache](const KeyPage& page) {
    json::array keys;
    for (const auto& key : page.keys)
      keys.push_back(page.full_objects ? json::value(key_json(key, cache))
                                       : json::value(key.token));
    return json::object{{"keys", std::move(keys)},
                        {"total_count", page.total},
                        {"current_page", page.page},
                        {"total_pages", (page.total + page.size - 1) / page.size}};
  });
  management_.add_change(routes, "/key/generate", &generate_key, issued_answer);
  management_.add_change(routes, "/key/update", &update_key, key_answer);
  management_.add_change(
      routes, "/key/block",
      [](store::Store& store, FieldReader& body, store::Millis now) {
        return set_key_blocked(store, body, true, now);
      },
      key_answer);
  management_.add_change(
      routes, "/key/unblock",
      [](store::Store& store, FieldReader& body, store::Millis now) {
        return set_key_blocked(store, body, false, now);
      },
      key_answer);
  management_.add_change(
      routes, "/key/regenerate",
      [cache](store::Store& store, FieldReader& body, store::Millis now) {
        return regenerate_key(store, body, std::nullopt, cache, now);
      },
      issued_answer);
  // The key in this path is never repeated in messages: the route is named by its pattern.
  management_.add(routes, verb::post, "/key/{key}/regenerate", Access::admin,
                  [this, cache, issued_answer](Admitted request) {
                    auto rule = [cache, key = std::optional(percent_decoded(request.param))](
                                    store::Store& store, FieldReader& body, store::Millis now) {
                      return regenerate_key(store, body, key, cache, now);
                    };
                    return management_.serve_change(request, std::move(rule), issued_answer);
                  });
  management_.add_change(
      routes, "/key/delete",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return delete_keys(store, body);
      },
      [](const std::vector<std::string>& deleted) {
        return json::object{{"deleted_keys", strings_json(deleted)}};
      });
}

// A virtual key passes the gate here: key_to_read decides which key it may see.
asio::awaitable<void> KeyRoutes::info(Admitted request) {
  auto query = FieldReader::from_query(request.exchange.request().target());
  // A query that does not parse names no key.
  auto named = key_to_read(request.caller, query.text("key").value_or(""));
  if (!named) co_return co_await fail(request.exchange, named.error());
  // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
  auto work = [token = token_of(*named)](store::Store& store) { return find_key(store, token); };
  auto found = co_await management_.read(std::move(work));
  if (!found) co_return co_await fail(request.exchange, found.error());
  std::string answer = json::serialize(
      json::object{{"key", *named}, {"info", key_json(*found, management_.cache())}});
  co_await request.exchange.respond(200, std::move(answer));
}

}  // namespace llmux::admin
