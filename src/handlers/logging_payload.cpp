#include "handlers/logging_payload.hpp"

#include "base/json_string.hpp"
#include "router/model_table.hpp"
#include "telemetry/litellm_metrics.hpp"

#include <boost/json/serialize.hpp>

#include <array>

namespace llmux::handlers {

namespace {

namespace json = boost::json;

// Appends one JSON object's members, separating them.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string& key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, name);
    out_ += ':';
    return out_;
  }
  void string(std::string_view name, std::string_view value) {
    append_json_string(key(name), value);
  }
  // null for an empty value, as LiteLLM's None.
  void string_or_null(std::string_view name, std::string_view value) {
    if (value.empty())
      key(name) += "null";
    else
      string(name, value);
  }
  void number(std::string_view name, double value) { append_number(key(name), value); }
  void integer(std::string_view name, std::int64_t value) { append_number(key(name), value); }
  void raw(std::string_view name, std::string_view json_text) { key(name) += json_text; }
  void value(std::string_view name, const json::value& value) {
    key(name) += json::serialize(value);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

double unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

std::string_view call_type(api::Endpoint endpoint) {
  switch (endpoint) {
    case api::Endpoint::chat_completions: return "acompletion";
    case api::Endpoint::completions: return "atext_completion";
    case api::Endpoint::embeddings: return "aembedding";
    case api::Endpoint::moderations: return "amoderation";
    case api::Endpoint::rerank: return "arerank";
  }
  return "acompletion";
}

// What the call was asked: chat messages, a prompt, an embedding or moderation input, a query.
const json::value* call_input(const api::Request& request) {
  for (const char* name : {"messages", "prompt", "input", "query"}) {
    if (const auto* value = request.body.if_contains(name)) return value;
  }
  return nullptr;
}

const json::object* metadata_of(const api::Request* request) {
  if (!request) return nullptr;
  const auto* metadata = request->body.if_contains("metadata");
  return metadata ? metadata->if_object() : nullptr;
}

std::string_view string_at(const json::object* object, std::string_view name) {
  if (!object) return {};
  const auto* value = object->if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// LiteLLM's trace id: the request's litellm_session_id / litellm_trace_id, its metadata's
// session_id / trace_id, else one per request (here the call id).
std::string_view trace_id(const LoggedCall& call, const json::object* metadata) {
  const json::object* body = call.request ? &call.request->body : nullptr;
  for (std::string_view id :
       {string_at(body, "litellm_session_id"), string_at(body, "litellm_trace_id"),
        string_at(metadata, "session_id"), string_at(metadata, "trace_id")}) {
    if (!id.empty()) return id;
  }
  return call.call_id;
}

// The OpenAI parameters the call was made with: a list, so that a gateway field (api_key,
// user_config, …) never reaches a log.
constexpr std::array kModelParameters = {"temperature",
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

std::string standard_logging_payload(const LoggedCall& call) {
  const relay::Outcome& outcome = *call.outcome;
  const router::Deployment* deployment = outcome.deployment;
  const auth::CachedKey* key = call.caller ? call.caller->key : nullptr;
  const json::object* metadata = metadata_of(call.request);
  const bool success = outcome.status >= 200 && outcome.status < 300;
  const bool stream = call.request && call.request->stream;
  const std::string_view provider =
      deployment ? std::string_view(deployment->target.provider) : std::string_view();
  const double start = unix_seconds(call.start);
  const double end = unix_seconds(call.end);
  const double upstream = std::chrono::duration<double>(outcome.upstream_time).count();

  std::string out;
  out.reserve(1024 + (call.log_messages ? call.response_body.size() : 0));
  {
    ObjectWriter payload(out);
    payload.string("id", call.call_id);
    payload.string("trace_id", trace_id(call, metadata));
    payload.string("litellm_call_id", call.call_id);
    payload.string("call_type", call_type(call.endpoint));
    payload.raw("stream", stream ? "true" : "null");
    payload.string("status", success ? "success" : "failure");
    {
      ObjectWriter fields(payload.key("status_fields"));
      fields.string("llm_api_status", success ? "success" : "failure");
      fields.string("guardrail_status", "not_run");
    }
    payload.string_or_null("custom_llm_provider", provider);
    payload.number("response_cost", success ? call.cost : 0.0);
    payload.integer("total_tokens", outcome.usage.prompt_tokens + outcome.usage.completion_tokens);
    payload.integer("prompt_tokens", outcome.usage.prompt_tokens);
    payload.integer("completion_tokens", outcome.usage.completion_tokens);
    payload.number("startTime", start);
    payload.number("endTime", end);
    // A stream's first frame came when its upstream time ended; a whole answer at its end.
    const double first_token = stream && deployment ? start + upstream : end;
    payload.number("completionStartTime", first_token);
    payload.number("response_time", (stream ? first_token : end) - start);
    payload.string("model", deployment ? std::string_view(deployment->target.upstream_model)
                                       : std::string_view(outcome.served_group));
    payload.string_or_null("model_id", deployment ? std::string_view(deployment->id) : "");
    payload.string_or_null("model_group", outcome.served_group);
    payload.string("api_base", deployment ? std::string_view(deployment->target.api_base) : "");
    {
      ObjectWriter meta(payload.key("metadata"));
      meta.string_or_null("user_api_key_hash",
                          key ? std::string_view(key->token)
                              : (call.caller ? call.master_key_hash : std::string_view()));
      meta.string_or_null("user_api_key_alias",
                          key && key->key_alias ? std::string_view(*key->key_alias) : "");
      meta.string_or_null("user_api_key_team_id", key ? std::string_view(key->team_id) : "");
      meta.string_or_null("user_api_key_user_id", key ? std::string_view(key->user_id) : "");
      meta.string_or_null("user_api_key_end_user_id", call.end_user);
      meta.string_or_null("user_api_key_request_route", call.route);
      meta.string_or_null("user_agent", call.user_agent);
      if (metadata)
        meta.value("requester_metadata", *metadata);
      else
        meta.raw("requester_metadata", "{}");
      meta.raw("applied_guardrails", "[]");
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
    const json::value* input = call.request ? call_input(*call.request) : nullptr;
    if (!call.log_messages)
      payload.raw("messages", kRedacted);
    else if (input)
      payload.value("messages", *input);
    else
      payload.raw("messages", "null");
    if (call.response_body.empty())
      payload.raw("response", "null");
    else
      payload.raw("response", call.log_messages ? call.response_body : kRedacted);
    if (success || !outcome.failure) {
      payload.raw("error_str", "null");
      payload.raw("error_information", "null");
    } else {
      payload.string("error_str", outcome.failure->message);
      ObjectWriter error(payload.key("error_information"));
      error.string("error_code", std::to_string(outcome.status));
      error.string("error_class", telemetry::exception_class(outcome.failure->kind, ""));
      error.string("llm_provider", provider);
      error.string("error_message", outcome.failure->message);
    }
    {
      ObjectWriter parameters(payload.key("model_parameters"));
      if (call.request) {
        for (const char* name : kModelParameters) {
          if (const auto* value = call.request->body.if_contains(name))
            parameters.value(name, *value);
        }
      }
    }
    {
      ObjectWriter hidden(payload.key("hidden_params"));
      hidden.string_or_null("model_id", deployment ? std::string_view(deployment->id) : "");
      hidden.string_or_null("api_base",
                            deployment ? std::string_view(deployment->target.api_base) : "");
      hidden.number("response_cost", success ? call.cost : 0.0);
      hidden.number("litellm_overhead_time_ms",
                    std::max(0.0, (end - start - (deployment ? upstream : 0.0)) * 1000));
      if (deployment) {
        hidden.string("litellm_model_name",
                      deployment->target.provider + '/' + deployment->target.upstream_model);
      } else {
        hidden.raw("litellm_model_name", "null");
      }
    }
  }
  return out;
}

}  // namespace llmux::handlers
