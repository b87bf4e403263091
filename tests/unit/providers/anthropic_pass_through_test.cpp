// A client's Messages API call passed through to an Anthropic deployment: the body as the client
// sent it (the deployment's model, without LiteLLM's fields), its beta and version headers, and
// the answer and the stream's events as Anthropic sent them, with their usage read.
#include "providers/anthropic.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/vertex.hpp"
#include "providers/wire/sse.hpp"

#include "provider_test.hpp"

#include <optional>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

const AnthropicProvider kAnthropic;
constexpr char kKey[] = "sk-ant-secret-key-for-tests";

Target target() {
  return Target{.provider = "anthropic",
                .upstream_model = "claude-sonnet-4-5",
                .api_base = "https://api.anthropic.com",
                .api_key = kKey};
}

api::Request messages(std::string_view body) {
  return parsed_request(api::Endpoint::messages, body);
}

std::optional<std::string> header(const UpstreamRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(AnthropicPassThrough, AnthropicsApiAndClaudeOnVertexSpeakMessages) {
  EXPECT_TRUE(kAnthropic.speaks(api::Endpoint::messages));
  EXPECT_FALSE(kAnthropic.speaks(api::Endpoint::responses));
  EXPECT_FALSE(kAnthropic.speaks(api::Endpoint::chat_completions));
  const AnthropicProvider vertex(vertex_anthropic_addressing());
  EXPECT_TRUE(vertex.speaks(api::Endpoint::messages)) << "Claude on Vertex AI is passed through";
  const OpenAiCompatibleProvider openai(/*ask_stream_usage=*/true);
  EXPECT_FALSE(openai.speaks(api::Endpoint::messages));
}

// What a chat completion cannot carry reaches Anthropic unchanged: cache_control, a thinking
// budget, a document with citations, top_k; LiteLLM's own fields do not.
constexpr char kRichCall[] = R"({
  "model": "my-claude", "max_tokens": 3000, "top_k": 5,
  "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
  "thinking": {"type": "enabled", "budget_tokens": 1500},
  "messages": [{"role": "user", "content": [
    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Sky is blue."},
     "citations": {"enabled": true}},
    {"type": "text", "text": "What colour is the sky?"}]}],
  "metadata": {"user_id": "end-user-7", "tags": ["gateway-only"]},
  "fallbacks": ["other"], "num_retries": 2, "mock_response": "no", "timeout": 30
})";

TEST(AnthropicPassThrough, EncodeKeepsTheClientsBody) {
  const auto request = messages(kRichCall);
  auto upstream = kAnthropic.encode(request, target());
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url, "https://api.anthropic.com/v1/messages");
  json::object expected = request.body;
  expected["model"] = "claude-sonnet-4-5";
  expected["metadata"] = json::object{{"user_id", "end-user-7"}};
  for (const auto* field : {"fallbacks", "num_retries", "mock_response", "timeout"})
    expected.erase(field);
  EXPECT_EQ(json::parse(upstream->body).as_object(), expected);
  EXPECT_EQ(header(*upstream, "x-api-key"), kKey);
  EXPECT_EQ(header(*upstream, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header(*upstream, "anthropic-beta"), std::nullopt);
}

TEST(AnthropicPassThrough, MetadataWithoutAUserIdIsNotSent) {
  auto upstream = kAnthropic.encode(
      messages(R"({"model":"c","max_tokens":5,"messages":[{"role":"user","content":"Hi"}],
                   "metadata":{"tags":["a"]},"stream":true})"),
      target());
  ASSERT_TRUE(upstream);
  const auto body = json::parse(upstream->body).as_object();
  EXPECT_FALSE(body.contains("metadata"));
  EXPECT_EQ(body.at("stream"), true);
}

// The deployment's litellm_params defaults go in as on the translated path, where the call lacks
// them and the Messages API has the field; the client's own value wins.
TEST(AnthropicPassThrough, TheDeploymentsRequestDefaultsFillWhatTheCallLacks) {
  Target deployment = target();
  deployment.default_params =
      json::object{{"temperature", 0.3}, {"top_k", 4}, {"stop", json::array{"END"}}, {"seed", 7}};
  auto upstream = kAnthropic.encode(messages(R"({"model":"c","max_tokens":5,"top_k":9,
                   "messages":[{"role":"user","content":"Hi"}]})"),
                                    deployment);
  ASSERT_TRUE(upstream);
  EXPECT_EQ(json::parse(upstream->body), json::parse(R"({"model":"claude-sonnet-4-5",
      "max_tokens":5,"top_k":9,"messages":[{"role":"user","content":"Hi"}],"temperature":0.3})"));
}

TEST(AnthropicPassThrough, ClientsBetasFollowTheDeploymentsAndItsVersionWins) {
  auto request =
      messages(R"({"model":"c","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]})");
  request.native_headers = {{"anthropic-beta", "client-beta-1,client-beta-2"},
                            {"anthropic-version", "2023-01-01"}};
  Target deployment = target();
  deployment.extra_headers = {{"anthropic-beta", "deployment-beta"},
                              {"anthropic-version", "2099-01-01"}};
  auto upstream = kAnthropic.encode(request, deployment);
  ASSERT_TRUE(upstream);
  EXPECT_EQ(header(*upstream, "anthropic-beta"), "deployment-beta,client-beta-1,client-beta-2");
  EXPECT_EQ(header(*upstream, "anthropic-version"), "2023-01-01");
  std::size_t versions = 0;
  for (const auto& [name, value] : upstream->headers) versions += name == "anthropic-version";
  EXPECT_EQ(versions, 1u);
}

TEST(AnthropicPassThrough, DecodeHandsBackTheBytesAndReadsTheUsage) {
  const std::string answer = read_wire_fixture("anthropic/message.json");
  auto reply = kAnthropic.decode(messages(kRichCall), answer, "my-claude");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->body, answer);
  const auto usage = json::parse(answer).at("usage").as_object();
  EXPECT_EQ(reply->usage.prompt_tokens, usage.at("input_tokens").as_int64() +
                                            usage.at("cache_creation_input_tokens").as_int64() +
                                            usage.at("cache_read_input_tokens").as_int64());
  EXPECT_EQ(reply->usage.completion_tokens, usage.at("output_tokens").as_int64());
  EXPECT_TRUE(reply->usage.reported);

  auto failed = kAnthropic.decode(
      messages(kRichCall),
      R"({"type":"error","error":{"type":"invalid_request_error","message":"bad"}})", "m");
  ASSERT_FALSE(failed) << "an error in a 2xx body is the upstream's failure, not an answer";
  EXPECT_EQ(failed.error().message, "bad");
}

// Each event of `sse` as its `event:` name and its data's bytes.
std::vector<std::pair<std::string, std::string>> events(std::string_view sse) {
  std::vector<wire::SseEvent> parsed;
  wire::SseParser parser;
  parser.feed(sse, parsed);
  parser.finish(parsed);
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& event : parsed) out.emplace_back(event.event, event.data);
  return out;
}

const api::Request kStreamed = messages(
    R"({"model":"c","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"Hi"}]})");

TEST(AnthropicPassThroughStream, EventsAsAnthropicSentThem) {
  for (const auto* fixture :
       {"anthropic/message_stream.sse", "anthropic/message_stream_thinking.synthetic.sse",
        "anthropic/message_stream_tool_use.sse"}) {
    const std::string recorded = read_wire_fixture(fixture);
    // Fed a byte at a time too: events split anywhere come out whole.
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < recorded.size(); ++i)
      bytes.push_back(std::string_view(recorded).substr(i, 1));
    for (const auto& pieces : {std::vector<std::string_view>{recorded}, bytes}) {
      const StreamRun run = run_stream(kAnthropic, kStreamed, pieces, "c");
      ASSERT_FALSE(run.error) << fixture << ": " << run.error->message;
      EXPECT_TRUE(run.done_before_finish) << fixture;
      EXPECT_EQ(events(run.out), events(recorded)) << fixture;
      EXPECT_TRUE(run.usage.reported);
    }
  }
  const StreamRun run =
      run_stream(kAnthropic, kStreamed, {read_wire_fixture("anthropic/message_stream.sse")}, "c");
  EXPECT_EQ(run.usage.prompt_tokens, 135);
  EXPECT_GT(run.usage.completion_tokens, 1);
}

// The stream's first event waits for the next: an error right after it is still a failure before
// anything reached the client, which the router may retry.
TEST(AnthropicPassThroughStream, AnErrorRightAfterMessageStartIsAnOrdinaryFailure) {
  const std::string recorded = read_wire_fixture("anthropic/message_stream.sse");
  const std::string first_event = recorded.substr(0, recorded.find("\n\n") + 2);
  const StreamRun started = run_stream(kAnthropic, kStreamed, {first_event}, "c");
  EXPECT_EQ(started.feed_error, std::nullopt);
  EXPECT_TRUE(started.out.empty()) << started.out;

  const StreamRun failed = run_stream(kAnthropic, kStreamed,
                                      {first_event, "event: ping\ndata: {\"type\":\"ping\"}\n\n",
                                       read_wire_fixture("anthropic/error_stream_overloaded.sse")},
                                      "c");
  ASSERT_TRUE(failed.feed_error);
  EXPECT_TRUE(failed.out.empty()) << failed.out;
  EXPECT_EQ(failed.feed_error->type, "overloaded_error");
}

TEST(AnthropicPassThroughStream, AStreamThatEndsAfterMessageDeltaIsWhole) {
  std::string recorded = read_wire_fixture("anthropic/message_stream.sse");
  recorded.erase(recorded.find("event: message_stop"));
  const StreamRun run = run_stream(kAnthropic, kStreamed, {recorded}, "c");
  ASSERT_FALSE(run.error);
  EXPECT_FALSE(run.done_before_finish);
  EXPECT_THAT(run.out,
              ::testing::EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

  recorded.erase(recorded.find("event: message_delta"));
  const StreamRun cut = run_stream(kAnthropic, kStreamed, {recorded}, "c");
  ASSERT_TRUE(cut.finish_error);
  EXPECT_THAT(cut.finish_error->message, HasSubstr("before it was complete"));
}

}  // namespace
}  // namespace llmux::providers
