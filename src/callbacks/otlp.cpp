#include "callbacks/otlp.hpp"

#include "callbacks/json_writer.hpp"
#include "telemetry/litellm_metrics.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>

namespace llmux::callbacks {

namespace {

namespace json = boost::json;

// OTLP's enums, written as integers in its JSON.
constexpr int kSpanKindServer = 2;
constexpr int kStatusOk = 1;
constexpr int kStatusError = 2;

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// Ids only need to be unique, not secret: a per-thread generator seeded once from the OS.
std::string random_hex(std::size_t bytes) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::string hex;
  while (hex.size() < 2 * bytes) {
    char chunk[17];
    std::snprintf(chunk, sizeof chunk, "%016llx", static_cast<unsigned long long>(generator()));
    hex.append(chunk, std::min<std::size_t>(16, 2 * bytes - hex.size()));
  }
  return all_zero(hex) ? random_hex(bytes) : hex;
}

// Unix nanoseconds as OTLP's JSON writes a 64-bit integer: a decimal string.
void append_unix_nanos(std::string& out, std::chrono::system_clock::time_point time) {
  out += '"';
  append_number(
      out,
      static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count()));
  out += '"';
}

const json::object& object_at(const json::object& object, std::string_view name) {
  static const json::object empty;
  const auto* value = object.if_contains(name);
  return value && value->is_object() ? value->get_object() : empty;
}

std::string_view string_at(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// A list of attributes written as OTLP's JSON: [{"key": …, "value": {<AnyValue>}}, …].
class AttributeWriter {
 public:
  explicit AttributeWriter(std::string& out) : out_(out) { out_ += '['; }
  ~AttributeWriter() { out_ += ']'; }
  AttributeWriter(const AttributeWriter&) = delete;
  AttributeWriter& operator=(const AttributeWriter&) = delete;

  void text(std::string_view key, std::string_view value) {
    begin(key, "stringValue");
    append_json_string(out_, value);
    out_ += "}}";
  }
  void integer(std::string_view key, std::int64_t value) {
    begin(key, "intValue");  // 64-bit integers are JSON strings
    out_ += '"';
    append_number(out_, value);
    out_ += "\"}}";
  }
  void number(std::string_view key, double value) {
    begin(key, "doubleValue");
    append_number(out_, value);
    out_ += "}}";
  }
  // As LiteLLM's safe_set_attribute casts a value: null as "", a structure as its JSON text.
  void value(std::string_view key, const json::value& value) {
    if (value.is_string()) {
      text(key, value.get_string());
    } else if (value.is_bool()) {
      begin(key, "boolValue");
      out_ += value.get_bool() ? "true}}" : "false}}";
    } else if (value.is_int64() || value.is_uint64()) {
      integer(key, value.to_number<std::int64_t>());
    } else if (value.is_double()) {
      number(key, value.get_double());
    } else if (value.is_null()) {
      text(key, "");
    } else {
      text(key, json::serialize(value));
    }
  }

 private:
  void begin(std::string_view key, std::string_view type) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += "{\"key\":";
    append_json_string(out_, key);
    out_ += ",\"value\":{\"";
    out_ += type;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

// A message in the GenAI conventions' form: its content as a list of parts.
json::object genai_message(const json::object& message) {
  std::string_view role = string_at(message, "role");
  json::array parts;
  if (const auto* content = message.if_contains("content")) {
    if (content->is_string()) {
      parts.push_back(json::object{{"type", "text"}, {"content", content->get_string()}});
    } else if (content->is_array()) {
      for (const json::value& part : content->get_array()) {
        if (part.is_object())
          parts.push_back(part);
        else
          parts.push_back(json::object{{"type", "text"}, {"content", json::serialize(part)}});
      }
    }
  }
  json::object converted{{"role", role.empty() ? std::string_view("user") : role},
                         {"parts", std::move(parts)}};
  for (std::string_view kept : {"id", "tool_calls", "tool_call_id"}) {
    if (const auto* value = message.if_contains(kept)) converted[kept] = *value;
  }
  return converted;
}

// What the call was asked and answered, when message logging is on (chat calls only, as
// LiteLLM sets them from a chat's messages and choices).
void add_messages(AttributeWriter& attributes, const json::value* messages,
                  const json::object& response) {
  if (messages && messages->is_array()) {
    json::array converted;
    for (const json::value& message : messages->get_array()) {
      if (message.is_object()) converted.push_back(genai_message(message.get_object()));
    }
    attributes.text("gen_ai.input.messages", json::serialize(converted));
  }
  const auto* choices = response.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return;
  json::array output;
  json::array finish_reasons;
  for (const json::value& choice : choices->get_array()) {
    if (!choice.is_object()) continue;
    json::object message = genai_message(object_at(choice.get_object(), "message"));
    const std::string_view finish = string_at(choice.get_object(), "finish_reason");
    if (!finish.empty()) {
      message["finish_reason"] = finish;
      finish_reasons.push_back(json::string(finish));
    }
    output.push_back(std::move(message));
  }
  attributes.text("gen_ai.output.messages", json::serialize(output));
  if (!finish_reasons.empty())
    attributes.text("gen_ai.response.finish_reasons", json::serialize(finish_reasons));
}

// LiteLLM's langfuse_otel attributes: the request metadata's Langfuse fields under Langfuse's
// OTel names (a list or object as its JSON text), and the observation's input and output.
void add_langfuse_attributes(AttributeWriter& attributes, const config::OtelIdentity& identity,
                             const CallFacts& call, const json::object& requester,
                             const json::value* input, const json::object& response) {
  if (!identity.langfuse_environment.empty())
    attributes.text("langfuse.environment", identity.langfuse_environment);
  static constexpr std::pair<std::string_view, std::string_view> kMetadata[] = {
      {"generation_name", "langfuse.generation.name"},
      {"generation_id", "langfuse.generation.id"},
      {"parent_observation_id", "langfuse.generation.parent_observation_id"},
      {"version", "langfuse.generation.version"},
      {"mask_input", "langfuse.generation.mask_input"},
      {"mask_output", "langfuse.generation.mask_output"},
      {"trace_user_id", "user.id"},
      {"session_id", "session.id"},
      {"tags", "langfuse.trace.tags"},
      {"trace_name", "langfuse.trace.name"},
      {"trace_id", "langfuse.trace.id"},
      {"trace_metadata", "langfuse.trace.metadata"},
      {"trace_version", "langfuse.trace.version"},
      {"trace_release", "langfuse.trace.release"},
      {"existing_trace_id", "langfuse.trace.existing_id"}};
  for (const auto& [field, attribute] : kMetadata) {
    const json::value* value = requester.if_contains(field);
    if (!value || value->is_null()) continue;
    if (field == "trace_id" && value->is_string()) {  // Langfuse's trace ids have no dashes
      std::string id(value->get_string());
      std::erase(id, '-');
      attributes.text(attribute, id);
    } else {
      attributes.value(attribute, *value);
    }
  }
  if (!call.log_messages) return;
  if (input && input->is_array() && !input->get_array().empty())
    attributes.text("langfuse.observation.input", json::serialize(*input));
  const auto* choices = response.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty() ||
      !choices->get_array()[0].is_object())
    return;
  const json::object& message = object_at(choices->get_array()[0].get_object(), "message");
  if (const auto* tool_calls = message.if_contains("tool_calls");
      tool_calls && tool_calls->is_array() && !tool_calls->get_array().empty()) {
    json::array calls;  // in Langfuse's function_call form, arguments parsed
    for (const json::value& tool_call : tool_calls->get_array()) {
      if (!tool_call.is_object()) continue;
      const json::object& function = object_at(tool_call.get_object(), "function");
      boost::system::error_code ec;
      json::value arguments = json::parse(string_at(function, "arguments"), ec);
      if (ec || !arguments.is_object()) arguments = json::object();
      calls.push_back(json::object{{"id", string_at(response, "id")},
                                   {"name", string_at(function, "name")},
                                   {"call_id", string_at(tool_call.get_object(), "id")},
                                   {"type", "function_call"},
                                   {"arguments", std::move(arguments)}});
    }
    attributes.text("langfuse.observation.output", json::serialize(calls));
    return;
  }
  json::object output;
  if (const auto role = string_at(message, "role"); !role.empty()) output["role"] = role;
  if (const auto* content = message.if_contains("content"); content && !content->is_null())
    output["content"] = *content;
  if (!output.empty()) attributes.text("langfuse.observation.output", json::serialize(output));
}

void write_span(std::string& out, const config::OtelIdentity& identity, const CallFacts& call) {
  // The request and the answer parsed on a stack arena (a fresh one per call).
  alignas(16) unsigned char arena_buffer[16 * 1024];
  json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  static const json::object kNone;
  json::value parsed_request;
  if (!call.request.empty()) {
    boost::system::error_code ec;
    parsed_request = json::parse(call.request, ec, &arena);
  }
  const json::object& parameters = parsed_request.is_object() ? parsed_request.get_object() : kNone;
  const json::object& requester = object_at(parameters, "metadata");
  const json::value* input = nullptr;
  for (const char* member : {"messages", "prompt", "input", "query"}) {
    if ((input = parameters.if_contains(member))) break;
  }
  // The answer is read only where the payload carries it (a whole answer, messages logged).
  json::value parsed_response;
  if (call.log_messages && !call.response.empty()) {
    boost::system::error_code ec;
    parsed_response = json::parse(call.response, ec, &arena);
  }
  const json::object& response = parsed_response.is_object() ? parsed_response.get_object() : kNone;
  const bool success = call.status >= 200 && call.status < 300;
  const std::optional<TraceParent> parent = parse_traceparent(call.traceparent);
  const std::string_view name = string_at(requester, "generation_name");
  const bool failed_with_error = !success && call.failure;
  const std::string error_class =
      failed_with_error ? telemetry::exception_class(call.failure->kind, "") : std::string();

  ObjectWriter span(out);
  span.string("traceId", parent ? parent->trace_id : random_hex(16));
  span.string("spanId", random_hex(8));
  if (parent) span.string("parentSpanId", parent->span_id);
  span.string("name", name.empty() ? std::string_view("litellm_request") : name);
  span.integer("kind", kSpanKindServer);
  append_unix_nanos(span.key("startTimeUnixNano"), call.start);
  append_unix_nanos(span.key("endTimeUnixNano"), call.end);
  {
    ObjectWriter status(span.key("status"));
    status.integer("code", success ? kStatusOk : kStatusError);
    if (failed_with_error) status.string("message", call.failure->message);
  }
  if (failed_with_error) {
    std::string& events = span.key("events");
    events += '[';
    {
      ObjectWriter event(events);
      append_unix_nanos(event.key("timeUnixNano"), call.end);
      event.string("name", "exception");
      AttributeWriter attributes(event.key("attributes"));
      attributes.text("exception.type", error_class);
      attributes.text("exception.message", call.failure->message);
    }
    events += ']';
  }

  AttributeWriter attributes(span.key("attributes"));
  for (const MetadataField& field : payload_metadata(call, RequestText(call.request))) {
    std::string attribute = "metadata.";
    attribute += field.name;
    attributes.text(attribute, field.text);  // JSON text as it is, a string as itself
  }
  std::string hidden_params;
  append_hidden_params(hidden_params, call);
  attributes.text("hidden_params", hidden_params);
  attributes.number("gen_ai.cost.total_cost", success ? call.cost : 0.0);
  attributes.text("gen_ai.request.model", payload_model(call));
  attributes.text("llm.request.type", call.call_type);
  attributes.text("gen_ai.operation.name", call.call_type == "completion"
                                               ? std::string_view("chat")
                                               : std::string_view(call.call_type));
  attributes.text("gen_ai.system",
                  call.provider.empty() ? std::string_view("Unknown") : call.provider);
  for (const auto& [parameter, attribute] :
       {std::pair{"max_tokens", "gen_ai.request.max_tokens"},
        std::pair{"temperature", "gen_ai.request.temperature"},
        std::pair{"top_p", "gen_ai.request.top_p"}, std::pair{"user", "llm.user"}}) {
    if (const auto* value = parameters.if_contains(parameter)) attributes.value(attribute, *value);
  }
  attributes.text("llm.is_streaming", call.stream ? "True" : "False");  // LiteLLM's str(bool)
  attributes.text("gen_ai.request.id", call.call_id);
  const std::string_view response_id = string_at(response, "id");
  attributes.text("gen_ai.response.id", response_id.empty() ? call.call_id : response_id);
  if (const std::string_view model = string_at(response, "model"); !model.empty())
    attributes.text("gen_ai.response.model", model);
  if (success) {
    const std::int64_t total = call.prompt_tokens + call.completion_tokens;
    attributes.integer("llm.usage.total_tokens", total);
    attributes.integer("gen_ai.usage.total_tokens", total);
    attributes.integer("gen_ai.usage.prompt_tokens", call.prompt_tokens);
    attributes.integer("gen_ai.usage.completion_tokens", call.completion_tokens);
    attributes.integer("gen_ai.usage.input_tokens", call.prompt_tokens);
    attributes.integer("gen_ai.usage.output_tokens", call.completion_tokens);
  }
  if (failed_with_error) {
    attributes.text("error.code", std::to_string(call.status));
    attributes.text("error.type", error_class);
    attributes.text("error.message", call.failure->message);
    if (!call.provider.empty()) attributes.text("error.llm_provider", call.provider);
  }
  if (call.log_messages) add_messages(attributes, input, response);
  if (identity.langfuse)
    add_langfuse_attributes(attributes, identity, call, requester, input, response);
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" and more.
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-')
    return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view span_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff" || !is_lower_hex(trace_id) ||
      !is_lower_hex(span_id) || !is_lower_hex(flags) || all_zero(trace_id) || all_zero(span_id))
    return std::nullopt;
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-')
    return std::nullopt;
  return TraceParent{std::string(trace_id), std::string(span_id)};
}

std::string otlp_traces_body(const config::OtelIdentity& identity,
                             const std::vector<const CallFacts*>& calls) {
  std::string out;
  out.reserve(256 + 2048 * calls.size());
  out += "{\"resourceSpans\":[";
  {
    ObjectWriter resource_spans(out);
    {
      ObjectWriter resource(resource_spans.key("resource"));
      AttributeWriter attributes(resource.key("attributes"));
      attributes.text("service.name", identity.service_name);
      attributes.text("deployment.environment", identity.environment);
      attributes.text("model_id", identity.service_name);  // LiteLLM's OTEL_MODEL_ID default
    }
    std::string& scope_spans = resource_spans.key("scopeSpans");
    scope_spans += '[';
    {
      ObjectWriter scope_span(scope_spans);
      {
        ObjectWriter scope(scope_span.key("scope"));
        scope.string("name", identity.tracer_name);
      }
      std::string& spans = scope_span.key("spans");
      spans += '[';
      for (std::size_t i = 0; i < calls.size(); ++i) {
        if (i > 0) spans += ',';
        write_span(spans, identity, *calls[i]);
      }
      spans += ']';
    }
    scope_spans += ']';
  }
  out += "]}";
  return out;
}

Rejection rejected_spans(std::string_view answer) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(answer, ec);
  if (ec || !parsed.is_object()) return {};
  const json::object& partial = object_at(parsed.get_object(), "partialSuccess");
  Rejection rejection{.message = std::string(string_at(partial, "errorMessage"))};
  if (const auto* count = partial.if_contains("rejectedSpans")) {
    // An int64 is a string in OTLP's JSON; receivers accept a number too.
    if (count->is_string()) {
      const auto text = count->get_string();
      std::from_chars(text.data(), text.data() + text.size(), rejection.spans);
    } else if (count->is_int64() || count->is_uint64()) {
      rejection.spans = count->to_number<std::int64_t>();
    }
  }
  return rejection;
}

}  // namespace llmux::callbacks
