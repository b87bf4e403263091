#include "router/request_options.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace llmux::router {

namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

// A longer timeout is taken as this one: longer than any call needs, and far from where
// milliseconds or a deadline on the clock could overflow (an immediate timeout).
constexpr double kLongestTimeoutSeconds = 24 * 60 * 60;

Error bad_value(std::string_view field, std::string_view expected) {
  return make_error(
      ErrorKind::invalid_request,
      "Invalid value for '" + std::string(field) + "': expected " + std::string(expected) + ".",
      std::string(field));
}

std::optional<double> number_from_text(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// Seconds > 0 (a JSON number, or a numeric string as LiteLLM's float() accepts) → milliseconds.
Result<std::optional<milliseconds>> seconds_field(const json::object& body, std::string_view field,
                                                  std::string_view header_value) {
  std::optional<double> seconds;
  if (!header_value.empty()) {
    seconds = number_from_text(header_value);
    if (!seconds) return bad_value(field, "a number of seconds");
  } else if (const auto* value = body.if_contains(field); value && !value->is_null()) {
    if (value->is_number()) seconds = value->to_number<double>();
    if (value->is_string()) seconds = number_from_text(value->get_string());
    if (!seconds) return bad_value(field, "a number of seconds");
  }
  if (!seconds) return std::optional<milliseconds>();
  if (!(*seconds > 0)) return bad_value(field, "a number of seconds greater than 0");
  const double bounded = std::min(*seconds, kLongestTimeoutSeconds);
  return std::optional<milliseconds>(
      milliseconds(static_cast<long long>(std::ceil(bounded * 1000))));
}

}  // namespace

Result<RequestOptions> request_options(const api::Request& request, const HeaderLookup& header) {
  const json::object& body = request.body;
  RequestOptions options;

  if (const std::string_view text = header("x-litellm-num-retries"); !text.empty()) {
    const auto count = number_from_text(text);
    if (!count || *count < 0 || *count != std::floor(*count) || *count > 100) {
      return bad_value("x-litellm-num-retries", "a whole number from 0 to 100");
    }
    options.num_retries = static_cast<int>(*count);
  } else if (const auto* value = body.if_contains("num_retries"); value && !value->is_null()) {
    const auto* count = value->if_int64();
    if (!count || *count < 0 || *count > 100)
      return bad_value("num_retries", "a whole number from 0 to 100");
    options.num_retries = static_cast<int>(*count);
  }

  if (const auto* value = body.if_contains("fallbacks"); value && !value->is_null()) {
    if (!value->is_array()) return bad_value("fallbacks", "a list of model names");
    std::vector<std::string> groups;
    for (const auto& item : value->get_array()) {
      // LiteLLM also takes {"model": name, …}; only the name is used here.
      const auto* name = item.is_object() ? item.get_object().if_contains("model") : &item;
      if (!name || !name->is_string() || name->get_string().empty()) {
        return bad_value("fallbacks", "a list of model names");
      }
      groups.emplace_back(name->get_string());
    }
    options.fallbacks = std::move(groups);
  }
  if (const auto* value = body.if_contains("disable_fallbacks"); value && !value->is_null()) {
    if (!value->is_bool()) return bad_value("disable_fallbacks", "true or false");
    options.disable_fallbacks = value->get_bool();
  }

  auto timeout = seconds_field(body, "timeout", header("x-litellm-timeout"));
  if (!timeout) return timeout.error();
  options.timeout = *timeout;
  auto stream_timeout = seconds_field(body, "stream_timeout", header("x-litellm-stream-timeout"));
  if (!stream_timeout) return stream_timeout.error();
  options.stream_timeout = *stream_timeout;
  options.prompt_tokens = estimate_prompt_tokens(request);
  return options;
}

long estimate_prompt_tokens(const api::Request& request) {
  constexpr long kBytesPerToken = 4;
  constexpr long kTokensPerMessage = 4;  // role and framing
  long bytes = 0;
  long messages = 0;
  const auto count = [&](const json::value& value, const auto& self) -> void {
    if (value.is_string()) bytes += static_cast<long>(value.get_string().size());
    if (value.is_array()) {
      for (const auto& item : value.get_array()) self(item, self);
    }
    if (value.is_object()) {
      for (const auto& [key, item] : value.get_object()) {
        if (key == "text" || key == "content") self(item, self);
      }
    }
  };
  if (const auto* list = request.body.if_contains("messages"); list && list->is_array()) {
    for (const auto& message : list->get_array()) {
      ++messages;
      if (message.is_object()) {
        if (const auto* content = message.get_object().if_contains("content"))
          count(*content, count);
      }
    }
  }
  for (const std::string_view field : {"prompt", "input"}) {
    if (const auto* value = request.body.if_contains(field)) count(*value, count);
  }
  return bytes / kBytesPerToken + messages * kTokensPerMessage;
}

}  // namespace llmux::router
