#include "providers/params.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>

namespace llmux::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view kGatewayOnlyFields[] = {
    "metadata",
    "user_config",
    "mock_response",
    "caching",
    "cache",
    "num_retries",
    "fallbacks",
    "context_window_fallbacks",
    "api_key",
    "api_base",
    "base_url",
    "api_version",
    "timeout",
    "stream_timeout",
    "litellm_call_id",
    "tags",
    "litellm_logging_obj",
    "max_retries",
    "proxy_server_request",
    "disable_fallbacks",
    "drop_params",
    "additional_drop_params",
};

bool listed_in(const json::value* names, std::string_view key) {
  if (!names || !names->is_array()) return false;
  return std::ranges::any_of(names->get_array(), [&](const json::value& name) {
    return name.is_string() && name.get_string() == key;
  });
}

// Fields every provider takes (translated, or ignored as LiteLLM does: `user` is only a label),
// and a field set to the value that means "as usual": some clients always send n: 1.
bool is_always_accepted(std::string_view key, const json::value& value) {
  if (key == "model" || key == "stream" || key == "stream_options" || key == "user") return true;
  return key == "n" && value.is_number() && value.to_number<double>() == 1;
}

bool is_true(const json::value* value) { return value && value->is_bool() && value->get_bool(); }

}  // namespace

// For each first byte, the fields of kGatewayOnlyFields that start with it (bit i: field i):
// a key is compared with two or three names instead of all of them.
constexpr auto kGatewayOnlyByFirstByte = [] {
  static_assert(std::size(kGatewayOnlyFields) <= 32);
  std::array<std::uint32_t, 256> fields{};
  for (std::size_t i = 0; i < std::size(kGatewayOnlyFields); ++i)
    fields[static_cast<unsigned char>(kGatewayOnlyFields[i].front())] |= 1u << i;
  return fields;
}();

bool is_gateway_only_field(std::string_view key) {
  if (key.empty()) return false;
  for (std::uint32_t fields = kGatewayOnlyByFirstByte[static_cast<unsigned char>(key.front())];
       fields != 0; fields &= fields - 1) {
    if (kGatewayOnlyFields[std::countr_zero(fields)] == key) return true;
  }
  return false;
}

bool takes_request_default(api::Endpoint endpoint, std::string_view key) {
  // The settings of a call, named as each API names them.
  static constexpr std::string_view kMessagesFields[] = {
      "max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "thinking", "service_tier"};
  static constexpr std::string_view kResponsesFields[] = {
      "temperature",         "top_p",       "max_output_tokens",
      "parallel_tool_calls", "tool_choice", "service_tier",
      "reasoning",           "text",        "truncation",
      "top_logprobs",        "user"};
  auto among = [key](std::span<const std::string_view> fields) {
    return std::ranges::find(fields, key) != fields.end();
  };
  if (endpoint == api::Endpoint::messages) return among(kMessagesFields);
  if (endpoint == api::Endpoint::responses) return among(kResponsesFields);
  return true;
}

Result<void> check_supported_params(const api::Request& request, const Target& target,
                                    std::span<const std::string_view> supported,
                                    std::string_view provider) {
  if (target.drop_params || is_true(request.body.if_contains("drop_params"))) return {};
  const auto* dropped_by_deployment = target.settings.if_contains("additional_drop_params");
  const auto* dropped_by_request = request.body.if_contains("additional_drop_params");
  for (const auto& [key, value] : request.body) {
    if (is_gateway_only_field(key) || is_always_accepted(key, value)) continue;
    if (std::ranges::find(supported, std::string_view(key)) != supported.end()) continue;
    if (listed_in(dropped_by_deployment, key) || listed_in(dropped_by_request, key)) continue;
    std::string message =
        "llmux.UnsupportedParamsError: " + std::string(provider) +
        " does not support parameters: ['" + std::string(key) +
        "'], for model=" + target.upstream_model +
        ". To drop unsupported parameters, set `litellm_settings: drop_params: true` "
        "in the config, `drop_params: true` in the request, or list the parameter "
        "in `additional_drop_params`.";
    return make_error(ErrorKind::unsupported_params, std::move(message), std::string(key));
  }
  return {};
}

}  // namespace llmux::providers
