#include "providers/json_fields.hpp"

#include "base/json_string.hpp"

#include <chrono>

namespace llmux::providers {

namespace json = boost::json;

std::string_view string_or_empty(const json::value* value) {
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

const json::object* object_or_null(const json::value* value) {
  return value ? value->if_object() : nullptr;
}

const json::array* array_or_null(const json::value* value) {
  return value ? value->if_array() : nullptr;
}

std::string_view string_at(const json::object& object, std::string_view key) {
  return string_or_empty(object.if_contains(key));
}

const json::object* object_at(const json::object& object, std::string_view key) {
  return object_or_null(object.if_contains(key));
}

const json::array* array_at(const json::object& object, std::string_view key) {
  return array_or_null(object.if_contains(key));
}

const json::value* request_param(const api::Request& request, const Target& target,
                                 std::string_view key) {
  if (const auto* value = request.body.if_contains(key); value && !value->is_null()) return value;
  const auto* value = target.default_params.if_contains(key);
  return value && !value->is_null() ? value : nullptr;
}

api::Span member_span(std::string_view text, api::Span object, std::string_view key) {
  api::Span found;
  api::for_each_member(text, object, [&](std::string_view name, api::Span value) {
    if (name == key) found = value;
  });
  return found;
}

std::string quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

void append_token_counts(std::string& out, const api::Usage& usage) {
  out += '{';
  append_token_count_members(out, usage);
  out += '}';
}

void append_token_count_members(std::string& out, const api::Usage& usage) {
  out += R"("prompt_tokens":)";
  append_number(out, usage.prompt_tokens);
  out += R"(,"completion_tokens":)";
  append_number(out, usage.completion_tokens);
  out += R"(,"total_tokens":)";
  append_number(out, usage.total_tokens);
}

void append_answer_head(std::string& out, std::string_view id, std::string_view object,
                        std::int64_t created, std::string_view model) {
  out += "{\"id\":";
  append_json_string(out, id);
  out += ",\"object\":";
  append_json_string(out, object);
  out += ",\"created\":";
  append_number(out, created);
  out += ",\"model\":";
  append_json_string(out, model);
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace llmux::providers
