#include "providers/bedrock.hpp"

#include "provider_test.hpp"
#include "providers/wire/aws_event_stream.hpp"
#include "providers/wire/aws_sigv4.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2025-01-01T00:00:00Z, the time of others.md's SigV4 vector.
std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1735689600));
}
const BedrockProvider kBedrock{&fixed_now};

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

Target signed_target(std::string model = "anthropic.claude-3-haiku-20240307-v1:0") {
  Target target{.provider = "bedrock",
                .upstream_model = std::move(model),
                .api_base = "https://bedrock-runtime.us-east-1.amazonaws.com"};
  target.settings["aws_access_key_id"] = "AKIDEXAMPLE";
  target.settings["aws_secret_access_key"] = kSecret;
  target.settings["aws_region_name"] = "us-east-1";
  return target;
}

api::Request chat(std::string_view body) {
  return parsed_request(api::Endpoint::chat_completions, body);
}

std::string header(const UpstreamRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

UpstreamRequest encoded(const api::Request& request, const Target& target) {
  auto result = kBedrock.encode(request, target);
  if (!result) throw std::runtime_error("encode failed: " + result.error().message);
  return std::move(*result);
}

// ---- request ----------------------------------------------------------------------------------

TEST(BedrockEncode, ReproducesTheBotocoreSignatureVectorExactly) {
  const auto request =
      encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"max_tokens":64})"),
              signed_target());
  EXPECT_EQ(request.url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
            "anthropic.claude-3-haiku-20240307-v1%3A0/converse");
  EXPECT_EQ(
      request.body,
      R"({"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":64}})");
  EXPECT_EQ(header(request, "x-amz-date"), "20250101T000000Z");
  EXPECT_EQ(header(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=05ee567ba64fef8e45e7f3fb378768ceef17d6e6d957bdfee4e82aeea2cbb9f6");
  EXPECT_EQ(header(request, "x-amz-security-token"), "<absent>");
}

TEST(BedrockEncode, SignsTheHostWithItsPortAndTheSessionToken) {
  auto target = signed_target();
  target.api_base = "http://127.0.0.1:8123";
  target.settings["aws_session_token"] = "TOKEN/with+chars";
  const auto request = encoded(
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"stream":true})"), target);
  EXPECT_EQ(request.url,
            "http://127.0.0.1:8123/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream");
  EXPECT_EQ(header(request, "x-amz-security-token"), "TOKEN/with+chars");
  // The same signature computed from scratch with the Host the upstream client will send.
  const wire::AwsRequestToSign expected{
      .method = "POST",
      .host = "127.0.0.1:8123",
      .path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
      .headers = {{"content-type", "application/json"}},
      .body = request.body,
      .region = "us-east-1",
      .service = "bedrock"};
  const auto signed_headers =
      wire::sign_v4(expected, {"AKIDEXAMPLE", kSecret, "TOKEN/with+chars"}, "20250101T000000Z");
  EXPECT_EQ(header(request, "Authorization"), signed_headers.back().second);
  EXPECT_THAT(signed_headers.back().second,
              HasSubstr("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"));
}

TEST(BedrockEncode, ModelIdsAreEncodedIntoThePath) {
  EXPECT_EQ(bedrock_model_path_segment("converse/us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "us.anthropic.claude-3-5-sonnet-20240620-v1%3A0");
  EXPECT_EQ(bedrock_model_path_segment("invoke/meta.llama3-1-8b-instruct-v1:0"),
            "meta.llama3-1-8b-instruct-v1%3A0");
  EXPECT_EQ(
      bedrock_model_path_segment(
          "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b"),
      "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b");
}

TEST(BedrockEncode, ApiKeyIsSentAsBearerWithoutSigning) {
  Target target{.provider = "bedrock",
                .upstream_model = "amazon.nova-lite-v1:0",
                .api_base = "https://bedrock-runtime.us-east-1.amazonaws.com",
                .api_key = "bedrock-api-key"};
  const auto request =
      encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), target);
  EXPECT_EQ(header(request, "Authorization"), "Bearer bedrock-api-key");
  EXPECT_EQ(header(request, "x-amz-date"), "<absent>");
}

TEST(BedrockEncode, NoCredentialsIsA401NamingTheModelNotASecret) {
  Target target{
      .provider = "bedrock", .upstream_model = "amazon.nova-lite-v1:0", .api_base = "https://x"};
  target.settings["aws_access_key_id"] = "AKIDONLY";
  auto result =
      kBedrock.encode(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), target);
  ASSERT_FALSE(result);
  EXPECT_EQ(http_status(result.error()), 401);
  EXPECT_THAT(result.error().message, HasSubstr("amazon.nova-lite-v1:0"));
  EXPECT_THAT(result.error().message, Not(HasSubstr("AKIDONLY")));
}

TEST(BedrockEncode, StsRolesAreRefusedRatherThanSignedWithTheBaseKeys) {
  auto target = signed_target();
  target.settings["aws_role_name"] = "arn:aws:iam::123456789012:role/bedrock";
  auto result =
      kBedrock.encode(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), target);
  ASSERT_FALSE(result);
  EXPECT_EQ(http_status(result.error()), 500);
  EXPECT_THAT(result.error().message, HasSubstr("aws_role_name"));
}

TEST(BedrockEncode, TranslatesAConversation) {
  const auto request = encoded(chat(R"({
    "model": "c",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": [{"type": "text", "text": "Use metric.", "cache_control": {"type": "ephemeral"}}]},
      {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"},
                                   {"type": "image_url", "image_url": {"url": "data:image/jpg;base64,QUJD"}}]},
      {"role": "user", "content": "And Rome?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
      {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]}
    ],
    "max_completion_tokens": 512, "temperature": 0.5, "top_p": 0.9, "stop": ["END", ""],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
              {"type": "function", "function": {"name": "now"}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "top_k": 50, "metadata": {"tag": "x"}
  })"),
                               signed_target());
  EXPECT_EQ(json::parse(request.body), json::parse(R"({
    "system": [{"text": "Be brief."}, {"text": "Use metric."}, {"cachePoint": {"type": "default"}}],
    "messages": [
      {"role": "user", "content": [{"text": "Weather in Paris?"},
                                   {"image": {"format": "jpeg", "source": {"bytes": "QUJD"}}},
                                   {"text": "And Rome?"}]},
      {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {}}}]},
      {"role": "user", "content": [
        {"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C"}]}},
        {"toolResult": {"toolUseId": "call_2", "content": [{"text": "21C"}]}}]}
    ],
    "inferenceConfig": {"maxTokens": 512, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
    "toolConfig": {
      "tools": [{"toolSpec": {"name": "get_weather", "description": "Weather",
                              "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}},
                {"toolSpec": {"name": "now", "inputSchema": {"json": {"type": "object", "properties": {}}}}}],
      "toolChoice": {"tool": {"name": "get_weather"}}
    },
    "additionalModelRequestFields": {"top_k": 50}
  })"));
}

TEST(BedrockEncode, FilesBecomeNamedDocuments) {
  const auto request = encoded(chat(R"({"model":"c","messages":[{"role":"user","content":[
    {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"Q3 report_final.v2.pdf"}},
    {"type":"file","file":{"file_data":"data:text/csv;base64,YSxi"}},
    {"type":"text","text":"Summarise."}]}]})"),
                               signed_target());
  EXPECT_EQ(json::parse(request.body).at("messages").at(0).at("content"), json::parse(R"([
    {"document":{"format":"pdf","name":"Q3 report final v2","source":{"bytes":"JVBERi0="}}},
    {"document":{"format":"csv","name":"Document 2","source":{"bytes":"YSxi"}}},
    {"text":"Summarise."}])"));
  auto unknown = kBedrock.encode(chat(R"({"model":"c","messages":[{"role":"user","content":[
    {"type":"file","file":{"file_data":"data:application/zip;base64,UEs="}}]}]})"),
                                 signed_target());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(http_status(unknown.error()), 400);
}

TEST(BedrockEncode, DeploymentDefaultsAndToolChoiceModes) {
  auto target = signed_target();
  target.default_params["temperature"] = 0.1;
  target.default_params["top_k"] = 5;
  const auto request =
      encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"stop":"X",
    "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"})"),
              target);
  const auto body = json::parse(request.body).as_object();
  EXPECT_EQ(body.at("inferenceConfig"),
            json::parse(R"({"temperature":0.1,"stopSequences":["X"]})"));
  EXPECT_EQ(body.at("toolConfig").at("toolChoice"), json::parse(R"({"any":{}})"));
  EXPECT_EQ(body.at("additionalModelRequestFields"), json::parse(R"({"top_k":5})"));
}

TEST(BedrockEncode, UnsupportedOpenAiParamsAreRefusedOrDropped) {
  const auto request =
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"presence_penalty":1})");
  auto refused = kBedrock.encode(request, signed_target());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unsupported_params);
  EXPECT_EQ(refused.error().param, "presence_penalty");
  auto target = signed_target();
  target.drop_params = true;
  const auto dropped = encoded(request, target);
  EXPECT_THAT(dropped.body, Not(HasSubstr("presence")));

  auto none = kBedrock.encode(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],
    "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"})"),
                              signed_target());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().param, "tool_choice");
}

TEST(BedrockEncode, BadMessagesAreClear400s) {
  for (
      const char* body : {
          R"({"model":"c","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]})",
          R"({"model":"c","messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{not json"}}]}]})",
          R"({"model":"c","messages":[{"role":"system","content":"only system"}]})",
          R"({"model":"c","messages":[{"role":"tool","content":"x"}]})",
      }) {
    auto result = kBedrock.encode(chat(body), signed_target());
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(http_status(result.error()), 400) << body;
  }
}

TEST(BedrockEncode, ResponseFormatIsAForcedToolNamedAfterTheSchema) {
  const auto request = encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],
    "response_format":{"type":"json_schema","json_schema":{"name":"p","description":"A p.","schema":{"type":"object","properties":{"n":{"type":"integer"}}}}}})"),
                               signed_target());
  EXPECT_EQ(json::parse(request.body).at("toolConfig"), json::parse(R"({
    "tools":[{"toolSpec":{"name":"p","description":"A p.","inputSchema":{"json":{"type":"object","properties":{"n":{"type":"integer"}}}}}}],
    "toolChoice":{"tool":{"name":"p"}}})"));

  const auto any_object = encoded(
      chat(
          R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}})"),
      signed_target());
  EXPECT_EQ(json::parse(any_object.body).at("toolConfig").at("toolChoice"),
            json::parse(R"({"tool":{"name":"json_tool_call"}})"));
}

TEST(BedrockEncode, ReasoningEffortIsAThinkingBudgetAndThinkingModelsAreNotForcedToATool) {
  const auto request = encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],
    "response_format":{"type":"json_object"},"reasoning_effort":"medium"})"),
                               signed_target("us.anthropic.claude-3-7-sonnet-20250219-v1:0"));
  const auto body = json::parse(request.body).as_object();
  EXPECT_EQ(body.at("additionalModelRequestFields"),
            json::parse(R"({"thinking":{"type":"enabled","budget_tokens":2048}})"));
  EXPECT_FALSE(body.at("toolConfig").as_object().contains("toolChoice"));
}

TEST(BedrockEncode, TopKGoesWhereTheModelFamilyTakesIt) {
  const auto request =
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"top_k":7})");
  EXPECT_EQ(json::parse(encoded(request, signed_target("amazon.nova-pro-v1:0")).body)
                .at("additionalModelRequestFields"),
            json::parse(R"({"inferenceConfig":{"topK":7}})"));
  EXPECT_FALSE(json::parse(encoded(request, signed_target("meta.llama3-1-8b-instruct-v1:0")).body)
                   .as_object()
                   .contains("additionalModelRequestFields"));
}

TEST(BedrockEncode, ToolHistoryWithoutToolsIsRefused) {
  auto result = kBedrock.encode(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"},
    {"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"a","content":"1"}]})"),
                                signed_target());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::unsupported_params);
  EXPECT_EQ(result.error().param, "tools");
}

// ---- settings ---------------------------------------------------------------------------------

config::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

TEST(BedrockSettings, EndpointAndRegionPrecedence) {
  Target plain{.provider = "bedrock"};
  resolve_bedrock_target(plain, env_of({}));
  EXPECT_EQ(plain.api_base, "https://bedrock-runtime.us-west-2.amazonaws.com");
  EXPECT_EQ(plain.settings.at("aws_region_name"), "us-west-2");

  Target from_env{.provider = "bedrock"};
  resolve_bedrock_target(from_env,
                         env_of({{"AWS_DEFAULT_REGION", "eu-west-1"},
                                 {"AWS_BEDROCK_RUNTIME_ENDPOINT", "http://127.0.0.1:9"}}));
  Target litellm_variable{.provider = "bedrock"};
  resolve_bedrock_target(
      litellm_variable, env_of({{"AWS_REGION_NAME", "ca-central-1"}, {"AWS_REGION", "eu-west-1"}}));
  EXPECT_EQ(litellm_variable.settings.at("aws_region_name"), "ca-central-1");
  EXPECT_EQ(from_env.api_base, "http://127.0.0.1:9");
  EXPECT_EQ(from_env.settings.at("aws_region_name"), "eu-west-1");

  Target from_params{.provider = "bedrock"};
  from_params.settings["aws_region_name"] = "ap-south-1";
  from_params.settings["aws_bedrock_runtime_endpoint"] = "http://127.0.0.1:7";
  resolve_bedrock_target(from_params,
                         env_of({{"AWS_REGION", "eu-west-1"},
                                 {"AWS_BEDROCK_RUNTIME_ENDPOINT", "http://127.0.0.1:9"}}));
  EXPECT_EQ(from_params.api_base, "http://127.0.0.1:7");
  EXPECT_EQ(from_params.settings.at("aws_region_name"), "ap-south-1");
}

class BedrockCredentialsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("llmux_bedrock_credentials_" + std::to_string(::getpid()));
    std::ofstream(path_) << "# comment\n[default]\naws_access_key_id = "
                            "AKIDDEFAULT\naws_secret_access_key=default-secret\n\n"
                            "[ work ]\naws_access_key_id=AKIDWORK\naws_secret_access_key = "
                            "work-secret\naws_session_token = work-token\n";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(BedrockCredentialsFile, ParamsThenEnvThenTheProfile) {
  Target params{.provider = "bedrock"};
  params.settings["aws_access_key_id"] = "AKIDPARAM";
  params.settings["aws_secret_access_key"] = "param-secret";
  resolve_bedrock_target(
      params, env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "env-secret"}}));
  EXPECT_EQ(params.settings.at("aws_access_key_id"), "AKIDPARAM");

  Target env{.provider = "bedrock"};
  resolve_bedrock_target(env, env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                      {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                                      {"AWS_SESSION_TOKEN", "env-token"},
                                      {"AWS_SHARED_CREDENTIALS_FILE", path_.string()}}));
  EXPECT_EQ(env.settings.at("aws_access_key_id"), "AKIDENV");
  EXPECT_EQ(env.settings.at("aws_session_token"), "env-token");

  Target file_default{.provider = "bedrock"};
  resolve_bedrock_target(file_default, env_of({{"AWS_SHARED_CREDENTIALS_FILE", path_.string()}}));
  EXPECT_EQ(file_default.settings.at("aws_access_key_id"), "AKIDDEFAULT");
  EXPECT_EQ(file_default.settings.at("aws_secret_access_key"), "default-secret");
  EXPECT_FALSE(file_default.settings.contains("aws_session_token"));

  Target named{.provider = "bedrock"};
  named.settings["aws_profile_name"] = "work";  // an explicit profile wins over the environment
  resolve_bedrock_target(named, env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                        {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                                        {"AWS_SHARED_CREDENTIALS_FILE", path_.string()}}));
  EXPECT_EQ(named.settings.at("aws_access_key_id"), "AKIDWORK");
  EXPECT_EQ(named.settings.at("aws_session_token"), "work-token");

  Target missing{.provider = "bedrock"};
  resolve_bedrock_target(missing,
                         env_of({{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}}));
  EXPECT_FALSE(missing.settings.contains("aws_access_key_id"));
}

// ---- answers ----------------------------------------------------------------------------------

json::object decoded(const api::Request& request, std::string_view body,
                     api::Usage* usage = nullptr) {
  auto reply = kBedrock.decode(request, body, "my-claude");
  if (!reply) throw std::runtime_error("decode failed: " + reply.error().message);
  if (usage) *usage = reply->usage;
  return json::parse(reply->body).as_object();
}

const api::Request kPlainChat =
    chat(R"({"model":"my-claude","messages":[{"role":"user","content":"Hi"}]})");

TEST(BedrockDecode, TextToolUseAndUsageWithCache) {
  api::Usage usage;
  auto body = decoded(kPlainChat, R"({
    "output":{"message":{"role":"assistant","content":[
      {"text":"Let me "},{"text":"check."},
      {"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris","n":0.22481529024076077}}}]}},
    "stopReason":"tool_use",
    "usage":{"inputTokens":40,"outputTokens":20,"totalTokens":60,"cacheReadInputTokens":100,"cacheWriteInputTokens":7},
    "metrics":{"latencyMs":480}})",
                      &usage);
  EXPECT_THAT(std::string(body.at("id").as_string()), ::testing::StartsWith("chatcmpl-"));
  body.erase("id");
  EXPECT_EQ(body, json::parse(R"({
    "object":"chat.completion","created":1735689600,"model":"my-claude",
    "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Let me check.",
      "tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"n\":0.22481529024076077}"}}]}}],
    "usage":{"prompt_tokens":147,"completion_tokens":20,"total_tokens":60,"prompt_tokens_details":{"cached_tokens":100},
             "cache_read_input_tokens":100,"cache_creation_input_tokens":7}})"));
  EXPECT_EQ(usage.prompt_tokens, 147);
  EXPECT_EQ(usage.cached_tokens, 100);
  EXPECT_TRUE(usage.reported);
}

TEST(BedrockEncode, ThinkingBlocksGoBackAsReasoningContentFirstInTheTurn) {
  const auto request = encoded(chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"},
    {"role":"assistant","content":"Let me look.","thinking_blocks":[
       {"type":"thinking","thinking":"Hmm.","signature":"sig=="},{"type":"redacted_thinking","data":"b64"}],
     "tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"t1","content":"ok"}],
    "tools":[{"type":"function","function":{"name":"f"}}]})"),
                               signed_target());
  EXPECT_EQ(json::parse(request.body).at("messages").at(1),
            json::parse(R"({"role":"assistant","content":[
    {"reasoningContent":{"reasoningText":{"text":"Hmm.","signature":"sig=="}}},
    {"reasoningContent":{"redactedContent":"b64"}},
    {"text":"Let me look."},
    {"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]})"));
}

TEST(BedrockDecode, StopReasonsAndReasoning) {
  const std::pair<const char*, const char*> cases[] = {{"end_turn", "stop"},
                                                       {"stop_sequence", "stop"},
                                                       {"max_tokens", "length"},
                                                       {"guardrail_intervened", "content_filter"},
                                                       {"content_filtered", "content_filter"},
                                                       {"malformed_model_output", "stop"}};
  for (const auto& [stop, finish] : cases) {
    const std::string answer = std::string(R"({"output":{"message":{"role":"assistant","content":[
      {"reasoningContent":{"reasoningText":{"text":"Hmm.","signature":"sig"}}},{"text":"Hi"}]}},"stopReason":")") +
                               stop +
                               R"(","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}})";
    const auto body = decoded(kPlainChat, answer);
    const auto& choice = body.at("choices").at(0);
    EXPECT_EQ(choice.at("finish_reason"), finish) << stop;
    EXPECT_EQ(choice.at("message").at("content"), "Hi");
    EXPECT_EQ(choice.at("message").at("reasoning_content"), "Hmm.");
    EXPECT_EQ(choice.at("message").at("thinking_blocks"),
              json::parse(R"([{"type":"thinking","thinking":"Hmm.","signature":"sig"}])"));
  }
}

TEST(BedrockDecode, TheResponseFormatToolBecomesTheContent) {
  const auto request = chat(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],
    "response_format":{"type":"json_object"}})");
  const auto body = decoded(request, R"({"output":{"message":{"role":"assistant","content":[
    {"toolUse":{"toolUseId":"t","name":"json_tool_call","input":{"n":1}}}]}},"stopReason":"tool_use",
    "usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}})");
  const auto& choice = body.at("choices").at(0);
  EXPECT_EQ(choice.at("message").at("content"), R"({"n":1})");
  EXPECT_FALSE(choice.at("message").as_object().contains("tool_calls"));
  EXPECT_EQ(choice.at("finish_reason"), "stop");
}

TEST(BedrockDecode, AnythingButAConverseBodyIsA502) {
  for (const char* body : {"<html>", "{}", R"({"output":{"message":{"content":"x"}}})"}) {
    auto reply = kBedrock.decode(kPlainChat, body, "m");
    ASSERT_FALSE(reply) << body;
    EXPECT_EQ(http_status(reply.error()), 502);
  }
}

TEST(BedrockDecode, ErrorsMapAsLiteLlmMapsThem) {
  struct Case {
    int status;
    const char* body;
    int client_status;
    ErrorKind kind;
  };
  const Case cases[] = {
      {429, R"({"message":"Too many requests, please wait before trying again."})", 429,
       ErrorKind::rate_limited},
      {400, R"({"message":"Malformed input request"})", 400, ErrorKind::invalid_request},
      {400, R"({"message":"Input is too long for requested model."})", 400,
       ErrorKind::context_window_exceeded},
      {403,
       R"({"Message":"User: arn:aws:iam::1:user/x is not authorized to perform: bedrock:InvokeModel"})",
       403, ErrorKind::forbidden},
      {403, R"({"message":"The security token included in the request is invalid."})", 401,
       ErrorKind::unauthenticated},
      {404, R"({"message":"Model not found."})", 404, ErrorKind::not_found},
      {424, R"({"message":"Received error from the model."})", 424, ErrorKind::invalid_request},
      {500, R"({"message":"Internal failure."})", 500, ErrorKind::internal},
      {503, R"({"message":"Service unavailable."})", 503, ErrorKind::unavailable},
  };
  for (const auto& c : cases) {
    const Error error = kBedrock.decode_error(c.status, c.body);
    EXPECT_EQ(http_status(error), c.client_status) << c.body;
    EXPECT_EQ(error.kind, c.kind) << c.body;
    EXPECT_EQ(error.message, json::parse(c.body).as_object().begin()->value().as_string())
        << c.body;
  }
  const Error opaque = kBedrock.decode_error(502, "<html>bad gateway</html>");
  EXPECT_EQ(opaque.message, "Bedrock answered with HTTP 502: <html>bad gateway</html>");
}

// ---- stream -----------------------------------------------------------------------------------

struct StreamRun {
  std::string out;
  std::optional<Error> error;  // from feed or finish
  bool done = false;
  api::Usage usage;
};

StreamRun run_stream(const api::Request& request, const std::vector<std::string_view>& pieces) {
  StreamRun result;
  auto decoder = kBedrock.make_stream_decoder(request, "my-claude", kMaxEventBytes);
  for (auto piece : pieces) {
    if (auto fed = decoder->feed(piece, result.out); !fed) {
      result.error = fed.error();
      break;
    }
  }
  if (!result.error) {
    if (auto finished = decoder->finish(result.out); !finished) result.error = finished.error();
  }
  result.done = decoder->done();
  result.usage = decoder->usage();
  // Each decoder makes up its own id; runs compare with it masked.
  result.out = std::regex_replace(result.out, std::regex("chatcmpl-[0-9a-f]+"), "chatcmpl-ID");
  return result;
}

const api::Request kStreamWithUsage =
    chat(R"({"model":"my-claude","messages":[{"role":"user","content":"Hi"}],
  "stream":true,"stream_options":{"include_usage":true}})");
const api::Request kStream =
    chat(R"({"model":"my-claude","messages":[{"role":"user","content":"Hi"}],"stream":true})");

std::string chunk(std::string_view delta, std::string_view finish = "null") {
  return std::string(
             R"(data: {"id":"chatcmpl-ID","object":"chat.completion.chunk","created":1735689600,"model":"my-claude","choices":[{"index":0,"delta":)") +
         std::string(delta) + R"(,"finish_reason":)" + std::string(finish) + "}]}\n\n";
}

TEST(BedrockStream, TheTextFixture) {
  const auto run = run_stream(
      kStreamWithUsage, {read_wire_fixture("bedrock/converse_stream_text.synthetic.eventstream")});
  ASSERT_FALSE(run.error) << run.error->message;
  EXPECT_EQ(
      run.out,
      chunk(R"({"role":"assistant","content":""})") + chunk(R"({"content":"Hello"})") +
          chunk(R"({"content":" world"})") + chunk("{}", R"("stop")") +
          R"(data: {"id":"chatcmpl-ID","object":"chat.completion.chunk","created":1735689600,"model":"my-claude","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})"
          "\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.usage.total_tokens, 15);

  const auto without_usage = run_stream(
      kStream, {read_wire_fixture("bedrock/converse_stream_text.synthetic.eventstream")});
  EXPECT_THAT(without_usage.out, Not(HasSubstr("\"usage\"")));
  EXPECT_EQ(without_usage.usage.total_tokens, 15) << "usage is still counted for spend";
}

TEST(BedrockStream, TheToolUseFixture) {
  const auto run = run_stream(
      kStream, {read_wire_fixture("bedrock/converse_stream_tool_use.synthetic.eventstream")});
  ASSERT_FALSE(run.error);
  EXPECT_EQ(
      run.out,
      chunk(R"({"role":"assistant","content":""})") + chunk(R"({"content":"Checking."})") +
          chunk(
              R"({"tool_calls":[{"index":0,"id":"tooluse_abc123","type":"function","function":{"name":"get_weather","arguments":""}}]})") +
          chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})") +
          chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})") +
          chunk("{}", R"("tool_calls")") + "data: [DONE]\n\n");
}

TEST(BedrockStream, EveryFixtureComesOutTheSameWholeByteByByteAndSplitAnywhere) {
  for (const char* name : {"bedrock/converse_stream_text.synthetic.eventstream",
                           "bedrock/converse_stream_tool_use.synthetic.eventstream",
                           "bedrock/converse_stream_throttling.synthetic.eventstream"}) {
    const std::string bytes = read_wire_fixture(name);
    const auto whole = run_stream(kStreamWithUsage, {bytes});
    std::vector<std::string_view> single;
    for (std::size_t i = 0; i < bytes.size(); ++i)
      single.push_back(std::string_view(bytes).substr(i, 1));
    const auto byte_by_byte = run_stream(kStreamWithUsage, single);
    EXPECT_EQ(byte_by_byte.out, whole.out) << name;
    EXPECT_EQ(byte_by_byte.error.has_value(), whole.error.has_value()) << name;
    for (std::size_t split = 1; split < bytes.size(); ++split) {
      const std::string_view view(bytes);
      const auto halves = run_stream(kStreamWithUsage, {view.substr(0, split), view.substr(split)});
      ASSERT_EQ(halves.out, whole.out) << name << " split at " << split;
      ASSERT_EQ(halves.error.has_value(), whole.error.has_value()) << name << " split at " << split;
    }
  }
}

TEST(BedrockStream, AThrottlingExceptionIsA429WithItsMessage) {
  const auto run = run_stream(
      kStream, {read_wire_fixture("bedrock/converse_stream_throttling.synthetic.eventstream")});
  ASSERT_TRUE(run.error);
  EXPECT_EQ(http_status(*run.error), 429);
  EXPECT_EQ(run.error->message, "Too many requests, please wait before trying again.");
  EXPECT_EQ(run.out, "");

  // After some output: the frames before it still come out, then the error.
  const auto first = wire::encode_event_stream_message(
      {{":event-type", "messageStart"}, {":message-type", "event"}},
      R"({"role":"assistant","p":"abcdefghij"})");
  const auto validation = wire::encode_event_stream_message(
      {{":exception-type", "validationException"}, {":message-type", "exception"}},
      R"({"message":"Input is too long for requested model."})");
  const auto late = run_stream(kStream, {first + validation});
  ASSERT_TRUE(late.error);
  EXPECT_EQ(late.error->kind, ErrorKind::context_window_exceeded);
  EXPECT_EQ(late.out, chunk(R"({"role":"assistant","content":""})"));
}

TEST(BedrockStream, CorruptOrCutStreamsFailCleanly) {
  std::string corrupt = read_wire_fixture("bedrock/converse_stream_text.synthetic.eventstream");
  corrupt[corrupt.size() / 2] ^= 0x20;
  const auto bad = run_stream(kStream, {corrupt});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(http_status(*bad.error), 502);
  EXPECT_THAT(bad.error->message, HasSubstr("malformed event-stream frame"));

  const std::string text = read_wire_fixture("bedrock/converse_stream_text.synthetic.eventstream");
  const auto cut = run_stream(kStream, {std::string_view(text).substr(0, text.size() / 2)});
  ASSERT_TRUE(cut.error);
  EXPECT_THAT(cut.error->message, HasSubstr("closed the stream before it was complete"));

  const auto not_json = run_stream(
      kStream, {wire::encode_event_stream_message(
                   {{":event-type", "contentBlockDelta"}, {":message-type", "event"}}, "{oops")});
  ASSERT_TRUE(not_json.error);
  EXPECT_EQ(http_status(*not_json.error), 502);
}

TEST(BedrockStream, NoMetadataAfterMessageStopStillEndsTheStream) {
  const auto stop = wire::encode_event_stream_message(
      {{":event-type", "messageStop"}, {":message-type", "event"}},
      R"({"stopReason":"max_tokens"})");
  const auto run = run_stream(kStream, {stop});
  ASSERT_FALSE(run.error);
  EXPECT_EQ(run.out, chunk("{}", R"("length")") + "data: [DONE]\n\n");
}

TEST(BedrockStream, ReasoningDeltas) {
  auto delta = [](std::string_view payload) {
    return wire::encode_event_stream_message(
        {{":event-type", "contentBlockDelta"}, {":message-type", "event"}}, payload);
  };
  const auto run = run_stream(
      kStream,
      {delta(R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Hmm"}}})") +
       delta(R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}})") +
       wire::encode_event_stream_message(
           {{":event-type", "messageStop"}, {":message-type", "event"}},
           R"({"stopReason":"end_turn"})")});
  ASSERT_FALSE(run.error);
  EXPECT_EQ(
      run.out,
      chunk(
          R"({"reasoning_content":"Hmm","thinking_blocks":[{"type":"thinking","thinking":"Hmm"}]})") +
          chunk(R"({"thinking_blocks":[{"type":"thinking","thinking":"","signature":"sig"}]})") +
          chunk("{}", R"("stop")") + "data: [DONE]\n\n");
}

TEST(BedrockStream, JsonModeToolInputIsStreamedAsContent) {
  const auto request =
      chat(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true,
    "response_format":{"type":"json_object"}})");
  auto event = [](std::string_view type, std::string_view payload) {
    return wire::encode_event_stream_message(
        {{":event-type", std::string(type)}, {":message-type", "event"}}, payload);
  };
  const auto run = run_stream(
      request,
      {event(
           "contentBlockStart",
           R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"json_tool_call"}}})") +
       event("contentBlockDelta",
             R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"n\":1}"}}})") +
       event("messageStop", R"({"stopReason":"tool_use"})")});
  ASSERT_FALSE(run.error);
  EXPECT_EQ(run.out,
            chunk(R"({"content":"{\"n\":1}"})") + chunk("{}", R"("stop")") + "data: [DONE]\n\n");
}

// ---- embeddings -------------------------------------------------------------------------------

api::Request embeddings(std::string_view body) {
  return parsed_request(api::Endpoint::embeddings, body);
}

TEST(BedrockEmbeddings, TitanTakesOneTextThroughInvokeModel) {
  const auto request = encoded(embeddings(R"({"model":"e","input":"hello","dimensions":256})"),
                               signed_target("amazon.titan-embed-text-v2:0"));
  EXPECT_EQ(request.url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/"
            "invoke");
  EXPECT_EQ(json::parse(request.body), json::parse(R"({"inputText":"hello","dimensions":256})"));
  EXPECT_THAT(header(request, "Authorization"), HasSubstr("/us-east-1/bedrock/aws4_request"));

  auto two = kBedrock.encode(embeddings(R"({"model":"e","input":["a","b"]})"),
                             signed_target("amazon.titan-embed-text-v2:0"));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().param, "input");

  auto reply = kBedrock.decode(
      embeddings(R"({"model":"e","input":"hello"})"),
      R"({"embedding": [0.22481529024076077, -0.25],"inputTextTokenCount":3})", "my-embedder");
  ASSERT_TRUE(reply);
  // The vector's text is copied, so every digit survives (Boost.JSON 1.81 parses this one
  // inexactly).
  EXPECT_EQ(
      reply->body,
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.22481529024076077, -0.25]}],)"
      R"("model":"my-embedder","usage":{"prompt_tokens":3,"total_tokens":3}})");
  EXPECT_EQ(reply->usage.prompt_tokens, 3);
}

TEST(BedrockEmbeddings, CohereTakesTextListsAndGetsAnEstimatedUsage) {
  const auto request =
      encoded(embeddings(R"({"model":"e","input":["a b","c"],"input_type":"search_query"})"),
              signed_target("cohere.embed-english-v3"));
  EXPECT_EQ(json::parse(request.body),
            json::parse(R"({"texts":["a b","c"],"input_type":"search_query"})"));
  auto reply = kBedrock.decode(
      embeddings(R"({"model":"e","input":["a b","c"],"encoding_format":"base64"})"),
      R"({"id":"x","embeddings":[[1.0],[0.0]],"texts":["a b","c"],"response_type":"embeddings_floats"})",
      "my-embedder");
  ASSERT_TRUE(reply);
  const auto body = json::parse(reply->body).as_object();
  EXPECT_EQ(body.at("data").at(0).at("embedding"), "AACAPw==")
      << "1.0f as little-endian float32, base64";
  EXPECT_EQ(body.at("data").at(1).at("index"), 1);
  EXPECT_TRUE(reply->usage.estimated);
  EXPECT_GT(reply->usage.prompt_tokens, 0);
}

TEST(BedrockEmbeddings, OtherModelsAndTokenInputsAreRefused) {
  auto chat_model = kBedrock.encode(embeddings(R"({"model":"e","input":"x"})"), signed_target());
  ASSERT_FALSE(chat_model);
  EXPECT_EQ(http_status(chat_model.error()), 400);
  auto tokens = kBedrock.encode(embeddings(R"({"model":"e","input":[[1,2]]})"),
                                signed_target("cohere.embed-english-v3"));
  ASSERT_FALSE(tokens);
  EXPECT_EQ(tokens.error().param, "input");
  auto garbage = kBedrock.decode(embeddings(R"({"model":"e","input":"x"})"), R"({"nope":1})", "m");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(http_status(garbage.error()), 502);
}

}  // namespace
}  // namespace llmux::providers
