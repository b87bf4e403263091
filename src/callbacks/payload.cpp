#include "callbacks/payload.hpp"

#include "base/json_string.hpp"
#include "callbacks/json_writer.hpp"
#include "telemetry/litellm_metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace llmux::callbacks {

namespace {

std::chrono::microseconds unix_micros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch());
}

// LiteLLM's trace id: the request's litellm_session_id / litellm_trace_id, its metadata's
// session_id / trace_id (each a string other than ""), else one per request (the call id).
void write_trace_id(ObjectWriter& payload, const CallFacts& call, const RequestText& request) {
  for (std::string_view id : {request.litellm_session_id, request.litellm_trace_id,
                              raw_string_member(request.metadata, "session_id"),
                              raw_string_member(request.metadata, "trace_id")}) {
    if (id.size() > 2 && id.front() == '"') return payload.raw("trace_id", id);
  }
  payload.string("trace_id", call.call_id);
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

static_assert(std::size(kModelParameters) == std::tuple_size_v<decltype(RequestText::parameters)>);

constexpr std::string_view kRedacted = "\"redacted-by-litellm\"";

bool is_model_parameter(std::string_view name) {
  return std::find(std::begin(kModelParameters), std::end(kModelParameters), name) !=
         std::end(kModelParameters);
}

}  // namespace

RequestText::RequestText(std::string_view text) : body(text) {
  int input_rank = 4;  // messages, prompt, input, query: the first of these present
  api::for_each_member_of_valid(body, [&](std::string_view key, api::Span span) {
    const std::string_view value = span.in(body);
    if (key == "metadata") {
      metadata = value.starts_with('{') ? value : std::string_view();
    } else if (key == "litellm_session_id") {
      litellm_session_id = value;
    } else if (key == "litellm_trace_id") {
      litellm_trace_id = value;
    } else if (is_model_parameter(key)) {
      if (parameter_count < parameters.size()) parameters[parameter_count++] = {key, value};
      if (key == "max_tokens")
        max_tokens = value;
      else if (key == "temperature")
        temperature = value;
      else if (key == "top_p")
        top_p = value;
      else if (key == "user")
        user = value;
    } else {
      constexpr std::string_view kInputs[] = {"messages", "prompt", "input", "query"};
      for (int rank = 0; rank < input_rank; ++rank) {
        if (key != kInputs[rank]) continue;
        input = value;
        input_rank = rank;
      }
    }
  });
}

std::string_view raw_member(std::string_view object, std::string_view name) {
  std::string_view found;
  api::for_each_member_of_valid(object, [&](std::string_view key, api::Span value) {
    if (key == name) found = value.in(object);
  });
  return found;
}

std::string_view raw_string_member(std::string_view object, std::string_view name) {
  const std::string_view value = raw_member(object, name);
  return value.size() > 2 && value.front() == '"' ? value : std::string_view();
}

std::string_view raw_first_element(std::string_view array) {
  std::size_t begin = api::detail::skip_spaces(array, 0, array.size());
  if (begin >= array.size() || array[begin] != '[') return {};
  begin = api::detail::skip_spaces(array, begin + 1, array.size());
  if (begin >= array.size() || array[begin] == ']') return {};
  return array.substr(begin, api::detail::end_of_valid_value(array, begin) - begin);
}

PayloadMetadata payload_metadata(const CallFacts& call, const RequestText& request) {
  constexpr std::size_t kKeyInfo = 6;  // LiteLLM's redaction drops every user_api_key* member
  return {.fields = {{{"user_api_key_hash", call.key_hash},
                      {"user_api_key_alias", call.key_alias},
                      {"user_api_key_team_id", call.team_id},
                      {"user_api_key_user_id", call.user_id},
                      {"user_api_key_end_user_id", call.end_user},
                      {"user_api_key_request_route", call.route},
                      {"user_agent", call.user_agent},
                      {.name = "requester_metadata",
                       .text = request.metadata.empty() ? std::string_view("{}") : request.metadata,
                       .is_json = true},
                      {.name = "applied_guardrails", .text = "[]", .is_json = true}}},
          .first = call.redact_key_info ? kKeyInfo : 0};
}

CostText::CostText(const CallFacts& call) : value_(call.succeeded() ? call.cost : 0.0) {
  size_ = static_cast<std::size_t>(
      std::to_chars(digits_.data(), digits_.data() + digits_.size(), value_).ptr - digits_.data());
}

void append_hidden_params(std::string& out, const CallFacts& call, const CostText& cost) {
  const bool reached = !call.model_id.empty();
  ObjectWriter hidden(out);
  hidden.string_or_null("model_id", call.model_id);
  hidden.string_or_null("api_base", call.api_base);
  hidden.raw("response_cost", cost.text());
  const auto overhead = std::max(
      std::chrono::microseconds(0),
      unix_micros(call.end) - unix_micros(call.start) -
          (reached ? std::chrono::duration_cast<std::chrono::microseconds>(call.upstream_time)
                   : std::chrono::microseconds(0)));
  hidden.decimal("litellm_overhead_time_ms", overhead.count(), 3);
  if (reached) {
    // "provider/model", written in parts (no string joined first).
    std::string& name = hidden.key("litellm_model_name");
    name += '"';
    append_json_string_characters(name, call.provider);
    name += '/';
    append_json_string_characters(name, call.upstream_model);
    name += '"';
  } else {
    hidden.raw("litellm_model_name", "null");
  }
}

std::string_view payload_model(const CallFacts& call) {
  return call.model_id.empty() ? call.model_group : call.upstream_model;
}

std::chrono::system_clock::time_point first_token_time(const CallFacts& call) {
  const bool reached = !call.model_id.empty();
  return call.stream && reached
             ? call.start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                call.upstream_time)
             : call.end;
}

std::size_t payload_size_hint(const CallFacts& call) {
  return 3072 + call.request.size() + (call.log_messages ? call.response.size() : 0);
}

std::string standard_logging_payload(const CallFacts& call) {
  std::string out;
  out.reserve(payload_size_hint(call));
  append_standard_logging_payload(out, call);
  return out;
}

void append_standard_logging_payload(std::string& out, const CallFacts& call) {
  const RequestText request(call.request);
  const bool success = call.status >= 200 && call.status < 300;
  const CostText cost(call);
  const auto start = unix_micros(call.start);
  const auto end = unix_micros(call.end);
  const auto first_token = unix_micros(first_token_time(call));

  {
    ObjectWriter payload(out);
    payload.string("id", call.call_id);
    write_trace_id(payload, call, request);
    payload.string("litellm_call_id", call.call_id);
    payload.string("call_type", call.call_type);
    payload.members(success ? R"("status":"success","status_fields":{"llm_api_status":"success",)"
                              R"("guardrail_status":"not_run"})"
                            : R"("status":"failure","status_fields":{"llm_api_status":"failure",)"
                              R"("guardrail_status":"not_run"})");
    // What llmux does not do (no cache, no client address kept), in one run of text.
    payload.members(call.stream ? R"("stream":true,"cache_hit":false,"cache_key":null,)"
                                  R"("saved_cache_cost":0.0,"requester_ip_address":null)"
                                : R"("stream":null,"cache_hit":false,"cache_key":null,)"
                                  R"("saved_cache_cost":0.0,"requester_ip_address":null)");
    payload.string_or_null("custom_llm_provider", call.provider);
    payload.raw("response_cost", cost.text());
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
        if (field.is_json)
          meta.raw(field.name, field.text);
        else
          meta.string_or_null(field.name, field.text);
      }
    }
    append_request_tags(payload.key("request_tags"), request);
    payload.string("end_user", call.end_user);
    payload.string_or_null("user_agent", call.user_agent);
    if (!call.log_messages)
      payload.raw("messages", kRedacted);
    else
      payload.raw("messages", request.input.empty() ? std::string_view("null") : request.input);
    if (call.response.empty())
      payload.raw("response", "null");
    else
      payload.raw("response", call.log_messages ? std::string_view(call.response) : kRedacted);
    if (success || !call.failure) {
      payload.members(R"("error_str":null,"error_information":null)");
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
      for (const auto& [name, value] : request.model_parameters()) parameters.raw(name, value);
    }
    append_hidden_params(payload.key("hidden_params"), call, cost);
  }
}

void append_request_tags(std::string& out, const RequestText& request) {
  out += '[';
  const std::string_view tags = raw_member(request.metadata, "tags");
  if (tags.starts_with('[')) {
    bool first = true;
    api::for_each_element(tags, api::Span{0, tags.size()}, [&](api::Span tag) {
      const std::string_view text = tag.in(tags);
      if (!text.starts_with('"')) return;  // LiteLLM keeps the string tags
      if (!first) out += ',';
      first = false;
      out += text;
    });
  }
  out += ']';
}

}  // namespace llmux::callbacks
