// A client's Responses API call passed through to an OpenAI or Azure deployment: the body as the
// client sent it (the deployment's model, without LiteLLM's fields or the deployment's chat
// defaults), OpenAI's and Azure's URLs, and the answer and the stream's events as the upstream
// sent them, with their usage read; the failures the API reports with a 200 are errors.
#include "providers/anthropic.hpp"
#include "providers/azure.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/registry.hpp"
#include "providers/wire/sse.hpp"

#include "api/responses.hpp"

#include "provider_test.hpp"

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

const Provider& provider_of(std::string_view prefix) { return *find_provider(prefix)->provider; }

Target openai_target() {
  return Target{.provider = "openai",
                .upstream_model = "gpt-4o-2024-08-06",
                .api_base = "https://api.openai.com/v1",
                .api_key = "sk-openai-secret-for-tests"};
}

Target azure_target(std::string api_version = {}) {
  return Target{.provider = "azure",
                .upstream_model = "my-gpt-4o",
                .api_base = "https://example.openai.azure.com",
                .api_key = "azure-secret-for-tests",
                .api_version = std::move(api_version)};
}

// The client's call as the Responses dialect hands it to such a deployment.
api::Request native_call(std::string_view body) {
  const auto client = parsed_request(api::Endpoint::responses, body);
  return api::request_from_body(api::Endpoint::responses,
                                api::responses_pass_through_body(client.body, 0));
}

std::optional<std::string> header(const UpstreamRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(ResponsesPassThrough, OpenAiAndAzureSpeakTheResponsesApi) {
  EXPECT_TRUE(provider_of("openai").speaks(api::Endpoint::responses));
  EXPECT_TRUE(provider_of("azure").speaks(api::Endpoint::responses));
  for (const auto* translated : {"hosted_vllm", "groq", "custom_openai", "anthropic", "bedrock"})
    EXPECT_FALSE(provider_of(translated).speaks(api::Endpoint::responses)) << translated;
  EXPECT_FALSE(provider_of("openai").speaks(api::Endpoint::messages));
}

// Built-in tools, an include, a reasoning setting: all the Responses API's own, all sent as the
// client wrote them; LiteLLM's fields are not, nor the deployment's chat-only defaults.
constexpr char kRichCall[] = R"({
  "model": "gpt-test", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"},
    {"type": "input_image", "file_id": "file-123"}]}],
  "tools": [{"type": "web_search"}], "include": ["web_search_call.action.sources"],
  "reasoning": {"effort": "low", "summary": "auto"}, "temperature": 0.25, "truncation": "auto",
  "fallbacks": ["other"], "num_retries": 2, "mock_response": "no", "metadata": {"tags": ["x"]}
})";

TEST(ResponsesPassThrough, EncodeSendsTheClientsCallToResponses) {
  const auto request = native_call(kRichCall);
  Target deployment = openai_target();
  // Defaults the Responses API takes fill what the call lacks (the client's temperature wins);
  // a chat-only field (max_tokens) is not sent.
  deployment.default_params = json::object{
      {"max_tokens", 99}, {"temperature", 0.9}, {"top_p", 0.5}, {"max_output_tokens", 300}};
  auto upstream = provider_of("openai").encode(request, deployment);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url, "https://api.openai.com/v1/responses");
  json::object expected = json::parse(kRichCall).as_object();
  expected["model"] = "gpt-4o-2024-08-06";
  expected["store"] = false;
  expected["top_p"] = 0.5;
  expected["max_output_tokens"] = 300;
  for (const auto* field : {"fallbacks", "num_retries", "mock_response", "metadata"})
    expected.erase(field);
  EXPECT_EQ(json::parse(upstream->body).as_object(), expected);
  EXPECT_EQ(header(*upstream, "Authorization"), "Bearer sk-openai-secret-for-tests");
}

TEST(ResponsesPassThrough, AzureServesItOutsideTheDeploymentsPath) {
  const auto request = native_call(R"({"model":"gpt-test","input":"Hi"})");
  const Provider& azure = provider_of("azure");
  auto v1 = azure.encode(request, azure_target());
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(v1->url, "https://example.openai.azure.com/openai/v1/responses?api-version=preview");
  EXPECT_EQ(json::parse(v1->body).at("model"), "my-gpt-4o");
  EXPECT_EQ(header(*v1, "api-key"), "azure-secret-for-tests");
  auto dated = azure.encode(request, azure_target("2025-04-01-preview"));
  ASSERT_TRUE(dated);
  EXPECT_EQ(dated->url,
            "https://example.openai.azure.com/openai/responses?api-version=2025-04-01-preview");
  auto latest = azure.encode(request, azure_target("latest"));
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->url, "https://example.openai.azure.com/openai/v1/responses?api-version=latest");
}

TEST(ResponsesPassThrough, DecodeHandsBackTheBytesAndReadsTheUsage) {
  const std::string answer = read_wire_fixture("openai/responses_function_call.synthetic.json");
  const auto request = native_call(R"({"model":"gpt-test","input":"Hi"})");
  auto reply = provider_of("openai").decode(request, answer, "gpt-test");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->body, answer);
  EXPECT_TRUE(reply->usage.reported);
  EXPECT_EQ(reply->usage.prompt_tokens, 291);
  EXPECT_EQ(reply->usage.completion_tokens, 23);
  EXPECT_EQ(reply->usage.total_tokens, 314);

  auto failed = provider_of("openai").decode(
      request,
      R"({"id":"resp_1","object":"response","status":"failed","output":[],
          "error":{"code":"rate_limit_exceeded","message":"Slow down."}})",
      "gpt-test");
  ASSERT_FALSE(failed) << "a failed response is the upstream's failure, not an answer";
  EXPECT_EQ(failed.error().message, "Slow down.");
  EXPECT_EQ(http_status(failed.error()), 429);
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

const api::Request kStreamed = native_call(R"({"model":"gpt-test","input":"Hi","stream":true})");

TEST(ResponsesPassThroughStream, EventsAsTheUpstreamSentThem) {
  for (const auto* fixture : {"openai/responses_stream.synthetic.sse",
                              "openai/responses_stream_function_call.synthetic.sse"}) {
    const std::string recorded = read_wire_fixture(fixture);
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < recorded.size(); ++i)
      bytes.push_back(std::string_view(recorded).substr(i, 1));
    for (const auto& pieces : {std::vector<std::string_view>{recorded}, bytes}) {
      const StreamRun run = run_stream(provider_of("azure"), kStreamed, pieces, "gpt-test");
      ASSERT_FALSE(run.error) << fixture << ": " << run.error->message;
      EXPECT_TRUE(run.done_before_finish) << fixture;
      EXPECT_EQ(events(run.out), events(recorded)) << fixture;
      EXPECT_TRUE(run.usage.reported);
    }
  }
  const StreamRun run = run_stream(
      provider_of("openai"), kStreamed,
      {read_wire_fixture("openai/responses_stream_function_call.synthetic.sse")}, "gpt-test");
  EXPECT_EQ(run.usage.prompt_tokens, 291);
  EXPECT_EQ(run.usage.cached_tokens, 128);
  EXPECT_EQ(run.usage.completion_tokens, 23);
}

std::string first_event(const std::string& sse) { return sse.substr(0, sse.find("\n\n") + 2); }

// response.created waits for the next event: a failure right after it is still one before
// anything reached the client, which the router may retry.
TEST(ResponsesPassThroughStream, AFailureRightAfterResponseCreatedIsAnOrdinaryFailure) {
  const std::string created =
      first_event(read_wire_fixture("openai/responses_stream.synthetic.sse"));
  const StreamRun started = run_stream(provider_of("openai"), kStreamed, {created}, "gpt-test");
  EXPECT_EQ(started.feed_error, std::nullopt);
  EXPECT_TRUE(started.out.empty()) << started.out;

  const StreamRun errored = run_stream(
      provider_of("openai"), kStreamed,
      {created,
       "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"The "
       "model had an error.\",\"param\":null,\"sequence_number\":1}\n\n"},
      "gpt-test");
  ASSERT_TRUE(errored.feed_error);
  EXPECT_TRUE(errored.out.empty()) << errored.out;
  EXPECT_EQ(errored.feed_error->message, "The model had an error.");
  EXPECT_EQ(http_status(*errored.feed_error), 500);

  const StreamRun failed = run_stream(
      provider_of("openai"), kStreamed,
      {created,
       "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":1,"
       "\"response\":{\"id\":\"resp_A\",\"status\":\"failed\",\"error\":{\"code\":"
       "\"invalid_prompt\",\"message\":\"Bad prompt.\"}}}\n\n"},
      "gpt-test");
  ASSERT_TRUE(failed.feed_error);
  EXPECT_EQ(failed.feed_error->message, "Bad prompt.");
  EXPECT_EQ(http_status(*failed.feed_error), 400);
}

TEST(ResponsesPassThroughStream, AStreamCutBeforeItsTerminalEventEndedEarly) {
  std::string recorded = read_wire_fixture("openai/responses_stream.synthetic.sse");
  recorded.erase(recorded.find("event: response.completed"));
  const StreamRun cut = run_stream(provider_of("openai"), kStreamed, {recorded}, "gpt-test");
  ASSERT_TRUE(cut.finish_error);
  EXPECT_THAT(cut.finish_error->message, HasSubstr("before it was complete"));
}

}  // namespace
}  // namespace llmux::providers
