#include "callbacks/otlp.hpp"

#include "base/json_string.hpp"
#include "callbacks/json_writer.hpp"
#include "callbacks/protobuf_wire.hpp"
#include "telemetry/litellm_metrics.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <span>

namespace llmux::callbacks {

namespace {

namespace json = boost::json;

// OTLP's enums, written as integers in its JSON.
constexpr int kSpanKindServer = 2;
constexpr int kStatusOk = 1;
constexpr int kStatusError = 2;

std::uint64_t unix_nanos(std::chrono::system_clock::time_point time) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

// Unix nanoseconds as OTLP's JSON writes a 64-bit integer: a decimal string.
void append_unix_nanos(std::string& out, std::chrono::system_clock::time_point time) {
  out += '"';
  append_number(out, static_cast<std::int64_t>(unix_nanos(time)));
  out += '"';
}

// The text of a JSON string literal, escapes decoded ("" for anything else).
std::string decoded_string(std::string_view literal) {
  if (!literal.starts_with('"')) return {};
  if (literal.find('\\') == std::string_view::npos)
    return std::string(literal.substr(1, literal.size() - 2));
  boost::system::error_code ec;
  const json::value value = json::parse(literal, ec);
  return !ec && value.is_string() ? std::string(value.get_string()) : std::string();
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

// A list of attributes written as OTLP's JSON: [{"key": …, "value": {<AnyValue>}}, …]. Its
// methods are the span's attribute vocabulary, which ProtoAttributes writes as protobuf.
class JsonAttributes {
 public:
  explicit JsonAttributes(std::string& out) : out_(out) { out_ += '['; }
  ~JsonAttributes() { out_ += ']'; }
  JsonAttributes(const JsonAttributes&) = delete;
  JsonAttributes& operator=(const JsonAttributes&) = delete;

  // `prefix` + `key`: both literals of ours or names that need no escaping.
  void text(std::string_view key, std::string_view value, std::string_view prefix = {}) {
    begin(prefix, key, "stringValue");
    append_json_string(out_, value);
    out_ += "}}";
  }
  void integer(std::string_view key, std::int64_t value) {
    begin({}, key, "intValue");  // 64-bit integers are JSON strings
    out_ += '"';
    append_number(out_, value);
    out_ += "\"}}";
  }
  // The cost's double, whose text is written already.
  void number(std::string_view key, const CostText& cost) {
    typed(key, "doubleValue", cost.text());
  }
  // A JSON value as LiteLLM's safe_set_attribute casts it: a string, bool or number as itself,
  // null as "", a structure as its JSON text.
  void json_value(std::string_view key, std::string_view raw) {
    switch (raw.empty() ? 'n' : raw.front()) {
      case '"': return typed(key, "stringValue", raw);
      case 't':
      case 'f': return typed(key, "boolValue", raw);
      case 'n': return text(key, "");
      case '{':
      case '[': return text(key, raw);
      default:
        if (raw.find_first_of(".eE") != std::string_view::npos)
          return typed(key, "doubleValue", raw);
        begin({}, key, "intValue");
        out_ += '"';
        out_ += raw;
        out_ += "\"}}";
    }
  }
  // A JSON string literal as it is (quotes and escapes kept).
  void string_literal(std::string_view key, std::string_view literal) {
    typed(key, "stringValue", literal);
  }

 private:
  void typed(std::string_view key, std::string_view type, std::string_view raw) {
    begin({}, key, type);
    out_ += raw;
    out_ += "}}";
  }
  void begin(std::string_view prefix, std::string_view key, std::string_view type) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += "{\"key\":\"";
    out_ += prefix;
    out_ += key;
    out_ += "\",\"value\":{\"";
    out_ += type;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

// The protobuf fields of OTLP's messages (opentelemetry/proto/trace/v1/trace.proto,
// common/v1/common.proto, collector/trace/v1/trace_service.proto).
namespace field {
constexpr int kResourceSpans = 1;  // ExportTraceServiceRequest
constexpr int kResource = 1;       // ResourceSpans
constexpr int kScopeSpans = 2;
constexpr int kResourceAttributes = 1;  // Resource
constexpr int kScope = 1;               // ScopeSpans
constexpr int kSpans = 2;
constexpr int kScopeName = 1;  // InstrumentationScope
constexpr int kTraceId = 1;    // Span
constexpr int kSpanId = 2;
constexpr int kParentSpanId = 4;
constexpr int kName = 5;
constexpr int kKind = 6;
constexpr int kStartTime = 7;
constexpr int kEndTime = 8;
constexpr int kAttributes = 9;
constexpr int kEvents = 11;
constexpr int kStatus = 15;
constexpr int kEventTime = 1;  // Span.Event
constexpr int kEventName = 2;
constexpr int kEventAttributes = 3;
constexpr int kStatusMessage = 2;  // Status
constexpr int kStatusCode = 3;
constexpr int kKey = 1;  // KeyValue
constexpr int kValue = 2;
constexpr int kStringValue = 1;  // AnyValue
constexpr int kBoolValue = 2;
constexpr int kIntValue = 3;
constexpr int kDoubleValue = 4;
constexpr int kPartialSuccess = 1;  // ExportTraceServiceResponse
constexpr int kRejectedSpans = 1;   // ExportTracePartialSuccess
constexpr int kErrorMessage = 2;
}  // namespace field

// Writes the text of a JSON string literal as a protobuf string field (escapes decoded).
void literal_field(protobuf::Writer& writer, int number, std::string_view literal) {
  if (literal.find('\\') == std::string_view::npos)
    writer.bytes_field(number, literal.substr(1, literal.size() - 2));
  else
    writer.bytes_field(number, decoded_string(literal));
}

// The same attributes as JsonAttributes, each a KeyValue message of the repeated field `number`.
class ProtoAttributes {
 public:
  ProtoAttributes(protobuf::Writer& writer, int number) : writer_(writer), number_(number) {}

  void text(std::string_view key, std::string_view value, std::string_view prefix = {}) {
    const std::size_t any = begin(prefix, key);
    writer_.bytes_field(field::kStringValue, value);
    end(any);
  }
  void integer(std::string_view key, std::int64_t value) {
    const std::size_t any = begin({}, key);
    writer_.int64_field(field::kIntValue, value);
    end(any);
  }
  void number(std::string_view key, double value) {
    const std::size_t any = begin({}, key);
    writer_.double_field(field::kDoubleValue, value);
    end(any);
  }
  void number(std::string_view key, const CostText& cost) { number(key, cost.value()); }
  // As JsonAttributes::json_value: a number is an int64 when it is written as an integer that
  // fits, else a double.
  void json_value(std::string_view key, std::string_view raw) {
    switch (raw.empty() ? 'n' : raw.front()) {
      case '"': return string_literal(key, raw);
      case 't':
      case 'f': {
        const std::size_t any = begin({}, key);
        writer_.bool_field(field::kBoolValue, raw.front() == 't');
        return end(any);
      }
      case 'n': return text(key, "");
      case '{':
      case '[': return text(key, raw);
      default: {
        std::int64_t whole = 0;
        const char* last = raw.data() + raw.size();
        if (raw.find_first_of(".eE") == std::string_view::npos &&
            std::from_chars(raw.data(), last, whole).ptr == last)
          return integer(key, whole);
        double value = 0;
        std::from_chars(raw.data(), last, value);
        return number(key, value);
      }
    }
  }
  void string_literal(std::string_view key, std::string_view literal) {
    const std::size_t any = begin({}, key);
    literal_field(writer_, field::kStringValue, literal);
    end(any);
  }

 private:
  // Opens the KeyValue and its AnyValue; returns what end() closes.
  std::size_t begin(std::string_view prefix, std::string_view key) {
    key_value_ = writer_.begin(number_);
    if (prefix.empty()) {
      writer_.bytes_field(field::kKey, key);
    } else {
      std::string& name = scratch_;
      name.assign(prefix).append(key);
      writer_.bytes_field(field::kKey, name);
    }
    return writer_.begin(field::kValue);
  }
  void end(std::size_t any) {
    writer_.end(any);
    writer_.end(key_value_);
  }
  protobuf::Writer& writer_;
  int number_;
  std::size_t key_value_ = 0;
  std::string scratch_;
};

// The members of a chat message that its GenAI form keeps.
struct MessageText {
  std::string_view role;  // a string literal other than ""; "" when absent
  std::string_view content;
  std::string_view id;
  std::string_view tool_calls;
  std::string_view tool_call_id;
};

MessageText read_message(std::string_view message) {
  MessageText read;
  api::for_each_member_of_valid(message, [&](std::string_view key, api::Span span) {
    const std::string_view value = span.in(message);
    if (key == "role")
      read.role = value.size() > 2 && value.front() == '"' ? value : std::string_view();
    else if (key == "content")
      read.content = value;
    else if (key == "id")
      read.id = value;
    else if (key == "tool_calls")
      read.tool_calls = value;
    else if (key == "tool_call_id")
      read.tool_call_id = value;
  });
  return read;
}

// A message in the GenAI conventions' form: its content as a list of parts; then `finish` (a
// string literal) as its finish_reason when there is one.
void append_genai_message(std::string& out, std::string_view message,
                          std::string_view finish = {}) {
  const MessageText read = read_message(message);
  ObjectWriter converted(out);
  converted.raw("role", read.role.empty() ? std::string_view("\"user\"") : read.role);
  std::string& parts = converted.key("parts");
  parts += '[';
  if (read.content.starts_with('"')) {
    ObjectWriter part(parts);
    part.string("type", "text");
    part.raw("content", read.content);
  } else if (read.content.starts_with('[')) {
    bool first = true;
    api::for_each_element(read.content, api::Span{0, read.content.size()}, [&](api::Span span) {
      if (!first) parts += ',';
      first = false;
      const std::string_view element = span.in(read.content);
      if (element.starts_with('{')) {
        parts += element;
      } else {
        ObjectWriter part(parts);
        part.string("type", "text");
        part.string("content", element);
      }
    });
  }
  parts += ']';
  if (!read.id.empty()) converted.raw("id", read.id);
  if (!read.tool_calls.empty()) converted.raw("tool_calls", read.tool_calls);
  if (!read.tool_call_id.empty()) converted.raw("tool_call_id", read.tool_call_id);
  if (!finish.empty()) converted.raw("finish_reason", finish);
}

// Calls `visit(element)` for each element of the JSON array `array` that is an object.
template <class Visit>
void for_each_object(std::string_view array, Visit&& visit) {
  if (!array.starts_with('[')) return;
  api::for_each_element(array, api::Span{0, array.size()}, [&](api::Span span) {
    const std::string_view element = span.in(array);
    if (element.starts_with('{')) visit(element);
  });
}

// The members of an answer the span reads (a whole answer, messages logged).
struct ResponseText {
  std::string_view id;  // string literals other than ""; "" when absent
  std::string_view model;
  std::string_view choices;  // a non-empty array; "" otherwise
};

ResponseText read_response(std::string_view response) {
  ResponseText read;
  const auto literal = [](std::string_view value) {
    return value.size() > 2 && value.front() == '"' ? value : std::string_view();
  };
  api::for_each_member_of_valid(response, [&](std::string_view key, api::Span span) {
    const std::string_view value = span.in(response);
    if (key == "id")
      read.id = literal(value);
    else if (key == "model")
      read.model = literal(value);
    else if (key == "choices" && !raw_first_element(value).empty())
      read.choices = value;
  });
  return read;
}

// What the call was asked and answered, when message logging is on (chat calls only, as
// LiteLLM sets them from a chat's messages and choices).
template <class Attributes>
void add_messages(Attributes& attributes, std::string_view messages, std::string_view choices) {
  std::string converted;
  if (messages.starts_with('[')) {
    converted += '[';
    for_each_object(messages, [&](std::string_view message) {
      if (converted.size() > 1) converted += ',';
      append_genai_message(converted, message);
    });
    converted += ']';
    attributes.text("gen_ai.input.messages", converted);
  }
  if (choices.empty()) return;
  converted.clear();
  converted += '[';
  std::string finish_reasons(1, '[');
  for_each_object(choices, [&](std::string_view choice) {
    std::string_view message;
    std::string_view finish;
    api::for_each_member_of_valid(choice, [&](std::string_view key, api::Span span) {
      if (key == "message") message = span.in(choice);
      if (key == "finish_reason") finish = span.in(choice);
    });
    if (!(finish.size() > 2 && finish.front() == '"')) finish = {};
    if (converted.size() > 1) converted += ',';
    append_genai_message(converted, message.starts_with('{') ? message : "{}", finish);
    if (!finish.empty()) {
      if (finish_reasons.size() > 1) finish_reasons += ',';
      finish_reasons += finish;
    }
  });
  converted += ']';
  finish_reasons += ']';
  attributes.text("gen_ai.output.messages", converted);
  if (finish_reasons.size() > 2) attributes.text("gen_ai.response.finish_reasons", finish_reasons);
}

// Langfuse's observation output for a first choice that called tools: its function_call form,
// arguments parsed (a rare answer: read with a document).
std::string langfuse_tool_calls(std::string_view tool_calls, std::string_view response_id) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(tool_calls, ec);
  json::array calls;
  if (ec || !parsed.is_array()) return json::serialize(calls);
  for (const json::value& tool_call : parsed.get_array()) {
    if (!tool_call.is_object()) continue;
    const json::object& function = object_at(tool_call.get_object(), "function");
    json::value arguments = json::parse(string_at(function, "arguments"), ec);
    if (ec || !arguments.is_object()) arguments = json::object();
    calls.push_back(json::object{{"id", decoded_string(response_id)},
                                 {"name", string_at(function, "name")},
                                 {"call_id", string_at(tool_call.get_object(), "id")},
                                 {"type", "function_call"},
                                 {"arguments", std::move(arguments)}});
  }
  return json::serialize(calls);
}

// LiteLLM's langfuse_otel attributes: the request metadata's Langfuse fields under Langfuse's
// OTel names (a list or object as its JSON text), and the observation's input and output.
template <class Attributes>
void add_langfuse_attributes(Attributes& attributes, const config::OtelIdentity& identity,
                             const CallFacts& call, std::string_view requester,
                             std::string_view input, const ResponseText& response) {
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
  if (!requester.empty()) {
    for (const auto& [field, attribute] : kMetadata) {
      const std::string_view value = raw_member(requester, field);
      if (value.empty() || value == "null") continue;
      if (field == "trace_id" && value.starts_with('"')) {  // Langfuse's trace ids have no dashes
        std::string id = decoded_string(value);
        std::erase(id, '-');
        attributes.text(attribute, id);
      } else {
        attributes.json_value(attribute, value);
      }
    }
  }
  if (!call.log_messages) return;
  if (!raw_first_element(input).empty()) attributes.text("langfuse.observation.input", input);
  const std::string_view first = raw_first_element(response.choices);
  if (!first.starts_with('{')) return;
  const std::string_view message_value = raw_member(first, "message");
  const std::string_view message = message_value.starts_with('{') ? message_value : "{}";
  const MessageText read = read_message(message);
  if (!raw_first_element(read.tool_calls).empty()) {
    attributes.text("langfuse.observation.output",
                    langfuse_tool_calls(read.tool_calls, response.id));
    return;
  }
  const bool has_content = !read.content.empty() && read.content != "null";
  if (read.role.empty() && !has_content) return;
  std::string output;
  {
    ObjectWriter object(output);
    if (!read.role.empty()) object.raw("role", read.role);
    if (has_content) object.raw("content", read.content);
  }
  attributes.text("langfuse.observation.output", output);
}

// What a call's span says, read once from its facts, whatever the encoding.
struct SpanSource {
  explicit SpanSource(const CallFacts& call)
      : call(call),
        request(call.request),
        // The answer is read only where the payload carries it (a whole answer, messages logged).
        response(call.log_messages ? read_response(call.response) : ResponseText{}),
        success(call.succeeded()),
        failed_with_error(!success && call.failure),
        error_class(failed_with_error ? telemetry::exception_class(call.failure->kind, "")
                                      : std::string()),
        name(raw_string_member(request.metadata, "generation_name")),
        // A call recorded without a context (no span was expected of it) starts a trace.
        trace(call.trace ? *call.trace : trace_context({})) {}

  const CallFacts& call;
  const RequestText request;
  const ResponseText response;
  const bool success;
  const bool failed_with_error;
  const std::string error_class;
  const std::string_view name;  // generation_name's JSON string literal; "": litellm_request
  const TraceContext trace;
};

std::string_view hex_view(std::span<const char> hex) { return {hex.data(), hex.size()}; }

// The ids as protobuf's bytes fields carry them: the hex digits' bytes.
template <std::size_t Digits>
std::array<char, Digits / 2> hex_bytes(const std::array<char, Digits>& hex) {
  const auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::array<char, Digits / 2> bytes;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  return bytes;
}

// The span's attributes, as LiteLLM's logger sets them, in either encoding.
template <class Attributes>
void add_span_attributes(Attributes& attributes, const config::OtelIdentity& identity,
                         const SpanSource& source) {
  const CallFacts& call = source.call;
  const RequestText& request = source.request;
  for (const MetadataField& field : payload_metadata(call, request))
    attributes.text(field.name, field.text, "metadata.");  // JSON text as it is
  const CostText cost(call);
  std::string hidden_params;
  append_hidden_params(hidden_params, call, cost);
  attributes.text("hidden_params", hidden_params);
  attributes.number("gen_ai.cost.total_cost", cost);
  attributes.text("gen_ai.request.model", payload_model(call));
  attributes.text("llm.request.type", call.call_type);
  attributes.text("gen_ai.operation.name", call.call_type == "completion"
                                               ? std::string_view("chat")
                                               : std::string_view(call.call_type));
  attributes.text("gen_ai.system",
                  call.provider.empty() ? std::string_view("Unknown") : call.provider);
  for (const auto& [value, attribute] :
       {std::pair{request.max_tokens, "gen_ai.request.max_tokens"},
        std::pair{request.temperature, "gen_ai.request.temperature"},
        std::pair{request.top_p, "gen_ai.request.top_p"}, std::pair{request.user, "llm.user"}}) {
    if (!value.empty()) attributes.json_value(attribute, value);
  }
  attributes.text("llm.is_streaming", call.stream ? "True" : "False");  // LiteLLM's str(bool)
  attributes.text("gen_ai.request.id", call.call_id);
  if (source.response.id.empty())
    attributes.text("gen_ai.response.id", call.call_id);
  else
    attributes.string_literal("gen_ai.response.id", source.response.id);
  if (!source.response.model.empty())
    attributes.string_literal("gen_ai.response.model", source.response.model);
  if (source.success) {
    const std::int64_t total = call.prompt_tokens + call.completion_tokens;
    attributes.integer("llm.usage.total_tokens", total);
    attributes.integer("gen_ai.usage.total_tokens", total);
    attributes.integer("gen_ai.usage.prompt_tokens", call.prompt_tokens);
    attributes.integer("gen_ai.usage.completion_tokens", call.completion_tokens);
    attributes.integer("gen_ai.usage.input_tokens", call.prompt_tokens);
    attributes.integer("gen_ai.usage.output_tokens", call.completion_tokens);
  }
  if (source.failed_with_error) {
    attributes.text("error.code", std::to_string(call.status));
    attributes.text("error.type", source.error_class);
    attributes.text("error.message", call.failure->message);
    if (!call.provider.empty()) attributes.text("error.llm_provider", call.provider);
  }
  if (call.log_messages) add_messages(attributes, request.input, source.response.choices);
  if (identity.langfuse) {
    add_langfuse_attributes(attributes, identity, call, request.metadata, request.input,
                            source.response);
  }
}

void write_json_span(std::string& out, const config::OtelIdentity& identity,
                     const CallFacts& call) {
  const SpanSource source(call);
  ObjectWriter span(out);
  span.string("traceId", hex_view(source.trace.trace_id));
  span.string("spanId", hex_view(source.trace.span_id));
  if (source.trace.parent_span_id)
    span.string("parentSpanId", hex_view(*source.trace.parent_span_id));
  if (source.name.empty())
    span.string("name", "litellm_request");
  else
    span.raw("name", source.name);
  span.integer("kind", kSpanKindServer);
  append_unix_nanos(span.key("startTimeUnixNano"), call.start);
  append_unix_nanos(span.key("endTimeUnixNano"), call.end);
  {
    ObjectWriter status(span.key("status"));
    status.integer("code", source.success ? kStatusOk : kStatusError);
    if (source.failed_with_error) status.string("message", call.failure->message);
  }
  if (source.failed_with_error) {
    std::string& events = span.key("events");
    events += '[';
    {
      ObjectWriter event(events);
      append_unix_nanos(event.key("timeUnixNano"), call.end);
      event.string("name", "exception");
      JsonAttributes attributes(event.key("attributes"));
      attributes.text("exception.type", source.error_class);
      attributes.text("exception.message", call.failure->message);
    }
    events += ']';
  }
  JsonAttributes attributes(span.key("attributes"));
  add_span_attributes(attributes, identity, source);
}

// The same span as write_json_span, as the Span message of ScopeSpans.spans.
void write_proto_span(protobuf::Writer& writer, const config::OtelIdentity& identity,
                      const CallFacts& call) {
  const SpanSource source(call);
  const std::size_t span = writer.begin(field::kSpans);
  const auto trace_id = hex_bytes(source.trace.trace_id);
  writer.bytes_field(field::kTraceId, {trace_id.data(), trace_id.size()});
  const auto span_id = hex_bytes(source.trace.span_id);
  writer.bytes_field(field::kSpanId, {span_id.data(), span_id.size()});
  if (source.trace.parent_span_id) {
    const auto parent = hex_bytes(*source.trace.parent_span_id);
    writer.bytes_field(field::kParentSpanId, {parent.data(), parent.size()});
  }
  if (source.name.empty())
    writer.bytes_field(field::kName, "litellm_request");
  else
    literal_field(writer, field::kName, source.name);
  writer.varint_field(field::kKind, kSpanKindServer);
  writer.fixed64_field(field::kStartTime, unix_nanos(call.start));
  writer.fixed64_field(field::kEndTime, unix_nanos(call.end));
  {
    const std::size_t status = writer.begin(field::kStatus);
    if (source.failed_with_error) writer.bytes_field(field::kStatusMessage, call.failure->message);
    writer.varint_field(field::kStatusCode, source.success ? kStatusOk : kStatusError);
    writer.end(status);
  }
  if (source.failed_with_error) {
    const std::size_t event = writer.begin(field::kEvents);
    writer.fixed64_field(field::kEventTime, unix_nanos(call.end));
    writer.bytes_field(field::kEventName, "exception");
    ProtoAttributes attributes(writer, field::kEventAttributes);
    attributes.text("exception.type", source.error_class);
    attributes.text("exception.message", call.failure->message);
    writer.end(event);
  }
  ProtoAttributes attributes(writer, field::kAttributes);
  add_span_attributes(attributes, identity, source);
  writer.end(span);
}

template <class Attributes>
void add_resource_attributes(Attributes& attributes, const config::OtelIdentity& identity) {
  attributes.text("service.name", identity.service_name);
  attributes.text("deployment.environment", identity.environment);
  attributes.text("model_id", identity.service_name);  // LiteLLM's OTEL_MODEL_ID default
}

std::size_t body_size_hint(const std::vector<const CallFacts*>& calls) {
  std::size_t size = 256;
  for (const CallFacts* call : calls) size += payload_size_hint(*call);
  return size;
}

std::string json_traces_body(const config::OtelIdentity& identity,
                             const std::vector<const CallFacts*>& calls) {
  std::string out;
  out.reserve(body_size_hint(calls));
  out += "{\"resourceSpans\":[";
  {
    ObjectWriter resource_spans(out);
    {
      ObjectWriter resource(resource_spans.key("resource"));
      JsonAttributes attributes(resource.key("attributes"));
      add_resource_attributes(attributes, identity);
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
        write_json_span(spans, identity, *calls[i]);
      }
      spans += ']';
    }
    scope_spans += ']';
  }
  out += "]}";
  return out;
}

std::string proto_traces_body(const config::OtelIdentity& identity,
                              const std::vector<const CallFacts*>& calls) {
  std::string out;
  out.reserve(body_size_hint(calls));
  protobuf::Writer writer(out);
  const std::size_t resource_spans = writer.begin(field::kResourceSpans);
  {
    const std::size_t resource = writer.begin(field::kResource);
    ProtoAttributes attributes(writer, field::kResourceAttributes);
    add_resource_attributes(attributes, identity);
    writer.end(resource);
  }
  const std::size_t scope_spans = writer.begin(field::kScopeSpans);
  {
    const std::size_t scope = writer.begin(field::kScope);
    writer.bytes_field(field::kScopeName, identity.tracer_name);
    writer.end(scope);
  }
  for (const CallFacts* call : calls) write_proto_span(writer, identity, *call);
  writer.end(scope_spans);
  writer.end(resource_spans);
  return out;
}

}  // namespace

std::string otlp_traces_body(const config::OtelIdentity& identity,
                             const std::vector<const CallFacts*>& calls) {
  return identity.encoding == config::OtlpEncoding::protobuf ? proto_traces_body(identity, calls)
                                                             : json_traces_body(identity, calls);
}

std::string_view otlp_content_type(const config::OtelIdentity& identity) {
  return identity.encoding == config::OtlpEncoding::protobuf ? "application/x-protobuf"
                                                             : "application/json";
}

namespace {

Rejection json_rejection(std::string_view answer) {
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

Rejection proto_rejection(std::string_view answer) {
  Rejection rejection;
  protobuf::Reader response(answer);
  while (const auto partial = response.next()) {
    if (partial->number != field::kPartialSuccess ||
        partial->type != protobuf::WireType::length_delimited)
      continue;
    protobuf::Reader fields(partial->bytes);
    while (const auto member = fields.next()) {
      if (member->number == field::kRejectedSpans && member->type == protobuf::WireType::varint)
        rejection.spans = static_cast<std::int64_t>(member->value);
      else if (member->number == field::kErrorMessage &&
               member->type == protobuf::WireType::length_delimited)
        rejection.message = std::string(member->bytes);
    }
    if (fields.broken()) return {};
  }
  return response.broken() ? Rejection{} : rejection;
}

}  // namespace

Rejection rejected_spans(std::string_view answer, config::OtlpEncoding encoding) {
  return encoding == config::OtlpEncoding::protobuf ? proto_rejection(answer)
                                                    : json_rejection(answer);
}

}  // namespace llmux::callbacks
