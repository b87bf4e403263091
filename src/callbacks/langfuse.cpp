#include "callbacks/langfuse.hpp"

#include "base/ids.hpp"

#include <openssl/evp.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace llmux::callbacks {

namespace {

namespace json = boost::json;

std::string_view string_at(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

double number_at(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (!value) return 0;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return 0;
}

const json::object& object_at(const json::object& object, std::string_view name) {
  static const json::object empty;
  const auto* value = object.if_contains(name);
  return value && value->is_object() ? value->get_object() : empty;
}

// Unix seconds as ISO 8601 with milliseconds, UTC: "2025-06-01T12:00:00.112Z".
std::string iso_time(double unix_seconds) {
  const auto millis = static_cast<std::int64_t>(std::llround(unix_seconds * 1000));
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis % 1000));
  return text;
}

// LiteLLM's generation id: "time-HH-MM-SS-ffffff_<response id>".
std::string generation_id(double start, std::string_view id) {
  const auto micros = static_cast<std::int64_t>(std::llround(start * 1e6));
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::snprintf(text, sizeof text, "time-%02d-%02d-%02d-%06d_", utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(micros % 1'000'000));
  return text + std::string(id);
}

// modelParameters takes scalars and string lists; anything else is written as its JSON text.
json::object model_parameters(const json::object& parameters) {
  json::object flat;
  for (const auto& [name, value] : parameters) {
    if (value.is_object() || value.is_array())
      flat[name] = json::serialize(value);
    else
      flat[name] = value;
  }
  return flat;
}

// What the generation was asked and answered, as LiteLLM writes them: a chat's messages under
// "messages" and its assistant message; other calls' raw input and answer.
json::value generation_input(const json::object& payload) {
  const auto* messages = payload.if_contains("messages");
  if (!messages) return nullptr;
  if (string_at(payload, "call_type") == "acompletion" && messages->is_array())
    return json::object{{"messages", *messages}};
  return *messages;
}

json::value generation_output(const json::object& payload) {
  if (string_at(payload, "status") != "success")
    return json::value(string_at(payload, "error_str"));
  const auto* response = payload.if_contains("response");
  if (!response || !response->is_object()) return response ? *response : json::value(nullptr);
  const auto* choices = response->get_object().if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return nullptr;
  const auto& first = choices->get_array().front();
  if (!first.is_object()) return nullptr;
  if (const auto* message = first.get_object().if_contains("message")) return *message;
  if (const auto* text = first.get_object().if_contains("text")) return *text;
  return nullptr;
}

json::object event(std::string_view type, json::object body) {
  return {
      {"id", make_uuid()},
      {"timestamp",
       iso_time(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                    .count())},
      {"type", type},
      {"body", std::move(body)}};
}

void add_call(json::array& batch, const json::object& payload) {
  const json::object& metadata = object_at(object_at(payload, "metadata"), "requester_metadata");
  const std::string_view call_type = string_at(payload, "call_type");
  const std::string default_name = "litellm-" + std::string(call_type);
  std::string_view trace_id = string_at(metadata, "existing_trace_id");
  const bool existing_trace = !trace_id.empty();
  if (trace_id.empty()) trace_id = string_at(metadata, "trace_id");
  if (trace_id.empty()) trace_id = string_at(payload, "litellm_call_id");
  const double start = number_at(payload, "startTime");
  const json::value input = generation_input(payload);
  const json::value output = generation_output(payload);
  const bool success = string_at(payload, "status") == "success";

  json::object trace{{"id", trace_id}, {"timestamp", iso_time(start)}};
  if (!existing_trace) {
    const std::string_view name = string_at(metadata, "trace_name");
    trace["name"] = name.empty() ? std::string_view(default_name) : name;
  }
  std::string_view user = string_at(metadata, "trace_user_id");
  if (user.empty()) user = string_at(payload, "end_user");
  if (!user.empty()) trace["userId"] = user;
  if (const auto session = string_at(metadata, "session_id"); !session.empty())
    trace["sessionId"] = session;
  if (const auto version = string_at(metadata, "trace_version"); !version.empty())
    trace["version"] = version;
  if (const auto* trace_metadata = metadata.if_contains("trace_metadata"))
    trace["metadata"] = *trace_metadata;
  trace["input"] = input;
  trace["output"] = output;
  if (const auto* tags = payload.if_contains("request_tags")) trace["tags"] = *tags;
  batch.push_back(event("trace-create", std::move(trace)));

  std::string name(string_at(metadata, "generation_name"));
  if (name.empty()) {
    const auto alias = string_at(object_at(payload, "metadata"), "user_api_key_alias");
    name = alias.empty() ? default_name : "litellm:" + std::string(alias);
  }
  std::string id(string_at(metadata, "generation_id"));
  if (id.empty()) id = generation_id(start, string_at(payload, "id"));
  const auto prompt = static_cast<std::int64_t>(number_at(payload, "prompt_tokens"));
  const auto completion = static_cast<std::int64_t>(number_at(payload, "completion_tokens"));
  const json::object& hidden = object_at(payload, "hidden_params");
  json::object generation{
      {"id", id},
      {"traceId", trace_id},
      {"name", name},
      {"startTime", iso_time(start)},
      {"endTime", iso_time(number_at(payload, "endTime"))},
      {"completionStartTime", iso_time(number_at(payload, "completionStartTime"))},
      {"model", string_at(payload, "model")},
      {"modelParameters", model_parameters(object_at(payload, "model_parameters"))},
      {"input", input},
      {"output", output},
      {"usage",
       {{"input", prompt},
        {"output", completion},
        {"total", prompt + completion},
        {"unit", "TOKENS"},
        {"totalCost", number_at(payload, "response_cost")}}},
      {"usageDetails", {{"input", prompt}, {"output", completion}, {"total", prompt + completion}}},
      {"metadata",
       {{"hidden_params", hidden},
        {"litellm_response_cost", number_at(payload, "response_cost")},
        {"api_base", string_at(payload, "api_base")},
        {"cache_hit", false},
        {"requester_metadata", metadata}}},
      {"level", success ? "DEFAULT" : "ERROR"}};
  if (!success) generation["statusMessage"] = string_at(payload, "error_str");
  if (const auto parent = string_at(metadata, "parent_observation_id"); !parent.empty())
    generation["parentObservationId"] = parent;
  if (const auto version = string_at(metadata, "version"); !version.empty())
    generation["version"] = version;
  batch.push_back(event("generation-create", std::move(generation)));
}

}  // namespace

std::string langfuse_batch(const std::vector<json::object>& payloads) {
  json::array batch;
  batch.reserve(payloads.size() * 2);
  for (const json::object& payload : payloads) add_call(batch, payload);
  return json::serialize(json::object{{"batch", std::move(batch)}});
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  const std::string plain = std::string(user) + ':' + std::string(password);
  std::string encoded(4 * ((plain.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(plain.data()),
                                     static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return "Basic " + encoded;
}

}  // namespace llmux::callbacks
