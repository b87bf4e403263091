#include "api/usage.hpp"

#include <boost/json/value.hpp>

namespace llmux::api {

namespace {

std::int64_t count(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(value->get_double());
  return 0;
}

}  // namespace

Usage usage_from_json(const boost::json::value* usage) {
  if (!usage || !usage->is_object()) return {};
  const auto& object = usage->get_object();
  Usage result{.prompt_tokens = count(object, "prompt_tokens"),
               .completion_tokens = count(object, "completion_tokens"),
               .total_tokens = count(object, "total_tokens"),
               .reported = true};
  if (result.total_tokens == 0) result.total_tokens = result.prompt_tokens + result.completion_tokens;
  if (const auto* details = object.if_contains("prompt_tokens_details"); details && details->is_object())
    result.cached_tokens = count(details->get_object(), "cached_tokens");
  return result;
}

}  // namespace llmux::api
