#include "config/model_prices.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <stdexcept>
#include <type_traits>

// The map's bytes, linked in by the assembler (no multi-megabyte string literal to compile).
// LLMUX_PRICE_MAP_FILE is set by src/CMakeLists.txt.
asm(R"(
  .section .rodata
  .balign 16
  .global llmux_price_map_begin
llmux_price_map_begin:
  .incbin ")" LLMUX_PRICE_MAP_FILE R"("
  .global llmux_price_map_end
llmux_price_map_end:
  .byte 0
  .previous
)");
extern "C" const char llmux_price_map_begin[];
extern "C" const char llmux_price_map_end[];

namespace llmux::config {

namespace json = boost::json;

namespace {

std::optional<double> number(const json::object& entry, std::string_view key) {
  const auto* value = entry.if_contains(key);
  if (!value) return std::nullopt;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return std::nullopt;  // some entries write numbers as strings or null: treated as unknown
}

std::optional<std::int64_t> count(const json::object& entry, std::string_view key) {
  const auto value = number(entry, key);
  if (!value || *value <= 0) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

std::string text(const json::object& entry, std::string_view key) {
  const auto* value = entry.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

ModelPrice price_of(const json::object& entry) {
  ModelPrice price;
  price.input_cost_per_token = number(entry, "input_cost_per_token").value_or(0);
  price.output_cost_per_token = number(entry, "output_cost_per_token").value_or(0);
  price.cache_read_input_token_cost = number(entry, "cache_read_input_token_cost");
  price.cache_creation_input_token_cost = number(entry, "cache_creation_input_token_cost");
  price.max_input_tokens = count(entry, "max_input_tokens");
  // max_tokens is the map's legacy name for the output limit.
  price.max_output_tokens = count(entry, "max_output_tokens");
  if (!price.max_output_tokens) price.max_output_tokens = count(entry, "max_tokens");
  price.provider = text(entry, "litellm_provider");
  price.mode = text(entry, "mode");
  return price;
}

}  // namespace

double cost_usd(const ModelPrice& price, const BilledTokens& tokens) {
  const std::int64_t uncached =
      std::max<std::int64_t>(0, tokens.prompt - tokens.cache_read - tokens.cache_creation);
  return static_cast<double>(uncached) * price.input_cost_per_token +
         static_cast<double>(tokens.cache_read) *
             price.cache_read_input_token_cost.value_or(price.input_cost_per_token) +
         static_cast<double>(tokens.cache_creation) *
             price.cache_creation_input_token_cost.value_or(price.input_cost_per_token) +
         static_cast<double>(tokens.completion) * price.output_cost_per_token;
}

ModelPrices ModelPrices::parse(std::string_view text) {
  const json::value document = json::parse(text);
  if (!document.is_object()) throw std::runtime_error("the price map is not a JSON object");
  ModelPrices prices;
  for (const auto& [name, entry] : document.get_object()) {
    if (!entry.is_object() || name == "sample_spec") continue;
    prices.prices_.emplace(std::string(name), price_of(entry.get_object()));
  }
  return prices;
}

const ModelPrices& ModelPrices::builtin() {
  static const ModelPrices prices = parse(
      std::string_view(llmux_price_map_begin,
                       static_cast<std::size_t>(llmux_price_map_end - llmux_price_map_begin)));
  return prices;
}

const ModelPrice* ModelPrices::find(std::string_view provider, std::string_view model) const {
  if (!provider.empty()) {
    std::string qualified;
    qualified.reserve(provider.size() + 1 + model.size());
    qualified.append(provider).append("/").append(model);
    if (auto found = prices_.find(qualified); found != prices_.end()) return &found->second;
  }
  if (auto found = prices_.find(model); found != prices_.end()) return &found->second;
  return nullptr;
}

std::optional<ModelPrice> deployment_price(const ModelPrice* known, const json::object& model_info,
                                           const json::object& settings) {
  constexpr std::string_view kPriceKeys[] = {"input_cost_per_token",
                                             "output_cost_per_token",
                                             "cache_read_input_token_cost",
                                             "cache_creation_input_token_cost",
                                             "max_input_tokens",
                                             "max_output_tokens"};
  std::optional<ModelPrice> price;
  if (known) price = *known;
  const auto override_with = [&](const json::object& source) {
    if (std::none_of(std::begin(kPriceKeys), std::end(kPriceKeys),
                     [&](std::string_view key) { return number(source, key).has_value(); })) {
      return;
    }
    ModelPrice given = price.value_or(ModelPrice{});
    const auto assign = [&](std::string_view key, auto& field) {
      if (const auto value = number(source, key))
        field = static_cast<std::decay_t<decltype(field)>>(*value);
    };
    assign("input_cost_per_token", given.input_cost_per_token);
    assign("output_cost_per_token", given.output_cost_per_token);
    assign("cache_read_input_token_cost", given.cache_read_input_token_cost);
    assign("cache_creation_input_token_cost", given.cache_creation_input_token_cost);
    assign("max_input_tokens", given.max_input_tokens);
    assign("max_output_tokens", given.max_output_tokens);
    price = std::move(given);
  };
  override_with(model_info);
  override_with(settings);
  return price;
}

}  // namespace llmux::config
