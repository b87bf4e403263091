#include "handlers/stored_models.hpp"

#include "admin/answer_json.hpp"
#include "base/ids.hpp"
#include "config/load.hpp"
#include "handlers/model_routes.hpp"
#include "net/percent_encoding.hpp"
#include "router/stored_models.hpp"
#include "store/secret_values.hpp"
#include "telemetry/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  return !ec && value.is_object() ? std::move(value.get_object()) : json::object{};
}

// `changes` over `base`, key by key; a null removes the key.
json::object merged(json::object base, const json::object& changes) {
  for (const auto& [key, value] : changes) {
    if (value.is_null()) {
      base.erase(key);
    } else {
      base[key] = value;
    }
  }
  return base;
}

Error store_model_in_db_off() {
  return make_error(ErrorKind::internal,
                    "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.");
}

Error not_in_db(std::string_view id) {
  return make_error(ErrorKind::invalid_request,
                    "Model with id=" + std::string(id) + " not found in db", "id");
}

}  // namespace

StoredModels::StoredModels(const config::Config& config, router::LiveRouter& router, bool enabled)
    : config_(config),
      config_router_(router.current()),
      router_(router),
      enabled_(enabled),
      signing_key_(store::value_signing_key(config.general_settings.master_key)) {
  for (const auto& id : router.current()->models().deployment_ids()) config_ids_.insert(id);
}

store::ModelRecord StoredModels::sealed(store::ModelRecord model) const {
  if (signing_key_.empty()) return model;
  json::object params = object_of(model.litellm_params);
  for (auto& [key, value] : params) {
    if (value.is_string()) value = store::encrypt_value(value.get_string(), signing_key_);
  }
  model.litellm_params = json::serialize(params);
  return model;
}

store::ModelRecord StoredModels::opened(store::ModelRecord model) const {
  if (signing_key_.empty()) return model;
  json::object params = object_of(model.litellm_params);
  for (auto& [key, value] : params) {
    if (!value.is_string()) continue;
    if (auto plain = store::decrypt_value(value.get_string(), signing_key_)) value = *plain;
  }
  model.litellm_params = json::serialize(params);
  return model;
}

Result<void> StoredModels::check_builds(const store::ModelRecord& model) const {
  auto entry =
      router::stored_model_entry(config_, model.model_id, model.model_name,
                                 object_of(model.litellm_params), object_of(model.model_info));
  if (!entry) return entry.error();
  return {};
}

Result<admin::Changed<store::ModelRecord>> StoredModels::add(store::Store& store,
                                                             admin::FieldReader& body,
                                                             store::Millis now) const {
  if (!enabled_) return store_model_in_db_off();
  const auto model_name = body.text("model_name");
  const auto params = body.object("litellm_params");
  auto info = body.object("model_info").value_or(json::object{});
  if (body.error()) return *body.error();
  if (!model_name || model_name->empty()) {
    return make_error(ErrorKind::invalid_request, "model_name is required", "model_name");
  }
  if (!params) {
    return make_error(ErrorKind::invalid_request, "litellm_params is required", "litellm_params");
  }
  const auto* given_id = info.if_contains("id");
  if (given_id && !given_id->is_string()) {
    return make_error(ErrorKind::invalid_request, "model_info.id must be a string",
                      "model_info.id");
  }
  std::string id = given_id ? std::string(given_id->get_string()) : make_uuid();
  if (id.empty()) {
    return make_error(ErrorKind::invalid_request, "model_info.id must not be empty",
                      "model_info.id");
  }
  if (config_ids_.contains(id) || store.find_model(id)) {
    return make_error(ErrorKind::invalid_request, "Model with id=" + id + " already exists",
                      "model_info.id");
  }
  info["id"] = id;
  store::ModelRecord model{.model_id = std::move(id),
                           .model_name = *model_name,
                           .litellm_params = json::serialize(*params),
                           .model_info = json::serialize(info),
                           .created_at = now,
                           .updated_at = now};
  if (auto builds = check_builds(model); !builds) return builds.error();
  store.insert_model(sealed(model));
  return admin::Changed<store::ModelRecord>{.value = std::move(model)};
}

Result<admin::Changed<store::ModelRecord>> StoredModels::update(store::Store& store,
                                                                admin::FieldReader& body,
                                                                std::optional<std::string> id,
                                                                store::Millis now) const {
  if (!enabled_) return store_model_in_db_off();
  const auto model_name = body.text("model_name");
  const auto params = body.object("litellm_params");
  const auto info = body.object("model_info");
  if (body.error()) return *body.error();
  if (!id && info) {
    if (const auto* given = info->if_contains("id"); given && given->is_string())
      id = std::string(given->get_string());
  }
  if (!id) {
    return make_error(ErrorKind::invalid_request, "model_info.id not provided", "model_info.id");
  }
  auto stored = store.find_model(*id);
  auto model = stored ? std::optional(opened(std::move(*stored))) : std::nullopt;
  if (!model) {
    if (config_ids_.contains(*id)) {
      return make_error(
          ErrorKind::invalid_request,
          "Can't edit model. Model in config. Store model in db via `/model/new`. to edit.",
          "model_info.id");
    }
    return not_in_db(*id);
  }
  if (model_name) {
    if (model_name->empty()) {
      return make_error(ErrorKind::invalid_request, "model_name must not be empty", "model_name");
    }
    model->model_name = *model_name;
  }
  if (params) {
    model->litellm_params = json::serialize(merged(object_of(model->litellm_params), *params));
  }
  if (info) {
    json::object next = merged(object_of(model->model_info), *info);
    next["id"] = model->model_id;  // the id names the model: it is not changed
    model->model_info = json::serialize(next);
  }
  model->updated_at = now;
  if (auto builds = check_builds(*model); !builds) return builds.error();
  if (!store.update_model(sealed(*model))) return not_in_db(*id);
  return admin::Changed<store::ModelRecord>{.value = std::move(*model)};
}

Result<admin::Changed<std::string>> StoredModels::remove(store::Store& store,
                                                         admin::FieldReader& body) const {
  if (!enabled_) return store_model_in_db_off();
  const auto id = body.text("id");
  if (body.error()) return *body.error();
  if (!id) return make_error(ErrorKind::invalid_request, "id is required", "id");
  if (!store.delete_model(*id)) return not_in_db(*id);
  return admin::Changed<std::string>{.value = "Model: " + *id + " deleted successfully"};
}

void StoredModels::reload(store::Store& store) {
  auto models = store.all_models();
  if (models == loaded_) return;
  std::vector<config::ModelEntry> entries;
  for (const auto& stored : models) {
    const store::ModelRecord model = opened(stored);
    auto entry =
        router::stored_model_entry(config_, model.model_id, model.model_name,
                                   object_of(model.litellm_params), object_of(model.model_info));
    if (!entry) {
      telemetry::log_now(
          "warning", "stored model " + model.model_id + " is not served: " + entry.error().message);
      continue;
    }
    entries.push_back(std::move(*entry));
  }
  const std::size_t served = entries.size();
  std::vector<std::string> warnings;
  try {
    auto table = router::table_with_stored(config_, std::move(entries), warnings);
    table.share_google_tokens_of(config_router_->models());
    router_.replace(router_.current()->with_table(std::move(table)));
  } catch (const config::LoadError& error) {
    telemetry::log_now("warning", std::string("stored models are not served: ") + error.what());
    return;
  }
  loaded_ = std::move(models);
  telemetry::log_now("info", "models stored in the database: " + std::to_string(served) +
                                 " served beside the config's");
}

json::object stored_model_json(const store::ModelRecord& model) {
  const json::object params = object_of(model.litellm_params);
  json::object shown{{"model", nullptr}, {"api_base", nullptr}};
  if (const auto* upstream = params.if_contains("model")) shown["model"] = *upstream;
  if (const auto* base = params.if_contains("api_base"); base && base->is_string())
    shown["api_base"] = shown_api_base(base->get_string());
  return json::object{{"model_id", model.model_id},
                      {"model_name", model.model_name},
                      {"litellm_params", std::move(shown)},
                      {"model_info", object_of(model.model_info)},
                      {"created_at", admin::iso_time(model.created_at)},
                      {"updated_at", admin::iso_time(model.updated_at)}};
}

void StoredModelRoutes::add_to(server::Routes& routes) {
  const StoredModels* models = &models_;
  auto answer = [](const store::ModelRecord& model) { return stored_model_json(model); };
  management_.add_change(
      routes, "/model/new",
      [models](store::Store& store, admin::FieldReader& body, store::Millis now) {
        return models->add(store, body, now);
      },
      answer);
  management_.add_change(
      routes, "/model/update",
      [models](store::Store& store, admin::FieldReader& body, store::Millis now) {
        return models->update(store, body, std::nullopt, now);
      },
      answer);
  management_.add(routes, verb::patch, "/model/{id}/update", admin::Access::admin,
                  [this, models, answer](admin::Admitted request) {
                    auto rule = [models, id = net::percent_decoded(request.param)](
                                    store::Store& store, admin::FieldReader& body,
                                    store::Millis now) {
                      return models->update(store, body, id, now);
                    };
                    return management_.serve_change(request, std::move(rule), answer);
                  });
  management_.add_change(
      routes, "/model/delete",
      [models](store::Store& store, admin::FieldReader& body, store::Millis) {
        return models->remove(store, body);
      },
      [](const std::string& message) {
        return json::object{{"message", message}};
      });
}

}  // namespace llmux::handlers
