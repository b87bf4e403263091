#include "api/responses.hpp"

#include "dialect_test.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <optional>
#include <string>
#include <vector>

namespace llmux::api {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) { return json::parse(text).as_object(); }

Error rejection(std::string_view body) {
  auto valid = validate_responses_body(object(body));
  if (valid) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return valid.error();
}

TEST(ResponsesValidation, NamesTheParameter) {
  EXPECT_EQ(rejection(R"({"model":"m"})").param, "input");
  EXPECT_EQ(rejection(R"({"model":"m","input":5})").param, "input");
  EXPECT_EQ(rejection(R"({"model":"m","input":[{"type":"function_call","name":"f"}]})").param,
            "input");
  EXPECT_EQ(rejection(R"({"model":"m","input":"hi","max_output_tokens":"many"})").param,
            "max_output_tokens");
  EXPECT_EQ(rejection(R"({"model":"m","input":"hi","tools":[{"name":"f"}]})").param, "tools");
  EXPECT_EQ(rejection(R"({"model":"m","input":"hi","text":"json"})").param, "text");
  EXPECT_TRUE(validate_responses_body(object(R"({"model":"m","input":"hi"})")));
  EXPECT_TRUE(
      validate_responses_body(object(R"({"model":"m","input":[{"role":"user","content":"hi"}]})")));
}

TEST(ResponsesToChat, ItemsBecomeMessages) {
  const auto body = object(R"({
    "model": "m", "instructions": "Be brief.", "max_output_tokens": 40, "temperature": 0.1,
    "reasoning": {"effort": "low"}, "user": "u-2",
    "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"},
                        "strict": true}},
    "tools": [{"type": "function", "name": "weather", "parameters": {"type": "object"}}],
    "tool_choice": {"type": "function", "name": "weather"},
    "input": [
      {"role": "developer", "content": "Use metric units."},
      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Oslo?"},
        {"type": "input_image", "image_url": "https://example.test/a.png"}]},
      {"type": "reasoning", "id": "rs_1", "summary": []},
      {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{\"city\":\"Oslo\"}"},
      {"type": "function_call", "call_id": "c2", "name": "weather", "arguments": "{\"city\":\"Bergen\"}"},
      {"type": "function_call_output", "call_id": "c1", "output": "3C"},
      {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "5C"}]}
    ]})");
  auto chat = responses_to_chat(body);
  ASSERT_TRUE(chat) << chat.error().message;
  EXPECT_EQ(json::value(*chat), json::parse(R"({
    "model": "m",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "system", "content": "Use metric units."},
      {"role": "user", "content": [{"type": "text", "text": "Oslo?"},
        {"type": "image_url", "image_url": {"url": "https://example.test/a.png"}}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}},
        {"id": "c2", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Bergen\"}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "3C"},
      {"role": "tool", "tool_call_id": "c2", "content": "5C"}
    ],
    "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "weather"}},
    "max_tokens": 40, "temperature": 0.1, "user": "u-2",
    "response_format": {"type": "json_schema", "json_schema": {"name": "out",
      "schema": {"type": "object"}, "strict": true}},
    "reasoning_effort": "low"})"));
}

TEST(ResponsesToChat, RefusesBuiltInTools) {
  auto chat = responses_to_chat(
      object(R"({"model":"m","input":"hi","tools":[{"type":"web_search_preview"}]})"));
  ASSERT_FALSE(chat);
  EXPECT_EQ(chat.error().param, "tools");
  EXPECT_EQ(http_status(chat.error()), 400);
}

// For a call that may still go to a deployment speaking the Responses API: what a chat completion
// cannot carry is left out, the first refusal kept, the rest translated.
TEST(ResponsesToChat, LeavesOutWhatItCannotCarryWhenAskedTo) {
  const auto body = object(R"({"model":"m","tools":[{"type":"web_search"},
      {"type":"function","name":"f","parameters":{"type":"object"}}],
    "input":[{"type":"item_reference","id":"msg_1"},
             {"role":"user","content":[{"type":"input_text","text":"What is this?"},
                                       {"type":"input_image","file_id":"file-1"}]}]})");
  ASSERT_FALSE(responses_to_chat(body)) << "refused when nothing may be left out";
  std::optional<Error> left_out;
  auto chat = responses_to_chat(body, &left_out);
  ASSERT_TRUE(chat) << chat.error().message;
  ASSERT_TRUE(left_out);
  EXPECT_EQ(http_status(*left_out), 400);
  EXPECT_THAT(left_out->message, ::testing::HasSubstr("item_reference"));
  EXPECT_EQ(chat->at("messages"),
            json::parse(R"([{"role":"user","content":[{"type":"text","text":"What is this?"}]}])"));
  EXPECT_EQ(chat->at("tools").as_array().size(), 1u);
  EXPECT_EQ(chat->at("tools").at(0).at("function").at("name"), "f");

  std::optional<Error> nothing;
  ASSERT_TRUE(responses_to_chat(object(R"({"model":"m","input":"hi"})"), &nothing));
  EXPECT_FALSE(nothing);
}

// A deployment speaking the Responses API is sent the conversation the gateway keeps: nothing is
// stored upstream, and a stored item goes by its content, never by its id.
TEST(ResponsesPassThroughBody, StoresNothingUpstreamAndReplaysStoredItemsByContent) {
  const auto body = object(R"({"model":"m","previous_response_id":"resp_1","store":true,
    "include":["reasoning.encrypted_content"],
    "input":[{"type":"message","id":"msg_in","role":"user","content":"Hi","status":"completed"},
             {"type":"reasoning","id":"rs_1","summary":[]},
             {"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"gAAA"},
             {"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}",
              "status":"completed"},
             {"type":"function_call_output","id":"fco_client","call_id":"call_1","output":"ok"}]})");
  const auto sent = responses_pass_through_body(body, 4);
  EXPECT_FALSE(sent.contains("previous_response_id"));
  EXPECT_EQ(sent.at("store"), false);
  EXPECT_EQ(sent.at("include"), body.at("include"));
  EXPECT_EQ(sent.at("input"), json::parse(R"([
    {"type":"message","role":"user","content":"Hi"},
    {"type":"reasoning","summary":[],"encrypted_content":"gAAA"},
    {"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},
    {"type":"function_call_output","id":"fco_client","call_id":"call_1","output":"ok"}])"))
      << "the client's own items go as they are";

  const auto fresh = responses_pass_through_body(object(R"({"model":"m","input":"Hi"})"), 0);
  EXPECT_EQ(fresh, object(R"({"model":"m","input":"Hi","store":false})"));
}

TEST(ChatAnswerToResponse, MessageFunctionCallsStatusAndUsage) {
  const auto body = object(R"({"model":"client-model","input":"hi","max_output_tokens":9})");
  auto response = chat_answer_to_response(
      test::read_fixture("openai/chat_completion_tool_calls.json"),
      Usage{.prompt_tokens = 82, .completion_tokens = 17, .cached_tokens = 4}, body, "resp_1");
  ASSERT_TRUE(response) << response.error().message;
  const auto parsed = json::parse(*response).as_object();
  EXPECT_EQ(parsed.at("id"), "resp_1");
  EXPECT_EQ(parsed.at("object"), "response");
  EXPECT_EQ(parsed.at("status"), "completed");
  EXPECT_EQ(parsed.at("max_output_tokens"), 9);
  const auto& output = parsed.at("output").as_array();
  ASSERT_EQ(output.size(), 1u);
  EXPECT_EQ(output[0].at("type"), "function_call");
  EXPECT_EQ(output[0].at("call_id"), "call_abc123");
  EXPECT_EQ(output[0].at("name"), "get_current_weather");
  EXPECT_EQ(parsed.at("usage"), json::parse(R"({"input_tokens":82,
      "input_tokens_details":{"cached_tokens":4},"output_tokens":17,
      "output_tokens_details":{"reasoning_tokens":0},"total_tokens":99})"));

  auto reasoned = chat_answer_to_response(
      R"({"choices":[{"message":{"content":"4","reasoning_content":"2+2"},"finish_reason":"stop"}]})",
      {}, body, "resp_2");
  ASSERT_TRUE(reasoned);
  const auto reasoned_output = json::parse(*reasoned).at("output");
  EXPECT_EQ(reasoned_output.at(0).at("type"), "reasoning");
  EXPECT_EQ(reasoned_output.at(0).at("summary"),
            json::parse(R"([{"type":"summary_text","text":"2+2"}])"));
  EXPECT_EQ(reasoned_output.at(1).at("content").at(0).at("text"), "4");

  auto cut = chat_answer_to_response(
      R"({"choices":[{"message":{"content":"partial"},"finish_reason":"length"}]})", {}, body,
      "resp_3");
  ASSERT_TRUE(cut);
  const auto incomplete = json::parse(*cut);
  EXPECT_EQ(incomplete.at("status"), "incomplete");
  EXPECT_EQ(incomplete.at("incomplete_details").at("reason"), "max_output_tokens");
  EXPECT_EQ(incomplete.at("output").at(0).at("content").at(0).at("text"), "partial");
}

// Feeds a recorded chat stream to a writer; returns the events' (type, data).
std::vector<std::pair<std::string, std::string>> translated_stream(const json::object& body,
                                                                   const std::string& fixture) {
  ResponsesStreamWriter writer(body, "resp_stream");
  std::string out;
  Usage usage;
  for (const auto& data : test::sse_data(test::read_fixture(fixture))) {
    if (data == "[DONE]") break;
    const auto chunk = object(data);
    if (const auto* reported = chunk.if_contains("usage"); reported && reported->is_object())
      usage = usage_from_json(reported);
    writer.chunk(chunk, out);
  }
  writer.finish(usage, out);
  // The last event carries the whole response, as it is kept for GET /v1/responses/{id}.
  const auto events = test::sse_events(out);
  EXPECT_EQ(object(events.back().second).at("response"), json::parse(writer.final_response()));
  return events;
}

TEST(ResponsesStreamWriter, TextStreamEventsInOrderAndNumbered) {
  const auto body = object(R"({"model":"m","input":"hi"})");
  const auto events = translated_stream(body, "openai/chat_completion_stream.sse");
  std::vector<std::string> types;
  std::string text;
  std::int64_t expected_sequence = 0;
  for (const auto& [type, data] : events) {
    const auto parsed = object(data);
    EXPECT_EQ(parsed.at("type").as_string(), type);
    EXPECT_EQ(parsed.at("sequence_number"), expected_sequence++);
    if (type == "response.output_text.delta") {
      text += parsed.at("delta").as_string();
      continue;  // one entry for the run of deltas
    }
    types.push_back(type);
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"response.created", "response.in_progress",
                                      "response.output_item.added", "response.content_part.added",
                                      "response.output_text.done", "response.content_part.done",
                                      "response.output_item.done", "response.completed"}));
  const auto completed = object(events.back().second).at("response");
  EXPECT_EQ(completed.at("status"), "completed");
  EXPECT_EQ(completed.at("output").at(0).at("content").at(0).at("text").as_string(), text);
  EXPECT_EQ(completed.at("usage").at("input_tokens"), 14);
  EXPECT_EQ(completed.at("id"), "resp_stream");
  EXPECT_EQ(object(events.front().second).at("response").at("id"), "resp_stream");
}

TEST(ResponsesStreamWriter, ParallelToolCallsAreFunctionCallItems) {
  const auto body = object(R"({"model":"m","input":"hi"})");
  const auto events = translated_stream(body, "openai/chat_completion_stream_tool_calls.sse");
  const auto completed = object(events.back().second).at("response");
  const auto& output = completed.at("output").as_array();
  ASSERT_EQ(output.size(), 2u);
  EXPECT_EQ(output[0].at("name"), "GetWeatherArgs");
  EXPECT_EQ(json::parse(output[0].at("arguments").as_string()),
            json::parse(R"({"city":"Edinburgh","country":"GB","units":"c"})"));
  EXPECT_EQ(output[1].at("call_id"), "call_DNYTawLBoN8fj3KN6qU9N1Ou");
  EXPECT_EQ(json::parse(output[1].at("arguments").as_string()),
            json::parse(R"({"ticker":"AAPL","exchange":"NASDAQ"})"));
  int argument_deltas = 0;
  for (const auto& [type, data] : events)
    argument_deltas += type == "response.function_call_arguments.delta";
  EXPECT_GT(argument_deltas, 4);
}

TEST(ResponsesStreamWriter, ReasoningThenTextAreTwoItems) {
  const auto body = object(R"({"model":"m","input":"hi"})");
  ResponsesStreamWriter writer(body, "resp_reasoning");
  std::string out;
  writer.chunk(object(R"({"choices":[{"delta":{"reasoning_content":"2+2"}}]})"), out);
  writer.chunk(object(R"({"choices":[{"delta":{"reasoning_content":" is 4"}}]})"), out);
  writer.chunk(object(R"({"choices":[{"delta":{"content":"4"},"finish_reason":"stop"}]})"), out);
  writer.finish({}, out);
  std::vector<std::string> types;
  for (const auto& [type, data] : test::sse_events(out)) types.push_back(type);
  EXPECT_EQ(types,
            (std::vector<std::string>{
                "response.created", "response.in_progress", "response.output_item.added",
                "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed"}));
  const auto completed = object(test::sse_events(out).back().second).at("response");
  EXPECT_EQ(completed.at("output").at(0).at("summary"),
            json::parse(R"([{"type":"summary_text","text":"2+2 is 4"}])"));
  EXPECT_EQ(completed.at("output").at(1).at("content").at(0).at("text"), "4");
}

TEST(ResponsesStreamError, NumberedAfterTheLastEvent) {
  const auto event = responses_stream_error(make_error(ErrorKind::rate_limited, "slow down"), 7);
  const auto events = test::sse_events(event);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "error");
  EXPECT_EQ(json::parse(events[0].second), json::parse(R"({"type":"error",
      "code":"rate_limit_exceeded","message":"slow down","param":null,"sequence_number":7})"));
}

}  // namespace
}  // namespace llmux::api
