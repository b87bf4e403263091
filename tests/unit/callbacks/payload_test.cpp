#include "callbacks/payload.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::callbacks {
namespace {

namespace json = boost::json;

constexpr std::string_view kBody = R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],
  "temperature":0.5,"user":"customer-1","api_key":"sk-client-secret","stream":false,
  "metadata":{"trace_id":"t-1","tags":["a","b"],"generation_name":"g"}})";

struct Fixture {
  Fixture() {
    const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    call = {.call_id = "call-1",
            .call_type = "acompletion",
            .request = std::string(kBody),
            .response = R"({"id":"chatcmpl-9","choices":[]})",
            .key_hash = "abc123hash",
            .key_alias = "ci",
            .team_id = "team-1",
            .end_user = "customer-1",
            .route = "/v1/chat/completions",
            .user_agent = "test-agent",
            .provider = "openai",
            .upstream_model = "gpt-4o",
            .model_id = "d1",
            .api_base = "http://up/v1",
            .model_group = "gpt",
            .prompt_tokens = 7,
            .completion_tokens = 3,
            .cost = 0.25,
            .start = start,
            .end = start + std::chrono::milliseconds(500),
            .upstream_time = std::chrono::milliseconds(400)};
  }

  json::object payload(bool log_messages = true) {
    call.log_messages = log_messages;
    return json::parse(standard_logging_payload(call)).as_object();
  }

  CallFacts call;
};

TEST(LoggingPayload, ASuccessfulCallHasLiteLLMsFields) {
  Fixture call;
  const json::object p = call.payload();
  EXPECT_EQ(p.at("id"), "call-1");
  EXPECT_EQ(p.at("litellm_call_id"), "call-1");
  EXPECT_EQ(p.at("trace_id"), "t-1");
  EXPECT_EQ(p.at("call_type"), "acompletion");
  EXPECT_TRUE(p.at("stream").is_null());
  EXPECT_EQ(p.at("status"), "success");
  EXPECT_EQ(p.at("custom_llm_provider"), "openai");
  EXPECT_EQ(p.at("response_cost").to_number<double>(), 0.25);
  EXPECT_EQ(p.at("prompt_tokens"), 7);
  EXPECT_EQ(p.at("completion_tokens"), 3);
  EXPECT_EQ(p.at("total_tokens"), 10);
  EXPECT_DOUBLE_EQ(p.at("startTime").to_number<double>(), 1'700'000'000.0);
  EXPECT_DOUBLE_EQ(p.at("endTime").to_number<double>(), 1'700'000'000.5);
  EXPECT_DOUBLE_EQ(p.at("response_time").to_number<double>(), 0.5);
  EXPECT_EQ(p.at("model"), "gpt-4o");
  EXPECT_EQ(p.at("model_id"), "d1");
  EXPECT_EQ(p.at("model_group"), "gpt");
  EXPECT_EQ(p.at("api_base"), "http://up/v1");
  EXPECT_EQ(p.at("end_user"), "customer-1");
  EXPECT_EQ(p.at("request_tags"), (json::array{"a", "b"}));
  EXPECT_EQ(p.at("messages"), json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(p.at("response").at("id"), "chatcmpl-9");
  EXPECT_TRUE(p.at("error_information").is_null());
  const auto& metadata = p.at("metadata").as_object();
  EXPECT_EQ(metadata.at("user_api_key_hash"), "abc123hash");
  EXPECT_EQ(metadata.at("user_api_key_alias"), "ci");
  EXPECT_EQ(metadata.at("user_api_key_team_id"), "team-1");
  EXPECT_EQ(metadata.at("requester_metadata").at("generation_name"), "g");
  const auto& hidden = p.at("hidden_params").as_object();
  EXPECT_EQ(hidden.at("litellm_model_name"), "openai/gpt-4o");
  EXPECT_DOUBLE_EQ(hidden.at("litellm_overhead_time_ms").to_number<double>(), 100);
}

TEST(LoggingPayload, RedactingKeyInfoLeavesEveryUserApiKeyMemberOutOfTheMetadata) {
  Fixture call;
  call.call.redact_key_info = true;
  const json::object p = call.payload();
  const auto& metadata = p.at("metadata").as_object();
  for (const auto& member : metadata)
    EXPECT_FALSE(member.key().starts_with("user_api_key")) << member.key();
  EXPECT_EQ(metadata.at("user_agent"), "test-agent");
  EXPECT_EQ(metadata.at("requester_metadata").at("generation_name"), "g");
  EXPECT_TRUE(metadata.at("applied_guardrails").as_array().empty());
  EXPECT_EQ(metadata.size(), 3u);
  EXPECT_EQ(p.at("end_user"), "customer-1");  // LiteLLM redacts the metadata only
}

TEST(LoggingPayload, ModelParametersComeFromAListSoNoCredentialLeaks) {
  Fixture call;
  const json::object p = call.payload();
  EXPECT_EQ(p.at("model_parameters"), json::parse(R"({"temperature":0.5,"user":"customer-1"})"));
  EXPECT_EQ(json::serialize(p).find("sk-client-secret"), std::string::npos);
}

TEST(LoggingPayload, MessagesAndResponseAreRedactedWhenMessageLoggingIsOff) {
  Fixture call;
  const json::object p = call.payload(false);
  EXPECT_EQ(p.at("messages"), "redacted-by-litellm");
  EXPECT_EQ(p.at("response"), "redacted-by-litellm");
}

TEST(LoggingPayload, AFailureCarriesItsErrorAndNoCost) {
  Fixture call;
  call.call.status = 429;
  call.call.failure = make_error(ErrorKind::rate_limited, "slow down");
  const json::object p = call.payload();
  EXPECT_EQ(p.at("status"), "failure");
  EXPECT_EQ(p.at("response_cost").to_number<double>(), 0);
  EXPECT_EQ(p.at("error_str"), "slow down");
  EXPECT_EQ(p.at("error_information"),
            json::parse(R"({"error_code":"429","error_class":"RateLimitError",
                            "llm_provider":"openai","error_message":"slow down"})"));
}

TEST(LoggingPayload, TheRequestsMembersAreCopiedAsTheClientWroteThem) {
  Fixture call;
  // Whitespace, escapes and non-ASCII text: the same JSON values reach the payload.
  call.call.request =
      "{ \"model\" : \"gpt\", \"litellm_trace_id\" : \"tr\\u00e9\",\n"
      "  \"messages\" : [ {\"role\":\"user\", \"content\":\"caf\xc3\xa9 \\\"x\\\"\"} ],"
      "  \"metadata\" : { \"tags\" : [ \"a\", {\"no\":1}, \"b\" ] },"
      "  \"seed\" : 7, \"tools\" : [ ], \"api_key\" : \"sk-client-secret\" }";
  const json::object p = call.payload();
  EXPECT_EQ(p.at("trace_id"), "tr\xc3\xa9");
  EXPECT_EQ(p.at("messages"),
            json::parse("[{\"role\":\"user\",\"content\":\"caf\xc3\xa9 \\\"x\\\"\"}]"));
  EXPECT_EQ(p.at("request_tags"), (json::array{"a", "b"}));
  EXPECT_EQ(p.at("model_parameters"), json::parse(R"({"seed":7,"tools":[]})"));
  EXPECT_EQ(p.at("metadata").at("requester_metadata"),
            json::parse(R"({"tags":["a",{"no":1},"b"]})"));
  EXPECT_EQ(json::serialize(p).find("sk-client-secret"), std::string::npos);
}

TEST(LoggingPayload, WithoutABodyOrMetadataTheFieldsAreEmpty) {
  Fixture call;
  call.call.request.clear();  // refused before its body was read
  const json::object p = call.payload();
  EXPECT_EQ(p.at("trace_id"), "call-1");
  EXPECT_TRUE(p.at("messages").is_null());
  EXPECT_EQ(p.at("request_tags"), json::array());
  EXPECT_EQ(p.at("model_parameters"), json::object());
  EXPECT_EQ(p.at("metadata").at("requester_metadata"), json::object());
}

}  // namespace
}  // namespace llmux::callbacks
