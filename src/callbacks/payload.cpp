#include "callbacks/payload.hpp"

#include "base/json_string.hpp"
#include "callbacks/json_writer.hpp"
#include "telemetry/litellm_metrics.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

namespace llmux::callbacks {

namespace {

namespace json = boost::json;

std::chrono::microseconds unix_micros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch());
}

std::string_view string_at(const json::object* object, std::string_view name) {
  if (!object) return {};
  const auto* value = object->if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// LiteLLM's trace id: the request's litellm_session_id / litellm_trace_id, its metadata's
// session_id / trace_id, else one per request (here the call id).
std::string_view trace_id(const CallFacts& call, const json::object* body,
                          const json::object* metadata) {
  for (std::string_view id :
       {string_at(body, "litellm_session_id"), string_at(body, "litellm_trace_id"),
        string_at(metadata, "session_id"), string_at(metadata, "trace_id")}) {
    if (!id.empty()) return id;
  }
  return call.call_id;
}

// The OpenAI parameters the call was made with: a list, so that a gateway field (api_key,
// user_config, …) never reaches a log.
constexpr std::string_view kModelParameters[] = {"temperature",
                                                 "top_p",
                                                 "n",
                                                 "stop",
                                                 "max_tokens",
                                                 "max_completion_tokens",
                                                 "presence_penalty",
                                                 "frequency_penalty",
                                                 "logit_bias",
                                                 "user",
                                                 "response_format",
                                                 "seed",
                                                 "tools",
                                                 "tool_choice",
                                                 "parallel_tool_calls",
                                                 "logprobs",
                                                 "top_logprobs",
                                                 "reasoning_effort",
                                                 "dimensions",
                                                 "encoding_format",
                                                 "stream_options",
                                                 "modalities",
                                                 "service_tier",
                                                 "top_n"};

constexpr std::string_view kRedacted = "\"redacted-by-litellm\"";

}  // namespace

ParsedRequest::ParsedRequest(const CallFacts& call, json::storage_ptr arena) {
  if (call.request.empty()) return;
  boost::system::error_code ec;
  parsed_ = json::parse(call.request, ec, std::move(arena));
}

const json::object& ParsedRequest::body() const {
  static const json::object kNoBody;
  return parsed_.is_object() ? parsed_.get_object() : kNoBody;
}

const json::object* ParsedRequest::metadata() const {
  const auto* value = body().if_contains("metadata");
  return value ? value->if_object() : nullptr;
}

const json::value* ParsedRequest::input() const {
  for (const char* name : {"messages", "prompt", "input", "query"}) {
    if (const auto* value = body().if_contains(name)) return value;
  }
  return nullptr;
}

std::array<MetadataField, 9> payload_metadata(const CallFacts& call, const ParsedRequest& request) {
  const json::object* requester = request.metadata();
  return {{{"user_api_key_hash", call.key_hash},
           {"user_api_key_alias", call.key_alias},
           {"user_api_key_team_id", call.team_id},
           {"user_api_key_user_id", call.user_id},
           {"user_api_key_end_user_id", call.end_user},
           {"user_api_key_request_route", call.route},
           {"user_agent", call.user_agent},
           {.name = "requester_metadata",
            .text = requester ? std::string_view() : std::string_view("{}"),
            .is_json = !requester,
            .value = requester ? &request.body().at("metadata") : nullptr},
           {.name = "applied_guardrails", .text = "[]", .is_json = true}}};
}

void append_hidden_params(std::string& out, const CallFacts& call) {
  const bool success = call.status >= 200 && call.status < 300;
  const bool reached = !call.model_id.empty();
  ObjectWriter hidden(out);
  hidden.string_or_null("model_id", call.model_id);
  hidden.string_or_null("api_base", call.api_base);
  hidden.number("response_cost", success ? call.cost : 0.0);
  const auto overhead = std::max(
      std::chrono::microseconds(0),
      unix_micros(call.end) - unix_micros(call.start) -
          (reached ? std::chrono::duration_cast<std::chrono::microseconds>(call.upstream_time)
                   : std::chrono::microseconds(0)));
  hidden.number("litellm_overhead_time_ms", static_cast<double>(overhead.count()) / 1000);
  if (reached)
    hidden.string("litellm_model_name", call.provider + '/' + call.upstream_model);
  else
    hidden.raw("litellm_model_name", "null");
}

std::string_view payload_model(const CallFacts& call) {
  return call.model_id.empty() ? call.model_group : call.upstream_model;
}

std::string standard_logging_payload(const CallFacts& call) {
  // The request parsed on a stack arena (a fresh one per document), so most bodies cost no heap.
  alignas(16) unsigned char arena_buffer[16 * 1024];
  json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  const ParsedRequest request(call, &arena);
  const json::object& body = request.body();
  const json::object* metadata = request.metadata();
  const bool success = call.status >= 200 && call.status < 300;
  const bool reached = !call.model_id.empty();
  const auto start = unix_micros(call.start);
  const auto end = unix_micros(call.end);
  const auto upstream = std::chrono::duration_cast<std::chrono::microseconds>(call.upstream_time);
  // A stream's first frame came when its upstream time ended; a whole answer at its end.
  const auto first_token = call.stream && reached ? start + upstream : end;

  std::string out;
  out.reserve(1024 + call.request.size() + (call.log_messages ? call.response.size() : 0));
  {
    ObjectWriter payload(out);
    payload.string("id", call.call_id);
    payload.string("trace_id", trace_id(call, &body, metadata));
    payload.string("litellm_call_id", call.call_id);
    payload.string("call_type", call.call_type);
    payload.raw("stream", call.stream ? "true" : "null");
    payload.string("status", success ? "success" : "failure");
    {
      ObjectWriter fields(payload.key("status_fields"));
      fields.string("llm_api_status", success ? "success" : "failure");
      fields.string("guardrail_status", "not_run");
    }
    payload.string_or_null("custom_llm_provider", call.provider);
    payload.number("response_cost", success ? call.cost : 0.0);
    payload.integer("total_tokens", call.prompt_tokens + call.completion_tokens);
    payload.integer("prompt_tokens", call.prompt_tokens);
    payload.integer("completion_tokens", call.completion_tokens);
    payload.seconds("startTime", start);
    payload.seconds("endTime", end);
    payload.seconds("completionStartTime", first_token);
    payload.seconds("response_time", (call.stream ? first_token : end) - start);
    payload.string("model", payload_model(call));
    payload.string_or_null("model_id", call.model_id);
    payload.string_or_null("model_group", call.model_group);
    payload.string("api_base", call.api_base);
    {
      ObjectWriter meta(payload.key("metadata"));
      for (const MetadataField& field : payload_metadata(call, request)) {
        if (field.value)
          meta.value(field.name, *field.value);
        else if (field.is_json)
          meta.raw(field.name, field.text);
        else
          meta.string_or_null(field.name, field.text);
      }
    }
    payload.raw("cache_hit", "false");
    payload.raw("cache_key", "null");
    payload.number("saved_cache_cost", 0.0);
    {
      std::string& tags = payload.key("request_tags");
      tags += '[';
      if (const auto* listed = metadata ? metadata->if_contains("tags") : nullptr;
          listed && listed->is_array()) {
        bool first = true;
        for (const json::value& tag : listed->get_array()) {
          if (!tag.is_string()) continue;
          if (!first) tags += ',';
          first = false;
          append_json_string(tags, tag.get_string());
        }
      }
      tags += ']';
    }
    payload.string("end_user", call.end_user);
    payload.raw("requester_ip_address", "null");
    payload.string_or_null("user_agent", call.user_agent);
    const json::value* input = request.input();
    if (!call.log_messages)
      payload.raw("messages", kRedacted);
    else if (input)
      payload.value("messages", *input);
    else
      payload.raw("messages", "null");
    if (call.response.empty())
      payload.raw("response", "null");
    else
      payload.raw("response", call.log_messages ? std::string_view(call.response) : kRedacted);
    if (success || !call.failure) {
      payload.raw("error_str", "null");
      payload.raw("error_information", "null");
    } else {
      payload.string("error_str", call.failure->message);
      ObjectWriter error(payload.key("error_information"));
      error.string("error_code", std::to_string(call.status));
      error.string("error_class", telemetry::exception_class(call.failure->kind, ""));
      error.string("llm_provider", call.provider);
      error.string("error_message", call.failure->message);
    }
    {
      ObjectWriter parameters(payload.key("model_parameters"));
      for (const auto& [name, value] : body) {
        if (std::find(std::begin(kModelParameters), std::end(kModelParameters),
                      std::string_view(name)) != std::end(kModelParameters)) {
          parameters.value(name, value);
        }
      }
    }
    append_hidden_params(payload.key("hidden_params"), call);
  }
  return out;
}

}  // namespace llmux::callbacks
