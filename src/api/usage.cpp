#include "api/usage.hpp"

#include "api/json_scan.hpp"

#include <boost/json/value.hpp>

#include <charconv>

namespace llmux::api {

std::int64_t token_count(const boost::json::value* value) {
  if (!value) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(value->get_double());
  return 0;
}

std::int64_t count_at(const boost::json::object& object, std::string_view key) {
  return token_count(object.if_contains(key));
}

Usage usage_from_json(const boost::json::value* usage) {
  if (!usage || !usage->is_object()) return {};
  const auto& object = usage->get_object();
  Usage result{.prompt_tokens = count_at(object, "prompt_tokens"),
               .completion_tokens = count_at(object, "completion_tokens"),
               .total_tokens = count_at(object, "total_tokens"),
               .reported = true};
  if (result.total_tokens == 0)
    result.total_tokens = result.prompt_tokens + result.completion_tokens;
  if (const auto* details = object.if_contains("prompt_tokens_details");
      details && details->is_object())
    result.cached_tokens = count_at(details->get_object(), "cached_tokens");
  return result;
}

namespace {

std::int64_t count_from_text(std::string_view number) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc() && end == number.data() + number.size()) return value;
  double real = 0;  // some servers write counts as 12.0
  const auto [real_end, real_ec] =
      std::from_chars(number.data(), number.data() + number.size(), real);
  return real_ec == std::errc() ? static_cast<std::int64_t>(real) : 0;
}

}  // namespace

Usage usage_from_text(std::string_view text) {
  const std::size_t begin = detail::skip_spaces(text, 0, text.size());
  if (begin >= text.size() || text[begin] != '{') return {};
  Usage usage{.reported = true};
  // The answer's scan validated these bytes already: only strings and nesting are followed.
  for_each_member_of_valid(text, [&](std::string_view key, Span value) {
    if (key == "prompt_tokens")
      usage.prompt_tokens = count_from_text(value.in(text));
    else if (key == "completion_tokens")
      usage.completion_tokens = count_from_text(value.in(text));
    else if (key == "total_tokens")
      usage.total_tokens = count_from_text(value.in(text));
    else if (key == "prompt_tokens_details" && value.in(text).starts_with('{')) {
      const std::string_view details = value.in(text);
      for_each_member_of_valid(details, [&](std::string_view detail, Span detail_value) {
        if (detail == "cached_tokens")
          usage.cached_tokens = count_from_text(detail_value.in(details));
      });
    }
  });
  if (usage.total_tokens == 0) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return usage;
}

}  // namespace llmux::api
