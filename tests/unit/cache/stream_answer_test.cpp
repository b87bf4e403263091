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

}  // namespace
}  // namespace llmux::cache
