#include "providers/azure.hpp"

#include "api/error_body.hpp"
#include "provider_test.hpp"
#include "providers/wire/sse.hpp"

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const OpenAiCompatibleProvider kAzure{/*ask_stream_usage=*/false, azure_addressing()};

constexpr char kClientModel[] = "my-azure-gpt";
constexpr std::string_view kChat =
    R"({"model":"my-azure-gpt","messages":[{"role":"user","content":"Hi"}],"temperature":0.5})";

Target azure_target() {
  return Target{.provider = "azure",
                .upstream_model = "gpt4o-prod",
                .api_base = "https://res.openai.azure.com",
                .api_key = "azure-key-1",
                .api_version = "2024-10-21"};
}

UpstreamRequest encoded(api::Endpoint endpoint, std::string_view body,
                        const Target& target = azure_target()) {
  auto result = kAzure.encode(parsed_request(endpoint, body), target);
  if (!result) throw std::runtime_error("encode failed: " + result.error().message);
  return std::move(*result);
}

// ---- encode ----

TEST(AzureEncode, DeploymentUrlWithApiVersion) {
  EXPECT_EQ(encoded(api::Endpoint::chat_completions, kChat).url,
            "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/"
            "completions?api-version=2024-10-21");
  EXPECT_EQ(encoded(api::Endpoint::completions, R"({"model":"m","prompt":"p"})").url,
            "https://res.openai.azure.com/openai/deployments/gpt4o-prod/"
            "completions?api-version=2024-10-21");
  EXPECT_EQ(encoded(api::Endpoint::embeddings, R"({"model":"m","input":"x"})").url,
            "https://res.openai.azure.com/openai/deployments/gpt4o-prod/"
            "embeddings?api-version=2024-10-21");
}

TEST(AzureEncode, LiteLlmsDefaultVersionWhenNoneIsConfigured) {
  Target target = azure_target();
  target.api_version.clear();
  EXPECT_THAT(encoded(api::Endpoint::chat_completions, kChat, target).url,
              ::testing::EndsWith("/chat/completions?api-version=2025-02-01-preview"));
}

TEST(AzureEncode, DeploymentAndVersionCannotBreakTheUrl) {
  Target target = azure_target();
  target.upstream_model = "my dep/../x?y";
  target.api_version = "2024-10-21&evil=1";
  EXPECT_EQ(encoded(api::Endpoint::chat_completions, kChat, target).url,
            "https://res.openai.azure.com/openai/deployments/my%20dep%2F..%2Fx%3Fy/chat/completions"
            "?api-version=2024-10-21%26evil%3D1");
}

TEST(AzureEncode, NoModerationsEndpoint) {
  auto result =
      kAzure.encode(parsed_request(api::Endpoint::moderations, R"({"input":"x"})"), azure_target());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_request);
}

TEST(AzureEncode, ApiKeyHeaderNotBearer) {
  const UpstreamRequest request = encoded(api::Endpoint::chat_completions, kChat);
  EXPECT_THAT(request.headers, UnorderedElementsAre(Pair("api-key", "azure-key-1")));
}

TEST(AzureEncode, AzureAdTokenIsABearerTokenAndWinsOverTheKey) {
  Target target = azure_target();
  target.settings["azure_ad_token"] = "entra-token-2";
  target.extra_headers.emplace_back("X-Team", "a");
  const UpstreamRequest request = encoded(api::Endpoint::chat_completions, kChat, target);
  EXPECT_THAT(request.headers, UnorderedElementsAre(Pair("Authorization", "Bearer entra-token-2"),
                                                    Pair("X-Team", "a")));
  EXPECT_THAT(request.body, ::testing::Not(HasSubstr("entra-token-2")));
}

TEST(AzureEncode, BodyIsOpenAisWithTheDeploymentAsModel) {
  Target target = azure_target();
  target.default_params["max_tokens"] = 64;
  const json::value body = json::parse(
      encoded(
          api::Endpoint::chat_completions,
          R"({"model":"my-azure-gpt","messages":[{"role":"user","content":"Hi"}],"temperature":0.5,"metadata":{"a":1}})",
          target)
          .body);
  EXPECT_EQ(body, json::parse(R"({"model":"gpt4o-prod","messages":[{"role":"user","content":"Hi"}],
                                  "temperature":0.5,"max_tokens":64})"));
}

TEST(AzureEncode, StreamOptionsOnlyWhenTheClientAsked) {
  const json::value plain = json::parse(
      encoded(api::Endpoint::chat_completions,
              R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true})")
          .body);
  EXPECT_FALSE(plain.as_object().contains("stream_options"));
}

// ---- decode ----

TEST(AzureDecode, FilterAnnotationsKeptModelReplaced) {
  const std::string upstream = read_wire_fixture("azure/chat_completion.synthetic.json");
  auto reply =
      kAzure.decode(parsed_request(api::Endpoint::chat_completions, kChat), upstream, kClientModel);
  ASSERT_TRUE(reply);
  json::value expected = json::parse(upstream);
  expected.as_object()["model"] = kClientModel;
  EXPECT_EQ(json::parse(reply->body), expected);
  EXPECT_EQ(reply->usage.prompt_tokens, 19);
  EXPECT_EQ(reply->usage.completion_tokens, 10);
  EXPECT_EQ(reply->usage.total_tokens, 29);
}

TEST(AzureDecodeError, ContentFilterIsAContentPolicyErrorWithAzuresDetail) {
  const Error error =
      kAzure.decode_error(400, read_wire_fixture("azure/error_400_content_filter.json"));
  EXPECT_EQ(error.kind, ErrorKind::content_policy);
  EXPECT_EQ(http_status(error), 400);
  EXPECT_THAT(error.message, HasSubstr("content management policy"));
  EXPECT_THAT(error.message, HasSubstr(R"("violence":{"filtered":true,"severity":"medium"})"));
  EXPECT_EQ(error.param, "prompt");
  const json::value body = json::parse(api::error_body(error));
  EXPECT_EQ(body.at("error").at("code"), "content_policy_violation");
  EXPECT_EQ(body.at("error").at("type"), "invalid_request_error");
}

TEST(AzureDecodeError, OtherErrorsKeepTheirStatus) {
  const Error error = kAzure.decode_error(
      404,
      R"({"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}})");
  EXPECT_EQ(error.kind, ErrorKind::not_found);
  EXPECT_EQ(error.code, "DeploymentNotFound");
  const Error limited = kAzure.decode_error(
      429, R"({"error":{"code":"429","message":"Requests have exceeded the rate limit."}})");
  EXPECT_EQ(limited.kind, ErrorKind::rate_limited);
}

// ---- stream ----

StreamRun run(const api::Request& request, const std::vector<std::string_view>& pieces) {
  return run_stream(kAzure, request, pieces, kClientModel);
}

std::vector<json::value> chunks_of(std::string_view out) {
  wire::SseParser parser;
  std::vector<wire::SseEvent> events;
  parser.feed(out, events);
  std::vector<json::value> chunks;
  for (const auto& event : events)
    chunks.push_back(event.data == "[DONE]" ? json::value("[DONE]") : json::parse(event.data));
  return chunks;
}

TEST(AzureStream, PromptFilterChunkIsNotRelayedNorTakenForUsage) {
  const std::string upstream = read_wire_fixture("azure/chat_completion_stream.synthetic.sse");
  const StreamRun result = run(streaming_chat_request(true), {upstream});
  ASSERT_FALSE(result.error) << result.error->message;
  const auto chunks = chunks_of(result.out);
  ASSERT_EQ(chunks.size(), 11u);  // 11 upstream events less the prompt-filter one, and [DONE]
  EXPECT_EQ(chunks.back(), "[DONE]");
  std::string text;
  int finishes = 0;
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    const auto& chunk = chunks[i].as_object();
    EXPECT_EQ(chunk.at("model"), kClientModel);
    EXPECT_EQ(chunk.at("id"), "chatcmpl-AzUr3SynthEt1cStream00000000");
    EXPECT_FALSE(chunk.contains("prompt_filter_results"));
    for (const auto& choice : chunk.at("choices").as_array()) {
      EXPECT_TRUE(choice.as_object().contains("content_filter_results"));
      if (const auto* content = choice.at("delta").as_object().if_contains("content"))
        text += content->as_string();
      if (!choice.at("finish_reason").is_null()) ++finishes;
    }
  }
  EXPECT_EQ(text, "Hello! How can I help?");
  EXPECT_EQ(finishes, 1);
  EXPECT_TRUE(chunks[9].at("choices").as_array().empty());  // the usage chunk, relayed as asked
  EXPECT_EQ(result.usage.total_tokens, 19);
  EXPECT_EQ(result.usage.prompt_tokens, 11);
}

TEST(AzureStream, SameOutputWhereverTheBytesAreSplit) {
  for (const char* fixture : {"azure/chat_completion_stream.synthetic.sse",
                              "azure/chat_completion_stream_content_filter.synthetic.sse"}) {
    SCOPED_TRACE(fixture);
    const std::string upstream = read_wire_fixture(fixture);
    const api::Request request = streaming_chat_request(true);
    const StreamRun whole = run(request, {upstream});
    ASSERT_FALSE(whole.error);
    const std::string_view text = upstream;
    for (std::size_t at = 0; at <= text.size(); ++at) {
      const StreamRun split = run(request, {text.substr(0, at), text.substr(at)});
      ASSERT_FALSE(split.error) << "split at " << at;
      ASSERT_EQ(split.out, whole.out) << "split at " << at;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t at = 0; at < text.size(); ++at) bytes.push_back(text.substr(at, 1));
    EXPECT_EQ(run(request, bytes).out, whole.out);
  }
}

TEST(AzureStream, ContentFilterFinishReasonPassesThrough) {
  const StreamRun result =
      run(streaming_chat_request(false),
          {read_wire_fixture("azure/chat_completion_stream_content_filter.synthetic.sse")});
  ASSERT_FALSE(result.error);
  const auto chunks = chunks_of(result.out);
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks[chunks.size() - 2].at("choices").at(0).at("finish_reason"), "content_filter");
}

TEST(AzureStream, BadBytesAreCleanErrors) {
  const std::string upstream = read_wire_fixture("azure/chat_completion_stream.synthetic.sse");
  const auto cut =
      upstream.find("data: ", upstream.find("\"Hello\""));  // after the first content event
  const StreamRun ended_early =
      run(streaming_chat_request(false), {std::string_view(upstream).substr(0, cut)});
  ASSERT_TRUE(ended_early.error);
  EXPECT_EQ(ended_early.error->kind, ErrorKind::upstream_failed);
  const StreamRun truncated =
      run(streaming_chat_request(false), {"data: {\"id\":\"x\",\"choices\":[{\"delta\n\n"});
  ASSERT_TRUE(truncated.error);
  EXPECT_EQ(truncated.error->kind, ErrorKind::upstream_failed);
  const StreamRun invalid_utf8 =
      run(streaming_chat_request(false),
          {"data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"\xC3\x28\"}}]}\n\n"});
  ASSERT_TRUE(invalid_utf8.error);
}

}  // namespace
}  // namespace llmux::providers
