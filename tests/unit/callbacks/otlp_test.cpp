#include "callbacks/otlp.hpp"

#include "callbacks/protobuf_wire.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <map>

namespace llmux::callbacks {
namespace {

namespace json = boost::json;

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

struct Fixture {
  Fixture() {
    const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    call = {.call_id = "call-1",
            .call_type = "acompletion",
            .request = R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],
              "temperature":0.5,"max_tokens":20,"user":"customer-1","api_key":"sk-client-secret",
              "metadata":{"generation_name":"triage","tags":["a"]}})",
            .response = R"({"id":"chatcmpl-9","model":"gpt-4o-2024","choices":[{"index":0,
              "message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]})",
            .key_hash = "abc123hash",
            .key_alias = "ci",
            .team_id = "team-1",
            .provider = "openai",
            .upstream_model = "gpt-4o",
            .model_id = "d1",
            .api_base = "http://up/v1",
            .model_group = "gpt",
            .prompt_tokens = 7,
            .completion_tokens = 3,
            .cost = 0.25,
            .start = start + std::chrono::nanoseconds(123'456'000),
            .end = start + std::chrono::milliseconds(500)};
  }

  // The request body of this one call, parsed.
  json::object body() { return json::parse(otlp_traces_body(identity, {&call})).as_object(); }
  json::object span() {
    return body()["resourceSpans"].at(0).at("scopeSpans").at(0).at("spans").at(0).as_object();
  }

  CallFacts call;
  config::OtelIdentity identity{
      .service_name = "gateway", .tracer_name = "tracer", .encoding = config::OtlpEncoding::json};
};

// A span's attributes by key, each as its AnyValue.
std::map<std::string, json::value> attributes_of(const json::object& span) {
  std::map<std::string, json::value> attributes;
  for (const json::value& attribute : span.at("attributes").as_array())
    attributes[std::string(attribute.at("key").as_string())] = attribute.at("value");
  return attributes;
}

json::value text(std::string_view value) { return json::object{{"stringValue", value}}; }
json::value integer(std::string_view value) { return json::object{{"intValue", value}}; }

TEST(OtlpTraces, ASuccessfulCallIsOneSpanInOtlpsJsonMapping) {
  Fixture fixture;
  json::object body = fixture.body();
  const auto& resource_spans = body["resourceSpans"].as_array();
  ASSERT_EQ(resource_spans.size(), 1u);
  const json::array& resource = resource_spans[0].at("resource").at("attributes").as_array();
  EXPECT_EQ(resource[0],
            json::parse(R"({"key":"service.name","value":{"stringValue":"gateway"}})"));
  EXPECT_EQ(resource[1].at("key"), "deployment.environment");
  EXPECT_EQ(resource[1].at("value"), text("production"));
  EXPECT_EQ(resource[2], json::parse(R"({"key":"model_id","value":{"stringValue":"gateway"}})"));
  const auto& scope = resource_spans[0].at("scopeSpans").at(0);
  EXPECT_EQ(scope.at("scope").at("name"), "tracer");

  const json::object span = fixture.span();
  EXPECT_EQ(span.at("name"), "triage");  // metadata.generation_name, else litellm_request
  EXPECT_EQ(span.at("kind"), 2);
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000123456000");
  EXPECT_EQ(span.at("endTimeUnixNano"), "1700000000500000000");
  EXPECT_EQ(span.at("status"), json::parse(R"({"code":1})"));
  EXPECT_EQ(span.at("traceId").as_string().size(), 32u);
  EXPECT_EQ(span.at("spanId").as_string().size(), 16u);
  EXPECT_EQ(span.if_contains("parentSpanId"), nullptr);

  const auto attributes = attributes_of(span);
  EXPECT_EQ(attributes.at("gen_ai.request.model"), text("gpt-4o"));
  EXPECT_EQ(attributes.at("gen_ai.system"), text("openai"));
  EXPECT_EQ(attributes.at("llm.request.type"), text("acompletion"));
  EXPECT_EQ(attributes.at("gen_ai.operation.name"), text("acompletion"));  // as LiteLLM sets it
  EXPECT_EQ(attributes.at("gen_ai.request.max_tokens"), integer("20"));
  EXPECT_EQ(attributes.at("gen_ai.request.temperature"), json::parse(R"({"doubleValue":0.5})"));
  EXPECT_EQ(attributes.at("llm.user"), text("customer-1"));
  EXPECT_EQ(attributes.at("llm.is_streaming"), text("False"));
  EXPECT_EQ(attributes.at("gen_ai.request.id"), text("call-1"));
  EXPECT_EQ(attributes.at("gen_ai.response.id"), text("chatcmpl-9"));
  EXPECT_EQ(attributes.at("gen_ai.response.model"), text("gpt-4o-2024"));
  EXPECT_EQ(attributes.at("gen_ai.usage.prompt_tokens"), integer("7"));
  EXPECT_EQ(attributes.at("gen_ai.usage.completion_tokens"), integer("3"));
  EXPECT_EQ(attributes.at("gen_ai.usage.input_tokens"), integer("7"));
  EXPECT_EQ(attributes.at("gen_ai.usage.output_tokens"), integer("3"));
  EXPECT_EQ(attributes.at("llm.usage.total_tokens"), integer("10"));
  EXPECT_EQ(attributes.at("gen_ai.usage.total_tokens"), integer("10"));
  EXPECT_EQ(attributes.at("gen_ai.cost.total_cost"), json::parse(R"({"doubleValue":0.25})"));
  EXPECT_EQ(attributes.at("metadata.user_api_key_hash"), text("abc123hash"));
  EXPECT_EQ(attributes.at("metadata.user_api_key_alias"), text("ci"));
  EXPECT_EQ(attributes.at("metadata.user_api_key_team_id"), text("team-1"));
  EXPECT_EQ(attributes.at("metadata.user_api_key_user_id"), text(""));  // LiteLLM's None
  EXPECT_EQ(json::parse(attributes.at("metadata.requester_metadata").at("stringValue").as_string()),
            json::parse(R"({"generation_name":"triage","tags":["a"]})"));
  EXPECT_EQ(json::parse(attributes.at("gen_ai.input.messages").at("stringValue").as_string()),
            json::parse(R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])"));
  EXPECT_EQ(json::parse(attributes.at("gen_ai.output.messages").at("stringValue").as_string()),
            json::parse(R"([{"role":"assistant","parts":[{"type":"text","content":"hello"}],
                             "finish_reason":"stop"}])"));
  EXPECT_EQ(attributes.at("gen_ai.response.finish_reasons"), text(R"(["stop"])"));
  // The span is written from the call's facts, not from its payload: what both carry is the same.
  const json::object payload = json::parse(standard_logging_payload(fixture.call)).as_object();
  EXPECT_EQ(json::parse(attributes.at("hidden_params").at("stringValue").as_string()),
            payload.at("hidden_params"));
  for (const auto& [name, value] : payload.at("metadata").as_object()) {
    const json::value& attribute = attributes.at("metadata." + std::string(name));
    if (value.is_string())
      EXPECT_EQ(attribute, text(value.get_string())) << name;
    else if (value.is_null())
      EXPECT_EQ(attribute, text("")) << name;
    else
      EXPECT_EQ(json::parse(attribute.at("stringValue").as_string()), value) << name;
  }
  // The client's api_key field is not an attribute, nor anywhere in the body.
  EXPECT_EQ(json::serialize(fixture.body()).find("sk-client-secret"), std::string::npos);
}

TEST(OtlpTraces, TheRequestsMembersAreReadAsTheClientWroteThem) {
  Fixture fixture;
  // Whitespace, escapes, content parts and a tool's message: the same values reach the span.
  fixture.call.request = R"({ "messages" : [
      {"role":"user", "content":[ {"type":"text","text":"caf\u00e9"}, "loose" ]},
      {"role":"tool", "tool_call_id":"c-1", "content":"42"},
      {"content":"no role"} ],
    "max_tokens" : 20, "top_p" : 1e-1, "user" : null,
    "metadata" : { "generation_name" : "tri\"age" } })";
  fixture.call.response = R"({"id":"r-1","choices":[{"finish_reason":"length"},
    {"message":{"role":"assistant","content":"x"},"finish_reason":null}]})";
  const json::object span = fixture.span();
  EXPECT_EQ(span.at("name"), "tri\"age");
  const auto attributes = attributes_of(span);
  EXPECT_EQ(attributes.at("gen_ai.request.max_tokens"), integer("20"));
  EXPECT_EQ(attributes.at("gen_ai.request.top_p"), json::parse(R"({"doubleValue":0.1})"));
  EXPECT_EQ(attributes.at("llm.user"), text(""));  // null, as LiteLLM casts it
  EXPECT_EQ(json::parse(attributes.at("gen_ai.input.messages").at("stringValue").as_string()),
            json::parse(R"([
              {"role":"user","parts":[{"type":"text","text":"café"},
                                      {"type":"text","content":"\"loose\""}]},
              {"role":"tool","parts":[{"type":"text","content":"42"}],"tool_call_id":"c-1"},
              {"role":"user","parts":[{"type":"text","content":"no role"}]}])"));
  EXPECT_EQ(json::parse(attributes.at("gen_ai.output.messages").at("stringValue").as_string()),
            json::parse(R"([{"role":"user","parts":[],"finish_reason":"length"},
                            {"role":"assistant","parts":[{"type":"text","content":"x"}]}])"));
  EXPECT_EQ(attributes.at("gen_ai.response.finish_reasons"), text(R"(["length"])"));
  EXPECT_EQ(attributes.at("gen_ai.response.id"), text("r-1"));
  EXPECT_EQ(json::parse(attributes.at("metadata.requester_metadata").at("stringValue").as_string()),
            json::parse(R"({"generation_name":"tri\"age"})"));
}

TEST(OtlpTraces, WithoutMessageLoggingNoPromptOrCompletionIsExported) {
  Fixture fixture;
  fixture.call.log_messages = false;
  const std::string body = json::serialize(fixture.body());
  EXPECT_EQ(body.find("gen_ai.input.messages"), std::string::npos);
  EXPECT_EQ(body.find("gen_ai.output.messages"), std::string::npos);
  EXPECT_EQ(body.find("\"hi\""), std::string::npos);
  EXPECT_EQ(body.find("hello"), std::string::npos);
  EXPECT_NE(body.find("gen_ai.usage.prompt_tokens"), std::string::npos);
}

TEST(OtlpTraces, TheSpanHasTheIdsOfTheCallsTraceContext) {
  Fixture fixture;
  fixture.call.trace = trace_context(kTraceparent);
  const json::object span = fixture.span();
  EXPECT_EQ(span.at("traceId"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span.at("parentSpanId"), "b7ad6b7169203331");
  // The span the upstream requests named as their parent.
  const std::string_view span_id(fixture.call.trace->span_id.data(), 16);
  EXPECT_EQ(span.at("spanId").as_string(), span_id);
  EXPECT_EQ(fixture.call.trace->upstream_header().substr(36, 16), span_id);
}

TEST(OtlpTraces, RedactingKeyInfoLeavesTheUserApiKeyAttributesOut) {
  Fixture fixture;
  EXPECT_EQ(attributes_of(fixture.span()).at("metadata.user_api_key_hash"), text("abc123hash"));
  fixture.call.redact_key_info = true;
  const auto attributes = attributes_of(fixture.span());
  for (const auto& [key, value] : attributes)
    EXPECT_FALSE(key.starts_with("metadata.user_api_key")) << key;
  EXPECT_EQ(attributes.count("metadata.requester_metadata"), 1u);
}

TEST(OtlpTraces, AFailedCallIsAnErrorSpanWithLiteLLMsErrorAttributes) {
  Fixture fixture;
  fixture.call.status = 429;
  fixture.call.response.clear();
  fixture.call.failure = make_error(ErrorKind::rate_limited, "slow down");
  const json::object span = fixture.span();
  EXPECT_EQ(span.at("status"), json::parse(R"({"code":2,"message":"slow down"})"));
  const auto attributes = attributes_of(span);
  EXPECT_EQ(attributes.at("error.code"), text("429"));
  EXPECT_EQ(attributes.at("error.type"), text("RateLimitError"));
  EXPECT_EQ(attributes.at("error.message"), text("slow down"));
  EXPECT_EQ(attributes.at("error.llm_provider"), text("openai"));
  EXPECT_EQ(attributes.at("gen_ai.cost.total_cost").at("doubleValue").to_number<double>(), 0.0);
  EXPECT_EQ(attributes.count("gen_ai.usage.prompt_tokens"), 0u);
  EXPECT_EQ(attributes.at("gen_ai.response.id"), text("call-1"));
  const json::value& event = span.at("events").at(0);
  EXPECT_EQ(event.at("name"), "exception");
  EXPECT_EQ(event.at("timeUnixNano"), "1700000000500000000");
  EXPECT_EQ(event.at("attributes").at(0),
            json::parse(R"({"key":"exception.type","value":{"stringValue":"RateLimitError"}})"));
}

TEST(OtlpTraces, LangfuseOtelAddsLangfusesAttributesFromTheRequestMetadata) {
  Fixture fixture;
  fixture.identity.langfuse = true;
  fixture.call.request = R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],
    "metadata":{"generation_name":"g","generation_id":"gen-1","parent_observation_id":"p-1",
      "version":"v2","mask_input":true,"mask_output":false,"trace_name":"t","trace_id":"a-b-c","trace_user_id":"u",
      "session_id":"s","tags":["x"],"trace_metadata":{"k":1},"trace_version":"tv",
      "trace_release":"r","existing_trace_id":"e","session":null}})";
  fixture.call.response = R"({"id":"chatcmpl-9","choices":[{"index":0,"message":{"role":"assistant",
    "content":null,"tool_calls":[{"id":"call-7","type":"function","function":{"name":"look",
    "arguments":"{\"q\":1}"}}]},"finish_reason":"tool_calls"}]})";
  const auto attributes = attributes_of(fixture.span());
  EXPECT_EQ(attributes.at("langfuse.generation.name"), text("g"));
  EXPECT_EQ(attributes.at("langfuse.generation.id"), text("gen-1"));
  EXPECT_EQ(attributes.at("langfuse.generation.parent_observation_id"), text("p-1"));
  EXPECT_EQ(attributes.at("langfuse.generation.version"), text("v2"));
  EXPECT_EQ(attributes.at("langfuse.generation.mask_input"), json::parse(R"({"boolValue":true})"));
  EXPECT_EQ(attributes.at("langfuse.generation.mask_output"),
            json::parse(R"({"boolValue":false})"));
  EXPECT_EQ(attributes.at("langfuse.trace.name"), text("t"));
  EXPECT_EQ(attributes.at("langfuse.trace.id"), text("abc"));
  EXPECT_EQ(attributes.at("user.id"), text("u"));
  EXPECT_EQ(attributes.at("session.id"), text("s"));
  EXPECT_EQ(attributes.at("langfuse.trace.tags"), text(R"(["x"])"));
  EXPECT_EQ(attributes.at("langfuse.trace.metadata"), text(R"({"k":1})"));
  EXPECT_EQ(attributes.at("langfuse.trace.version"), text("tv"));
  EXPECT_EQ(attributes.at("langfuse.trace.release"), text("r"));
  EXPECT_EQ(attributes.at("langfuse.trace.existing_id"), text("e"));
  EXPECT_EQ(attributes.count("langfuse.environment"), 0u);  // LANGFUSE_TRACING_ENVIRONMENT unset
  EXPECT_EQ(json::parse(attributes.at("langfuse.observation.input").at("stringValue").as_string()),
            json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(json::parse(attributes.at("langfuse.observation.output").at("stringValue").as_string()),
            json::parse(R"([{"id":"chatcmpl-9","name":"look","call_id":"call-7",
                             "type":"function_call","arguments":{"q":1}}])"));
  // Without message logging, neither input nor output leaves.
  fixture.call.log_messages = false;
  const auto redacted = attributes_of(fixture.span());
  EXPECT_EQ(redacted.count("langfuse.observation.input"), 0u);
  EXPECT_EQ(redacted.count("langfuse.observation.output"), 0u);
  EXPECT_EQ(redacted.at("langfuse.generation.name"), text("g"));
  // The plain otel callback carries none of them.
  fixture.identity.langfuse = false;
  EXPECT_EQ(attributes_of(fixture.span()).count("langfuse.generation.name"), 0u);
}

// OTLP's protobuf messages read back into OTLP's JSON mapping, by the field numbers of
// opentelemetry-proto's trace.proto and common.proto (the integration tests decode the bodies
// with protobufjs and the official definitions; this checks the encodings against each other).
using protobuf::Field;
using protobuf::Reader;

template <class Visit>
void for_each_field(std::string_view message, Visit&& visit) {
  Reader reader(message);
  while (const auto field = reader.next()) visit(*field);
  EXPECT_FALSE(reader.broken());
}

std::string hex(std::string_view bytes) {
  std::string text;
  for (const char byte : bytes) {
    constexpr char kDigits[] = "0123456789abcdef";
    text += kDigits[static_cast<unsigned char>(byte) >> 4];
    text += kDigits[static_cast<unsigned char>(byte) & 0xf];
  }
  return text;
}

json::value any_value_of(std::string_view message) {
  json::object value;
  for_each_field(message, [&](const Field& field) {
    if (field.number == 1) value["stringValue"] = field.bytes;
    if (field.number == 2) value["boolValue"] = field.value != 0;
    if (field.number == 3)
      value["intValue"] = std::to_string(static_cast<std::int64_t>(field.value));
    if (field.number == 4) value["doubleValue"] = std::bit_cast<double>(field.value);
  });
  return value;
}

json::value key_value_of(std::string_view message) {
  json::object attribute;
  for_each_field(message, [&](const Field& field) {
    if (field.number == 1) attribute["key"] = field.bytes;
    if (field.number == 2) attribute["value"] = any_value_of(field.bytes);
  });
  return attribute;
}

json::value span_of(std::string_view message) {
  json::object span;
  const auto add_to = [&](json::object& object, std::string_view name, json::value value) {
    if (!object.contains(name)) object[name] = json::array();
    object[name].as_array().push_back(std::move(value));
  };
  for_each_field(message, [&](const Field& field) {
    switch (field.number) {
      case 1: span["traceId"] = hex(field.bytes); break;
      case 2: span["spanId"] = hex(field.bytes); break;
      case 4: span["parentSpanId"] = hex(field.bytes); break;
      case 5: span["name"] = field.bytes; break;
      case 6: span["kind"] = field.value; break;
      case 7: span["startTimeUnixNano"] = std::to_string(field.value); break;
      case 8: span["endTimeUnixNano"] = std::to_string(field.value); break;
      case 9: add_to(span, "attributes", key_value_of(field.bytes)); break;
      case 11: {
        json::object event;
        for_each_field(field.bytes, [&](const Field& member) {
          if (member.number == 1) event["timeUnixNano"] = std::to_string(member.value);
          if (member.number == 2) event["name"] = member.bytes;
          if (member.number == 3) add_to(event, "attributes", key_value_of(member.bytes));
        });
        add_to(span, "events", std::move(event));
        break;
      }
      case 15: {
        json::object status;
        for_each_field(field.bytes, [&](const Field& member) {
          if (member.number == 2) status["message"] = member.bytes;
          if (member.number == 3) status["code"] = member.value;
        });
        span["status"] = std::move(status);
        break;
      }
      default: ADD_FAILURE() << "span field " << field.number;
    }
  });
  return span;
}

json::object request_of(std::string_view body) {
  json::object resource_spans;
  for_each_field(body, [&](const Field& outer) {
    ASSERT_EQ(outer.number, 1);  // resource_spans
    for_each_field(outer.bytes, [&](const Field& field) {
      if (field.number == 1) {  // resource
        json::array attributes;
        for_each_field(field.bytes, [&](const Field& attribute) {
          attributes.push_back(key_value_of(attribute.bytes));
        });
        resource_spans["resource"] = json::object{{"attributes", std::move(attributes)}};
      } else if (field.number == 2) {  // scope_spans
        json::object scope_spans{{"spans", json::array()}};
        for_each_field(field.bytes, [&](const Field& member) {
          if (member.number == 1) {
            for_each_field(member.bytes, [&](const Field& scope) {
              if (scope.number == 1) scope_spans["scope"] = json::object{{"name", scope.bytes}};
            });
          } else if (member.number == 2) {
            scope_spans["spans"].as_array().push_back(span_of(member.bytes));
          }
        });
        resource_spans["scopeSpans"] = json::array{std::move(scope_spans)};
      }
    });
  });
  return json::object{{"resourceSpans", json::array{std::move(resource_spans)}}};
}

// The spans of a request without their random ids (drawn anew for each body), each double as a
// double (JSON writes a whole one, such as a failed call's cost, as 0).
json::object without_ids(json::object request) {
  for (json::value& span :
       request["resourceSpans"].at(0).at("scopeSpans").at(0).at("spans").as_array()) {
    json::object& fields = span.as_object();
    if (!fields.contains("parentSpanId")) fields.erase("traceId");
    fields.erase("spanId");
    for (json::value& attribute : fields["attributes"].as_array()) {
      if (json::value* number = attribute.at("value").as_object().if_contains("doubleValue"))
        *number = number->to_number<double>();
    }
  }
  return request;
}

TEST(OtlpProtobuf, TheSameSpansAsTheJsonBodyInProtobufsBinaryEncoding) {
  Fixture fixture;
  CallFacts failed = fixture.call;
  failed.status = 429;
  failed.response.clear();
  failed.failure = make_error(ErrorKind::rate_limited, "slow \"down\" \u00e9");
  CallFacts odd = fixture.call;  // escapes, numbers, booleans, a caller's trace
  odd.trace = trace_context(kTraceparent);
  odd.request = R"({"messages":[{"role":"user","content":"caf\u00e9 \"q\""}],
    "max_tokens":20,"temperature":1e-1,"top_p":-2,"user":"caf\u00e9",
    "metadata":{"generation_name":"tri\"age","mask_input":true,"tags":["a"],"n":12345678901}})";
  for (const bool langfuse : {false, true}) {
    fixture.identity.langfuse = langfuse;
    const std::vector<const CallFacts*> calls{&fixture.call, &failed, &odd};
    config::OtelIdentity as_json = fixture.identity;
    config::OtelIdentity as_protobuf = fixture.identity;
    as_protobuf.encoding = config::OtlpEncoding::protobuf;
    const json::object from_json = json::parse(otlp_traces_body(as_json, calls)).as_object();
    const std::string body = otlp_traces_body(as_protobuf, calls);
    const json::object from_protobuf = request_of(body);
    EXPECT_EQ(without_ids(from_protobuf), without_ids(from_json)) << json::serialize(from_protobuf);
    const json::array& spans =
        from_protobuf.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").as_array();
    ASSERT_EQ(spans.size(), 3u);
    EXPECT_EQ(spans[0].at("traceId").as_string().size(), 32u);  // 16 bytes
    EXPECT_EQ(spans[0].at("spanId").as_string().size(), 16u);   // 8 bytes
    EXPECT_EQ(spans[2].at("traceId"), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(spans[2].at("parentSpanId"), "b7ad6b7169203331");
    EXPECT_EQ(spans[2].at("name"), "tri\"age");
    EXPECT_EQ(body.find("sk-client-secret"), std::string::npos);
  }
  EXPECT_EQ(otlp_content_type(fixture.identity), "application/json");
  fixture.identity.encoding = config::OtlpEncoding::protobuf;
  EXPECT_EQ(otlp_content_type(fixture.identity), "application/x-protobuf");
}

TEST(OtlpProtobuf, ALongMessageHasItsLengthWrittenInFullBeforeIt) {
  for (const std::size_t size : {0u, 127u, 128u, 16383u, 16384u, 3'000'000u}) {
    std::string out;
    protobuf::Writer writer(out);
    const std::size_t outer = writer.begin(1);
    writer.bytes_field(2, std::string(size, 'x'));
    writer.end(outer);
    Reader reader(out);
    const auto field = reader.next();
    ASSERT_TRUE(field);
    EXPECT_EQ(field->number, 1);
    Reader inner(field->bytes);
    const auto text = inner.next();
    ASSERT_TRUE(text);
    EXPECT_EQ(text->bytes, std::string(size, 'x'));
    EXPECT_FALSE(reader.next());
    EXPECT_FALSE(reader.broken());
  }
}

TEST(OtlpAnswer, APartialSuccessCountsItsRejectedSpans) {
  const auto json_encoding = config::OtlpEncoding::json;
  const Rejection rejection = rejected_spans(
      R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}})", json_encoding);
  EXPECT_EQ(rejection.spans, 2);
  EXPECT_EQ(rejection.message, "too old");
  EXPECT_EQ(rejected_spans(R"({"partialSuccess":{"rejectedSpans":3}})", json_encoding).spans, 3);
  EXPECT_EQ(rejected_spans("{}", json_encoding).spans, 0);
  EXPECT_EQ(rejected_spans("", json_encoding).spans, 0);
  EXPECT_EQ(rejected_spans("not json", json_encoding).spans, 0);

  // ExportTraceServiceResponse{partial_success: {rejected_spans: 300, error_message: "too old"}}
  const auto protobuf_encoding = config::OtlpEncoding::protobuf;
  const std::string answer("\x0a\x0c\x08\xac\x02\x12\x07too old", 14);
  const Rejection binary = rejected_spans(answer, protobuf_encoding);
  EXPECT_EQ(binary.spans, 300);
  EXPECT_EQ(binary.message, "too old");
  EXPECT_EQ(rejected_spans("", protobuf_encoding).spans, 0);                   // a full success
  EXPECT_EQ(rejected_spans(answer.substr(0, 5), protobuf_encoding).spans, 0);  // cut short
  EXPECT_EQ(rejected_spans("{}", protobuf_encoding).spans, 0);
}

}  // namespace
}  // namespace llmux::callbacks
