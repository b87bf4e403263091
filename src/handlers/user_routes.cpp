// /user/new|info|update|delete|list and /customer/new|info|update|delete|block|unblock, admin
// only. A user's max_budget applies to all of their keys; an end user's ("customer": the body's
// `user` or x-litellm-customer-id) to every call made on their behalf.
#include "base/ids.hpp"
#include "handlers/admin_request.hpp"
#include "handlers/gateway.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

double live_or(const auth::KeyCache* cache, const std::string& prefixed_id, double database_spend) {
  if (!cache) return database_spend;
  const auto snapshot = cache->snapshot();
  const std::string id(std::string_view(prefixed_id).substr(prefixed_id.find(':') + 1));
  auto spend_in = [&](const auto& map) {
    const auto it = map.find(id);
    return it == map.end() ? database_spend : it->second.spend->value();
  };
  return prefixed_id.starts_with(store::kUserPrefix) ? spend_in(snapshot->users)
                                                     : spend_in(snapshot->end_users);
}

json::object user_json(const store::UserRecord& user, const auth::KeyCache* cache) {
  json::object answer{{"user_id", user.user_id},
                      {"user_email", optional_json(user.user_email)},
                      {"user_role", user.user_role},
                      {"spend", live_or(cache, store::kUserPrefix + user.user_id, user.spend)}};
  add_budget_and_limits_json(answer, user);
  answer["created_at"] = iso_time(user.created_at);
  answer["updated_at"] = iso_time(user.updated_at);
  return answer;
}

json::object end_user_json(const store::EndUserRecord& end_user, const auth::KeyCache* cache) {
  return {{"user_id", end_user.user_id},
          {"alias", optional_json(end_user.alias)},
          {"spend", live_or(cache, store::kEndUserPrefix + end_user.user_id, end_user.spend)},
          {"max_budget", optional_json(end_user.max_budget)},
          {"budget_duration", optional_json(end_user.budget_duration)},
          {"budget_reset_at", iso_time(end_user.budget_reset_at)},
          {"blocked", end_user.blocked}};
}

void apply_user_fields(FieldReader& fields, store::UserRecord& user, store::Millis now) {
  if (fields.has("user_email")) user.user_email = fields.text("user_email");
  if (auto role = fields.text("user_role")) {
    if (*role != "proxy_admin" && *role != "proxy_admin_viewer" && *role != "internal_user" &&
        *role != "internal_user_viewer") {
      throw make_error(ErrorKind::invalid_request,
                       "user_role is one of proxy_admin, proxy_admin_viewer, internal_user, "
                       "internal_user_viewer.",
                       "user_role");
    }
    user.user_role = *role;
  }
  apply_budget_and_limits(fields, user, now);
  if (fields.error()) throw *fields.error();
  user.updated_at = now;
}

void apply_end_user_fields(FieldReader& fields, store::EndUserRecord& end_user, store::Millis now) {
  if (fields.has("alias")) end_user.alias = fields.text("alias");
  if (fields.has("max_budget")) end_user.max_budget = fields.number("max_budget");
  if (auto blocked = fields.boolean("blocked")) end_user.blocked = *blocked;
  apply_budget_duration(fields, end_user.budget_duration, end_user.budget_reset_at, now);
  if (fields.error()) throw *fields.error();
}

Error not_found(std::string_view what, std::string param) {
  return make_error(ErrorKind::not_found, std::string(what) + " not found.", std::move(param));
}

}  // namespace

asio::awaitable<void> Gateway::user_route(server::Exchange& exchange, std::string_view path) {
  store::Service& service = *shared_.store;
  const auth::KeyCache* cache = shared_.authenticator.keys();
  const store::Millis now = store::now_millis();
  const bool customer = path.starts_with("/customer/");
  const bool read = path == "/user/info" || path == "/user/list" || path == "/customer/info";
  if (!read && exchange.request().method() != server::http::verb::post) {
    co_return co_await fail(exchange, make_error(ErrorKind::invalid_request,
                                                 "Use POST for " + std::string(path) + "."));
  }
  auto fields = read ? FieldReader::from_query(exchange.request().target())
                     : FieldReader::from_body(exchange.request().body());
  if (fields.error()) co_return co_await fail(exchange, *fields.error());

  // Every route answers with one JSON value built on the store thread.
  auto work = [&](store::Store& store) -> Result<json::value> {
    try {
      if (path == "/user/list") {
        json::array users;
        for (const auto& user : store.all_users()) users.push_back(user_json(user, cache));
        const auto total = users.size();
        return json::value(json::object{{"users", std::move(users)}, {"total", total}});
      }
      if (path == "/user/delete" || path == "/customer/delete") {
        const auto ids = fields.strings("user_ids").value_or(std::vector<std::string>{});
        if (fields.error()) return *fields.error();
        json::array gone;
        for (const auto& id : ids) {
          if ((customer ? store.delete_end_user(id) : store.delete_user(id)) > 0)
            gone.emplace_back(id);
        }
        if (gone.empty()) return not_found(customer ? "End user" : "User", "user_ids");
        service.keys_changed();
        return json::value(json::object{{"deleted_users", std::move(gone)}});
      }
      std::string id =
          fields.text(path == "/customer/info" ? "end_user_id" : "user_id").value_or("");
      if (fields.error()) return *fields.error();
      if (customer) {
        auto end_user = store.find_end_user(id);
        if (path == "/customer/info") {
          if (!end_user) return not_found("End user", "end_user_id");
          return json::value(end_user_json(*end_user, cache));
        }
        if (path == "/customer/new") {
          if (id.empty())
            return make_error(ErrorKind::invalid_request, "Pass the end user's user_id.",
                              "user_id");
          if (end_user)
            return make_error(ErrorKind::invalid_request, "This end user exists already.",
                              "user_id");
          end_user = store::EndUserRecord{.user_id = id, .created_at = now};
        } else if (!end_user) {
          return not_found("End user", "user_id");
        }
        if (path == "/customer/block" || path == "/customer/unblock") {
          end_user->blocked = path == "/customer/block";
        } else if (path == "/customer/new" || path == "/customer/update") {
          apply_end_user_fields(fields, *end_user, now);
        } else {
          return make_error(ErrorKind::not_found, "Unknown route: " + std::string(path));
        }
        store.save_end_user(*end_user);
        service.keys_changed();
        return json::value(end_user_json(*store.find_end_user(id), cache));
      }
      auto user = store.find_user(id);
      if (path == "/user/info") {
        if (!user) return not_found("User", "user_id");
        json::array keys;
        for (const auto& key : store.list_keys(id, std::nullopt, std::nullopt, 1000, 0))
          keys.emplace_back(key.token);
        return json::value(json::object{
            {"user_id", id}, {"user_info", user_json(*user, cache)}, {"keys", std::move(keys)}});
      }
      if (path == "/user/new") {
        if (id.empty()) id = make_uuid();
        if (user)
          return make_error(ErrorKind::invalid_request, "This user exists already.", "user_id");
        user = store::UserRecord{.user_id = id, .created_at = now};
        apply_user_fields(fields, *user, now);
        store.insert_user(*user);
      } else if (path == "/user/update") {
        if (!user) return not_found("User", "user_id");
        apply_user_fields(fields, *user, now);
        store.update_user(*user);
      } else {
        return make_error(ErrorKind::not_found, "Unknown route: " + std::string(path));
      }
      service.keys_changed();
      return json::value(user_json(*store.find_user(id), cache));
    } catch (const Error& error) {
      return error;
    }
  };
  auto answer = co_await service.run(std::move(work));
  if (!answer) co_return co_await fail(exchange, answer.error());
  std::string body = json::serialize(*answer);
  co_await exchange.respond(200, std::move(body));
}

}  // namespace llmux::handlers
