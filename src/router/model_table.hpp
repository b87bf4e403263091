// The deployments each model name is served from, built once from model_list and shared
// read-only by every worker. Picking a deployment takes no lock.
#pragma once

#include "config/config.hpp"
#include "config/model_prices.hpp"
#include "providers/provider.hpp"

#include <chrono>
#include <optional>
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
  std::optional<std::string> mock_response;
  double weight = 1;
  // Prices and context window: the built-in map's entry for model_info.base_model or the
  // upstream model, overridden field by field by model_info / litellm_params. Empty: unknown
  // model and no prices in the config (its calls cost 0, and say so in the log).
  std::optional<config::ModelPrice> price;
};

class ModelTable {
 public:
  // Unknown providers are errors (thrown as config::LoadError); providers llmux does not speak
  // yet are skipped with a warning appended to `warnings`.
  static ModelTable build(const config::Config& config, std::vector<std::string>& warnings);

  // The group's deployments, or nullptr for an unknown model name.
  const std::vector<Deployment>* group(std::string_view model_name) const;
  // simple-shuffle: a weighted random choice within the group.
  const Deployment* pick(std::string_view model_name) const;
  // Model names in the order the config first lists them.
  const std::vector<std::string>& model_names() const { return names_; }
  std::size_t deployment_count() const;
  // Some deployment is reached over https (the system's CA store must be loaded).
  bool needs_tls() const;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  std::unordered_map<std::string, std::vector<Deployment>, NameHash, std::equal_to<>> groups_;
  std::vector<std::string> names_;
};

}  // namespace llmux::router
