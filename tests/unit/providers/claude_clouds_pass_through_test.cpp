// A client's Messages API call passed through to Claude on Bedrock (InvokeModel and
// InvokeModelWithResponseStream) and on Vertex AI (rawPredict / streamRawPredict): which
// deployments take it, the body and headers each is sent, and the answer and stream events
// handed back with their usage.
#include "providers/bedrock.hpp"
#include "providers/registry.hpp"
#include "providers/vertex.hpp"
#include "providers/wire/aws_event_stream.hpp"
#include "providers/wire/base64.hpp"
#include "providers/wire/google_auth.hpp"
#include "providers/wire/sse.hpp"

#include "provider_test.hpp"

#include <optional>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1735689600));
}
const BedrockProvider kBedrockClaude{&fixed_now, /*invokes_messages=*/true};
const AnthropicProvider kVertexClaude{vertex_anthropic_addressing()};

Target bedrock_target(std::string model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0") {
  Target target{.provider = "bedrock",
                .upstream_model = std::move(model),
                .api_base = "https://bedrock-runtime.us-east-1.amazonaws.com"};
  target.settings["aws_access_key_id"] = "AKIDEXAMPLE";
  target.settings["aws_secret_access_key"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  target.settings["aws_region_name"] = "us-east-1";
  return target;
}

Target vertex_target() {
  Target target{.provider = "vertex_ai",
                .upstream_model = "claude-sonnet-4-5@20250929",
                .api_base = "https://europe-west4-aiplatform.googleapis.com"};
  target.settings["vertex_project"] = "proj-1";
  target.settings["vertex_location"] = "europe-west4";
  target.google_token = std::make_shared<wire::GoogleAccessToken>(
      wire::ServiceAccount{.client_email = "sa@proj-1.iam.gserviceaccount.com"},
      "https://oauth2.example.test/token", "vertex_ai deployment 'c' (m)");
  target.google_token->publish("ya29.test-token");
  return target;
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

// What a chat completion cannot carry, LiteLLM's own fields, and a field InvokeModel refuses.
constexpr char kRichCall[] = R"({
  "model": "my-claude", "max_tokens": 3000, "top_k": 5, "stream": true,
  "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
  "thinking": {"type": "enabled", "budget_tokens": 1500},
  "messages": [{"role": "user", "content": [
    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Sky is blue."},
     "citations": {"enabled": true}},
    {"type": "text", "text": "What colour is the sky?"}]},
    {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hm.", "signature": "EqQBCgIYAhIMsig"}]}],
  "metadata": {"user_id": "end-user-7", "tags": ["gateway-only"]},
  "service_tier": "auto",
  "fallbacks": ["other"], "num_retries": 2, "mock_response": "no", "timeout": 30
})";

// ---- which deployments take it ----------------------------------------------------------------

TEST(ClaudeCloudsPassThrough, BedrockClaudeOffTheConverseRouteIsInvokedWithMessages) {
  for (const auto* model :
       {"anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "invoke/anthropic.claude-3-5-sonnet-20240620-v1:0"}) {
    EXPECT_TRUE(is_bedrock_claude_invoke_model(model)) << model;
    EXPECT_TRUE(find_provider("bedrock")->provider_for(model)->speaks(api::Endpoint::messages))
        << model;
  }
  for (const auto* model : {"converse/us.anthropic.claude-3-5-haiku-20241022-v1:0",
                            "amazon.nova-pro-v1:0", "meta.llama3-70b-instruct-v1:0"}) {
    EXPECT_FALSE(is_bedrock_claude_invoke_model(model)) << model;
    EXPECT_FALSE(find_provider("bedrock")->provider_for(model)->speaks(api::Endpoint::messages))
        << model;
  }
  EXPECT_FALSE(kBedrockClaude.speaks(api::Endpoint::responses));
  EXPECT_TRUE(find_provider("vertex_ai")
                  ->provider_for("claude-sonnet-4-5@20250929")
                  ->speaks(api::Endpoint::messages));
  EXPECT_FALSE(find_provider("vertex_ai")
                   ->provider_for("gemini-2.5-flash")
                   ->speaks(api::Endpoint::messages));
}

// ---- Bedrock ----------------------------------------------------------------------------------

TEST(BedrockInvokeMessages, TheBodyIsTheClientsWithBedrocksVersionAndBetas) {
  auto request = messages(kRichCall);
  request.native_headers = {
      {"anthropic-beta", "context-1m-2025-08-07, advanced-tool-use-2025-11-20, made-up-beta"},
      {"anthropic-version", "2023-06-01"}};
  Target target = bedrock_target();
  target.extra_headers = {
      {"Anthropic-Beta", "interleaved-thinking-2025-05-14,context-1m-2025-08-07"},
      {"x-team", "blue"}};
  auto upstream = kBedrockClaude.encode(request, target);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
            "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream");
  json::object expected = request.body;
  for (const auto* field :
       {"model", "stream", "service_tier", "fallbacks", "num_retries", "mock_response", "timeout"})
    expected.erase(field);
  expected["metadata"] = json::object{{"user_id", "end-user-7"}};
  expected["anthropic_version"] = "bedrock-2023-05-31";
  // Bedrock's names of the betas it takes (the deployment's, then the client's), each once.
  expected["anthropic_beta"] = json::array{"context-1m-2025-08-07", "tool-search-tool-2025-10-19"};
  EXPECT_EQ(json::parse(upstream->body).as_object(), expected);
  // Signed as every Bedrock call; the betas travel in the body only.
  EXPECT_THAT(header(*upstream, "Authorization").value_or(""),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/"));
  EXPECT_EQ(header(*upstream, "x-team"), "blue");
  EXPECT_EQ(header(*upstream, "Anthropic-Beta"), std::nullopt);
  EXPECT_EQ(header(*upstream, "anthropic-version"), std::nullopt);
}

// Bedrock refuses a cache_control ttl before Claude 4.5, and a scope always (as LiteLLM knows).
TEST(BedrockInvokeMessages, CacheControlAsTheModelTakesIt) {
  constexpr char kCached[] = R"({"model":"c","max_tokens":5,
      "tools":[{"name":"f","input_schema":{},"cache_control":{"type":"ephemeral","ttl":"1h"}}],
      "system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral","ttl":"5m",
                                                           "scope":"global"}}],
      "messages":[{"role":"user","content":[
        {"type":"text","text":"Hi","cache_control":{"type":"ephemeral","ttl":"10m"}}]}]})";
  auto controls = [&](std::string model) {
    auto upstream = kBedrockClaude.encode(messages(kCached), bedrock_target(std::move(model)));
    EXPECT_TRUE(upstream);
    const auto body = json::parse(upstream ? upstream->body : "{}");
    return json::array{body.at("tools").at(0).at("cache_control"),
                       body.at("system").at(0).at("cache_control"),
                       body.at("messages").at(0).at("content").at(0).at("cache_control")};
  };
  const auto without_ttl = json::parse(R"([{"type":"ephemeral"},{"type":"ephemeral"},
                                           {"type":"ephemeral"}])");
  for (const auto* model :
       {"anthropic.claude-3-7-sonnet-20250219-v1:0", "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "us.anthropic.claude-opus-4-1-20250805-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"})
    EXPECT_EQ(controls(model), without_ttl) << model;
  const auto with_ttl = json::parse(R"([{"type":"ephemeral","ttl":"1h"},
      {"type":"ephemeral","ttl":"5m"},{"type":"ephemeral"}])");
  for (const auto* model :
       {"us.anthropic.claude-haiku-4-5-20251001-v1:0", "global.anthropic.claude-opus-4-6-v1",
        "anthropic.claude-sonnet-4-5-20250929-v1:0"})
    EXPECT_EQ(controls(model), with_ttl) << model;
}

TEST(BedrockInvokeMessages, AWholeCallGoesToInvokeAndItsAnswerComesBackAsSent) {
  auto request =
      messages(R"({"model":"c","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]})");
  auto upstream = kBedrockClaude.encode(request, bedrock_target("invoke/anthropic.claude-x-v1:0"));
  ASSERT_TRUE(upstream);
  EXPECT_EQ(
      upstream->url,
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-x-v1%3A0/invoke");
  EXPECT_FALSE(json::parse(upstream->body).as_object().contains("anthropic_beta"));

  const std::string answer = read_wire_fixture("anthropic/message.json");
  auto reply = kBedrockClaude.decode(request, answer, "c");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->body, answer);
  const auto usage = json::parse(answer).at("usage").as_object();
  EXPECT_EQ(reply->usage.completion_tokens, usage.at("output_tokens").as_int64());
  EXPECT_TRUE(reply->usage.reported);
}

TEST(BedrockInvokeMessages, AChatCompletionToTheSameDeploymentStillGoesThroughConverse) {
  auto upstream = kBedrockClaude.encode(
      parsed_request(api::Endpoint::chat_completions,
                     R"({"model":"c","messages":[{"role":"user","content":"Hi"}]})"),
      bedrock_target());
  ASSERT_TRUE(upstream);
  EXPECT_THAT(upstream->url, ::testing::EndsWith("/converse"));
}

// One InvokeModelWithResponseStream message per Anthropic event: {"bytes": base64(event)}.
std::string chunk_frame(std::string_view event_json) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  std::size_t i = 0;
  for (; i + 2 < event_json.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(event_json[i]) << 16) |
                       (static_cast<unsigned char>(event_json[i + 1]) << 8) |
                       static_cast<unsigned char>(event_json[i + 2]);
    for (int shift : {18, 12, 6, 0}) encoded += kAlphabet[(v >> shift) & 63];
  }
  if (const auto rest = event_json.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(event_json[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(event_json[i + 1]) << 8;
    encoded += kAlphabet[(v >> 18) & 63];
    encoded += kAlphabet[(v >> 12) & 63];
    encoded += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    encoded += '=';
  }
  return wire::encode_event_stream_message(
      {{":event-type", "chunk"}, {":content-type", "application/json"}, {":message-type", "event"}},
      R"({"bytes":")" + encoded + R"(","p":"abc"})");
}

// The recorded Anthropic stream's events as (type, data).
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

TEST(BedrockInvokeMessagesStream, ChunksBecomeAnthropicsEventsNamedByTheirType) {
  for (const auto* fixture :
       {"anthropic/message_stream.sse", "anthropic/message_stream_thinking.synthetic.sse",
        "anthropic/message_stream_tool_use.sse"}) {
    const auto recorded = events(read_wire_fixture(fixture));
    std::string frames;
    for (const auto& [name, data] : recorded) frames += chunk_frame(data);
    // Split a byte at a time too: frames cut anywhere come out whole.
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < frames.size(); ++i)
      bytes.push_back(std::string_view(frames).substr(i, 1));
    for (const auto& pieces : {std::vector<std::string_view>{frames}, bytes}) {
      const StreamRun run = run_stream(kBedrockClaude, kStreamed, pieces, "c");
      ASSERT_FALSE(run.error) << fixture << ": " << run.error->message;
      EXPECT_TRUE(run.done_before_finish) << fixture;
      EXPECT_EQ(events(run.out), recorded) << fixture;
      EXPECT_TRUE(run.usage.reported);
    }
  }
  std::string frames;
  for (const auto& [name, data] : events(read_wire_fixture("anthropic/message_stream.sse")))
    frames += chunk_frame(data);
  const StreamRun run = run_stream(kBedrockClaude, kStreamed, {frames}, "c");
  EXPECT_EQ(run.usage.prompt_tokens, 135);
  EXPECT_GT(run.usage.completion_tokens, 1);
}

TEST(BedrockInvokeMessagesStream, MessageStartWaitsAndAnExceptionRightAfterIsAnOrdinaryFailure) {
  const auto recorded = events(read_wire_fixture("anthropic/message_stream.sse"));
  const std::string first = chunk_frame(recorded.front().second);
  const StreamRun started = run_stream(kBedrockClaude, kStreamed, {first}, "c");
  EXPECT_EQ(started.feed_error, std::nullopt);
  EXPECT_TRUE(started.out.empty()) << started.out;

  const auto throttled = wire::encode_event_stream_message(
      {{":exception-type", "throttlingException"},
       {":content-type", "application/json"},
       {":message-type", "exception"}},
      R"({"message":"Too many tokens, please wait before trying again."})");
  const StreamRun failed = run_stream(kBedrockClaude, kStreamed, {first, throttled}, "c");
  ASSERT_TRUE(failed.feed_error);
  EXPECT_TRUE(failed.out.empty()) << failed.out;
  EXPECT_EQ(failed.feed_error->kind, ErrorKind::rate_limited);
  EXPECT_THAT(failed.feed_error->message, HasSubstr("Too many tokens"));
}

TEST(BedrockInvokeMessagesStream, BadChunksAndCutStreamsFail) {
  const auto not_base64 = wire::encode_event_stream_message(
      {{":event-type", "chunk"}, {":message-type", "event"}}, R"({"bytes":"not base64!"})");
  const StreamRun garbled = run_stream(kBedrockClaude, kStreamed, {not_base64}, "c");
  ASSERT_TRUE(garbled.feed_error);
  EXPECT_THAT(garbled.feed_error->message, HasSubstr("base64"));

  const auto recorded = events(read_wire_fixture("anthropic/message_stream.sse"));
  std::string frames;
  for (std::size_t i = 0; i + 2 < recorded.size(); ++i) frames += chunk_frame(recorded[i].second);
  const StreamRun cut = run_stream(kBedrockClaude, kStreamed, {frames}, "c");
  ASSERT_TRUE(cut.finish_error);
  EXPECT_THAT(cut.finish_error->message, HasSubstr("before it was complete"));
}

TEST(Base64, DecodesWithAndWithoutPaddingAndRefusesTheRest) {
  EXPECT_EQ(wire::base64_decoded("eyJ0eXBlIjoicGluZyJ9"), R"({"type":"ping"})");
  EXPECT_EQ(wire::base64_decoded("YQ=="), "a");
  EXPECT_EQ(wire::base64_decoded("YWI="), "ab");
  EXPECT_EQ(wire::base64_decoded(""), "");
  EXPECT_EQ(wire::base64_decoded("YWJ"), std::nullopt);
  EXPECT_EQ(wire::base64_decoded("Y=Jj"), std::nullopt);
  EXPECT_EQ(wire::base64_decoded("YW-j"), std::nullopt);
}

// ---- Vertex AI ----------------------------------------------------------------------------------

TEST(VertexRawPredictMessages, TheBodyIsTheClientsWithVertexsVersionAndTheBetasAsAHeader) {
  auto request = messages(kRichCall);
  request.native_headers = {{"anthropic-beta", "client-beta-1"},
                            {"anthropic-version", "2023-06-01"}};
  Target target = vertex_target();
  target.extra_headers = {{"anthropic-beta", "deployment-beta"}};
  auto upstream = kVertexClaude.encode(request, target);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/locations/"
            "europe-west4/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict");
  json::object expected = request.body;
  for (const auto* field : {"model", "fallbacks", "num_retries", "mock_response", "timeout"})
    expected.erase(field);
  expected["metadata"] = json::object{{"user_id", "end-user-7"}};
  expected["anthropic_version"] = "vertex-2023-10-16";
  EXPECT_EQ(json::parse(upstream->body).as_object(), expected);
  EXPECT_EQ(header(*upstream, "Authorization"), "Bearer ya29.test-token");
  EXPECT_EQ(header(*upstream, "anthropic-beta"), "deployment-beta,client-beta-1");
  EXPECT_EQ(header(*upstream, "anthropic-version"), std::nullopt) << "the body's";
}

TEST(VertexRawPredictMessages, AWholeCallGoesToRawPredictAndTheStreamIsAnthropics) {
  auto request =
      messages(R"({"model":"c","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]})");
  auto upstream = kVertexClaude.encode(request, vertex_target());
  ASSERT_TRUE(upstream);
  EXPECT_THAT(upstream->url, ::testing::EndsWith(":rawPredict"));
  const std::string answer = read_wire_fixture("anthropic/message.json");
  auto reply = kVertexClaude.decode(request, answer, "c");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, answer);

  const std::string recorded = read_wire_fixture("anthropic/message_stream.sse");
  const StreamRun run = run_stream(kVertexClaude, kStreamed, {recorded}, "c");
  ASSERT_FALSE(run.error);
  EXPECT_EQ(events(run.out), events(recorded));
}

}  // namespace
}  // namespace llmux::providers
