#include "providers/anthropic.hpp"

#include "provider_test.hpp"

#include <optional>

namespace llmux::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const AnthropicProvider kAnthropic;
constexpr char kClientModel[] = "my-claude";

constexpr std::string_view kTextStream = "anthropic/message_stream.sse";
constexpr std::string_view kToolStream = "anthropic/message_stream_tool_use.sse";
constexpr std::string_view kThinkingStream = "anthropic/message_stream_thinking.synthetic.sse";
constexpr std::string_view kOverloaded = "anthropic/error_stream_overloaded.sse";

api::Request streaming_request(bool include_usage, std::string_view extra = "") {
  return parsed_request(
      api::Endpoint::chat_completions,
      R"({"model":"my-claude","messages":[{"role":"user","content":"Hi"}],"stream":true)" +
          std::string(include_usage ? R"(,"stream_options":{"include_usage":true})" : "") +
          std::string(extra) + "}");
}

StreamRun run(const api::Request& request, const std::vector<std::string_view>& pieces) {
  return run_stream(kAnthropic, request, pieces, kClientModel);
}

StreamRun run_whole(const api::Request& request, std::string_view text) {
  return run(request, {text});
}

// The frames of `out` as written ("data: <one line>\n\n" only), each JSON chunk checked for the
// stream's constant id, object, model and created, which are then removed so that runs compare.
std::vector<std::string> frames(std::string_view out) {
  std::vector<std::string> data;
  std::optional<json::value> id, created;
  for (const std::string& payload : test_support::frames(out)) {
    if (payload == "[DONE]") {
      data.emplace_back(payload);
      continue;
    }
    const auto chunk = json::parse(payload).as_object();
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("model"), kClientModel);
    if (!id) id = chunk.at("id"), created = chunk.at("created");
    EXPECT_EQ(chunk.at("id"), *id) << "one id for the whole stream";
    EXPECT_EQ(chunk.at("created"), *created);
    EXPECT_TRUE(chunk.at("id").as_string().starts_with("chatcmpl-"));
    json::object rest;  // built member by member: erase would reorder the members
    for (const auto& [key, value] : chunk) {
      if (key != "id" && key != "object" && key != "model" && key != "created") rest[key] = value;
    }
    data.push_back(json::serialize(rest));
  }
  return data;
}

// The expected chunk (without id, object, model, created) for one delta.
std::string chunk(std::string_view delta, std::string_view finish = "null") {
  return json::serialize(json::parse(R"({"choices":[{"index":0,"delta":)" + std::string(delta) +
                                     R"(,"finish_reason":)" + std::string(finish) + "}]}"));
}

const std::string kRoleChunk = chunk(R"({"role":"assistant","content":""})");

std::string content(std::string_view text) {
  std::string delta = R"({"content":)";
  delta += json::serialize(json::value(text));
  return chunk(delta + "}");
}

std::string usage_chunk(std::string_view usage) {
  return json::serialize(json::parse(R"({"choices":[],"usage":)" + std::string(usage) + "}"));
}

TEST(AnthropicStream, RecordedTextStreamGolden) {
  const auto result =
      run_whole(streaming_request(true), read_wire_fixture(std::string(kTextStream)));
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.done_before_finish) << "message_stop ends the stream";
  EXPECT_THAT(
      frames(result.out),
      ElementsAre(kRoleChunk, content("["), content("12"), content("345,"), content("67890]"),
                  chunk("{}", R"("stop")"),
                  usage_chunk(R"({"prompt_tokens":135,"completion_tokens":10,"total_tokens":145,
                              "prompt_tokens_details":{"cached_tokens":0},
                              "cache_creation_input_tokens":0,"cache_read_input_tokens":0})"),
                  "[DONE]"));
  EXPECT_EQ(result.usage.prompt_tokens, 135);
  EXPECT_EQ(result.usage.completion_tokens, 10);
  EXPECT_EQ(result.usage.total_tokens, 145);
}

TEST(AnthropicStream, NoUsageChunkUnlessAsked) {
  const auto result =
      run_whole(streaming_request(false), read_wire_fixture(std::string(kTextStream)));
  ASSERT_FALSE(result.error);
  const auto data = frames(result.out);
  EXPECT_EQ(data.size(), 7u);
  EXPECT_EQ(data.at(5), chunk("{}", R"("stop")"));
  EXPECT_EQ(data.at(6), "[DONE]");
  EXPECT_EQ(result.usage.completion_tokens, 10) << "spend still sees the usage";
}

TEST(AnthropicStream, RecordedToolStreamGolden) {
  // The worked example of the wire notes: the tool block (Anthropic index 1) is tool call 0.
  const auto result =
      run_whole(streaming_request(true), read_wire_fixture(std::string(kToolStream)));
  ASSERT_FALSE(result.error) << result.error->message;
  auto arguments = [](std::string_view fragment) {
    return chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":)" +
                 json::serialize(json::value(fragment)) + "}}]}");
  };
  EXPECT_THAT(
      frames(result.out),
      ElementsAre(
          kRoleChunk, content("I"), content("'ll check the current weather in Paris for you."),
          chunk(
              R"({"tool_calls":[{"index":0,"id":"toolu_01NRLabsLyVHZPKxbKvkfSMn","type":"function",
                                    "function":{"name":"get_weather","arguments":""}}]})"),
          arguments(""), arguments("{\"locati"), arguments("on\": \"P"), arguments("ar"),
          arguments("is\"}"), chunk("{}", R"("tool_calls")"),
          usage_chunk(R"({"prompt_tokens":377,"completion_tokens":65,"total_tokens":442,
                              "prompt_tokens_details":{"cached_tokens":0},
                              "cache_creation_input_tokens":0,"cache_read_input_tokens":0})"),
          "[DONE]"));
}

TEST(AnthropicStream, ThinkingStreamGolden) {
  const auto result =
      run_whole(streaming_request(true), read_wire_fixture(std::string(kThinkingStream)));
  ASSERT_FALSE(result.error) << result.error->message;
  auto reasoning = [](std::string_view text) {
    const auto quoted = json::serialize(json::value(text));
    return chunk(R"({"reasoning_content":)" + quoted +
                 R"(,"thinking_blocks":[{"type":"thinking","thinking":)" + quoted + "}]}");
  };
  EXPECT_THAT(
      frames(result.out),
      ElementsAre(kRoleChunk,
                  reasoning("Let me solve this step by step:\n\n1. First break down 27 * 453"),
                  reasoning("\n2. 453 = 400 + 50 + 3"),
                  chunk(R"({"thinking_blocks":[{"type":"thinking","thinking":"",
                                    "signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}]})"),
                  content("27 * 453 = 12,231"), chunk("{}", R"("stop")"),
                  usage_chunk(R"({"prompt_tokens":125,"completion_tokens":95,"total_tokens":220,
                              "prompt_tokens_details":{"cached_tokens":40},
                              "cache_creation_input_tokens":0,"cache_read_input_tokens":40})"),
                  "[DONE]"));
  EXPECT_EQ(result.usage.cached_tokens, 40);
}

TEST(AnthropicStream, EveryFixtureGivesTheSameChunksHoweverItIsSplit) {
  for (std::string_view name : {kTextStream, kToolStream, kThinkingStream}) {
    SCOPED_TRACE(std::string(name));
    const std::string text = read_wire_fixture(std::string(name));
    const auto request = streaming_request(true);
    const auto whole = run_whole(request, text);
    ASSERT_FALSE(whole.error);
    const auto expected = frames(whole.out);

    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i)
      bytes.push_back(std::string_view(text).substr(i, 1));
    const auto one_by_one = run(request, bytes);
    ASSERT_FALSE(one_by_one.error);
    EXPECT_EQ(frames(one_by_one.out), expected) << "one byte at a time";

    for (std::size_t split = 1; split < text.size(); ++split) {
      const std::string_view view(text);
      const auto halves = run(request, {view.substr(0, split), view.substr(split)});
      ASSERT_FALSE(halves.error) << "split at " << split;
      ASSERT_EQ(frames(halves.out), expected) << "split at " << split;
      ASSERT_EQ(halves.usage.total_tokens, whole.usage.total_tokens);
    }
  }
}

TEST(AnthropicStream, OverloadedBeforeAnythingIsAnErrorWithNoOutput) {
  // The gateway then answers a JSON error with the status, since nothing was sent yet.
  const auto result =
      run_whole(streaming_request(false), read_wire_fixture(std::string(kOverloaded)));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.error->kind, ErrorKind::internal);
  EXPECT_EQ(http_status(*result.error), 500)
      << "LiteLLM maps overloaded (529) to InternalServerError";
  EXPECT_EQ(error_type(*result.error), "overloaded_error");
  EXPECT_EQ(result.error->message, "Overloaded");
}

TEST(AnthropicStream, OverloadedRightAfterMessageStartStillHasNoOutput) {
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto start_and_ping = text.substr(0, text.find("event: content_block_start")) +
                              "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  const auto result = run_whole(streaming_request(false),
                                start_and_ping + read_wire_fixture(std::string(kOverloaded)));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(http_status(*result.error), 500);
}

TEST(AnthropicStream, OverloadedFixtureGivesTheSameErrorHoweverItIsSplit) {
  const std::string text = read_wire_fixture(std::string(kOverloaded));
  for (std::size_t split = 1; split < text.size(); ++split) {
    const std::string_view view(text);
    const auto halves = run(streaming_request(false), {view.substr(0, split), view.substr(split)});
    ASSERT_TRUE(halves.error) << "split at " << split;
    ASSERT_EQ(halves.out, "") << "split at " << split;
    ASSERT_EQ(halves.error->message, "Overloaded") << "split at " << split;
    ASSERT_EQ(http_status(*halves.error), 500) << "split at " << split;
  }
}

TEST(AnthropicStream, ErrorMidStreamAfterSomeChunks) {
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto cut = text.find(
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"12\"");
  ASSERT_NE(cut, std::string::npos);
  const std::string stream =
      text.substr(0, cut) +
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
      "\"message\":\"Slow down\"}}\n\n" +
      text.substr(cut);
  const auto result = run_whole(streaming_request(false), stream);
  ASSERT_TRUE(result.error);
  EXPECT_THAT(frames(result.out), ElementsAre(kRoleChunk, content("[")));
  EXPECT_EQ(http_status(*result.error), 429);
  EXPECT_EQ(result.error->message, "Slow down");
}

TEST(AnthropicStream, CutStreamFailsAtFinish) {
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto result =
      run_whole(streaming_request(false),
                std::string_view(text).substr(0, text.find("event: message_delta")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, ErrorKind::upstream_failed);
  EXPECT_THAT(result.error->message, HasSubstr("before it was complete"));
  EXPECT_FALSE(result.done_before_finish);
}

TEST(AnthropicStream, MissingMessageStopAfterTheFinishIsStillWhole) {
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto result = run_whole(streaming_request(true),
                                std::string_view(text).substr(0, text.find("event: message_stop")));
  ASSERT_FALSE(result.error);
  const auto data = frames(result.out);
  EXPECT_EQ(data.back(), "[DONE]");
  EXPECT_THAT(data.at(data.size() - 2), HasSubstr("\"usage\""));
}

TEST(AnthropicStream, TruncatedOrInvalidEventDataIsAnError) {
  const std::string start =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{}}}\n\n";
  for (const std::string& bad :
       {std::string(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\n\n"),
        std::string(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            "\"delta\":{\"type\":\"text_delta\",\"text\":\"\xC3\x28\"}}\n\n"),
        std::string("data: [1,2]\n\n")}) {
    const auto result = run_whole(streaming_request(false), start + bad);
    ASSERT_TRUE(result.error) << bad;
    EXPECT_EQ(result.error->kind, ErrorKind::upstream_failed);
    EXPECT_EQ(http_status(*result.error), 502);
  }
}

TEST(AnthropicStream, UnknownEventTypesAreIgnored) {
  // Anthropic documents that new event types may appear and must be ignored.
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto whole = run_whole(streaming_request(false), text);
  const auto cut = text.find("event: content_block_stop");
  const std::string with_unknown =
      text.substr(0, cut) +
      "event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":[1]}\n\n" +
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n" +
      text.substr(cut);
  const auto result = run_whole(streaming_request(false), with_unknown);
  ASSERT_FALSE(result.error);
  EXPECT_EQ(frames(result.out), frames(whole.out));
  // A stream of nothing but unknown events never completes: a clean error at its end.
  const auto only_unknown =
      run_whole(streaming_request(false), "event: surprise\ndata: {\"type\":\"surprise\"}\n\n");
  ASSERT_TRUE(only_unknown.error);
  EXPECT_EQ(only_unknown.error->kind, ErrorKind::upstream_failed);
}

TEST(AnthropicStream, ToolCallWithoutArgumentsGetsAnEmptyObject) {
  const std::string stream =
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"tool_use\",\"id\":\"toolu_a\",\"name\":\"now\",\"input\":{}}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
      "{\"type\":\"tool_use\",\"id\":\"toolu_b\",\"name\":\"later\",\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
      "\"usage\":{\"output_tokens\":7}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  const auto result = run_whole(streaming_request(false), stream);
  ASSERT_FALSE(result.error);
  EXPECT_THAT(
      frames(result.out),
      ElementsAre(
          kRoleChunk,
          chunk(
              R"({"tool_calls":[{"index":0,"id":"toolu_a","type":"function","function":{"name":"now","arguments":""}}]})"),
          chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]})"),
          chunk(
              R"({"tool_calls":[{"index":1,"id":"toolu_b","type":"function","function":{"name":"later","arguments":""}}]})"),
          chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})"),
          chunk("{}", R"("tool_calls")"), "[DONE]"));
}

TEST(AnthropicStream, JsonModeToolStreamsAsContent) {
  const std::string stream =
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"tool_use\",\"id\":\"toolu_j\",\"name\":\"json_tool_call\",\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\":\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Ann\\\"}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
      "\"usage\":{\"output_tokens\":7}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  const auto result =
      run_whole(streaming_request(false, R"(,"response_format":{"type":"json_object"})"), stream);
  ASSERT_FALSE(result.error);
  EXPECT_THAT(frames(result.out),
              ElementsAre(kRoleChunk, content("{\"name\":"), content("\"Ann\"}"),
                          chunk("{}", R"("stop")"), "[DONE]"));
}

TEST(AnthropicStream, NothingAfterMessageStop) {
  const std::string text = read_wire_fixture(std::string(kTextStream));
  const auto once = run_whole(streaming_request(false), text);
  const auto twice = run_whole(streaming_request(false), text + text);
  ASSERT_FALSE(twice.error);
  EXPECT_EQ(frames(twice.out), frames(once.out));
}

}  // namespace
}  // namespace llmux::providers
