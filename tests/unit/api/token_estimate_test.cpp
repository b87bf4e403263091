#include "api/token_estimate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace llmux::api {
namespace {

TEST(EstimateTokens, PiecesAsGptTokenizersSplitThem) {
  EXPECT_EQ(estimate_tokens(""), 0);
  // "Hello" "!" " How" " can" " I" " assist" " you" " today" "?": 9 tokens in cl100k and o200k.
  EXPECT_EQ(estimate_tokens("Hello! How can I assist you today?"), 9);
  EXPECT_EQ(estimate_tokens("1234567"), 3) << "digits in groups of three";
  EXPECT_EQ(estimate_tokens("a\n\n  b"), 3) << "a run of line breaks and spaces is one piece";
  EXPECT_EQ(estimate_tokens("supercalifragilistic"), 4) << "a long word splits";
  EXPECT_EQ(estimate_tokens("日本語"), 3) << "one per ideograph";
}

TEST(EstimateTokens, CloseToTheRecordedCountOfAnOpenAiStream) {
  // tests/fixtures/wire/openai/chat_completion_stream.sse: 30 completion tokens.
  const auto tokens = estimate_tokens(
      "I'm unable to provide real-time weather updates. To get the current weather in San "
      "Francisco, "
      "I recommend checking a reliable weather website or a weather app.");
  EXPECT_NEAR(static_cast<double>(tokens), 30.0, 3.0);
}

TEST(TokenEstimator, AnySplitGivesTheSameCount) {
  const std::string text =
      "Ünïcödé wörds, 12345 numbers; 日本語 and\r\n  punctuation!!! (parens) end";
  const auto whole = estimate_tokens(text);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    TokenEstimator estimator;
    estimator.add(text.substr(0, cut));
    estimator.add(text.substr(cut));
    EXPECT_EQ(estimator.count(), whole) << "cut at " << cut;
  }
  TokenEstimator bytewise;
  for (char c : text) bytewise.add(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.count(), whole);
}

TEST(TokenEstimator, BrokenUtf8IsCountedNotFatal) {
  EXPECT_GT(estimate_tokens("abc\xff\xfe def \xe6\x97"), 0);
}

Request chat(std::string_view body) {
  auto request = parse_request(Endpoint::chat_completions, body);
  if (!request) throw std::runtime_error(request.error().message);
  return std::move(*request);
}

TEST(EstimatePromptTokens, MessagesRolesAndPriming) {
  // 3 priming + (3 + "user" 1 + "Say hello." 3) = 10.
  EXPECT_EQ(estimate_prompt_tokens(
                chat(R"({"model":"m","messages":[{"role":"user","content":"Say hello."}]})")),
            10);
  const auto with_parts = estimate_prompt_tokens(chat(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"Say hello."},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]})"));
  EXPECT_EQ(with_parts, 10 + 85);
  const auto with_tools = estimate_prompt_tokens(chat(
      R"({"model":"m","messages":[{"role":"user","content":"Say hello."}],"tools":[{"type":"function","function":{"name":"get_weather"}}]})"));
  EXPECT_GT(with_tools, 10);
}

TEST(RequestedMaxTokens, MaxCompletionTokensElseMaxTokensWhenPositive) {
  EXPECT_EQ(requested_max_tokens(chat(
                R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":70})")),
            70);
  EXPECT_EQ(
      requested_max_tokens(chat(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":70,"max_completion_tokens":30})")),
      30);
  EXPECT_EQ(
      requested_max_tokens(chat(R"({"model":"m","messages":[{"role":"user","content":"x"}]})")),
      std::nullopt);
  EXPECT_EQ(requested_max_tokens(
                chat(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})")),
            std::nullopt);
}

TEST(EstimatePromptTokens, LegacyPromptsAndEmbeddingInputs) {
  auto completion =
      parse_request(Endpoint::completions, R"({"model":"m","prompt":"Say this is a test"})");
  ASSERT_TRUE(completion);
  EXPECT_EQ(estimate_prompt_tokens(*completion), 5);
  auto embedding =
      parse_request(Endpoint::embeddings, R"({"model":"m","input":["hello world","again"]})");
  ASSERT_TRUE(embedding);
  EXPECT_EQ(estimate_prompt_tokens(*embedding), 3);
  auto rerank = parse_request(Endpoint::rerank,
                              R"({"model":"m","query":"hello world","documents":["again"]})");
  ASSERT_TRUE(rerank);
  EXPECT_EQ(estimate_prompt_tokens(*rerank), 3) << "the query and the documents";
}

TEST(CompletionTokenCounter, CountsDeltaTextAndToolArgumentsOfFrames) {
  CompletionTokenCounter counter;
  counter.add_frames(
      R"(data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hello!"}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":" How can I"}}]})"
      "\n\n");
  counter.add_frames(R"(data: {"choices":[{"index":0,"delta":{"content":" assist you today?"}}]})"
                     "\n\n"
                     "data: [DONE]\n\n");
  EXPECT_EQ(counter.count(), 9);
  CompletionTokenCounter tools;
  tools.add_frames(
      R"(data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"city\": \"Paris\"}"}}]}}]})"
      "\n\n");
  EXPECT_EQ(tools.count(), estimate_tokens(R"({"city": "Paris"})"));
  CompletionTokenCounter nothing;
  nothing.add_frames(R"(data: {"choices":[{"delta":{"content":null},"finish_reason":"stop"}]})"
                     "\n\n");
  EXPECT_EQ(nothing.count(), 0);
}

}  // namespace
}  // namespace llmux::api
