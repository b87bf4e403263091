#include "router/model_table.hpp"

#include "config/load.hpp"
#include "net/client_destination.hpp"
#include "providers/mock_response.hpp"
#include "providers/registry.hpp"

#include <openssl/sha.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <type_traits>

namespace llmux::router {

namespace {

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string env_or_empty(std::string_view name) {
  if (name.empty()) return {};
  const char* value = std::getenv(std::string(name).c_str());
  return value ? value : "";
}

// LiteLLM names an unnamed deployment by hashing its entry; the key is left out of the hash.
std::string stable_id(const config::ModelEntry& entry) {
  std::string text = entry.model_name + "\n" + entry.params.model + "\n" + entry.params.api_base +
                     "\n" + entry.params.api_version + "\n" +
                     boost::json::serialize(entry.params.extra);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char byte : digest) {
    id += kHex[byte >> 4];
    id += kHex[byte & 15];
  }
  return id;
}

// model_info.access_groups, a list of names; false when it is something else.
bool read_access_groups(const boost::json::object& model_info, std::vector<std::string>& groups) {
  const auto* value = model_info.if_contains("access_groups");
  if (!value || value->is_null()) return true;
  if (!value->is_array()) return false;
  for (const auto& name : value->get_array()) {
    if (!name.is_string()) return false;
    groups.emplace_back(name.get_string());
  }
  return true;
}

std::string trim_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The map's entry for the deployment's model (or model_info.base_model), then the operator's
// overrides.
std::optional<config::ModelPrice> price_of(const config::ModelEntry& entry,
                                           const providers::Target& target) {
  std::string_view model = target.upstream_model;
  if (const auto* base = entry.model_info.if_contains("base_model"); base && base->is_string()) {
    model = providers::split_model(base->get_string()).name;
  }
  return config::deployment_price(config::ModelPrices::builtin().find(target.provider, model),
                                  entry.model_info, target.settings);
}

}  // namespace

namespace {

// Where the deployment's provider is reached when the entry does not say: the provider's
// environment variables, then its default base URL.
void apply_provider(Deployment& deployment, const providers::ProviderSpec* spec,
                    bool use_environment) {
  auto& target = deployment.target;
  deployment.provider = spec ? spec->provider_for(target.upstream_model) : nullptr;
  if (spec && use_environment && target.api_base.empty())
    target.api_base = env_or_empty(spec->api_base_env);
  if (spec && target.api_base.empty()) target.api_base = spec->default_api_base;
  target.api_base = trim_trailing_slashes(target.api_base);
  if (spec && use_environment && target.api_key.empty())
    target.api_key = env_or_empty(spec->api_key_env);
  if (spec && use_environment && target.api_key.empty())
    target.api_key = env_or_empty(spec->fallback_api_key_env);
  if (spec && use_environment && target.api_version.empty())
    target.api_version = env_or_empty(spec->api_version_env);
}

// configurable_clientside_auth_params: ["api_key", "api_base", {"api_base": "<regex>"}, …]
void read_clientside_params(Deployment& deployment, const std::string& where,
                            std::vector<std::string>& problems) {
  const auto* params =
      deployment.target.settings.if_contains("configurable_clientside_auth_params");
  if (!params) return;
  const std::string field = where + ": litellm_params.configurable_clientside_auth_params";
  if (!params->is_array()) {
    problems.push_back(field + ": expected a list");
    return;
  }
  for (const auto& item : params->get_array()) {
    if (item.is_string()) {
      deployment.clientside_params.emplace_back(item.get_string());
      continue;
    }
    const auto* pattern = item.is_object() ? item.get_object().if_contains("api_base") : nullptr;
    if (!pattern || !pattern->is_string()) {
      problems.push_back(field + ": expected a field name or {api_base: <regex>}");
      continue;
    }
    try {
      deployment.clientside_api_bases.emplace_back(std::string(pattern->get_string()),
                                                   std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      problems.push_back(field + ": api_base is not a valid regular expression");
    }
  }
}

// LiteLLM's model_info keys for the deployment's health probe; a value of the wrong type is left
// at its default.
void read_health_check(Deployment& deployment, const boost::json::object& model_info) {
  auto& check = deployment.health_check;
  if (const auto* mode = model_info.if_contains("mode"); mode && mode->is_string()) {
    check.mode = mode->get_string();
  } else if (deployment.price) {
    check.mode = deployment.price->mode;
  }
  if (const auto* model = model_info.if_contains("health_check_model"); model && model->is_string())
    check.model = model->get_string();
  if (const auto* timeout = model_info.if_contains("health_check_timeout");
      timeout && timeout->is_number() && timeout->to_number<double>() > 0) {
    check.timeout = seconds_to_ms(timeout->to_number<double>());
  }
  if (const auto* tokens = model_info.if_contains("health_check_max_tokens");
      tokens && tokens->is_number() && tokens->to_number<double>() >= 1) {
    check.max_tokens = static_cast<long>(tokens->to_number<double>());
  }
}

bool is_wildcard_name(std::string_view name) { return name == "*" || name.ends_with("/*"); }

}  // namespace

ModelTable ModelTable::build(const config::Config& config, std::vector<std::string>& warnings,
                             ConfigSource source) {
  ModelTable table;
  table.source_ = source;
  const bool use_environment = source == ConfigSource::operator_config;
  std::vector<std::string> problems;
  const double default_timeout =
      config.router_settings.timeout_s.value_or(config.litellm_settings.request_timeout_s);
  std::size_t next_index = 0;
  for (const auto& entry : config.model_list) {
    const std::string where = config.source + ":" + std::to_string(entry.line) + ": model_list '" +
                              entry.model_name + "'";
    // litellm_params.model "*": the provider is the one the client's model name names.
    const bool provider_from_request = entry.params.model == "*";
    const auto name = providers::split_model(entry.params.model);
    const auto* spec = providers::find_provider(name.prefix);
    if (!spec && !entry.params.mock_response && !provider_from_request) {
      if (providers::is_planned_provider(name.prefix)) {
        warnings.push_back(where + ": provider '" + std::string(name.prefix) +
                           "' is not implemented by llmux yet; this deployment is not served");
      } else {
        problems.push_back(where + ": litellm_params.model: unknown provider '" +
                           std::string(name.prefix) +
                           "' (known: " + providers::known_provider_list() + ")");
      }
      continue;
    }
    Deployment deployment{.model_group = entry.model_name};
    if (const auto* id = entry.model_info.if_contains("id"); id && id->is_string()) {
      deployment.id = id->get_string();
    } else {
      deployment.id = stable_id(entry);
    }
    auto& target = deployment.target;
    target.provider = provider_from_request ? "" : std::string(name.prefix);
    target.upstream_model = provider_from_request ? "*" : std::string(name.name);
    target.api_base = entry.params.api_base;
    target.api_key = entry.params.api_key;
    target.api_version = entry.params.api_version;
    if (!provider_from_request) apply_provider(deployment, spec, use_environment);
    target.organization = entry.params.organization;
    target.extra_headers = entry.params.extra_headers;
    for (const auto& [key, value] : entry.params.extra) {
      (providers::is_provider_setting(key) ? target.settings : target.default_params)[key] = value;
    }
    if (spec && spec->prepare && !entry.params.mock_response) {
      if (auto problem =
              spec->prepare(target, entry.model_name, /*operator_config=*/use_environment)) {
        problems.push_back(where + ": " + *problem);
        continue;
      }
    }
    const auto* drop = target.settings.if_contains("drop_params");
    target.drop_params =
        drop && drop->is_bool() ? drop->get_bool() : config.litellm_settings.drop_params;
    // Provider-specific resolution (Bedrock's region and credentials) reads the environment and
    // files: only for the operator's own deployments.
    if (spec && !provider_from_request && use_environment) spec->provider->prepare(target);
    target.api_base = trim_trailing_slashes(target.api_base);
    if (!provider_from_request && spec && target.api_base.empty() && !entry.params.mock_response) {
      problems.push_back(where + ": litellm_params.api_base is required for provider '" +
                         std::string(name.prefix) + "'");
      continue;
    }
    // Checked here, where the environment's and the provider's defaults are in: a bad URL would
    // otherwise fail every call. Not echoed: it may have come from the environment.
    if (!target.api_base.empty() && !net::is_http_url(target.api_base)) {
      problems.push_back(where + ": litellm_params.api_base is not an absolute http(s) URL");
      continue;
    }
    if (source == ConfigSource::user_config) deployment.client_destination = "user_config";
    read_clientside_params(deployment, where, problems);
    deployment.timeout = seconds_to_ms(entry.params.timeout_s.value_or(default_timeout));
    deployment.stream_timeout = seconds_to_ms(
        entry.params.stream_timeout_s.value_or(config.router_settings.stream_timeout_s.value_or(
            entry.params.timeout_s.value_or(default_timeout))));
    if (entry.params.mock_response) {
      deployment.provider = &providers::mock_response_provider();
      target.mock_response = *entry.params.mock_response;
    }
    deployment.rpm = entry.params.rpm;
    deployment.tpm = entry.params.tpm;
    deployment.order = entry.params.order;
    const auto share =
        entry.params.weight ? entry.params.weight
        : entry.params.rpm  ? std::optional<double>(static_cast<double>(*entry.params.rpm))
        : entry.params.tpm  ? std::optional<double>(static_cast<double>(*entry.params.tpm))
                            : std::nullopt;
    deployment.weight = share.value_or(1.0);
    deployment.price = price_of(entry, target);
    if (deployment.price) target.max_output_tokens = deployment.price->max_output_tokens;
    if (deployment.weight <= 0) deployment.weight = 1.0;
    if (deployment.price && deployment.price->max_input_tokens) {
      deployment.max_input_tokens = static_cast<long>(*deployment.price->max_input_tokens);
    }
    if (is_wildcard_name(entry.model_name)) deployment.wildcard = entry.model_name;
    read_health_check(deployment, entry.model_info);
    if (!read_access_groups(entry.model_info, deployment.access_groups)) {
      problems.push_back(where + ": model_info.access_groups must be a list of strings");
      continue;
    }
    auto& group_access = table.access_groups_[entry.model_name];
    for (const auto& name : deployment.access_groups) {
      if (std::ranges::find(group_access, name) == group_access.end()) group_access.push_back(name);
    }
    std::ranges::sort(group_access);
    deployment.index = next_index++;

    auto [group, inserted] = table.groups_.try_emplace(entry.model_name);
    if (inserted) table.names_.push_back(entry.model_name);
    group->second.push_back(std::move(deployment));
  }
  if (!problems.empty()) throw config::LoadError(std::move(problems));
  for (auto& [name, deployments] : table.groups_) {
    if (deployments.size() == 1) deployments.front().cools = false;
    if (is_wildcard_name(name)) table.wildcard_groups_.push_back(&deployments);
  }
  std::sort(table.wildcard_groups_.begin(), table.wildcard_groups_.end(),
            [](const auto* a, const auto* b) {
              return a->front().wildcard.size() > b->front().wildcard.size();
            });
  table.set_aliases(config.router_settings.model_group_alias);
  return table;
}

const std::vector<Deployment>* ModelTable::group(std::string_view model_name) const {
  auto found = groups_.find(model_name);
  return found == groups_.end() ? nullptr : &found->second;
}

std::string_view ModelTable::provider_of(std::string_view model_name) const {
  const auto* deployments = group(model_name);
  return deployments && !deployments->empty()
             ? std::string_view(deployments->front().target.provider)
             : std::string_view();
}

std::span<const std::string> ModelTable::access_groups_of(std::string_view model_name) const {
  auto found = access_groups_.find(model_name);
  if (found == access_groups_.end()) return {};
  return found->second;
}

std::string ModelTable::group_name(std::string_view model_name) const {
  for (const auto& [alias, group] : aliases_) {
    if (alias == model_name) return group;
  }
  return std::string(model_name);
}

std::vector<const Deployment*> ModelTable::deployments_for(std::string_view model_name,
                                                           std::list<Deployment>& owned) const {
  std::vector<const Deployment*> result;
  if (is_wildcard_name(model_name)) return result;  // a pattern is not a model
  if (const auto* deployments = group(model_name)) {
    for (const auto& deployment : *deployments) result.push_back(&deployment);
    return result;
  }
  for (const auto* deployments : wildcard_groups_) {
    const std::string_view pattern = deployments->front().wildcard;
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // "openai/" or ""
    if (!model_name.starts_with(prefix) || model_name.size() == prefix.size()) continue;
    const std::string_view matched = model_name.substr(prefix.size());
    for (const auto& wildcard : *deployments) {
      Deployment deployment = wildcard;
      deployment.model_group = std::string(model_name);
      auto& target = deployment.target;
      if (target.provider.empty()) {  // litellm_params.model "*": the client names the provider
        const auto name = providers::split_model(matched);
        const auto* spec = providers::find_provider(name.prefix);
        if (!spec) continue;
        target.provider = name.prefix;
        target.upstream_model = name.name;
        apply_provider(deployment, spec, source_ == ConfigSource::operator_config);
      } else if (const auto star = target.upstream_model.find('*'); star != std::string::npos) {
        target.upstream_model.replace(star, 1, matched);
      }
      // The entry's own prices were for "*"; the model it now serves may be in the map.
      if (!deployment.price) {
        if (const auto* known =
                config::ModelPrices::builtin().find(target.provider, target.upstream_model)) {
          deployment.price = *known;
          target.max_output_tokens = known->max_output_tokens;
          if (known->max_input_tokens)
            deployment.max_input_tokens = static_cast<long>(*known->max_input_tokens);
        }
      }
      owned.push_back(std::move(deployment));
      result.push_back(&owned.back());
    }
    if (!result.empty()) return result;
  }
  return result;
}

bool ModelTable::needs_tls() const {
  for (const auto& [name, deployments] : groups_) {
    for (const auto& deployment : deployments) {
      if (deployment.target.api_base.starts_with("https://")) return true;
    }
  }
  return false;
}

std::size_t ModelTable::deployment_count() const {
  std::size_t count = 0;
  for (const auto& [name, deployments] : groups_) count += deployments.size();
  return count;
}

void ModelTable::share_google_tokens_of(const ModelTable& original) {
  for (auto& [name, deployments] : groups_) {
    for (auto& deployment : deployments) {
      if (!deployment.target.google_token) continue;
      const auto* same_group = original.group(name);
      if (!same_group) continue;
      for (const auto& kept : *same_group) {
        if (kept.id == deployment.id && kept.target.google_token)
          deployment.target.google_token = kept.target.google_token;
      }
    }
  }
}

std::vector<std::string> ModelTable::deployment_ids() const {
  std::vector<std::string> ids(deployment_count());
  for (const auto& [name, deployments] : groups_) {
    for (const auto& deployment : deployments) ids[deployment.index] = deployment.id;
  }
  return ids;
}

std::optional<std::size_t> ModelTable::index_of(std::string_view deployment_id) const {
  for (const auto& [name, deployments] : groups_) {
    for (const auto& deployment : deployments) {
      if (deployment.id == deployment_id) return deployment.index;
    }
  }
  return std::nullopt;
}

double call_cost(const Deployment& deployment, const api::Usage& usage) {
  if (!deployment.price) return 0;
  return config::cost_usd(*deployment.price, {.prompt = usage.prompt_tokens,
                                              .completion = usage.completion_tokens,
                                              .cache_read = usage.cached_tokens});
}

double worst_case_cost(const std::vector<Deployment>& group, std::int64_t prompt_tokens,
                       std::optional<std::int64_t> max_tokens) {
  double worst = 0;
  for (const Deployment& deployment : group) {
    if (!deployment.price) continue;
    const config::ModelPrice& price = *deployment.price;
    const std::int64_t completion = max_tokens.value_or(price.max_output_tokens.value_or(0));
    worst = std::max(worst,
                     config::cost_usd(price, {.prompt = prompt_tokens, .completion = completion}));
  }
  return worst;
}

}  // namespace llmux::router
