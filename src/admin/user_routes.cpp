#include "admin/user_routes.hpp"

#include "admin/answer_json.hpp"
#include "admin/user_rules.hpp"

namespace llmux::admin {

namespace json = boost::json;

namespace {

// The spend of a user or an end user as the gateway knows it now (the cache's live value is
// ahead of the database until the next flush); `live` is the snapshot's map of them.
template <class Map>
double live_spend(const Map& live, const std::string& id, double database_spend) {
  const auto it = live.find(id);
  return it == live.end() ? database_spend : it->second.spend->value();
}

json::object user_json(const store::UserRecord& user, const auth::KeyCache* cache) {
  const double spend =
      cache ? live_spend(cache->snapshot()->users, user.user_id, user.spend) : user.spend;
  json::object answer{{"user_id", user.user_id},
                      {"user_email", optional_json(user.user_email)},
                      {"user_role", user.user_role},
                      {"spend", spend}};
  add_budget_and_limits_json(answer, user);
  answer["created_at"] = iso_time(user.created_at);
  answer["updated_at"] = iso_time(user.updated_at);
  return answer;
}

json::object end_user_json(const store::EndUserRecord& end_user, const auth::KeyCache* cache) {
  const double spend =
      cache ? live_spend(cache->snapshot()->end_users, end_user.user_id, end_user.spend)
            : end_user.spend;
  return {{"user_id", end_user.user_id},
          {"alias", optional_json(end_user.alias)},
          {"spend", spend},
          {"max_budget", optional_json(end_user.max_budget)},
          {"budget_duration", optional_json(end_user.budget_duration)},
          {"budget_reset_at", iso_time(end_user.budget_reset_at)},
          {"blocked", end_user.blocked}};
}

// LiteLLM's /user/new answer: the user, and the key issued with it (shown this once; `key` is
// null when none was).
json::object new_user_json(const NewUser& created, const auth::KeyCache* cache) {
  json::object answer = user_json(created.user, cache);
  answer["key"] = nullptr;
  if (const auto& key = created.key) {
    answer["key"] = key->secret;
    answer["token"] = key->record.token;
    answer["key_name"] = key->record.key_name;
    answer["key_alias"] = optional_json(key->record.key_alias);
    answer["expires"] = iso_time(key->record.expires);
  }
  return answer;
}

json::object deleted_json(const std::vector<std::string>& deleted) {
  return {{"deleted_users", strings_json(deleted)}};
}

}  // namespace

void UserRoutes::add_to(server::Routes& routes) {
  const auth::KeyCache* cache = management_.cache();
  auto user_answer = [cache](const store::UserRecord& user) { return user_json(user, cache); };
  auto end_user_answer = [cache](const store::EndUserRecord& end_user) {
    return end_user_json(end_user, cache);
  };

  management_.add_own_read(routes, "/user/info", &user_info, [cache](const UserInfo& info) {
    json::array keys;
    for (const auto& key : info.keys) keys.emplace_back(key.token);
    json::array teams;
    for (const auto& team : info.teams) teams.push_back(team_json(team, cache));
    return json::object{{"user_id", info.user.user_id},
                        {"user_info", user_json(info.user, cache)},
                        {"keys", std::move(keys)},
                        {"teams", std::move(teams)}};
  });
  management_.add_read(
      routes, "/user/list", [](store::Store& store, FieldReader&) { return store.all_users(); },
      [cache](const std::vector<store::UserRecord>& users) {
        json::array listed;
        for (const auto& user : users) listed.push_back(user_json(user, cache));
        const auto total = listed.size();
        return json::object{{"users", std::move(listed)}, {"total", total}};
      });
  management_.add_change(routes, "/user/new", &create_user,
                         [cache](const NewUser& created) { return new_user_json(created, cache); });
  management_.add_change(routes, "/user/update", &update_user, user_answer);
  management_.add_change(
      routes, "/user/delete",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return delete_users(store, body);
      },
      &deleted_json);

  management_.add_read(routes, "/customer/info", &end_user_info, end_user_answer);
  management_.add_change(routes, "/customer/new", &create_end_user, end_user_answer);
  management_.add_change(routes, "/customer/update", &update_end_user, end_user_answer);
  management_.add_change(
      routes, "/customer/block",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return set_end_user_blocked(store, body, true);
      },
      end_user_answer);
  management_.add_change(
      routes, "/customer/unblock",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return set_end_user_blocked(store, body, false);
      },
      end_user_answer);
  management_.add_change(
      routes, "/customer/delete",
      [](store::Store& store, FieldReader& body, store::Millis) {
        return delete_end_users(store, body);
      },
      &deleted_json);
}

}  // namespace llmux::admin
