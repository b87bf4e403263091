#include "cache/stream_answer.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

namespace json = boost::json;

constexpr std::string_view kAnswer =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"gpt",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},)"
    R"("logprobs":null,"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

std::vector<json::value> events_of(std::string_view frames) {
  std::vector<json::value> events;
  std::size_t start = 0;
  for (std::size_t end; (end = frames.find("\n\n", start)) != std::string_view::npos;
       start = end + 2) {
    std::string_view event = frames.substr(start, end - start);
    EXPECT_TRUE(event.starts_with("data: ")) << event;
    event.remove_prefix(6);
    events.push_back(event == "[DONE]" ? json::value("[DONE]") : json::parse(event));
  }
  EXPECT_EQ(start, frames.size()) << "every frame ends with a blank line";
  return events;
}

TEST(StreamFrames, ReplaysAWholeAnswerAsChunks) {
  auto frames = stream_frames(kAnswer, false);
  ASSERT_TRUE(frames);
  const auto events = events_of(*frames);
  ASSERT_EQ(events.size(), 3u);
  const auto& content = events[0].as_object();
  EXPECT_EQ(content.at("object"), "chat.completion.chunk");
  EXPECT_EQ(content.at("id"), "chatcmpl-1");
  const auto& delta = content.at("choices").as_array()[0].at("delta").as_object();
  EXPECT_EQ(delta.at("content"), "Hello there");
  EXPECT_EQ(delta.at("role"), "assistant");
  EXPECT_TRUE(content.at("choices").as_array()[0].at("finish_reason").is_null());
  EXPECT_EQ(events[1].at("choices").as_array()[0].at("finish_reason"), "stop");
  EXPECT_EQ(events[2], "[DONE]");
}

TEST(StreamFrames, AddsTheUsageChunkWhenAsked) {
  auto frames = stream_frames(kAnswer, true);
  ASSERT_TRUE(frames);
  const auto events = events_of(*frames);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(events[2].at("choices").as_array().empty());
  EXPECT_EQ(events[2].at("usage").at("total_tokens"), 5);
}

TEST(StreamFrames, ReplaysToolCallsWithTheirPositionAndLeavesNullMembersOut) {
  auto frames = stream_frames(
      R"({"id":"c","object":"chat.completion","created":7,"model":"gpt","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
      R"("function":{"name":"f","arguments":"{\"a\":1}"}},{}]},"finish_reason":"tool_calls"}]})",
      false);
  ASSERT_TRUE(frames);
  const auto events = events_of(*frames);
  ASSERT_EQ(events.size(), 3u);
  const auto& delta = events[0].at("choices").as_array()[0].at("delta").as_object();
  EXPECT_FALSE(delta.contains("content")) << "null members are left out of the delta";
  const auto& calls = delta.at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("index"), 0);
  EXPECT_EQ(calls[0].at("id"), "call_1");
  EXPECT_EQ(calls[0].at("function").at("arguments"), R"({"a":1})");
  EXPECT_EQ(calls[1].at("index"), 1);
  EXPECT_EQ(events[1].at("choices").as_array()[0].at("finish_reason"), "tool_calls");
}

TEST(StreamFrames, ReplaysATextCompletion) {
  auto frames = stream_frames(
      R"({"id":"t","object":"text_completion","created":1,"model":"m","choices":[{"index":0,)"
      R"("text":"Hi \"you\"","logprobs":null,"finish_reason":"length"}]})",
      false);
  ASSERT_TRUE(frames);
  const auto events = events_of(*frames);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at("object"), "text_completion");
  EXPECT_EQ(events[0].at("choices").as_array()[0].at("text"), "Hi \"you\"");
  EXPECT_EQ(events[1].at("choices").as_array()[0].at("text"), "");
  EXPECT_EQ(events[1].at("choices").as_array()[0].at("finish_reason"), "length");
}

// A provider's answer may be pretty printed: each replayed event is still one line, and the
// whitespace inside strings stays.
TEST(StreamFrames, APrettyPrintedAnswerReplaysAsOneLinePerEvent) {
  auto frames = stream_frames(
      "{\n  \"id\": \"c\",\n  \"object\": \"chat.completion\",\n  \"created\": 7,\n"
      "  \"choices\": [\n    {\n      \"index\": 0,\n      \"message\": {\n"
      "        \"role\": \"assistant\",\n        \"content\": \"a  \\\"b\\\" \\\\\",\n"
      "        \"annotations\": [ ]\n      },\n      \"finish_reason\": \"stop\"\n    }\n  ],\n"
      "  \"usage\": {\n    \"prompt_tokens\": 1,\n    \"completion_tokens\": 2,\n"
      "    \"total_tokens\": 3\n  }\n}\n",
      true);
  ASSERT_TRUE(frames);
  const auto events = events_of(*frames);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].at("choices").as_array()[0].at("delta").at("content"), "a  \"b\" \\");
  EXPECT_EQ(events[1].at("choices").as_array()[0].at("finish_reason"), "stop");
  EXPECT_EQ(events[2].at("usage").at("total_tokens"), 3);
}

TEST(StreamFrames, RefusesWhatIsNotACompletion) {
  EXPECT_FALSE(stream_frames(R"({"object":"list","data":[]})", false));
  EXPECT_FALSE(stream_frames("not json", false));
}

TEST(StreamAssembler, AStreamBecomesTheWholeAnswerItStandsFor) {
  StreamAssembler assembler;
  // Split mid-event, as frames may arrive.
  const std::string stream =
      R"(data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"gpt","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]})"
      "\n\n"
      R"(data: {"id":"c","object":"chat.completion.chunk","created":7,"model":"gpt","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]})"
      "\n\ndata: [DONE]\n\n";
  assembler.feed(stream.substr(0, 50));
  assembler.feed(stream.substr(50));
  auto whole = assembler.finish(api::Usage{.prompt_tokens = 4, .completion_tokens = 2});
  ASSERT_TRUE(whole);
  const json::value answer = json::parse(*whole);
  EXPECT_EQ(answer.at("object"), "chat.completion");
  EXPECT_EQ(answer.at("choices").as_array()[0].at("message").at("content"), "Hello");
  EXPECT_EQ(answer.at("choices").as_array()[0].at("finish_reason"), "stop");
  EXPECT_EQ(answer.at("usage").at("prompt_tokens"), 4) << "the counted usage stands in";
  // And it replays as a stream with the same content.
  auto frames = stream_frames(*whole, false);
  ASSERT_TRUE(frames);
  EXPECT_NE(frames->find("\"content\":\"Hello\""), std::string::npos);
}

TEST(StreamAssembler, AnErrorEventOrNoChunkIsNothingToStore) {
  StreamAssembler failed;
  failed.feed("data: {\"error\":{\"message\":\"boom\"}}\n\n");
  EXPECT_FALSE(failed.finish({}));
  StreamAssembler empty;
  empty.feed("data: [DONE]\n\n");
  EXPECT_FALSE(empty.finish({}));
}

std::string frame(std::string_view data) { return "data: " + std::string(data) + "\n\n"; }

// Strings are joined as their JSON text: an escape cut between two chunks' pieces (here the two
// halves of a surrogate pair, and a quote) comes out as the joined string.
TEST(StreamAssembler, JoinsEscapedTextToolCallsAndChoicesAndKeepsTheUsageChunk) {
  StreamAssembler assembler;
  const std::string head =
      R"("id":"c","object":"chat.completion.chunk","created":7,"model":"gpt",)";
  assembler.feed(
      frame(
          "{" + head +
          R"("choices":[{"index":0,"delta":{"role":"assistant","content":"say \"hi\" \ud83d"},"finish_reason":null},)"
          R"({"index":1,"delta":{"content":"two"},"finish_reason":null}]})") +
      frame("{" + head +
            R"("choices":[{"index":0,"delta":{"content":"\ude00"},"finish_reason":null}]})") +
      frame(
          "{" + head +
          R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"ci"}}]},"finish_reason":null}]})") +
      frame(
          "{" + head +
          R"("choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Oslo\"}"}}]},"finish_reason":"tool_calls"}]})") +
      frame("{" + head + R"("choices":[{"index":1,"delta":{},"finish_reason":"stop"}]})") +
      frame(
          "{" + head +
          R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}})") +
      frame("[DONE]"));
  auto whole = assembler.finish(api::Usage{.prompt_tokens = 1, .completion_tokens = 1});
  ASSERT_TRUE(whole);
  const json::value answer = json::parse(*whole);
  EXPECT_EQ(answer.at("id"), "c");
  EXPECT_EQ(answer.at("created"), 7);
  EXPECT_EQ(answer.at("model"), "gpt");
  const json::array& choices = answer.at("choices").as_array();
  ASSERT_EQ(choices.size(), 2u);
  const json::value& first = choices[0].at("message");
  EXPECT_EQ(first.at("content"), "say \"hi\" \xF0\x9F\x98\x80");
  const json::value& call = first.at("tool_calls").as_array()[0];
  EXPECT_EQ(call.at("id"), "call_1");
  EXPECT_EQ(call.at("function").at("name"), "get_weather");
  EXPECT_EQ(call.at("function").at("arguments"), R"({"city":"Oslo"})");
  EXPECT_EQ(choices[0].at("finish_reason"), "tool_calls");
  EXPECT_EQ(choices[1].at("index"), 1);
  EXPECT_EQ(choices[1].at("message").at("content"), "two");
  EXPECT_EQ(choices[1].at("finish_reason"), "stop");
  EXPECT_EQ(answer.at("usage").at("total_tokens"), 14) << "the stream's own usage wins";
}

TEST(StreamAssembler, ATextCompletionStreamBecomesATextCompletion) {
  StreamAssembler assembler;
  assembler.feed(frame(
      R"({"id":"t","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"Hel","logprobs":null,"finish_reason":null}]})"));
  assembler.feed(frame(
      R"({"id":"t","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"lo","logprobs":null,"finish_reason":"length"}]})"));
  auto whole = assembler.finish(api::Usage{.prompt_tokens = 2, .completion_tokens = 2});
  ASSERT_TRUE(whole);
  const json::value answer = json::parse(*whole);
  EXPECT_EQ(answer.at("object"), "text_completion");
  EXPECT_EQ(answer.at("choices").as_array()[0].at("text"), "Hello");
  EXPECT_EQ(answer.at("choices").as_array()[0].at("finish_reason"), "length");
  EXPECT_EQ(answer.at("usage").at("completion_tokens"), 2);
}

TEST(StreamAssembler, LogProbabilitiesOrAChunkThatIsNotJsonAreNothingToStore) {
  StreamAssembler with_logprobs;
  with_logprobs.feed(frame(
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]},"finish_reason":"stop"}]})"));
  EXPECT_FALSE(with_logprobs.finish({}));
  StreamAssembler broken;
  broken.feed(frame(
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"}}]})"));
  broken.feed(frame(R"({"id":"c","choices":[{"index":0,"delta":{"content":"b"})"));
  EXPECT_FALSE(broken.finish({}));
}

}  // namespace
}  // namespace llmux::cache
