#include "providers/anthropic.hpp"

#include "provider_test.hpp"

#include <optional>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

const AnthropicProvider kAnthropic;
constexpr char kClientModel[] = "my-claude";
constexpr char kKey[] = "sk-ant-secret-key-for-tests";

Target target() {
  return Target{.provider = "anthropic",
                .upstream_model = "claude-sonnet-4-5",
                .api_base = "https://api.anthropic.com",
                .api_key = kKey};
}

api::Request chat(std::string_view body) {
  return parsed_request(api::Endpoint::chat_completions, body);
}

// The upstream body of `request_body`, parsed.
json::object encoded_body(std::string_view request_body, const Target& deployment = target()) {
  auto upstream = kAnthropic.encode(chat(request_body), deployment);
  if (!upstream) throw std::runtime_error("encode failed: " + upstream.error().message);
  return json::parse(upstream->body).as_object();
}

Error encode_error(std::string_view request_body, const Target& deployment = target()) {
  auto upstream = kAnthropic.encode(chat(request_body), deployment);
  if (upstream) throw std::runtime_error("encode succeeded: " + upstream->body);
  return upstream.error();
}

std::optional<std::string> header(const UpstreamRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// ---- encode ---------------------------------------------------------------------------------

TEST(AnthropicEncode, UrlAndHeaders) {
  auto upstream = kAnthropic.encode(
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), target());
  ASSERT_TRUE(upstream);
  EXPECT_EQ(upstream->url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(header(*upstream, "x-api-key"), kKey);
  EXPECT_EQ(header(*upstream, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header(*upstream, "Authorization"), std::nullopt);
  EXPECT_EQ(header(*upstream, "anthropic-beta"), std::nullopt) << "no beta unless needed";
  EXPECT_THAT(upstream->body, ::testing::Not(HasSubstr(kKey)));
}

TEST(AnthropicEncode, BaseThatAlreadyNamesTheEndpointIsKept) {
  Target deployment = target();
  deployment.api_base = "http://127.0.0.1:9/proxy/v1/messages";
  auto upstream = kAnthropic.encode(
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), deployment);
  ASSERT_TRUE(upstream);
  EXPECT_EQ(upstream->url, "http://127.0.0.1:9/proxy/v1/messages");
}

TEST(AnthropicEncode, ExtraHeadersBetasMergedAndVersionPinned) {
  Target deployment = target();
  deployment.extra_headers = {{"anthropic-beta", "a-beta-1"},
                              {"X-Team", "blue"},
                              {"Anthropic-Beta", "b-beta-2"},
                              {"anthropic-version", "2099-01-01"}};
  auto upstream = kAnthropic.encode(
      chat(R"({"model":"c","messages":[{"role":"user","content":[{"type":"text","text":"Hi",
               "cache_control":{"type":"ephemeral","ttl":"1h"}}]}]})"),
      deployment);
  ASSERT_TRUE(upstream);
  EXPECT_EQ(header(*upstream, "anthropic-beta"), "a-beta-1,b-beta-2,extended-cache-ttl-2025-04-11");
  EXPECT_EQ(header(*upstream, "anthropic-version"), "2099-01-01");
  EXPECT_EQ(header(*upstream, "X-Team"), "blue");
  std::size_t versions = 0;
  for (const auto& [name, value] : upstream->headers) versions += name == "anthropic-version";
  EXPECT_EQ(versions, 1u);
}

TEST(AnthropicEncode, NoKeyNoKeyHeader) {
  Target deployment = target();
  deployment.api_key.clear();
  auto upstream = kAnthropic.encode(
      chat(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"), deployment);
  ASSERT_TRUE(upstream);
  EXPECT_EQ(header(*upstream, "x-api-key"), std::nullopt);
}

TEST(AnthropicEncode, ConversationGolden) {
  // System and developer messages lifted (cache_control kept); user, tool and function results
  // merged into user turns; assistant text, tool calls and thinking blocks in Anthropic's order.
  const auto body = encoded_body(R"({
    "model": "my-claude",
    "messages": [
      {"role": "system", "content": "You are terse.", "cache_control": {"type": "ephemeral"}},
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "user", "content": [{"type": "text", "text": "And London.", "cache_control": {"type": "ephemeral"}}]},
      {"role": "developer", "content": [{"type": "text", "text": "Use celsius."}]},
      {"role": "assistant", "content": "",
       "thinking_blocks": [{"type": "thinking", "thinking": "Two cities.", "signature": "sig1"}],
       "tool_calls": [
         {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
         {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
      {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "12C"}],
       "cache_control": {"type": "ephemeral"}},
      {"role": "user", "content": "Thanks", "name": "ann"},
      {"role": "assistant", "content": "Paris is warmer.  \n"}
    ]
  })");
  const auto expected = json::parse(R"({
    "model": "claude-sonnet-4-5",
    "max_tokens": 4096,
    "system": [
      {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
      {"type": "text", "text": "Use celsius."}
    ],
    "messages": [
      {"role": "user", "content": [
        {"type": "text", "text": "Weather in Paris?"},
        {"type": "text", "text": "And London.", "cache_control": {"type": "ephemeral"}}]},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Two cities.", "signature": "sig1"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "12C"}],
         "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Thanks"}]},
      {"role": "assistant", "content": [{"type": "text", "text": "Paris is warmer."}]}
    ]
  })");
  EXPECT_EQ(json::value(body), expected) << json::serialize(body);
}

TEST(AnthropicEncode, DeprecatedFunctionResultsBecomeToolResults) {
  const auto body = encoded_body(R"({"model":"c","messages":[{"role":"user","content":"Hi"},
      {"role":"function","name":"now","content":"noon"}]})");
  const auto& turn = body.at("messages").as_array();
  ASSERT_EQ(turn.size(), 1u) << "merged into the user turn";
  const auto& result = turn[0].at("content").at(1).as_object();
  EXPECT_EQ(result.at("type"), "tool_result");
  EXPECT_EQ(result.at("content"), "noon");
  EXPECT_TRUE(result.at("tool_use_id").as_string().starts_with("call_")) << "an id is generated";
}

TEST(AnthropicEncode, Images) {
  const auto body = encoded_body(R"({"model":"c","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"high"}},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="},"cache_control":{"type":"ephemeral"}},
      {"type":"image_url","image_url":"data:application/pdf;base64,JVBERi0="},
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0x"}}]}]})");
  const auto expected = json::parse(R"([
      {"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="},
       "cache_control":{"type":"ephemeral"}},
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}])");
  EXPECT_EQ(body.at("messages").at(0).at("content"), expected) << json::serialize(body);
}

TEST(AnthropicEncode, BadImagesAndArgumentsAre400) {
  for (
      const char* request : {
          R"({"model":"c","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]})",
          R"({"model":"c","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]})",
          R"({"model":"c","messages":[{"role":"assistant","tool_calls":[{"id":"t","function":{"name":"f","arguments":"{not json"}}]}]})",
          R"({"model":"c","messages":[{"role":"wizard","content":"hi"}]})",
      }) {
    SCOPED_TRACE(request);
    const Error error = encode_error(request);
    EXPECT_EQ(error.kind, ErrorKind::invalid_request);
    EXPECT_EQ(http_status(error), 400);
    EXPECT_EQ(error.param, "messages");
  }
}

TEST(AnthropicEncode, MaxTokens) {
  auto max_tokens = [](std::string_view request, const Target& deployment = target()) {
    return encoded_body(request, deployment).at("max_tokens");
  };
  EXPECT_EQ(
      max_tokens(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"max_tokens":100})"),
      100);
  EXPECT_EQ(
      max_tokens(
          R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"max_tokens":100,"max_completion_tokens":200})"),
      200);
  EXPECT_EQ(
      max_tokens(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"max_tokens":null})"),
      4096)
      << "the documented fallback";
  Target known = target();
  known.max_output_tokens = 64000;
  EXPECT_EQ(max_tokens(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})", known),
            64000);
  EXPECT_EQ(
      max_tokens(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"max_tokens":5})",
                 known),
      5);
  Target with_default = target();
  with_default.default_params["max_tokens"] = 777;
  EXPECT_EQ(
      max_tokens(R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})", with_default),
      777);
  // Thinking needs room beyond its budget.
  EXPECT_EQ(
      max_tokens(
          R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"high"})"),
      4096 + 4096);
}

TEST(AnthropicEncode, SamplingStopAndUser) {
  const auto body = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"temperature":0.25,"top_p":0.9,"top_k":5,
                                     "stop":"END","user":"user-42","stream":true})");
  EXPECT_EQ(body.at("temperature"), 0.25);
  EXPECT_EQ(body.at("top_p"), 0.9);
  EXPECT_EQ(body.at("top_k"), 5);
  EXPECT_EQ(body.at("stop_sequences"), json::parse(R"(["END"])"));
  EXPECT_EQ(body.at("metadata"), json::parse(R"({"user_id":"user-42"})"));
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_FALSE(body.contains("user"));
  EXPECT_FALSE(body.contains("stop"));

  const auto list = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"stop":["a"," ","b"],"stream":false})");
  EXPECT_EQ(list.at("stop_sequences"), json::parse(R"(["a"," ","b"])"));
  EXPECT_FALSE(list.contains("stream"));
  Target dropping = target();
  dropping.drop_params = true;
  EXPECT_EQ(
      encoded_body(
          R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"stop":["a"," \n","b"]})",
          dropping)
          .at("stop_sequences"),
      json::parse(R"(["a","b"])"))
      << "whitespace-only sequences dropped with drop_params, as LiteLLM";
}

TEST(AnthropicEncode, UserIdsThatLookPersonalAreNotSent) {
  for (const char* user : {"ann@example.com", "+1 (555) 123-4567", "5551234567"}) {
    SCOPED_TRACE(user);
    const auto body =
        encoded_body(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"user":")" +
                     std::string(user) + "\"}");
    EXPECT_FALSE(body.contains("metadata"));
  }
  EXPECT_TRUE(
      encoded_body(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"user":"ann@team"})")
          .contains("metadata"));
}

TEST(AnthropicEncode, ToolsGolden) {
  const auto body =
      encoded_body(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"tools":[
      {"type":"function","function":{"name":"get_weather","description":"Weather","parameters":
        {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
       "cache_control":{"type":"ephemeral"}},
      {"type":"function","function":{"name":"now","cache_control":{"type":"ephemeral"}}},
      {"name":"native","input_schema":{"type":"object"}},
      {"type":"web_search_20250305","name":"web_search","max_uses":2}]})");
  const auto expected = json::parse(R"([
      {"name":"get_weather","description":"Weather","input_schema":
        {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"cache_control":{"type":"ephemeral"}},
      {"name":"now","input_schema":{"type":"object","properties":{}},"cache_control":{"type":"ephemeral"}},
      {"name":"native","input_schema":{"type":"object"}},
      {"type":"web_search_20250305","name":"web_search","max_uses":2}])");
  EXPECT_EQ(body.at("tools"), expected) << json::serialize(body);
  EXPECT_FALSE(body.contains("tool_choice"));
}

TEST(AnthropicEncode, ToolChoiceAndParallelToolCalls) {
  auto choice = [](std::string_view fields) {
    const auto body = encoded_body(
        R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f"}}])" +
        std::string(fields) + "}");
    const auto* found = body.if_contains("tool_choice");
    return found ? json::serialize(*found) : std::string("absent");
  };
  EXPECT_EQ(choice(R"(,"tool_choice":"auto")"), R"({"type":"auto"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"required")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"(,"tool_choice":"none")"), R"({"type":"none"})");
  EXPECT_EQ(choice(R"(,"tool_choice":{"type":"function","function":{"name":"f"}})"),
            R"({"type":"tool","name":"f"})");
  EXPECT_EQ(choice(R"(,"parallel_tool_calls":false)"),
            R"({"type":"auto","disable_parallel_tool_use":true})");
  EXPECT_EQ(choice(R"(,"tool_choice":"required","parallel_tool_calls":true)"),
            R"({"type":"any","disable_parallel_tool_use":false})");
  EXPECT_EQ(choice(R"(,"tool_choice":"none","parallel_tool_calls":false)"), R"({"type":"none"})");
  EXPECT_EQ(choice(""), "absent");
  const auto without_tools = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"tool_choice":"none","parallel_tool_calls":false})");
  EXPECT_FALSE(without_tools.contains("tool_choice"))
      << "Anthropic refuses a tool_choice without tools";
}

TEST(AnthropicEncode, ResponseFormatBecomesAForcedJsonTool) {
  const auto schema = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema",
      "json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}}}}})");
  EXPECT_EQ(json::value(schema.at("tools")),
            json::parse(R"([{"name":"json_tool_call","input_schema":
      {"type":"object","properties":{"name":{"type":"string"}}}}])"));
  EXPECT_EQ(schema.at("tool_choice"), json::parse(R"({"type":"tool","name":"json_tool_call"})"));

  const auto object = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}})");
  EXPECT_EQ(object.at("tools"), json::parse(R"([{"name":"json_tool_call","input_schema":
      {"type":"object","additionalProperties":true,"properties":{}}}])"));

  EXPECT_FALSE(
      encoded_body(
          R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"text"}})")
          .contains("tools"));
  const auto thinking = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"low","response_format":{"type":"json_object"}})");
  EXPECT_TRUE(thinking.contains("tools"));
  EXPECT_FALSE(thinking.contains("tool_choice")) << "the API refuses a forced tool with thinking";
}

TEST(AnthropicEncode, ReasoningEffortAndThinking) {
  auto thinking = [](std::string_view fields) {
    const auto body = encoded_body(R"({"model":"c","messages":[{"role":"user","content":"Hi"}])" +
                                   std::string(fields) + "}");
    const auto* found = body.if_contains("thinking");
    return found ? json::serialize(*found) : std::string("absent");
  };
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"low")"), R"({"type":"enabled","budget_tokens":1024})");
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"medium")"),
            R"({"type":"enabled","budget_tokens":2048})");
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"high")"),
            R"({"type":"enabled","budget_tokens":4096})");
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"none")"), "absent");
  EXPECT_EQ(
      thinking(R"(,"thinking":{"type":"enabled","budget_tokens":3000},"reasoning_effort":"low")"),
      R"({"type":"enabled","budget_tokens":3000})");
  const Error error = encode_error(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"extreme"})");
  EXPECT_EQ(error.param, "reasoning_effort");
  EXPECT_EQ(http_status(error), 400);
}

TEST(AnthropicEncode, UnsupportedParamsAreRefusedUnlessDropped) {
  const Error error =
      encode_error(R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"logprobs":true})");
  EXPECT_EQ(error.kind, ErrorKind::unsupported_params);
  EXPECT_THAT(error.message, HasSubstr("anthropic does not support parameters: ['logprobs']"));
  Target dropping = target();
  dropping.drop_params = true;
  const auto body = encoded_body(
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"logprobs":true,"seed":3,"metadata":{"a":1}})",
      dropping);
  EXPECT_FALSE(body.contains("logprobs"));
  EXPECT_FALSE(body.contains("seed"));
  EXPECT_FALSE(body.contains("metadata"))
      << "the gateway's own metadata never reaches the upstream";
}

TEST(AnthropicEncode, OnlyChatCompletions) {
  auto upstream = kAnthropic.encode(
      parsed_request(api::Endpoint::embeddings, R"({"model":"c","input":"x"})"), target());
  ASSERT_FALSE(upstream);
  EXPECT_EQ(http_status(upstream.error()), 400);
  EXPECT_THAT(upstream.error().message, HasSubstr("chat completions only"));
}

// ---- decode ---------------------------------------------------------------------------------

// The answer without its generated id and time (checked for shape), for golden comparison.
json::object decoded(std::string_view request_body, std::string_view answer,
                     api::Usage* usage = nullptr) {
  auto reply = kAnthropic.decode(chat(request_body), answer, kClientModel);
  if (!reply) throw std::runtime_error("decode failed: " + reply.error().message);
  auto body = json::parse(reply->body).as_object();
  EXPECT_TRUE(body.at("id").as_string().starts_with("chatcmpl-"));
  EXPECT_TRUE(body.at("created").is_int64());
  body.erase("id");
  body.erase("created");
  if (usage) *usage = reply->usage;
  return body;
}

constexpr char kPlainRequest[] =
    R"({"model":"my-claude","messages":[{"role":"user","content":"Hi"}]})";

TEST(AnthropicDecode, RecordedMessageGolden) {
  api::Usage usage;
  const auto body = decoded(kPlainRequest, read_wire_fixture("anthropic/message.json"), &usage);
  const auto expected = json::parse(R"({
    "object": "chat.completion", "model": "my-claude",
    "choices": [{"index": 0, "message": {"role": "assistant",
      "content": "{\"product_name\": \"Green Tea\", \"price\": 5.50, \"quantity\": 2}"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 249, "completion_tokens": 26, "total_tokens": 275,
              "prompt_tokens_details": {"cached_tokens": 0},
              "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})");
  EXPECT_EQ(json::value(body), expected) << json::serialize(body);
  EXPECT_EQ(usage.prompt_tokens, 249);
  EXPECT_EQ(usage.completion_tokens, 26);
  EXPECT_EQ(usage.total_tokens, 275);
  EXPECT_TRUE(usage.reported);
}

TEST(AnthropicDecode, ToolUseGolden) {
  const auto body =
      decoded(kPlainRequest, read_wire_fixture("anthropic/message_tool_use.synthetic.json"));
  const auto& choice = body.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), "tool_calls");
  EXPECT_EQ(choice.at("message").at("content"), "I'll check the weather in both cities.");
  const auto& calls = choice.at("message").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("id"), "toolu_01SyntheticParis0000000001");
  EXPECT_EQ(calls[0].at("type"), "function");
  EXPECT_EQ(calls[0].at("function").at("name"), "get_weather");
  EXPECT_EQ(json::parse(calls[0].at("function").at("arguments").as_string()),
            json::parse(R"({"location":"Paris"})"));
  EXPECT_EQ(json::parse(calls[1].at("function").at("arguments").as_string()),
            json::parse(R"({"location":"London","units":"celsius"})"));
}

TEST(AnthropicDecode, ThinkingBecomesReasoningContent) {
  const auto body =
      decoded(kPlainRequest, R"({"type":"message","role":"assistant","model":"x","content":[
      {"type":"thinking","thinking":"Step one. ","signature":"sig"},
      {"type":"redacted_thinking","data":"opaque"},
      {"type":"thinking","thinking":"Step two.","signature":"sig2"},
      {"type":"text","text":"Answer"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":2}})");
  const auto& message = body.at("choices").at(0).at("message");
  EXPECT_EQ(message.at("content"), "Answer");
  EXPECT_EQ(message.at("reasoning_content"), "Step one. Step two.");
  EXPECT_EQ(message.at("thinking_blocks"),
            json::parse(R"([{"type":"thinking","thinking":"Step one. ","signature":"sig"},
      {"type":"redacted_thinking","data":"opaque"},{"type":"thinking","thinking":"Step two.","signature":"sig2"}])"));
  EXPECT_EQ(body.at("choices").at(0).at("finish_reason"), "length");
}

TEST(AnthropicDecode, JsonModeToolCallBecomesContent) {
  constexpr char kJsonRequest[] =
      R"({"model":"c","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}})";
  auto answer = [](std::string_view input) {
    return R"({"type":"message","content":[{"type":"tool_use","id":"toolu_9","name":"json_tool_call","input":)" +
           std::string(input) +
           R"(}],"stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}})";
  };
  const auto plain = decoded(kJsonRequest, answer(R"({"name":"Ann"})"));
  EXPECT_EQ(json::parse(plain.at("choices").at(0).at("message").at("content").as_string()),
            json::parse(R"({"name":"Ann"})"));
  EXPECT_FALSE(plain.at("choices").at(0).at("message").as_object().contains("tool_calls"));
  EXPECT_EQ(plain.at("choices").at(0).at("finish_reason"), "stop");
  const auto wrapped = decoded(kJsonRequest, answer(R"({"values":[1,2]})"));
  EXPECT_EQ(wrapped.at("choices").at(0).at("message").at("content"), "[1,2]");
  // Without JSON mode the same answer is an ordinary tool call.
  const auto ordinary = decoded(kPlainRequest, answer(R"({"name":"Ann"})"));
  EXPECT_EQ(ordinary.at("choices").at(0).at("finish_reason"), "tool_calls");
}

TEST(AnthropicDecode, CacheTokensCountAsPrompt) {
  api::Usage usage;
  const auto body =
      decoded(kPlainRequest, R"({"type":"message","content":[],"stop_reason":"end_turn",
      "usage":{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":5}})",
              &usage);
  EXPECT_EQ(body.at("usage"),
            json::parse(R"({"prompt_tokens":60,"completion_tokens":5,"total_tokens":65,
      "prompt_tokens_details":{"cached_tokens":30},"cache_creation_input_tokens":20,"cache_read_input_tokens":30})"));
  EXPECT_EQ(usage.prompt_tokens, 60);
  EXPECT_EQ(usage.cached_tokens, 30);
  EXPECT_EQ(body.at("choices").at(0).at("message").at("content"), nullptr);
}

TEST(AnthropicDecode, StopReasons) {
  for (const auto& [stop, finish] : std::vector<std::pair<std::string, std::string>>{
           {"end_turn", "stop"},
           {"stop_sequence", "stop"},
           {"max_tokens", "length"},
           {"tool_use", "tool_calls"},
           {"refusal", "content_filter"},
           {"pause_turn", "stop"},
           {"model_context_window_exceeded", "stop"}}) {
    const auto body = decoded(
        kPlainRequest, R"({"content":[{"type":"text","text":"x"}],"stop_reason":")" + stop + "\"}");
    EXPECT_EQ(body.at("choices").at(0).at("finish_reason"), json::value(finish)) << stop;
  }
}

TEST(AnthropicDecode, BadBodiesAreUpstreamFailures) {
  for (const char* answer :
       {"<html>oops</html>", R"({"type":"message","content":[{"type":"text")", "[]",
        "{\"content\":[{\"type\":\"text\",\"text\":\"\xff\"}]}", R"({"type":"message"})"}) {
    auto reply = kAnthropic.decode(chat(kPlainRequest), answer, kClientModel);
    ASSERT_FALSE(reply) << answer;
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed) << answer;
  }
  auto error = kAnthropic.decode(
      chat(kPlainRequest), R"({"type":"error","error":{"type":"api_error","message":"boom"}})",
      kClientModel);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().message, "boom");
  EXPECT_EQ(http_status(error.error()), 500);
}

// ---- errors ---------------------------------------------------------------------------------

Error error_for(int status, std::string_view type, std::string_view message) {
  return kAnthropic.decode_error(status, R"({"type":"error","error":{"type":")" +
                                             std::string(type) + R"(","message":")" +
                                             std::string(message) + "\"}}");
}

TEST(AnthropicDecodeError, RecordedRateLimit) {
  const Error error =
      kAnthropic.decode_error(429, read_wire_fixture("anthropic/error_429_rate_limit.json"));
  EXPECT_EQ(error.kind, ErrorKind::rate_limited);
  EXPECT_EQ(http_status(error), 429);
  EXPECT_EQ(error_type(error), "rate_limit_error");
  EXPECT_THAT(error.message,
              ::testing::StartsWith("This request would exceed your organization's rate limit"));
}

TEST(AnthropicDecodeError, LiteLlmsMapping) {
  struct Case {
    int status;
    const char* type;
    ErrorKind kind;
    int client_status;
  };
  for (const Case& c : {Case{400, "invalid_request_error", ErrorKind::invalid_request, 400},
                        Case{401, "authentication_error", ErrorKind::unauthenticated, 401},
                        Case{403, "permission_error", ErrorKind::forbidden, 403},
                        Case{404, "not_found_error", ErrorKind::not_found, 404},
                        Case{413, "request_too_large", ErrorKind::invalid_request, 400},
                        Case{500, "api_error", ErrorKind::internal, 500},
                        Case{503, "api_error", ErrorKind::unavailable, 503},
                        Case{504, "timeout_error", ErrorKind::timeout, 504},
                        Case{529, "overloaded_error", ErrorKind::internal, 500}}) {
    SCOPED_TRACE(c.type);
    const Error error = error_for(c.status, c.type, "upstream words");
    EXPECT_EQ(error.kind, c.kind);
    EXPECT_EQ(http_status(error), c.client_status);
    EXPECT_EQ(error.message, "upstream words");
    EXPECT_EQ(error_type(error), c.type);
  }
}

TEST(AnthropicDecodeError, ContextWindowAndContentFilter) {
  const Error long_prompt =
      error_for(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum");
  EXPECT_EQ(long_prompt.kind, ErrorKind::context_window_exceeded);
  EXPECT_EQ(http_status(long_prompt), 400);
  const Error filtered =
      error_for(400, "invalid_request_error", "Output blocked by content filtering policy");
  EXPECT_EQ(filtered.kind, ErrorKind::content_policy);
}

TEST(AnthropicDecodeError, BodiesThatAreNotAnthropicErrors) {
  const Error html = kAnthropic.decode_error(502, "<html>bad gateway</html>");
  EXPECT_EQ(http_status(html), 502);
  EXPECT_EQ(html.message, "The upstream answered with HTTP 502: <html>bad gateway</html>");
  const Error bare = kAnthropic.decode_error(400, R"({"message":"plain"})");
  EXPECT_EQ(bare.message, "plain");
  const Error invalid = kAnthropic.decode_error(500, "\xff\xfe");
  EXPECT_EQ(invalid.message, "The upstream answered with HTTP 500: \xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace llmux::providers
