#include "router/model_table.hpp"

#include "config/load.hpp"
#include "providers/registry.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <type_traits>
#include <random>

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
  std::string text = entry.model_name + "\n" + entry.params.model + "\n" + entry.params.api_base + "\n" +
                     entry.params.api_version + "\n" + boost::json::serialize(entry.params.extra);
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

std::string trim_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::optional<double> number_in(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

constexpr std::string_view kPriceKeys[] = {
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "max_input_tokens", "max_output_tokens"};

// The map's entry, then the operator's overrides (model_info first, then litellm_params).
std::optional<config::ModelPrice> price_of(const config::ModelEntry& entry, const providers::Target& target) {
  std::string_view model = target.upstream_model;
  if (const auto* base = entry.model_info.if_contains("base_model"); base && base->is_string()) {
    model = providers::split_model(base->get_string()).name;
  }
  std::optional<config::ModelPrice> price;
  if (const auto* known = config::ModelPrices::builtin().find(target.provider, model)) price = *known;
  const auto override_with = [&](const boost::json::object& source) {
    const auto assign = [&](std::string_view key, auto& field) {
      if (const auto value = number_in(source, key)) field = static_cast<std::decay_t<decltype(field)>>(*value);
    };
    config::ModelPrice given = price.value_or(config::ModelPrice{});
    assign("input_cost_per_token", given.input_cost_per_token);
    assign("output_cost_per_token", given.output_cost_per_token);
    assign("cache_read_input_token_cost", given.cache_read_input_token_cost);
    assign("cache_creation_input_token_cost", given.cache_creation_input_token_cost);
    assign("max_input_tokens", given.max_input_tokens);
    assign("max_output_tokens", given.max_output_tokens);
    const bool any = std::ranges::any_of(kPriceKeys, [&](std::string_view key) { return number_in(source, key).has_value(); });
    if (any) price = std::move(given);
  };
  override_with(entry.model_info);
  override_with(target.settings);
  return price;
}

}  // namespace

ModelTable ModelTable::build(const config::Config& config, std::vector<std::string>& warnings) {
  ModelTable table;
  std::vector<std::string> problems;
  const double default_timeout = config.router_settings.timeout_s.value_or(config.litellm_settings.request_timeout_s);
  for (const auto& entry : config.model_list) {
    const std::string where = config.source + ":" + std::to_string(entry.line) + ": model_list '" + entry.model_name + "'";
    const auto name = providers::split_model(entry.params.model);
    const auto* spec = providers::find_provider(name.prefix);
    if (!spec && !entry.params.mock_response) {
      if (providers::is_planned_provider(name.prefix)) {
        warnings.push_back(where + ": provider '" + std::string(name.prefix) +
                           "' is not implemented by llmux yet; this deployment is not served");
      } else {
        problems.push_back(where + ": litellm_params.model: unknown provider '" + std::string(name.prefix) +
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
    deployment.provider = spec ? spec->provider : nullptr;
    auto& target = deployment.target;
    target.provider = name.prefix;
    target.upstream_model = name.name;
    target.api_base = entry.params.api_base;
    if (spec && target.api_base.empty()) target.api_base = env_or_empty(spec->api_base_env);
    if (spec && target.api_base.empty()) target.api_base = spec->default_api_base;
    target.api_base = trim_trailing_slashes(target.api_base);
    target.api_key = entry.params.api_key;
    if (spec && target.api_key.empty()) target.api_key = env_or_empty(spec->api_key_env);
    if (spec && target.api_key.empty()) target.api_key = env_or_empty(spec->fallback_api_key_env);
    target.api_version = entry.params.api_version;
    if (spec && target.api_version.empty()) target.api_version = env_or_empty(spec->api_version_env);
    target.organization = entry.params.organization;
    target.extra_headers = entry.params.extra_headers;
    for (const auto& [key, value] : entry.params.extra) {
      (providers::is_provider_setting(key) ? target.settings : target.default_params)[key] = value;
    }
    const auto* drop = target.settings.if_contains("drop_params");
    target.drop_params = drop && drop->is_bool() ? drop->get_bool() : config.litellm_settings.drop_params;
    if (spec && target.api_base.empty() && !entry.params.mock_response) {
      problems.push_back(where + ": litellm_params.api_base is required for provider '" +
                         std::string(name.prefix) + "'");
      continue;
    }
    deployment.timeout = seconds_to_ms(entry.params.timeout_s.value_or(default_timeout));
    deployment.stream_timeout = seconds_to_ms(entry.params.stream_timeout_s.value_or(
        entry.params.timeout_s.value_or(default_timeout)));
    deployment.mock_response = entry.params.mock_response;
    deployment.weight = entry.params.weight.value_or(1.0);
    deployment.price = price_of(entry, target);
    if (deployment.price) target.max_output_tokens = deployment.price->max_output_tokens;
    if (deployment.weight <= 0) deployment.weight = 1.0;

    auto [group, inserted] = table.groups_.try_emplace(entry.model_name);
    if (inserted) table.names_.push_back(entry.model_name);
    group->second.push_back(std::move(deployment));
  }
  if (!problems.empty()) throw config::LoadError(std::move(problems));
  return table;
}

const std::vector<Deployment>* ModelTable::group(std::string_view model_name) const {
  auto found = groups_.find(model_name);
  return found == groups_.end() ? nullptr : &found->second;
}

const Deployment* ModelTable::pick(std::string_view model_name) const {
  const auto* deployments = group(model_name);
  if (!deployments || deployments->empty()) return nullptr;
  if (deployments->size() == 1) return &deployments->front();
  thread_local std::minstd_rand generator{std::random_device{}()};
  double total = 0;
  for (const auto& deployment : *deployments) total += deployment.weight;
  double point = std::uniform_real_distribution<double>(0, total)(generator);
  for (const auto& deployment : *deployments) {
    point -= deployment.weight;
    if (point < 0) return &deployment;
  }
  return &deployments->back();
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

}  // namespace llmux::router
