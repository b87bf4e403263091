#include "providers/json_fields.hpp"

#include "base/json_string.hpp"

#include <boost/json/parse.hpp>

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

namespace {

json::value parse_into(std::string_view text, json::monotonic_resource& arena, bool& ok) {
  json::error_code ec;
  json::value value = json::parse(text, ec, json::storage_ptr(&arena));
  ok = !ec;
  return value;
}

}  // namespace

ParsedJson::ParsedJson(std::string_view text) : value_(parse_into(text, arena_, ok_)) {}

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

std::string content_text(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (const auto* parts = content->if_array()) {
    for (const auto& part : *parts) {
      const auto* object = part.if_object();
      if (object && string_at(*object, "type") == "text") text += string_at(*object, "text");
    }
  }
  return text;
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

void append_tool_call(std::string& out, std::optional<std::int64_t> index, std::string_view id,
                      std::string_view name, std::string_view arguments) {
  out += '{';
  if (index) {
    out += "\"index\":";
    append_number(out, *index);
    out += ',';
  }
  out += "\"id\":";
  append_json_string(out, id);
  out += ",\"type\":\"function\",\"function\":{\"name\":";
  append_json_string(out, name);
  out += ",\"arguments\":";
  append_json_string(out, arguments);
  out += "}}";
}

std::int64_t unix_seconds() { return unix_seconds(std::chrono::system_clock::now()); }

std::int64_t unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::string status_message(std::string_view who, int status, std::string_view body) {
  constexpr std::size_t kMaxQuoted = 500;
  std::string message(who);
  message += " answered with HTTP " + std::to_string(status);
  if (!body.empty()) {
    message += ": ";
    append_valid_utf8(message, body, kMaxQuoted);
  }
  return message;
}

}  // namespace llmux::providers
