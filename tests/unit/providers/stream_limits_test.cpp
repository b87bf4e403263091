// Every stream decoder bounds what it buffers of one upstream event (an SSE event, an NDJSON
// line, an AWS event-stream message): one larger than the limit it is made with fails the stream
// as an upstream failure (502) instead of growing.
#include "provider_test.hpp"
#include "providers/anthropic.hpp"
#include "providers/bedrock.hpp"
#include "providers/gemini.hpp"
#include "providers/ollama.hpp"
#include "providers/openai_compatible.hpp"

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::hours(1));
}

struct Case {
  const Provider& provider;
  std::string_view fixture;
};

const OpenAiCompatibleProvider kOpenAi{/*ask_stream_usage=*/true};
const AnthropicProvider kAnthropic;
const GeminiProvider kGemini;
const OllamaProvider kOllama{OllamaProvider::Api::chat};
const BedrockProvider kBedrock{&fixed_now};

TEST(StreamLimits, AnEventLargerThanTheLimitFailsTheStreamWith502) {
  const Case cases[] = {
      {kOpenAi, "openai/chat_completion_stream.sse"},
      {kAnthropic, "anthropic/message_stream.sse"},
      {kGemini, "gemini/stream_generate_content.sse"},
      {kOllama, "ollama/chat_stream.synthetic.ndjson"},
      {kBedrock, "bedrock/converse_stream_text.synthetic.eventstream"},
  };
  const api::Request request = streaming_chat_request(false);
  for (const Case& c : cases) {
    const std::string bytes = read_wire_fixture(std::string(c.fixture));
    const StreamRun whole = run_stream(c.provider, request, {bytes}, "m", kMaxEventBytes);
    EXPECT_FALSE(whole.error) << c.fixture << ": " << whole.error->message;
    // Every event of these fixtures is longer than 40 bytes.
    const StreamRun refused = run_stream(c.provider, request, {bytes}, "m", 40);
    ASSERT_TRUE(refused.feed_error) << c.fixture;
    EXPECT_EQ(refused.feed_error->kind, ErrorKind::upstream_failed) << c.fixture;
    EXPECT_EQ(http_status(*refused.feed_error), 502) << c.fixture;
  }
}

TEST(StreamLimits, TheMessageSaysTheEventWasTooLarge) {
  const std::string bytes = read_wire_fixture("openai/chat_completion_stream.sse");
  const StreamRun refused = run_stream(kOpenAi, streaming_chat_request(false), {bytes}, "m", 40);
  ASSERT_TRUE(refused.feed_error);
  EXPECT_EQ(refused.feed_error->message,
            "The upstream stream sent an event larger than the limit.");
}

}  // namespace
}  // namespace llmux::providers
