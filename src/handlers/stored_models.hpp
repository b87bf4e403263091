// Models managed through the API, as LiteLLM's proxy with general_settings.store_model_in_db:
// POST /model/new, /model/update, PATCH /model/{id}/update and POST /model/delete (the master key
// only) keep them in the database; every instance serves them beside the config's model_list,
// which stays read-only (docs/MODELS.md). A change is a change rule on the store thread: the
// key cache's rebuild that follows it (on this instance at once, on the others when the fleet
// tells them or at the store's periodic refresh) reloads them into a new router.
#pragma once

#include "admin/management.hpp"
#include "config/config.hpp"
#include "router/live_router.hpp"
#include "server/routes.hpp"
#include "store/store.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace llmux::handlers {

// One per process: the operator's config, the models the database had at the last reload, and
// the change rules the routes run on the store thread.
class StoredModels {
 public:
  // enabled: general_settings.store_model_in_db (else every route answers LiteLLM's 500).
  StoredModels(const config::Config& config, router::LiveRouter& router, bool enabled);

  // On the store thread: when the database's models differ from the last ones loaded, a router
  // with the config's models and these replaces the current one. A stored model that no longer
  // builds (an os.environ/ variable gone) is left out with a warning.
  void reload(store::Store& store);

  bool enabled() const { return enabled_; }
  // The change rules (on the store thread). update: `id` from the path, or model_info.id.
  Result<admin::Changed<store::ModelRecord>> add(store::Store& store, admin::FieldReader& body,
                                                 store::Millis now) const;
  Result<admin::Changed<store::ModelRecord>> update(store::Store& store, admin::FieldReader& body,
                                                    std::optional<std::string> id,
                                                    store::Millis now) const;
  Result<admin::Changed<std::string>> remove(store::Store& store, admin::FieldReader& body) const;

 private:
  Result<void> check_builds(const store::ModelRecord& model) const;
  // The record as the database keeps it: each string of litellm_params encrypted as LiteLLM
  // encrypts it (store/secret_values.hpp), when there is a signing key.
  store::ModelRecord sealed(store::ModelRecord model) const;
  // The record with each value that opens under the signing key decrypted (one kept in plain
  // text, by an older llmux or without a key, is taken as it is, as LiteLLM does).
  store::ModelRecord opened(store::ModelRecord model) const;

  config::Config config_;
  // The router of the config alone, whose Google tokens the background refresher keeps fresh.
  std::shared_ptr<const router::Router> config_router_;
  std::set<std::string, std::less<>> config_ids_;  // the config's deployments: read-only
  router::LiveRouter& router_;
  bool enabled_;
  std::string signing_key_;                 // $LITELLM_SALT_KEY, else the master key
  std::vector<store::ModelRecord> loaded_;  // store thread only; as the database keeps them
};

// A model as the management routes answer it: no credential, the api base without user
// information (as /model/info shows it).
boost::json::object stored_model_json(const store::ModelRecord& model);

// One worker's model management routes, behind the admin gate.
class StoredModelRoutes {
 public:
  StoredModelRoutes(const StoredModels& models, admin::Management& management)
      : models_(models), management_(management) {}

  void add_to(server::Routes& routes);

 private:
  const StoredModels& models_;
  admin::Management& management_;
};

}  // namespace llmux::handlers
