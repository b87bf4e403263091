#include "api/anthropic_messages.hpp"

#include "api/request.hpp"
#include "dialect_test.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmux::api {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) { return json::parse(text).as_object(); }

Error rejection(std::string_view body, bool counting = false) {
  auto valid = validate_messages_body(object(body), counting);
  if (valid) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return valid.error();
}

TEST(MessagesValidation, NamesTheFieldAsAnthropicDoes) {
  EXPECT_EQ(rejection(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})").message,
            "max_tokens: Field required");
  EXPECT_EQ(rejection(R"({"model":"m","max_tokens":5})").message, "messages: Field required");
  EXPECT_EQ(
      rejection(R"({"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]})")
          .message,
      "messages.0.role: Input should be 'user' or 'assistant'");
  EXPECT_EQ(rejection(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})")
                .param,
            "max_tokens");
  EXPECT_EQ(
      rejection(
          R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t"}]})")
          .message,
      "tools.t.input_schema: Field required");
  EXPECT_EQ(
      rejection(
          R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"tool"}})")
          .param,
      "tool_choice");
  // count_tokens has no max_tokens.
  EXPECT_TRUE(
      validate_messages_body(object(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"),
                             /*counting=*/true));
}

TEST(MessagesToChat, ConversationWithToolsAndImages) {
  const auto body = object(R"({
    "model": "claude-x", "max_tokens": 64, "temperature": 0.5, "top_k": 3,
    "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind.",
                "cache_control": {"type": "ephemeral"}}],
    "stop_sequences": ["END"], "metadata": {"user_id": "u-1"},
    "tools": [{"name": "weather", "description": "Weather", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
    "messages": [
      {"role": "user", "content": [
        {"type": "text", "text": "Look:"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}]},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "3C"}]},
        {"type": "text", "text": "And tomorrow?"}]}
    ]})");
  auto chat = messages_to_chat(body);
  ASSERT_TRUE(chat) << chat.error().message;
  EXPECT_EQ(json::value(*chat), json::parse(R"({
    "model": "claude-x",
    "messages": [
      {"role": "system", "content": "Be brief.\nBe kind."},
      {"role": "user", "content": [{"type": "text", "text": "Look:"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]},
      {"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "toolu_1",
        "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
      {"role": "tool", "tool_call_id": "toolu_1", "content": "3C"},
      {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}
    ],
    "max_tokens": 64, "temperature": 0.5, "stop": ["END"], "user": "u-1",
    "tools": [{"type": "function", "function": {"name": "weather",
      "parameters": {"type": "object"}, "description": "Weather"}}],
    "tool_choice": "required", "parallel_tool_calls": false})"));
}

TEST(MessagesToChat, DocumentsAsFilePartsOrText) {
  auto chat = messages_to_chat(object(R"({"model":"m","max_tokens":5,"messages":[{"role":"user",
      "content":[{"type":"document","title":"a.pdf","source":{"type":"base64",
                  "media_type":"application/pdf","data":"JVBE"}},
                 {"type":"document","source":{"type":"text","media_type":"text/plain",
                  "data":"plain words"}}]}]})"));
  ASSERT_TRUE(chat) << chat.error().message;
  EXPECT_EQ(chat->at("messages").at(0).at("content"), json::parse(R"([
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBE","filename":"a.pdf"}},
      {"type":"text","text":"plain words"}])"));
}

TEST(MessagesToChat, ThinkingAsReasoningEffort) {
  const auto effort = [](std::string_view thinking) -> std::string {
    auto chat = messages_to_chat(object(R"({"model":"m","max_tokens":5,"thinking":)" +
                                        std::string(thinking) +
                                        R"(,"messages":[{"role":"user","content":"hi"}]})"));
    if (!chat) return "refused";
    const auto* value = chat->if_contains("reasoning_effort");
    return value ? std::string(value->as_string()) : "absent";
  };
  EXPECT_EQ(effort(R"({"type":"enabled","budget_tokens":1024})"), "low");
  EXPECT_EQ(effort(R"({"type":"enabled","budget_tokens":2000})"), "medium");
  EXPECT_EQ(effort(R"({"type":"enabled","budget_tokens":16000})"), "high");
  EXPECT_EQ(effort(R"({"type":"adaptive"})"), "medium");
  EXPECT_EQ(effort(R"({"type":"disabled"})"), "absent");
}

TEST(MessagesToChat, AStreamAsksForItsUsage) {
  auto chat = messages_to_chat(object(
      R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->at("stream"), true);
  EXPECT_EQ(chat->at("stream_options"), json::parse(R"({"include_usage":true})"));
}

TEST(MessagesToChat, RefusesWhatAChatModelCannotBeSent) {
  auto server_tool = messages_to_chat(object(
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],
          "tools":[{"type":"web_search_20250305","name":"web_search"}]})"));
  ASSERT_FALSE(server_tool);
  EXPECT_EQ(http_status(server_tool.error()), 400);
  EXPECT_NE(server_tool.error().message.find("web_search_20250305"), std::string::npos);
  auto file = messages_to_chat(object(
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
          {"type":"image","source":{"type":"file","file_id":"f1"}}]}]})"));
  ASSERT_FALSE(file);
}

// For a call that may still go to a deployment speaking the Messages API (Claude on Anthropic,
// Bedrock, Vertex AI): what a chat completion cannot carry is left out, the first refusal kept,
// the rest translated.
TEST(MessagesToChat, LeavesOutWhatItCannotCarryWhenAskedTo) {
  const auto body = object(R"({"model":"m","max_tokens":5,
      "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2},
               {"name":"f","input_schema":{"type":"object"}}],
      "messages":[{"role":"user","content":[
        {"type":"text","text":"What is in these?"},
        {"type":"image","source":{"type":"file","file_id":"file-1"}},
        {"type":"search_result","source":"s","title":"t","content":[]},
        {"type":"tool_result","tool_use_id":"t1","content":[
          {"type":"document","source":{"type":"file","file_id":"file-2"}}]}]}]})");
  std::optional<Error> left_out;
  auto chat = messages_to_chat(body, &left_out);
  ASSERT_TRUE(chat) << chat.error().message;
  ASSERT_TRUE(left_out);
  EXPECT_EQ(http_status(*left_out), 400);
  EXPECT_NE(left_out->message.find("An image given by file id"), std::string::npos)
      << left_out->message;
  EXPECT_EQ(chat->at("messages"), json::parse(R"([
      {"role":"tool","tool_call_id":"t1","content":""},
      {"role":"user","content":[{"type":"text","text":"What is in these?"}]}])"));
  EXPECT_EQ(chat->at("tools").as_array().size(), 1u);
  EXPECT_EQ(chat->at("tools").at(0).at("function").at("name"), "f");

  std::optional<Error> server_tool;
  auto tool_only =
      object(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],
      "tools":[{"type":"code_execution_20250825","name":"code_execution"}]})");
  ASSERT_TRUE(messages_to_chat(tool_only, &server_tool));
  ASSERT_TRUE(server_tool);
  EXPECT_NE(server_tool->message.find("code_execution_20250825"), std::string::npos);
  EXPECT_EQ(server_tool->param, "tools");

  std::optional<Error> nothing;
  ASSERT_TRUE(messages_to_chat(
      object(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})"),
      &nothing));
  EXPECT_FALSE(nothing);
}

TEST(MessagesToChat, LongToolNamesAreShortenedAndNamedBack) {
  const std::string long_name = "mcp__server__" + std::string(70, 'x');
  const std::string chat_name = chat_tool_name(long_name);
  EXPECT_EQ(chat_name.size(), 64u);
  EXPECT_EQ(chat_tool_name("short"), "short");
  const auto body = object(R"({"tools":[{"name":")" + long_name + R"(","input_schema":{}}]})");
  EXPECT_EQ(client_tool_name(body, chat_name), long_name);
  EXPECT_EQ(client_tool_name(body, "other"), "other");
}

TEST(ChatAnswerToMessage, ToolCallsBecomeToolUseBlocks) {
  const auto body = object(R"({"model":"client-model","max_tokens":5,"messages":[]})");
  const Usage usage{.prompt_tokens = 82, .completion_tokens = 17, .cached_tokens = 2};
  auto message = chat_answer_to_message(
      test::read_fixture("openai/chat_completion_tool_calls.json"), usage, body);
  ASSERT_TRUE(message) << message.error().message;
  const auto parsed = json::parse(*message).as_object();
  EXPECT_EQ(parsed.at("type"), "message");
  EXPECT_EQ(parsed.at("stop_reason"), "tool_use");
  EXPECT_EQ(parsed.at("content"), json::parse(R"([{"type":"tool_use","id":"call_abc123",
      "name":"get_current_weather","input":{"location":"Boston, MA"}}])"));
  EXPECT_EQ(parsed.at("usage"), json::parse(R"({"input_tokens":80,
      "cache_creation_input_tokens":0,"cache_read_input_tokens":2,"output_tokens":17})"));
}

TEST(ChatAnswerToMessage, FinishReasonsAndAnAnswerWithoutChoices) {
  const auto body = object(R"({"model":"m"})");
  auto length = chat_answer_to_message(
      R"({"choices":[{"message":{"content":"cut"},"finish_reason":"length"}]})", {}, body);
  ASSERT_TRUE(length);
  EXPECT_EQ(json::parse(*length).at("stop_reason"), "max_tokens");
  EXPECT_EQ(json::parse(*length).at("model"), "m");
  auto filtered = chat_answer_to_message(
      R"({"choices":[{"message":{"content":""},"finish_reason":"content_filter"}]})", {}, body);
  ASSERT_TRUE(filtered);
  EXPECT_EQ(json::parse(*filtered).at("stop_reason"), "refusal");
  auto thinking = chat_answer_to_message(
      R"({"choices":[{"message":{"content":"4","reasoning_content":"2+2"},"finish_reason":"stop"}]})",
      {}, body);
  ASSERT_TRUE(thinking);
  EXPECT_EQ(json::parse(*thinking).at("content"),
            json::parse(R"([{"type":"thinking","thinking":"2+2","signature":""},
                            {"type":"text","text":"4"}])"));
  auto empty = chat_answer_to_message(R"({"choices":[]})", {}, body);
  ASSERT_FALSE(empty);
  EXPECT_EQ(http_status(empty.error()), 502);
}

// The recorded chat stream with two parallel tool calls → Anthropic's events.
TEST(MessagesStreamWriter, ToolCallStreamAsAnthropicEvents) {
  const auto body = object(R"({"model":"m","max_tokens":5,"messages":[]})");
  MessagesStreamWriter writer(body);
  std::string out;
  Usage usage;
  for (const auto& data :
       test::sse_data(test::read_fixture("openai/chat_completion_stream_tool_calls.sse"))) {
    if (data == "[DONE]") break;
    const auto chunk = object(data);
    if (const auto* reported = chunk.if_contains("usage"); reported && reported->is_object())
      usage = usage_from_json(reported);
    writer.chunk(chunk, out);
  }
  writer.finish(usage, out);
  EXPECT_TRUE(writer.finished());

  const auto events = test::sse_events(out);
  std::vector<std::string> types;
  std::map<std::int64_t, std::string> arguments;
  std::vector<json::object> starts;
  for (const auto& [event, data] : events) {
    const auto parsed = object(data);
    EXPECT_EQ(parsed.at("type").as_string(), event) << "each event line names its JSON type";
    if (types.empty() || types.back() != event || event != "content_block_delta")
      types.push_back(event);
    if (event == "content_block_start") starts.push_back(parsed.at("content_block").as_object());
    if (event == "content_block_delta") {
      EXPECT_EQ(parsed.at("delta").at("type"), "input_json_delta");
      arguments[parsed.at("index").as_int64()] += parsed.at("delta").at("partial_json").as_string();
    }
    if (event == "message_delta") {
      EXPECT_EQ(parsed.at("delta").at("stop_reason"), "tool_use");
      EXPECT_EQ(parsed.at("usage").at("output_tokens"), usage.completion_tokens);
    }
  }
  EXPECT_EQ(types, (std::vector<std::string>{
                       "message_start", "ping", "content_block_start", "content_block_delta",
                       "content_block_stop", "content_block_start", "content_block_delta",
                       "content_block_stop", "message_delta", "message_stop"}));
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].at("name"), "GetWeatherArgs");
  EXPECT_EQ(starts[0].at("id"), "call_JMW1whyEaYG438VE1OIflxA2");
  EXPECT_EQ(starts[1].at("name"), "get_stock_price");
  EXPECT_EQ(json::parse(arguments[0]),
            json::parse(R"({"city":"Edinburgh","country":"GB","units":"c"})"));
  EXPECT_EQ(json::parse(arguments[1]), json::parse(R"({"ticker":"AAPL","exchange":"NASDAQ"})"));
}

// The keys of an object, sorted.
std::vector<std::string> keys_of(const json::value& value) {
  std::vector<std::string> keys;
  for (const auto& [key, member] : value.as_object()) keys.emplace_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The translated stream has the shapes of a stream Anthropic sent (recorded): each event's keys,
// its content block's and its delta's, and the message's keys but for usage's extra details.
TEST(MessagesStreamWriter, ShapesOfARecordedAnthropicStream) {
  std::map<std::string, std::vector<std::string>> recorded;
  for (const auto& fixture :
       {"anthropic/message_stream.sse", "anthropic/message_stream_tool_use.sse"}) {
    for (const auto& [event, data] : test::sse_events(test::read_fixture(fixture))) {
      const auto parsed = json::parse(data);
      recorded[event] = keys_of(parsed);
      for (const std::string_view inner : {"content_block", "delta"}) {
        if (const auto* value = parsed.as_object().if_contains(inner)) {
          const auto type = value->as_object().if_contains("type");
          recorded[event + "." + std::string(type ? type->as_string() : inner)] = keys_of(*value);
        }
      }
    }
  }
  const auto body = object(R"({"model":"m","max_tokens":5,"messages":[]})");
  MessagesStreamWriter writer(body);
  std::string out;
  writer.chunk(object(R"({"model":"m","choices":[{"delta":{"content":"Let me check."}}]})"), out);
  writer.chunk(object(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1",
      "function":{"name":"get_weather","arguments":"{\"city\":"}}]}}]})"),
               out);
  writer.chunk(object(R"({"choices":[{"delta":{"tool_calls":[{"index":0,
      "function":{"arguments":"\"Oslo\"}"}}]},"finish_reason":"tool_calls"}]})"),
               out);
  writer.finish({.prompt_tokens = 10, .completion_tokens = 5}, out);
  std::size_t compared = 0;
  for (const auto& [event, data] : test::sse_events(out)) {
    const auto parsed = json::parse(data);
    ASSERT_TRUE(recorded.contains(event)) << event;
    EXPECT_EQ(keys_of(parsed), recorded[event]) << event;
    for (const std::string_view inner : {"content_block", "delta"}) {
      if (const auto* value = parsed.as_object().if_contains(inner)) {
        const auto type = value->as_object().if_contains("type");
        const std::string name = event + "." + std::string(type ? type->as_string() : inner);
        ASSERT_TRUE(recorded.contains(name)) << name;
        EXPECT_EQ(keys_of(*value), recorded[name]) << name;
        ++compared;
      }
    }
    if (event == "message_start") {
      auto message = parsed.at("message").as_object();
      auto recorded_message =
          json::parse(test::sse_data(test::read_fixture("anthropic/message_stream.sse"))[0])
              .at("message")
              .as_object();
      EXPECT_EQ(keys_of(message), keys_of(recorded_message));
    }
  }
  EXPECT_GE(compared, 6u);  // two block starts, their deltas, the message delta
}

TEST(MessagesStreamWriter, ThinkingThenTextAreTwoBlocks) {
  const auto body = object(R"({"model":"m"})");
  MessagesStreamWriter writer(body);
  std::string out;
  writer.chunk(object(R"({"choices":[{"delta":{"reasoning_content":"Let me see."}}]})"), out);
  writer.chunk(object(R"({"choices":[{"delta":{"content":"Yes."},"finish_reason":"stop"}]})"), out);
  writer.finish({}, out);
  std::vector<std::string> deltas;
  for (const auto& [event, data] : test::sse_events(out)) {
    if (event == "content_block_delta")
      deltas.push_back(std::string(object(data).at("delta").at("type").as_string()));
  }
  EXPECT_EQ(deltas, (std::vector<std::string>{"thinking_delta", "text_delta"}));
  EXPECT_NE(out.find(R"("stop_reason":"end_turn")"), std::string::npos);
}

TEST(MessagesErrors, AnthropicsShapeAndStatuses) {
  const Error limited = make_error(ErrorKind::rate_limited, "slow down");
  EXPECT_EQ(messages_error_status(limited), 429);
  EXPECT_EQ(
      json::parse(messages_error_body(limited)),
      json::parse(R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"));
  Error overloaded = make_error(ErrorKind::upstream_failed, "busy");
  overloaded.type = "overloaded_error";
  EXPECT_EQ(messages_error_status(overloaded), 529);
  EXPECT_EQ(messages_stream_error(overloaded).rfind("event: error\ndata: ", 0), 0u);
  const auto type_of = [](ErrorKind kind) {
    return std::string(
        json::parse(messages_error_body(make_error(kind, "x"))).at("error").at("type").as_string());
  };
  EXPECT_EQ(type_of(ErrorKind::invalid_request), "invalid_request_error");
  EXPECT_EQ(type_of(ErrorKind::unauthenticated), "authentication_error");
  EXPECT_EQ(type_of(ErrorKind::forbidden), "permission_error");
  EXPECT_EQ(type_of(ErrorKind::model_not_found), "not_found_error");
  EXPECT_EQ(type_of(ErrorKind::upstream_failed), "api_error");
}

TEST(CountTokens, GrowsWithThePrompt) {
  auto short_count =
      estimated_token_count(object(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"));
  auto long_count = estimated_token_count(object(
      R"({"model":"m","system":"You are a helpful assistant who answers at length.",
          "messages":[{"role":"user","content":"Tell me about the history of Edinburgh."}]})"));
  ASSERT_TRUE(short_count && long_count);
  const auto small = json::parse(*short_count).at("input_tokens").as_int64();
  const auto large = json::parse(*long_count).at("input_tokens").as_int64();
  EXPECT_GT(small, 0);
  EXPECT_GT(large, small);
}

// Anthropic counts a call with server tools or files by id: the estimate leaves them out.
TEST(CountTokens, CountsACallWithServerTools) {
  auto count = estimated_token_count(object(R"({"model":"m",
      "tools":[{"type":"web_search_20250305","name":"web_search"}],
      "messages":[{"role":"user","content":[{"type":"text","text":"Search the news."},
        {"type":"image","source":{"type":"file","file_id":"file-1"}}]}]})"));
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_GT(json::parse(*count).at("input_tokens").as_int64(), 0);
}

}  // namespace
}  // namespace llmux::api
