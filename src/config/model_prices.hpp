// The built-in price map (data/model_prices_and_context_window.json, LiteLLM's public map,
// embedded in the binary): what a model's tokens cost and how large its context is.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace llmux::config {

// One model's prices in USD per token, and its limits. Absent prices are 0.
struct ModelPrice {
  double input_cost_per_token = 0;
  double output_cost_per_token = 0;
  std::optional<double> cache_read_input_token_cost;      // else input_cost_per_token
  std::optional<double> cache_creation_input_token_cost;  // else input_cost_per_token
  std::optional<std::int64_t> max_input_tokens;
  std::optional<std::int64_t> max_output_tokens;
  std::string provider;  // litellm_provider
  std::string mode;      // chat, embedding, completion, moderation, …
};

// Tokens of one call, split the way providers bill them.
struct BilledTokens {
  std::int64_t prompt = 0;  // all input tokens, cached ones included (OpenAI's prompt_tokens)
  std::int64_t completion = 0;
  std::int64_t cache_read = 0;      // part of `prompt` served from the provider's prompt cache
  std::int64_t cache_creation = 0;  // part of `prompt` written to it (Anthropic)
};

// USD for `tokens` at `price`.
double cost_usd(const ModelPrice& price, const BilledTokens& tokens);

// A deployment's prices: `known` (the built-in map's entry, or nullptr), overridden field by field
// by the operator's `model_info`, then by its `litellm_params` (`settings`): input_cost_per_token,
// output_cost_per_token, cache_read_input_token_cost, cache_creation_input_token_cost,
// max_input_tokens, max_output_tokens. nullopt: an unknown model and no prices given.
std::optional<ModelPrice> deployment_price(const ModelPrice* known,
                                           const boost::json::object& model_info,
                                           const boost::json::object& settings);

class ModelPrices {
 public:
  // Parses a map in LiteLLM's format; entries that are not objects (or `sample_spec`) are
  // skipped. Throws std::runtime_error when the text is not a JSON object.
  static ModelPrices parse(std::string_view json);
  // The embedded map, parsed once on first use (thread-safe).
  static const ModelPrices& builtin();

  // LiteLLM's lookup: "provider/model" first (the map's keys for most non-OpenAI models),
  // then "model" as is. nullptr when the map does not know it.
  const ModelPrice* find(std::string_view provider, std::string_view model) const;
  std::size_t size() const { return prices_.size(); }

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  std::unordered_map<std::string, ModelPrice, NameHash, std::equal_to<>> prices_;
};

}  // namespace llmux::config
