#include "providers/openai_compatible.hpp"

#include "provider_test.hpp"
#include "providers/wire/sse.hpp"

#include <map>

namespace llmux::providers {
namespace {

using test_support::frames;

const OpenAiCompatibleProvider kAskingUsage{/*ask_stream_usage=*/true};
const OpenAiCompatibleProvider kPassThrough{/*ask_stream_usage=*/false};

constexpr char kClientModel[] = "my-gpt";
constexpr std::string_view kTextStream = "openai/chat_completion_stream.sse";
constexpr std::string_view kToolStream = "openai/chat_completion_stream_tool_calls.sse";
constexpr std::string_view kLogprobsStream = "openai/chat_completion_stream_logprobs.sse";

api::Request streaming_request(bool include_usage) {
  return parsed_request(api::Endpoint::chat_completions,
                        include_usage
                            ? R"({"model":"my-gpt","messages":[{"role":"user"}],"stream":true,
                                            "stream_options":{"include_usage":true}})"
                            : R"({"model":"my-gpt","messages":[{"role":"user"}],"stream":true})");
}

// Feeds `pieces` in turn (stopping at the first error), then finishes.
StreamRun run(const OpenAiCompatibleProvider& provider, const api::Request& request,
              const std::vector<std::string_view>& pieces) {
  return run_stream(provider, request, pieces, kClientModel);
}

StreamRun run_whole(const OpenAiCompatibleProvider& provider, const api::Request& request,
                    std::string_view text) {
  return run(provider, request, {text});
}

// What the client should receive for an upstream stream: each JSON chunk with `model` set to the
// client's name, the usage-only chunk left out when `hide_usage_chunk`, and [DONE] as the string.
std::vector<json::value> expected_chunks(std::string_view upstream, bool hide_usage_chunk) {
  wire::SseParser parser;
  std::vector<wire::SseEvent> events;
  EXPECT_TRUE(parser.feed(upstream, events));
  parser.finish(events);
  std::vector<json::value> chunks;
  for (const auto& event : events) {
    if (event.data == "[DONE]") {
      chunks.emplace_back("[DONE]");
      continue;
    }
    json::object chunk = json::parse(event.data).as_object();
    if (hide_usage_chunk && chunk.contains("usage") && chunk.at("choices").as_array().empty())
      continue;
    chunk["model"] = kClientModel;
    chunks.emplace_back(std::move(chunk));
  }
  return chunks;
}

std::vector<json::value> received_chunks(std::string_view out) {
  std::vector<json::value> chunks;
  for (const std::string& data : frames(out)) {
    if (data == "[DONE]")
      chunks.emplace_back("[DONE]");
    else
      chunks.push_back(json::parse(data));
  }
  return chunks;
}

std::size_t usage_only_chunks(const std::vector<json::value>& chunks) {
  std::size_t count = 0;
  for (const auto& chunk : chunks) {
    if (chunk.is_object() && chunk.as_object().contains("usage") &&
        chunk.at("choices").as_array().empty())
      ++count;
  }
  return count;
}

TEST(OpenAiStream, RelaysEveryChunkWithTheClientModelThenDone) {
  const std::string upstream = read_wire_fixture(std::string(kTextStream));
  const StreamRun result = run_whole(kPassThrough, streaming_request(false), upstream);
  ASSERT_FALSE(result.feed_error) << result.feed_error->message;
  ASSERT_FALSE(result.finish_error) << result.finish_error->message;
  const auto chunks = received_chunks(result.out);
  EXPECT_EQ(chunks, expected_chunks(upstream, /*hide_usage_chunk=*/false));
  ASSERT_EQ(chunks.size(), 34u);  // 33 JSON chunks (the recording's) and [DONE]
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i)
    EXPECT_EQ(chunks[i].at("model"), kClientModel) << i;
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_TRUE(result.done_before_finish);
  EXPECT_TRUE(result.done);
}

// Found by fuzz_providers_stream: an event of several data lines (joined by '\n') was relayed
// with its newlines, which ended the client's frame before its JSON.
TEST(OpenAiStream, AnEventOfSeveralDataLinesIsOneFrame) {
  const StreamRun result =
      run_whole(kPassThrough, streaming_request(false),
                "data:\ndata: {\"id\":\"c\",\ndata: \"choices\":[{\"index\":0,\"delta\":{}}]}\n\n"
                "data: [DONE]\n\n");
  ASSERT_FALSE(result.feed_error) << result.feed_error->message;
  const auto chunks = received_chunks(result.out);
  ASSERT_EQ(chunks.size(), 2u) << result.out;
  EXPECT_EQ(chunks[0].at("id"), "c");
  EXPECT_EQ(chunks[1], "[DONE]");
}

TEST(OpenAiStream, UsageIsCaptured) {
  const StreamRun result = run_whole(kAskingUsage, streaming_request(false),
                                     read_wire_fixture(std::string(kTextStream)));
  EXPECT_TRUE(result.usage.reported);
  EXPECT_EQ(result.usage.prompt_tokens, 14);
  EXPECT_EQ(result.usage.completion_tokens, 30);
  EXPECT_EQ(result.usage.total_tokens, 44);
}

TEST(OpenAiStream, UsageChunkHiddenOnlyWhenAskedForSpendAlone) {
  const std::string upstream = read_wire_fixture(std::string(kTextStream));
  // llmux asked for usage on this client's behalf: the client does not see the usage chunk.
  const StreamRun hidden = run_whole(kAskingUsage, streaming_request(false), upstream);
  EXPECT_EQ(received_chunks(hidden.out), expected_chunks(upstream, /*hide_usage_chunk=*/true));
  EXPECT_EQ(usage_only_chunks(received_chunks(hidden.out)), 0u);
  EXPECT_EQ(hidden.usage.total_tokens, 44);
  // The client asked: relayed.
  const StreamRun asked = run_whole(kAskingUsage, streaming_request(true), upstream);
  EXPECT_EQ(received_chunks(asked.out), expected_chunks(upstream, false));
  EXPECT_EQ(usage_only_chunks(received_chunks(asked.out)), 1u);
  // llmux did not ask: whatever the upstream sends is relayed.
  const StreamRun passed = run_whole(kPassThrough, streaming_request(false), upstream);
  EXPECT_EQ(usage_only_chunks(received_chunks(passed.out)), 1u);
  EXPECT_EQ(passed.usage.total_tokens, 44);
}

TEST(OpenAiStream, SameOutputWhereverTheBytesAreSplit) {
  for (std::string_view fixture : {kTextStream, kToolStream, kLogprobsStream}) {
    SCOPED_TRACE(std::string(fixture));
    const std::string upstream = read_wire_fixture(std::string(fixture));
    for (bool include_usage : {false, true}) {
      const api::Request request = streaming_request(include_usage);
      const StreamRun whole = run_whole(kAskingUsage, request, upstream);
      ASSERT_FALSE(whole.feed_error);
      ASSERT_FALSE(whole.finish_error);
      ASSERT_EQ(received_chunks(whole.out), expected_chunks(upstream, !include_usage));
      const std::string_view text = upstream;
      for (std::size_t at = 0; at <= text.size(); ++at) {
        const StreamRun split = run(kAskingUsage, request, {text.substr(0, at), text.substr(at)});
        ASSERT_FALSE(split.feed_error) << "split at " << at;
        ASSERT_EQ(split.out, whole.out) << "split at " << at;
        ASSERT_EQ(split.usage.total_tokens, whole.usage.total_tokens) << "split at " << at;
      }
      std::vector<std::string_view> bytes;
      for (std::size_t at = 0; at < text.size(); ++at) bytes.push_back(text.substr(at, 1));
      EXPECT_EQ(run(kAskingUsage, request, bytes).out, whole.out) << "one byte at a time";
    }
  }
}

TEST(OpenAiStream, ToolCallStream) {
  const std::string upstream = read_wire_fixture(std::string(kToolStream));
  const StreamRun result = run_whole(kAskingUsage, streaming_request(true), upstream);
  ASSERT_FALSE(result.feed_error);
  ASSERT_FALSE(result.finish_error);
  const auto chunks = received_chunks(result.out);
  EXPECT_EQ(chunks, expected_chunks(upstream, false));
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_EQ(result.usage.prompt_tokens, 149);
  EXPECT_EQ(result.usage.completion_tokens, 60);
  EXPECT_EQ(result.usage.total_tokens, 209);
  // The relayed deltas still assemble into the two calls with complete JSON arguments.
  std::map<std::int64_t, std::string> names, arguments;
  std::string finish_reason;
  for (const auto& chunk : chunks) {
    if (!chunk.is_object()) continue;
    for (const auto& choice : chunk.at("choices").as_array()) {
      if (const auto* reason = choice.as_object().if_contains("finish_reason");
          reason && reason->is_string())
        finish_reason = reason->as_string();
      const auto* calls = choice.at("delta").as_object().if_contains("tool_calls");
      if (!calls) continue;
      for (const auto& call : calls->as_array()) {
        const auto index = call.at("index").to_number<std::int64_t>();
        const auto& function = call.at("function").as_object();
        if (const auto* name = function.if_contains("name")) names[index] += name->as_string();
        if (const auto* args = function.if_contains("arguments"))
          arguments[index] += args->as_string();
      }
    }
  }
  EXPECT_EQ(finish_reason, "tool_calls");
  EXPECT_EQ(names,
            (std::map<std::int64_t, std::string>{{0, "GetWeatherArgs"}, {1, "get_stock_price"}}));
  ASSERT_EQ(arguments.size(), 2u);
  for (const auto& [index, text] : arguments) {
    json::error_code ec;
    EXPECT_TRUE(json::parse(text, ec).is_object()) << index << ": " << text;
  }
}

constexpr std::string_view kRoleChunk =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})"
    "\n\n";
constexpr std::string_view kContentChunk =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})"
    "\n\n";
constexpr std::string_view kFinishChunk =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
    "\n\n";
constexpr std::string_view kDone = "data: [DONE]\n\n";

TEST(OpenAiStream, AnErrorEventIsTheStreamsFailureAfterTheChunksBeforeIt) {
  constexpr std::string_view error_data =
      R"({"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})";
  const std::string error_event = "data: " + std::string(error_data) + "\n\n";
  const StreamRun result = run(kPassThrough, streaming_request(false),
                               {kRoleChunk, kContentChunk, error_event, kContentChunk, kDone});
  // The gateway reports it (in band once the stream started; masked of secrets), as any failure.
  ASSERT_TRUE(result.feed_error);
  EXPECT_EQ(result.feed_error->message, "The server had an error");
  EXPECT_EQ(result.feed_error->type, "server_error");
  EXPECT_EQ(http_status(*result.feed_error), 500);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 2u);  // the chunks before it, nothing after
  EXPECT_EQ(json::parse(data[1]).at("model"), kClientModel);
}

TEST(OpenAiStream, NullErrorKeyIsNotAnError) {
  constexpr std::string_view with_null_error =
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","error":null,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})"
      "\n\n";
  const StreamRun result = run(kPassThrough, streaming_request(false),
                               {kRoleChunk, with_null_error, kFinishChunk, kDone});
  ASSERT_FALSE(result.feed_error);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_EQ(json::parse(data[1]).at("model"), kClientModel);
  EXPECT_EQ(data.back(), "[DONE]");
}

TEST(OpenAiStream, MissingDoneAfterAFinishReasonIsCompletedByFinish) {
  const StreamRun result =
      run(kPassThrough, streaming_request(false), {kRoleChunk, kContentChunk, kFinishChunk});
  ASSERT_FALSE(result.feed_error);
  EXPECT_FALSE(result.done_before_finish);
  EXPECT_FALSE(result.finish_error);
  EXPECT_TRUE(result.done);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_EQ(data.back(), "[DONE]");

  // The recording cut just before its [DONE] line.
  const std::string upstream = read_wire_fixture(std::string(kTextStream));
  const std::string_view cut = std::string_view(upstream).substr(0, upstream.rfind("data: [DONE]"));
  const StreamRun recorded = run_whole(kAskingUsage, streaming_request(true), cut);
  EXPECT_FALSE(recorded.finish_error);
  EXPECT_EQ(received_chunks(recorded.out), expected_chunks(upstream, false));
}

TEST(OpenAiStream, LastEventWithoutItsBlankLineIsDeliveredByFinish) {
  std::string_view unterminated = kFinishChunk;
  unterminated.remove_suffix(2);
  const StreamRun result = run(kPassThrough, streaming_request(false), {kRoleChunk, unterminated});
  EXPECT_FALSE(result.finish_error);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(json::parse(data[1]).at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(data[2], "[DONE]");
}

TEST(OpenAiStream, EndingBeforeAnyFinishReasonIsAnError) {
  for (const std::vector<std::string_view>& pieces :
       {std::vector<std::string_view>{}, {kRoleChunk}, {kRoleChunk, kContentChunk}}) {
    const StreamRun result = run(kPassThrough, streaming_request(false), pieces);
    ASSERT_FALSE(result.feed_error);
    ASSERT_TRUE(result.finish_error) << pieces.size() << " chunks";
    EXPECT_EQ(result.finish_error->kind, ErrorKind::upstream_failed);
    EXPECT_FALSE(result.done);
    EXPECT_EQ(result.out.find("[DONE]"), std::string::npos);
  }
}

TEST(OpenAiStream, EventThatIsNotAJsonObjectIsAnError) {
  for (std::string_view bad : {"data: not json\n\n", "data: [1,2]\n\n", "data: {\"a\":\n\n"}) {
    SCOPED_TRACE(bad);
    const StreamRun result = run(kPassThrough, streaming_request(false), {kRoleChunk, bad});
    ASSERT_TRUE(result.feed_error);
    EXPECT_EQ(result.feed_error->kind, ErrorKind::upstream_failed);
    EXPECT_EQ(http_status(*result.feed_error), 502);
  }
}

TEST(OpenAiStream, CommentsEmptyEventsAndAnythingAfterDoneAreIgnored) {
  const StreamRun result =
      run(kPassThrough, streaming_request(false),
          {": OPENROUTER PROCESSING\n\n", kRoleChunk, "data:\n\n", "event: ping\n\n", kFinishChunk,
           kDone, kContentChunk, "data: garbage after done\n\n"});
  ASSERT_FALSE(result.feed_error) << result.feed_error->message;
  EXPECT_FALSE(result.finish_error);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");
}

TEST(OpenAiStream, UsageOnAChunkWithChoicesIsCapturedAndRelayed) {
  constexpr std::string_view last =
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})"
      "\n\n";
  constexpr std::string_view null_usage =
      R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null})"
      "\n\n";
  const StreamRun result =
      run(kAskingUsage, streaming_request(false), {kRoleChunk, null_usage, last, kDone});
  ASSERT_FALSE(result.feed_error);
  const auto data = frames(result.out);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_TRUE(json::parse(data[1]).at("usage").is_null());
  EXPECT_EQ(json::parse(data[2]).at("usage").at("total_tokens"), 7);
  EXPECT_EQ(result.usage.total_tokens, 7);
  EXPECT_TRUE(result.usage.reported);
}

// The recorded text stream without its usage chunk: a server that ignores stream_options.
std::string stream_without_usage() {
  const std::string recorded = read_wire_fixture(std::string(kTextStream));
  std::string kept;
  for (std::size_t at = 0; at < recorded.size();) {
    const std::size_t end = recorded.find("\n\n", at);
    const std::string event = recorded.substr(at, end + 2 - at);
    if (event.find("\"usage\":{") == std::string::npos) kept += event;
    at = end + 2;
  }
  return kept;
}

TEST(OpenAiStream, WithoutUsageFromTheUpstreamItIsEstimated) {
  const std::string upstream = stream_without_usage();
  const StreamRun result = run_whole(kPassThrough, streaming_request(false), upstream);
  ASSERT_FALSE(result.feed_error);
  ASSERT_FALSE(result.finish_error);
  EXPECT_FALSE(result.usage.reported);
  EXPECT_TRUE(result.usage.estimated);
  EXPECT_EQ(result.usage.prompt_tokens, 7);  // 3 priming + 3 + "user"
  EXPECT_NEAR(static_cast<double>(result.usage.completion_tokens), 30.0, 3.0)
      << "the recording reports 30";
  EXPECT_EQ(result.usage.total_tokens, result.usage.prompt_tokens + result.usage.completion_tokens);
  for (const auto& data : frames(result.out)) {
    EXPECT_EQ(data.find("\"usage\":{"), std::string::npos)
        << "no usage chunk the client did not ask for";
  }
}

TEST(OpenAiStream, AClientAskingIncludeUsageGetsTheEstimateAsTheStreamsUsageChunk) {
  const std::string upstream = stream_without_usage();
  const StreamRun result = run_whole(kPassThrough, streaming_request(true), upstream);
  const auto data = frames(result.out);
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");
  const json::value first = json::parse(data.front());
  const json::value usage_chunk = json::parse(data[data.size() - 2]);
  EXPECT_EQ(usage_chunk.at("id"), first.at("id"));
  EXPECT_EQ(usage_chunk.at("created"), first.at("created"));
  EXPECT_EQ(usage_chunk.at("object"), "chat.completion.chunk");
  EXPECT_EQ(usage_chunk.at("model"), kClientModel);
  EXPECT_TRUE(usage_chunk.at("choices").as_array().empty());
  EXPECT_EQ(usage_chunk.at("usage").at("completion_tokens").to_number<std::int64_t>(),
            result.usage.completion_tokens);
  EXPECT_EQ(usage_chunk.at("usage").at("prompt_tokens"), 7);
  for (std::size_t at = 0; at <= upstream.size(); at += 7) {
    EXPECT_EQ(run(kPassThrough, streaming_request(true),
                  {std::string_view(upstream).substr(0, at), std::string_view(upstream).substr(at)})
                  .out,
              result.out)
        << "split at " << at;
  }
}

}  // namespace
}  // namespace llmux::providers
