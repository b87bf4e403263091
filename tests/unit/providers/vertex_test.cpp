#include "providers/vertex.hpp"

#include "google_key.hpp"
#include "provider_test.hpp"
#include "providers/registry.hpp"
#include "providers/wire/google_auth.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace llmux::providers {
namespace {

using test_support::key_json;
using ::testing::HasSubstr;
using ::testing::Not;

const GeminiProvider kVertexGemini{vertex_gemini_addressing()};
const AnthropicProvider kVertexClaude{vertex_anthropic_addressing()};
constexpr char kClientModel[] = "my-vertex";
constexpr std::string_view kHello =
    R"({"model":"my-vertex","messages":[{"role":"user","content":"Hi"}],"temperature":0.5})";

std::shared_ptr<wire::GoogleAccessToken> token_with(std::string_view value) {
  auto token = std::make_shared<wire::GoogleAccessToken>(
      wire::ServiceAccount{.client_email = "sa@proj-1.iam.gserviceaccount.com"},
      "https://oauth2.example.test/token", "vertex_ai deployment 'my-vertex' (m)");
  if (!value.empty()) token->publish(std::string(value));
  return token;
}

Target vertex_target(std::string model, std::string_view token = "ya29.test-token") {
  Target target{.provider = "vertex_ai",
                .upstream_model = std::move(model),
                .api_base = "https://europe-west4-aiplatform.googleapis.com"};
  target.settings["vertex_project"] = "proj-1";
  target.settings["vertex_location"] = "europe-west4";
  target.google_token = token_with(token);
  return target;
}

api::Request chat(std::string_view body) {
  return parsed_request(api::Endpoint::chat_completions, body);
}

// ---- Gemini on Vertex ----

TEST(VertexGemini, UrlBearerAndGeminisBody) {
  Target target = vertex_target("gemini-2.5-flash");
  target.extra_headers = {{"X-Team", "blue"}};
  const auto upstream = kVertexGemini.encode(chat(kHello), target);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/locations/"
            "europe-west4/publishers/"
            "google/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(upstream->headers,
            (Headers{{"Authorization", "Bearer ya29.test-token"}, {"X-Team", "blue"}}));
  EXPECT_EQ(json::parse(upstream->body),
            json::parse(R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]}],
                                                         "generationConfig":{"temperature":0.5}})"));
  // The same translation as AI Studio's: only the addressing differs.
  const GeminiProvider ai_studio;
  Target studio{.provider = "gemini",
                .upstream_model = "gemini-2.5-flash",
                .api_base = "https://x",
                .api_key = "k"};
  EXPECT_EQ(upstream->body, ai_studio.encode(chat(kHello), studio)->body);
}

TEST(VertexGemini, StreamsWithAltSse) {
  const auto upstream = kVertexGemini.encode(
      chat(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true})"),
      vertex_target("gemini-2.5-pro"));
  ASSERT_TRUE(upstream);
  EXPECT_THAT(upstream->url,
              ::testing::EndsWith(
                  "/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse"));
}

TEST(VertexGemini, EmbeddingsThroughPredict) {
  const auto upstream =
      kVertexGemini.encode(parsed_request(api::Endpoint::embeddings,
                                          R"({"model":"m","input":["a","b"],"dimensions":256})"),
                           vertex_target("text-embedding-005"));
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_THAT(upstream->url,
              ::testing::EndsWith("/publishers/google/models/text-embedding-005:predict"));
  EXPECT_EQ(json::parse(upstream->body),
            json::parse(R"({"instances":[{"content":"a"},{"content":"b"}],
                                                         "parameters":{"outputDimensionality":256}})"));
  const auto plain = kVertexGemini.encode(
      parsed_request(api::Endpoint::embeddings, R"({"model":"m","input":"a"})"),
      vertex_target("text-embedding-005"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(json::parse(plain->body), json::parse(R"({"instances":[{"content":"a"}]})"));
}

TEST(VertexGemini, PredictAnswerDigitsKeptAndTokensCounted) {
  constexpr std::string_view kAnswer = R"({"predictions":[
      {"embeddings":{"statistics":{"truncated":false,"token_count":4},"values":[0.0123456789012345678,-1e-7]}},
      {"embeddings":{"statistics":{"truncated":false,"token_count":6},"values":[0.5,0.25]}}],
    "metadata":{"billableCharacterCount":20}})";
  const auto request =
      parsed_request(api::Endpoint::embeddings, R"({"model":"m","input":["a","b"]})");
  const auto reply = kVertexGemini.decode(request, kAnswer, kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(json::parse(reply->body), json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.0123456789012345678,-1e-7]},
      {"object":"embedding","index":1,"embedding":[0.5,0.25]}],
    "model":"my-vertex","usage":{"prompt_tokens":10,"total_tokens":10}})"));
  EXPECT_THAT(reply->body, HasSubstr("[0.0123456789012345678,-1e-7]"))
      << "digits as Google wrote them";
  EXPECT_EQ(reply->usage.prompt_tokens, 10);
  EXPECT_TRUE(reply->usage.reported);

  const auto base64 = kVertexGemini.decode(
      parsed_request(api::Endpoint::embeddings,
                     R"({"model":"m","input":"a","encoding_format":"base64"})"),
      R"({"predictions":[{"embeddings":{"values":[1.0,2.0]}}]})", kClientModel);
  ASSERT_TRUE(base64);
  EXPECT_THAT(base64->body, HasSubstr(R"("embedding":"AACAPwAAAEA=")"));
  EXPECT_FALSE(kVertexGemini.decode(request, R"({"embeddings":[{"values":[1]}]})", kClientModel))
      << "an AI Studio answer is not Vertex's";
}

TEST(VertexGemini, NoTokenYetIs503NamingTheDeploymentNotASecret) {
  const auto upstream = kVertexGemini.encode(chat(kHello), vertex_target("gemini-2.5-flash", ""));
  ASSERT_FALSE(upstream);
  EXPECT_EQ(http_status(upstream.error()), 503);
  EXPECT_THAT(upstream.error().message, HasSubstr("vertex_ai deployment 'my-vertex'"));
  EXPECT_THAT(upstream.error().message, Not(HasSubstr("ya29")));
}

TEST(VertexGemini, ModelIdCannotChangeTheUrl) {
  const auto upstream = kVertexGemini.encode(chat(kHello), vertex_target("gemini/../x?y"));
  ASSERT_FALSE(upstream);
  EXPECT_EQ(upstream.error().kind, ErrorKind::invalid_request);
}

TEST(VertexGemini, DecodesGeminiStreamsLikeAiStudio) {
  const auto request =
      chat(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true,
                                "stream_options":{"include_usage":true}})");
  const std::string bytes = read_wire_fixture("gemini/stream_generate_content.sse");
  std::string out;
  auto decoder = kVertexGemini.make_stream_decoder(request, kClientModel, kMaxEventBytes);
  ASSERT_TRUE(decoder->feed(bytes, out));
  ASSERT_TRUE(decoder->finish(out));
  EXPECT_THAT(out, HasSubstr(R"("model":"my-vertex")"));
  EXPECT_THAT(out, HasSubstr("data: [DONE]"));
  EXPECT_EQ(decoder->usage().prompt_tokens, 138);
  EXPECT_EQ(decoder->usage().completion_tokens, 15);
}

// ---- Claude on Vertex ----

TEST(VertexClaude, RawPredictUrlBodyWithoutModelWithVertexVersion) {
  Target target = vertex_target("claude-sonnet-4-5@20250929");
  target.max_output_tokens = 1000;
  const auto upstream = kVertexClaude.encode(chat(kHello), target);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/locations/"
            "europe-west4/publishers/"
            "anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
  EXPECT_EQ(upstream->headers, (Headers{{"Authorization", "Bearer ya29.test-token"}}));
  EXPECT_EQ(json::parse(upstream->body), json::parse(R"({"anthropic_version":"vertex-2023-10-16",
      "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":1000,"temperature":0.5})"));
}

TEST(VertexClaude, StreamRawPredictAndBetaHeaders) {
  Target target = vertex_target("claude-3-5-haiku@20241022");
  target.extra_headers = {{"anthropic-beta", "context-1m-2025-08-07"}};
  const auto upstream = kVertexClaude.encode(
      chat(
          R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true,"max_tokens":5})"),
      target);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_THAT(upstream->url,
              ::testing::EndsWith(
                  "/publishers/anthropic/models/claude-3-5-haiku@20241022:streamRawPredict"));
  EXPECT_EQ(upstream->headers, (Headers{{"Authorization", "Bearer ya29.test-token"},
                                        {"anthropic-beta", "context-1m-2025-08-07"}}));
  const auto body = json::parse(upstream->body).as_object();
  EXPECT_EQ(body.at("stream"), json::value(true));
  EXPECT_FALSE(body.contains("model"));
}

TEST(VertexClaude, GooglesOwnErrorsKeepTheirStatusAndMessage) {
  // Vertex answers quota and IAM failures in google.rpc's shape, not Anthropic's.
  const Error quota = kVertexClaude.decode_error(
      429,
      R"({"error":{"code":429,"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model.","status":"RESOURCE_EXHAUSTED"}})");
  EXPECT_EQ(quota.kind, ErrorKind::rate_limited);
  EXPECT_EQ(http_status(quota), 429);
  EXPECT_THAT(quota.message, HasSubstr("Quota exceeded for aiplatform.googleapis.com"));
  const Error denied = kVertexClaude.decode_error(
      403,
      R"({"error":{"code":403,"message":"Permission 'aiplatform.endpoints.predict' denied","status":"PERMISSION_DENIED"}})");
  EXPECT_EQ(http_status(denied), 403);
  EXPECT_THAT(denied.message, HasSubstr("aiplatform.endpoints.predict"));
}

TEST(VertexClaude, DecodesAnthropicStreams) {
  const auto request =
      chat(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true})");
  const std::string bytes = read_wire_fixture("anthropic/message_stream.sse");
  std::string out;
  auto decoder = kVertexClaude.make_stream_decoder(request, kClientModel, kMaxEventBytes);
  ASSERT_TRUE(decoder->feed(bytes, out));
  ASSERT_TRUE(decoder->finish(out));
  EXPECT_TRUE(decoder->done());
  EXPECT_THAT(out, HasSubstr(R"("model":"my-vertex")"));
  EXPECT_THAT(out, HasSubstr("data: [DONE]"));
}

// ---- the registry and the load-time preparation ----

TEST(VertexRegistry, ClaudeModelsGoToAnthropicsTranslation) {
  const auto* spec = find_provider("vertex_ai");
  ASSERT_NE(spec, nullptr);
  EXPECT_FALSE(is_planned_provider("vertex_ai"));
  EXPECT_NE(spec->prepare, nullptr);
  EXPECT_TRUE(is_vertex_anthropic_model("claude-sonnet-4-5@20250929"));
  EXPECT_TRUE(is_vertex_anthropic_model("Claude-3-opus"));
  EXPECT_FALSE(is_vertex_anthropic_model("gemini-2.5-flash"));
  EXPECT_NE(spec->provider_for("claude-3-5-haiku"), spec->provider_for("gemini-2.5-flash"));
  EXPECT_EQ(spec->provider_for("gemini-2.5-flash"), spec->provider_for("gemini-2.0-flash"));
}

class VertexPrepare : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"VERTEXAI_PROJECT", "VERTEXAI_LOCATION", "VERTEXAI_TOKEN_URI",
                             "GOOGLE_APPLICATION_CREDENTIALS"})
      ::unsetenv(name);
  }
  void TearDown() override { SetUp(); }

  static Target with_key(std::string model = "gemini-2.5-flash") {
    Target target{.provider = "vertex_ai", .upstream_model = std::move(model)};
    target.settings["vertex_credentials"] = key_json();
    return target;
  }
};

TEST_F(VertexPrepare, ProjectFromTheKeyDefaultLocationRegionalHost) {
  Target target = with_key();
  ASSERT_EQ(prepare_vertex_target(target, "chat"), std::nullopt);
  EXPECT_EQ(target.settings.at("vertex_project"), json::value("proj-1"));
  EXPECT_EQ(target.settings.at("vertex_location"), json::value("us-central1"));
  EXPECT_EQ(target.api_base, "https://us-central1-aiplatform.googleapis.com");
  ASSERT_TRUE(target.google_token);
  EXPECT_EQ(target.google_token->token_uri(), "https://oauth2.example.test/token");
  EXPECT_EQ(target.google_token->owner(), "vertex_ai deployment 'chat' (gemini-2.5-flash)");
}

TEST_F(VertexPrepare, SettingsThenEnvironment) {
  Target target = with_key();
  target.settings["vertex_project"] = "other-proj";
  ::setenv("VERTEXAI_LOCATION", "global", 1);
  ::setenv("VERTEXAI_TOKEN_URI", "http://127.0.0.1:9/token", 1);
  ASSERT_EQ(prepare_vertex_target(target, "chat"), std::nullopt);
  EXPECT_EQ(target.settings.at("vertex_project"), json::value("other-proj"));
  EXPECT_EQ(target.api_base, "https://aiplatform.googleapis.com")
      << "global has no location in its host";
  EXPECT_EQ(target.google_token->token_uri(), "http://127.0.0.1:9/token");

  Target with_base = with_key();
  with_base.api_base = "http://127.0.0.1:8080";
  with_base.settings["vertex_token_uri"] = "http://127.0.0.1:7/token";
  ASSERT_EQ(prepare_vertex_target(with_base, "chat"), std::nullopt);
  EXPECT_EQ(with_base.api_base, "http://127.0.0.1:8080");
  EXPECT_EQ(with_base.google_token->token_uri(), "http://127.0.0.1:7/token");
}

TEST_F(VertexPrepare, CredentialsFromGoogleApplicationCredentials) {
  const auto path = std::filesystem::temp_directory_path() / "llmux_vertex_test_key.json";
  std::ofstream(path) << key_json();
  ::setenv("GOOGLE_APPLICATION_CREDENTIALS", path.c_str(), 1);
  Target target{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  const auto problem = prepare_vertex_target(target, "chat");
  std::filesystem::remove(path);
  ASSERT_EQ(problem, std::nullopt);
  EXPECT_EQ(target.google_token->account().client_email,
            "llmux-test@proj-1.iam.gserviceaccount.com");
}

TEST_F(VertexPrepare, AClientsUserConfigReadsNoFileAndNoEnvironment) {
  const auto path =
      std::filesystem::temp_directory_path() / "llmux_vertex_test_key_for_client.json";
  std::ofstream(path) << key_json();
  ::setenv("GOOGLE_APPLICATION_CREDENTIALS", path.c_str(), 1);
  ::setenv("VERTEXAI_LOCATION", "europe-west4", 1);
  ::setenv("VERTEXAI_TOKEN_URI", "http://127.0.0.1:9/token", 1);
  Target from_environment{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  const auto environment_problem =
      prepare_vertex_target(from_environment, "chat", /*operator_config=*/false);
  Target by_path{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  by_path.settings["vertex_credentials"] = path.string();
  const auto path_problem = prepare_vertex_target(by_path, "chat", /*operator_config=*/false);
  Target missing{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  missing.settings["vertex_credentials"] = "/nonexistent/key.json";
  const auto missing_problem = prepare_vertex_target(missing, "chat", /*operator_config=*/false);
  std::filesystem::remove(path);
  // A readable key file and a missing one get the same answer: nothing was opened.
  ASSERT_TRUE(path_problem);
  EXPECT_EQ(environment_problem, path_problem);
  EXPECT_EQ(missing_problem, path_problem);
  EXPECT_THAT(*path_problem,
              HasSubstr("vertex_credentials to be the service-account key's JSON itself"));
  EXPECT_EQ(by_path.google_token, nullptr);

  // The key inline is used, and the environment's location and token endpoint are not.
  Target inline_key = with_key();
  ASSERT_EQ(prepare_vertex_target(inline_key, "chat", /*operator_config=*/false), std::nullopt);
  EXPECT_EQ(inline_key.settings.at("vertex_location"), json::value("us-central1"));
  EXPECT_EQ(inline_key.google_token->token_uri(), "https://oauth2.example.test/token");
}

TEST_F(VertexPrepare, ProblemsAreClearAndSecretFree) {
  Target no_credentials{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  EXPECT_THAT(prepare_vertex_target(no_credentials, "chat").value_or(""),
              HasSubstr("GOOGLE_APPLICATION_CREDENTIALS"));

  Target no_project{.provider = "vertex_ai", .upstream_model = "gemini-2.5-flash"};
  no_project.settings["vertex_credentials"] = key_json("");
  EXPECT_THAT(prepare_vertex_target(no_project, "chat").value_or(""), HasSubstr("needs a project"));

  Target domain_project = with_key();
  domain_project.settings["vertex_project"] = "example.com:my-project";
  EXPECT_EQ(prepare_vertex_target(domain_project, "chat"), std::nullopt)
      << "domain-scoped project ids exist";
  Target bad_project = with_key();
  bad_project.settings["vertex_project"] = "p/../../x";
  EXPECT_THAT(prepare_vertex_target(bad_project, "chat").value_or(""),
              HasSubstr("is not a Google Cloud project id"));

  Target bad_location = with_key();
  bad_location.settings["vertex_location"] = "evil.com/x";
  EXPECT_THAT(prepare_vertex_target(bad_location, "chat").value_or(""),
              HasSubstr("is not a location"));

  Target bad_key = with_key();
  bad_key.settings["vertex_credentials"] =
      R"({"type":"service_account","client_email":"a@b","private_key":"SECRETBYTES"})";
  const auto problem = prepare_vertex_target(bad_key, "chat");
  ASSERT_TRUE(problem);
  EXPECT_THAT(*problem, HasSubstr("not a PEM private key"));
  EXPECT_THAT(*problem, Not(HasSubstr("SECRETBYTES")));
}

}  // namespace
}  // namespace llmux::providers
