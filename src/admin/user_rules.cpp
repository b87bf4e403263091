#include "admin/user_rules.hpp"

#include "admin/team_rules.hpp"
#include "base/ids.hpp"

namespace llmux::admin {

namespace {

Result<void> apply_user_fields(FieldReader& body, store::UserRecord& user, store::Millis now) {
  if (body.has("user_email")) user.user_email = body.text("user_email");
  if (auto role = body.text("user_role")) {
    if (*role == "proxy_admin" || *role == "proxy_admin_viewer" || *role == "internal_user" ||
        *role == "internal_user_viewer") {
      user.user_role = *role;
    } else {
      body.refuse(make_error(ErrorKind::invalid_request,
                             "user_role is one of proxy_admin, proxy_admin_viewer, internal_user, "
                             "internal_user_viewer.",
                             "user_role"));
    }
  }
  apply_budget_and_limits(body, user, now);
  if (body.error()) return *body.error();
  user.updated_at = now;
  return {};
}

Result<void> apply_end_user_fields(FieldReader& body, store::EndUserRecord& end_user,
                                   store::Millis now) {
  if (body.has("alias")) end_user.alias = body.text("alias");
  if (body.has("max_budget")) end_user.max_budget = body.number("max_budget");
  if (auto blocked = body.boolean("blocked")) end_user.blocked = *blocked;
  apply_budget_duration(body, end_user.budget_duration, end_user.budget_reset_at, now);
  if (body.error()) return *body.error();
  return {};
}

// The id in field `name`, read before anything else is looked at.
Result<std::string> id_in(FieldReader& fields, std::string_view name) {
  std::string id = fields.text(name).value_or("");
  if (fields.error()) return *fields.error();
  return id;
}

Result<store::EndUserRecord> named_end_user(store::Store& store, FieldReader& body) {
  auto id = id_in(body, "user_id");
  if (!id) return id.error();
  auto end_user = store.find_end_user(*id);
  if (!end_user) return not_found("End user", "user_id");
  return std::move(*end_user);
}

Changed<store::EndUserRecord> save(store::Store& store, const store::EndUserRecord& end_user) {
  store.save_end_user(end_user);
  return {*store.find_end_user(end_user.user_id)};
}

// Deletes the ids in user_ids with `erase`; `what` names them in the 404 when none was deleted.
template <class Erase>
Result<Changed<std::vector<std::string>>> delete_ids(FieldReader& body, std::string_view what,
                                                     Erase erase) {
  const auto ids = body.strings("user_ids").value_or(std::vector<std::string>{});
  if (body.error()) return *body.error();
  std::vector<std::string> gone;
  for (const auto& id : ids) {
    if (erase(id) > 0) gone.push_back(id);
  }
  if (gone.empty()) return not_found(what, "user_ids");
  return Changed<std::vector<std::string>>{std::move(gone)};
}

}  // namespace

Result<UserInfo> user_info(store::Store& store, FieldReader& query, const auth::Caller& caller) {
  auto id = id_in(query, "user_id");
  if (!id) return id.error();
  if (!caller.admin) {
    const std::string& own = caller.key->user_id;
    if (id->empty()) *id = own;
    if (*id != own) {
      return not_yours("key not allowed to access this user's info. user_id=" + *id +
                       ", key's user_id=" + (own.empty() ? "None" : own));
    }
  }
  auto user = store.find_user(*id);
  if (!user) return not_found("User", "user_id");
  auto keys = store.list_keys(*id, std::nullopt, std::nullopt, 1000, 0);
  auto teams = store.all_teams();
  std::erase_if(teams, [&](const store::TeamRecord& team) { return !has_member(team, *id); });
  return UserInfo{.user = std::move(*user), .keys = std::move(keys), .teams = std::move(teams)};
}

Result<Changed<NewUser>> create_user(store::Store& store, FieldReader& body, store::Millis now) {
  auto id = id_in(body, "user_id");
  if (!id) return id.error();
  if (id->empty()) *id = make_uuid();
  if (store.find_user(*id))
    return make_error(ErrorKind::invalid_request, "This user exists already.", "user_id");
  store::UserRecord user{.user_id = *id, .created_at = now};
  if (auto applied = apply_user_fields(body, user, now); !applied) return applied.error();
  const bool with_key = body.boolean("auto_create_key").value_or(true);
  store::KeyRecord key{.models = user.models, .user_id = user.user_id};
  if (body.has("key_alias")) key.key_alias = body.text("key_alias");
  if (auto duration = body.duration("duration")) key.expires = store::add_duration(now, *duration);
  if (body.has("aliases")) key.aliases = body.object("aliases").value_or(boost::json::object{});
  if (body.error()) return *body.error();
  // One transaction, the key first: a key that cannot be issued (its alias is taken) is the
  // answer before anything is written.
  return in_transaction(store.database(), [&]() -> Result<Changed<NewUser>> {
    NewUser created;
    if (with_key) {
      auto issued = issue_key(store, std::move(key), now);
      if (!issued) return issued.error();
      created.key = std::move(*issued);
    }
    store.insert_user(user);
    created.user = *store.find_user(user.user_id);
    return Changed<NewUser>{std::move(created)};
  });
}

Result<Changed<store::UserRecord>> update_user(store::Store& store, FieldReader& body,
                                               store::Millis now) {
  auto id = id_in(body, "user_id");
  if (!id) return id.error();
  auto user = store.find_user(*id);
  if (!user) return not_found("User", "user_id");
  if (auto applied = apply_user_fields(body, *user, now); !applied) return applied.error();
  store.update_user(*user);
  return Changed<store::UserRecord>{*store.find_user(*id)};
}

Result<Changed<std::vector<std::string>>> delete_users(store::Store& store, FieldReader& body) {
  return delete_ids(body, "User", [&](const std::string& id) { return store.delete_user(id); });
}

Result<store::EndUserRecord> end_user_info(store::Store& store, FieldReader& query) {
  auto id = id_in(query, "end_user_id");
  if (!id) return id.error();
  auto end_user = store.find_end_user(*id);
  if (!end_user) return not_found("End user", "end_user_id");
  return std::move(*end_user);
}

Result<Changed<store::EndUserRecord>> create_end_user(store::Store& store, FieldReader& body,
                                                      store::Millis now) {
  auto id = id_in(body, "user_id");
  if (!id) return id.error();
  if (id->empty())
    return make_error(ErrorKind::invalid_request, "Pass the end user's user_id.", "user_id");
  if (store.find_end_user(*id))
    return make_error(ErrorKind::invalid_request, "This end user exists already.", "user_id");
  store::EndUserRecord end_user{.user_id = *id, .created_at = now};
  if (auto applied = apply_end_user_fields(body, end_user, now); !applied) return applied.error();
  return save(store, end_user);
}

Result<Changed<store::EndUserRecord>> update_end_user(store::Store& store, FieldReader& body,
                                                      store::Millis now) {
  auto end_user = named_end_user(store, body);
  if (!end_user) return end_user.error();
  if (auto applied = apply_end_user_fields(body, *end_user, now); !applied) return applied.error();
  return save(store, *end_user);
}

Result<Changed<store::EndUserRecord>> set_end_user_blocked(store::Store& store, FieldReader& body,
                                                           bool blocked) {
  auto end_user = named_end_user(store, body);
  if (!end_user) return end_user.error();
  end_user->blocked = blocked;
  return save(store, *end_user);
}

Result<Changed<std::vector<std::string>>> delete_end_users(store::Store& store, FieldReader& body) {
  return delete_ids(body, "End user",
                    [&](const std::string& id) { return store.delete_end_user(id); });
}

}  // namespace llmux::admin
