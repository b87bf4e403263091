#include "providers/mock_response.hpp"

#include "provider_test.hpp"

namespace llmux::providers {
namespace {

constexpr std::string_view kChat =
    R"({"model":"mock-gpt","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there"}]})";
constexpr std::string_view kText = "Hello from the mock";  // 4 tokens (api/token_estimate)

Target mock_target(std::string_view text) {
  Target target;
  target.mock_response = text;
  return target;
}

// What a client gets from a mock_response deployment: encoded, answered in process (the call's
// body is the answer) and decoded as any upstream's answer.
Reply mock_reply(const api::Request& request, std::string_view text,
                 std::string_view client_model) {
  const Provider& provider = mock_response_provider();
  auto call = provider.encode(request, mock_target(text));
  EXPECT_TRUE(call);
  EXPECT_TRUE(call->url.starts_with(kLocalScheme));
  auto reply = provider.decode(request, call->body, client_model);
  EXPECT_TRUE(reply);
  return *reply;
}

std::string mock_stream(api::Request request, std::string_view text, std::string_view client_model,
                        api::Usage& usage) {
  request.stream = true;
  const Provider& provider = mock_response_provider();
  auto call = provider.encode(request, mock_target(text));
  EXPECT_TRUE(call);
  const test_support::StreamRun run =
      test_support::run_stream(provider, request, {call->body}, client_model);
  EXPECT_FALSE(run.error);
  usage = run.usage;
  return run.out;
}

// The JSON of every "data:" frame but [DONE], which must be the last frame.
std::vector<json::object> stream_chunks(std::string_view out) {
  std::vector<json::object> chunks;
  bool saw_done = false;
  for (const std::string& frame : test_support::frames(out)) {
    EXPECT_FALSE(saw_done) << "a frame after [DONE]";
    if (frame == "[DONE]")
      saw_done = true;
    else
      chunks.push_back(json::parse(frame).as_object());
  }
  EXPECT_TRUE(saw_done);
  return chunks;
}

TEST(MockReply, ChatCompletion) {
  const Reply reply =
      mock_reply(parsed_request(api::Endpoint::chat_completions, kChat), kText, "client-name");
  const json::object body = json::parse(reply.body).as_object();
  EXPECT_EQ(body.at("object"), "chat.completion");
  EXPECT_EQ(body.at("model"), "client-name");
  EXPECT_THAT(std::string(body.at("id").as_string()), ::testing::StartsWith("chatcmpl-"));
  EXPECT_GT(body.at("created").as_int64(), 1700000000);
  ASSERT_EQ(body.at("choices").as_array().size(), 1u);
  EXPECT_EQ(body.at("choices").at(0),
            json::parse(R"({"index":0,"finish_reason":"stop","logprobs":null,
                           "message":{"role":"assistant","content":"Hello from the mock","refusal":null}})"));
  // Prompt: 3 priming + (3 + "system" + "Be brief.") + (3 + "user" + "Hi there") = 3 + 7 + 6.
  EXPECT_EQ(body.at("usage"),
            json::parse(R"({"prompt_tokens":16,"completion_tokens":4,"total_tokens":20})"));
  EXPECT_TRUE(reply.usage.reported);
  EXPECT_EQ(reply.usage.prompt_tokens, 16);
  EXPECT_EQ(reply.usage.completion_tokens, 4);
  EXPECT_EQ(reply.usage.total_tokens, 20);
}

TEST(MockReply, TextCompletion) {
  const Reply reply = mock_reply(
      parsed_request(api::Endpoint::completions, R"({"model":"m","prompt":"Say hi"})"), kText, "m");
  const json::object body = json::parse(reply.body).as_object();
  EXPECT_EQ(body.at("object"), "text_completion");
  EXPECT_THAT(std::string(body.at("id").as_string()), ::testing::StartsWith("cmpl-"));
  EXPECT_EQ(
      body.at("choices").at(0),
      json::parse(
          R"({"index":0,"finish_reason":"stop","logprobs":null,"text":"Hello from the mock"})"));
  EXPECT_EQ(reply.usage.prompt_tokens, 2);  // "Say" " hi"
  EXPECT_EQ(reply.usage.total_tokens, 6);
}

TEST(MockReply, IdsDiffer) {
  const api::Request request = parsed_request(api::Endpoint::chat_completions, kChat);
  EXPECT_NE(json::parse(mock_reply(request, kText, "m").body).at("id"),
            json::parse(mock_reply(request, kText, "m").body).at("id"));
}

TEST(MockStream, ChatShape) {
  api::Usage usage;
  const auto chunks = stream_chunks(mock_stream(
      parsed_request(api::Endpoint::chat_completions, kChat), kText, "client-name", usage));
  ASSERT_EQ(chunks.size(), 5u);  // "Hello ", "from ", "the ", "mock", finish
  std::string content;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& chunk = chunks[i];
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("model"), "client-name");
    EXPECT_EQ(chunk.at("id"), chunks[0].at("id"));
    EXPECT_EQ(chunk.at("created"), chunks[0].at("created"));
    EXPECT_FALSE(chunk.contains("usage"));
    const auto& choice = chunk.at("choices").at(0).as_object();
    const auto& delta = choice.at("delta").as_object();
    EXPECT_EQ(delta.contains("role"), i == 0);  // the role on the first chunk only
    if (const auto* piece = delta.if_contains("content")) content += piece->as_string();
    EXPECT_EQ(choice.at("finish_reason"),
              i + 1 == chunks.size() ? json::value("stop") : json::value(nullptr));
  }
  EXPECT_EQ(chunks[0].at("choices").at(0).at("delta").at("role"), "assistant");
  EXPECT_EQ(content, kText);
  EXPECT_TRUE(chunks.back().at("choices").at(0).at("delta").as_object().empty());
  EXPECT_EQ(usage.completion_tokens, 4);
  EXPECT_EQ(usage.prompt_tokens, 16);
}

TEST(MockStream, UsageChunkOnlyWithIncludeUsage) {
  const api::Request request = parsed_request(
      api::Endpoint::chat_completions,
      R"({"model":"m","messages":[{"role":"user","content":"Hi there"}],"stream":true,"stream_options":{"include_usage":true}})");
  api::Usage usage;
  const auto chunks = stream_chunks(mock_stream(request, kText, "m", usage));
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[4].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(chunks[5].at("choices").as_array().empty());
  EXPECT_EQ(chunks[5].at("usage"),
            json::parse(R"({"prompt_tokens":9,"completion_tokens":4,"total_tokens":13})"));
  EXPECT_EQ(usage.total_tokens, 13);
}

TEST(MockStream, EmptyAnswerStillHasARoleChunk) {
  api::Usage usage;
  const auto chunks = stream_chunks(
      mock_stream(parsed_request(api::Endpoint::chat_completions, kChat), "", "m", usage));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].at("choices").at(0).at("delta"),
            json::parse(R"({"content":"","role":"assistant"})"));
  EXPECT_EQ(chunks[1].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(usage.completion_tokens, 0);
}

TEST(MockResponse, AnswersChatAndTextCompletionsOnly) {
  const auto call = mock_response_provider().encode(
      parsed_request(api::Endpoint::embeddings, R"({"model":"m","input":"x"})"),
      mock_target(kText));
  ASSERT_FALSE(call);
  EXPECT_EQ(http_status(call.error()), 400);
  EXPECT_EQ(call.error().message, "mock_response answers chat and text completions only.");
}

TEST(MockStream, TextCompletionShape) {
  api::Usage usage;
  const auto chunks = stream_chunks(mock_stream(
      parsed_request(api::Endpoint::completions, R"({"model":"m","prompt":"p","stream":true})"),
      kText, "m", usage));
  ASSERT_EQ(chunks.size(), 5u);
  std::string text;
  for (const auto& chunk : chunks) {
    EXPECT_EQ(chunk.at("object"), "text_completion");
    EXPECT_FALSE(chunk.at("choices").at(0).as_object().contains("delta"));
    text += chunk.at("choices").at(0).at("text").as_string();
  }
  EXPECT_EQ(text, kText);
  EXPECT_EQ(chunks.back().at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_THAT(std::string(chunks[0].at("id").as_string()), ::testing::StartsWith("cmpl-"));
}

}  // namespace
}  // namespace llmux::providers
