#include "callbacks/langfuse.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::callbacks {
namespace {

namespace json = boost::json;

struct Fixture {
  Fixture() {
    const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    call = {.call_id = "call-1",
            .call_type = "acompletion",
            .request = R"({"model":"gpt","messages":[{"role":"user","content":"hi \"there\""}],
              "temperature":0.5,"stop":["x","y"],"user":"customer-1","api_key":"sk-client-secret",
              "metadata":{"trace_id":"t\u002d1","session_id":"s-1","tags":["a",3,"b"],
                          "generation_name":"triage","trace_metadata":{"k":"v"},
                          "parent_observation_id":"obs-1","version":"v2"}})",
            .response = R"({"id":"chatcmpl-9","choices":[{"index":0,
              "message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]})",
            .key_hash = "abc123hash",
            .key_alias = "ci",
            .end_user = "customer-1",
            .provider = "openai",
            .upstream_model = "gpt-4o",
            .model_id = "d1",
            .api_base = "http://up/v1",
            .model_group = "gpt",
            .prompt_tokens = 7,
            .completion_tokens = 3,
            .cost = 0.25,
            .start = start + std::chrono::microseconds(123'456),
            .end = start + std::chrono::milliseconds(500)};
  }

  // The batch's events of this one call: the trace's body and the generation's.
  std::pair<json::object, json::object> events() {
    const json::value batch = json::parse(langfuse_batch({&call}));
    const json::array& events = batch.at("batch").as_array();
    EXPECT_EQ(events.size(), 2u);
    EXPECT_EQ(events.at(0).at("type"), "trace-create");
    EXPECT_EQ(events.at(1).at("type"), "generation-create");
    for (const json::value& event : events) {
      EXPECT_EQ(event.at("id").as_string().size(), 36u);
      EXPECT_EQ(event.at("timestamp").as_string().size(), 24u);  // 2023-11-14T22:13:20.123Z
    }
    return {events.at(0).at("body").as_object(), events.at(1).at("body").as_object()};
  }

  CallFacts call;
};

TEST(LangfuseBatch, ASuccessfulChatIsATraceAndAGenerationAsLiteLLMMapsThem) {
  Fixture fixture;
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("id"), "t-1");  // the escape decoded
  EXPECT_EQ(trace.at("name"), "litellm-acompletion");
  EXPECT_EQ(trace.at("timestamp"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(trace.at("userId"), "customer-1");
  EXPECT_EQ(trace.at("sessionId"), "s-1");
  EXPECT_EQ(trace.at("metadata"), json::parse(R"({"k":"v"})"));
  EXPECT_EQ(trace.at("tags"), json::parse(R"(["a","b"])"));  // the string tags
  const json::value input =
      json::parse(R"({"messages":[{"role":"user","content":"hi \"there\""}]})");
  const json::value output = json::parse(R"({"role":"assistant","content":"hello"})");
  EXPECT_EQ(trace.at("input"), input);
  EXPECT_EQ(trace.at("output"), output);

  EXPECT_EQ(generation.at("id"), "time-22-13-20-123456_call-1");
  EXPECT_EQ(generation.at("traceId"), "t-1");
  EXPECT_EQ(generation.at("name"), "triage");
  EXPECT_EQ(generation.at("startTime"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(generation.at("endTime"), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(generation.at("completionStartTime"), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(generation.at("model"), "gpt-4o");
  // Only the listed parameters; a list as its JSON text.
  EXPECT_EQ(generation.at("modelParameters"),
            json::parse(R"({"temperature":0.5,"stop":"[\"x\",\"y\"]","user":"customer-1"})"));
  EXPECT_EQ(generation.at("input"), input);
  EXPECT_EQ(generation.at("output"), output);
  EXPECT_EQ(generation.at("usage"),
            json::parse(R"({"input":7,"output":3,"total":10,"unit":"TOKENS","totalCost":0.25})"));
  EXPECT_EQ(generation.at("usageDetails"), json::parse(R"({"input":7,"output":3,"total":10})"));
  const json::object& metadata = generation.at("metadata").as_object();
  EXPECT_EQ(metadata.at("hidden_params").at("litellm_model_name"), "openai/gpt-4o");
  EXPECT_EQ(metadata.at("litellm_response_cost"), 0.25);
  EXPECT_EQ(metadata.at("api_base"), "http://up/v1");
  EXPECT_EQ(metadata.at("cache_hit"), false);
  EXPECT_EQ(metadata.at("requester_metadata").at("generation_name"), "triage");
  EXPECT_EQ(generation.at("level"), "DEFAULT");
  EXPECT_FALSE(generation.contains("statusMessage"));
  EXPECT_EQ(generation.at("parentObservationId"), "obs-1");
  EXPECT_EQ(generation.at("version"), "v2");
  EXPECT_EQ(json::serialize(trace).find("sk-client-secret"), std::string::npos);
  EXPECT_EQ(json::serialize(generation).find("sk-client-secret"), std::string::npos);
}

TEST(LangfuseBatch, WithoutMetadataTheCallNamesTheTraceAndTheKeyAliasTheGeneration) {
  Fixture fixture;
  fixture.call.request = R"({"model":"gpt","messages":[]})";
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("id"), "call-1");
  EXPECT_FALSE(trace.contains("sessionId"));
  EXPECT_FALSE(trace.contains("metadata"));
  EXPECT_EQ(trace.at("tags"), json::array());
  EXPECT_EQ(generation.at("traceId"), "call-1");
  EXPECT_EQ(generation.at("name"), "litellm:ci");
  EXPECT_EQ(generation.at("modelParameters"), json::object());
  EXPECT_EQ(generation.at("metadata").at("requester_metadata"), json::object());
}

TEST(LangfuseBatch, TimesAreUtcRoundedToTheMillisecondAcrossADaysAndAYearsEnd) {
  using namespace std::chrono;
  Fixture fixture;
  // A leap day's last half millisecond rounds into March; the generation id keeps microseconds.
  fixture.call.start = sys_days(2024y / February / 29) + 23h + 59min + 59s + 999'500us;
  fixture.call.end = sys_days(2024y / December / 31) + 23h + 59min + 59s + 999'500us;
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("timestamp"), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(generation.at("id"), "time-23-59-59-999500_call-1");
  EXPECT_EQ(generation.at("startTime"), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(generation.at("endTime"), "2025-01-01T00:00:00.000Z");
  fixture.call.start = sys_days(1999y / January / 9) + 7h + 5min + 3s + 20'499us;
  EXPECT_EQ(fixture.events().second.at("startTime"), "1999-01-09T07:05:03.020Z");
  EXPECT_EQ(fixture.events().second.at("id"), "time-07-05-03-020499_call-1");
}

TEST(LangfuseBatch, AnExistingTraceIsReferredToWithoutAName) {
  Fixture fixture;
  fixture.call.request =
      R"({"messages":[],"metadata":{"existing_trace_id":"old-7","trace_name":"n"}})";
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("id"), "old-7");
  EXPECT_FALSE(trace.contains("name"));
  EXPECT_EQ(generation.at("traceId"), "old-7");
}

TEST(LangfuseBatch, AFailureIsAnErrorWithItsMessageAndNoCost) {
  Fixture fixture;
  fixture.call.status = 429;
  fixture.call.failure = make_error(ErrorKind::rate_limited, "slow down");
  fixture.call.response.clear();
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("output"), "slow down");
  EXPECT_EQ(generation.at("output"), "slow down");
  EXPECT_EQ(generation.at("level"), "ERROR");
  EXPECT_EQ(generation.at("statusMessage"), "slow down");
  EXPECT_EQ(generation.at("usage").at("totalCost").to_number<double>(), 0.0);
}

TEST(LangfuseBatch, MessagesAndAnswerAreRedactedWhenMessageLoggingIsOff) {
  Fixture fixture;
  fixture.call.log_messages = false;
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(generation.at("input"), "redacted-by-litellm");
  EXPECT_EQ(generation.at("output"), "redacted-by-litellm");
  EXPECT_EQ(json::serialize(generation).find("hello"), std::string::npos);
}

TEST(LangfuseBatch, AnEmbeddingsInputIsSentAsItCame) {
  Fixture fixture;
  fixture.call.call_type = "aembedding";
  fixture.call.request = R"({"model":"emb","input":["one","two"]})";
  fixture.call.response = R"({"object":"list","data":[]})";
  const auto [trace, generation] = fixture.events();
  EXPECT_EQ(trace.at("name"), "litellm-aembedding");
  EXPECT_EQ(generation.at("input"), json::parse(R"(["one","two"])"));
  EXPECT_TRUE(generation.at("output").is_null());  // no choices
}

}  // namespace
}  // namespace llmux::callbacks
