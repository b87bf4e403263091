// The deployments each model name is served from, built once from model_list and shared
// read-only by every worker. Picking a deployment takes no lock.
#pragma once

#include "api/usage.hpp"
#include "config/config.hpp"
#include "config/model_prices.hpp"
#include "providers/provider.hpp"

#include <chrono>
#include <list>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmux::router {

// One place a model group is served from (one model_list entry).
struct Deployment {
  std::string id;           // model_info.id, else a stable hash of the entry
  std::string model_group;  // model_name: what clients send as "model"
  providers::Target target;
  const providers::Provider* provider = nullptr;
  std::chrono::milliseconds timeout{};         // the whole call
  std::chrono::milliseconds stream_timeout{};  // until the first streamed byte
  // simple-shuffle's share of the group: weight, else rpm, else tpm, else 1.
  double weight = 1;
  std::optional<long> rpm;
  std::optional<long> tpm;
  std::optional<int> order;              // priority tier; lower first
  std::optional<long> max_input_tokens;  // price->max_input_tokens, for pre-call checks
  std::size_t index = 0;                 // dense, for the health state's slots
  // A failure may cool it: false for the only deployment of its group (cooling it would only
  // replace the provider's own answer with "no deployments available"), as LiteLLM does.
  bool cools = true;
  // litellm_params.configurable_clientside_auth_params: fields a client may set for this
  // deployment (api_key, api_base, base_url, …), and the api_base patterns a client may use.
  std::vector<std::string> clientside_params;
  std::vector<std::regex> clientside_api_bases;
  // The request field that chose this deployment's api_base ("api_base", "base_url" or
  // "user_config"): it is dialled under the client destination policy and carries no operator
  // credential. Empty: the operator's own deployment.
  std::string_view client_destination;
  std::string wildcard;  // "*" or "openai/*" for an entry that serves any matching model
  // model_info.access_groups: names a key's or team's models may give to allow this group.
  std::vector<std::string> access_groups;
  // Prices and context window: the built-in map's entry for model_info.base_model or the
  // upstream model, overridden field by field by model_info / litellm_params. Empty: unknown
  // model and no prices in the config (its calls cost 0, and say so in the log).
  std::optional<config::ModelPrice> price;
  // How GET /health probes it (LiteLLM's model_info keys).
  struct HealthCheck {
    std::string mode;   // model_info.mode, else the price map's: chat, completion, embedding, …
    std::string model;  // model_info.health_check_model: the upstream model a wildcard is probed as
    std::chrono::milliseconds timeout{60'000};  // model_info.health_check_timeout (seconds)
    long max_tokens = 16;                       // model_info.health_check_max_tokens
  } health_check;
};

// Whose config a table is built from. A client's user_config never picks up anything of the
// operator's: no provider key, base URL or setting from the process environment, no file read
// (a provider's credentials must be given inline), and its destinations are the client's.
enum class ConfigSource { operator_config, user_config };

// USD for one call's usage on `deployment`: the built-in price map with the deployment's own
// overrides (Deployment::price); 0 for a model without prices. Cached prompt tokens are billed at
// the cache-read price.
double call_cost(const Deployment& deployment, const api::Usage& usage);

// The most a call of `prompt_tokens` may cost on any deployment of `group`: the prompt at the
// input price plus `max_tokens` (else the deployment's max_output_tokens, else none) at the
// output price. 0 for deployments without prices.
double worst_case_cost(const std::vector<Deployment>& group, std::int64_t prompt_tokens,
                       std::optional<std::int64_t> max_tokens);

class ModelTable {
 public:
  // Unknown providers are errors (thrown as config::LoadError); providers llmux does not speak
  // yet are skipped with a warning appended to `warnings`.
  static ModelTable build(const config::Config& config, std::vector<std::string>& warnings,
                          ConfigSource source = ConfigSource::operator_config);

  // The group's deployments, or nullptr for an unknown model name.
  const std::vector<Deployment>* group(std::string_view model_name) const;
  // The group a client's model name means: itself, or its router_settings.model_group_alias;
  // a name served by a wildcard entry ("*", "openai/*") is its own group.
  std::string group_name(std::string_view model_name) const;
  // The deployments serving `model_name`: its group, else the most specific wildcard entry,
  // made into deployments of that model (copies appended to `owned`). Empty when none serves it.
  std::vector<const Deployment*> deployments_for(std::string_view model_name,
                                                 std::list<Deployment>& owned) const;
  void set_aliases(std::vector<std::pair<std::string, std::string>> aliases) {
    aliases_ = std::move(aliases);
  }
  // The provider of the group's first deployment; "" for a name no configured group has.
  std::string_view provider_of(std::string_view model_name) const;
  // The access groups any deployment of the group is in, sorted; empty for an unknown name.
  std::span<const std::string> access_groups_of(std::string_view model_name) const;
  // Model names in the order the config first lists them.
  const std::vector<std::string>& model_names() const { return names_; }
  std::size_t deployment_count() const;
  // A table rebuilt from the same config (with models kept in the database) takes the Google
  // access tokens of `original`'s deployments of the same id: the background refresher keeps
  // those fresh, the rebuilt table's own would stay empty.
  void share_google_tokens_of(const ModelTable& original);
  // Each deployment's id, by Deployment::index.
  std::vector<std::string> deployment_ids() const;
  // The index of the deployment with this id; nullopt when the table has none.
  std::optional<std::size_t> index_of(std::string_view deployment_id) const;
  // Some deployment is reached over https (the system's CA store must be loaded).
  bool needs_tls() const;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  std::unordered_map<std::string, std::vector<Deployment>, NameHash, std::equal_to<>> groups_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::vector<std::string>, NameHash, std::equal_to<>>
      access_groups_;  // model name → its deployments' access groups
  std::vector<std::pair<std::string, std::string>> aliases_;
  std::vector<const std::vector<Deployment>*> wildcard_groups_;  // longest pattern first
  ConfigSource source_ = ConfigSource::operator_config;
};

}  // namespace llmux::router
