#include "router/client_side.hpp"

#include "config/load.hpp"
#include "providers/registry.hpp"
#include "providers/wire/google_auth.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace llmux::router {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

api::Request request(std::string_view body) {
  auto parsed = api::parse_request(api::Endpoint::chat_completions, body);
  EXPECT_TRUE(parsed) << body;
  return std::move(*parsed);
}

Deployment deployment(std::vector<std::string> params = {},
                      std::vector<std::string> api_base_patterns = {}) {
  Deployment result{.id = "d"};
  result.clientside_params = std::move(params);
  for (const auto& pattern : api_base_patterns) result.clientside_api_bases.emplace_back(pattern);
  result.target.api_key = "sk-operator";
  result.target.api_base = "http://127.0.0.1:1/v1";
  return result;
}

constexpr std::string_view kWithKey =
    R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_key":"sk-client"})";
constexpr std::string_view kWithBase =
    R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"https://eu.example.com/v1/"})";

TEST(ClientSide, NothingToApplyInAnOrdinaryRequest) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  auto credentials = client_credentials(
      request(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"), group, false);
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->empty());
}

TEST(ClientSide, RefusedUnlessAllowed) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  for (
      std::string_view body :
      {kWithKey, kWithBase,
       std::string_view(
           R"({"model":"m","messages":[{"role":"user","content":"hi"}],"base_url":"http://x"})"),
       std::string_view(
           R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"),
       std::string_view(
           R"({"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":{"api_key":"k"}})")}) {
    auto credentials = client_credentials(request(body), group, false);
    ASSERT_FALSE(credentials) << body;
    EXPECT_EQ(credentials.error().status, 0);
    EXPECT_EQ(http_status(credentials.error()), 401);  // LiteLLM refuses them in its auth step
    EXPECT_EQ(error_type(credentials.error()), "auth_error");
    EXPECT_THAT(credentials.error().message,
                StartsWith("Authentication Error, Rejected Request: "));
    EXPECT_THAT(credentials.error().message, HasSubstr("allow_client_side_credentials"));
  }
}

TEST(ClientSide, AllowedEverywhereByTheGlobalSetting) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  auto credentials = client_credentials(request(kWithBase), group, true);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->api_base, "https://eu.example.com/v1");
  EXPECT_TRUE(client_credentials(
      request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"),
      group, true));
}

TEST(ClientSide, AllowedPerDeploymentWhenEveryDeploymentOfTheGroupListsIt) {
  const Deployment listing = deployment({"api_key"});
  const Deployment silent = deployment();
  const Deployment* both[] = {&listing, &silent};
  const Deployment* one[] = {&listing};
  EXPECT_FALSE(client_credentials(request(kWithKey), both, false));
  auto credentials = client_credentials(request(kWithKey), one, false);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->api_key, "sk-client");
  EXPECT_FALSE(client_credentials(request(kWithBase), one, false));  // api_key listed, not api_base
  EXPECT_FALSE(client_credentials(
      request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"), one,
      false));
}

TEST(ClientSide, ApiBaseByPattern) {
  const Deployment d = deployment({}, {R"(^https://[a-z]+\.example\.com/v1/?$)"});
  const Deployment* group[] = {&d};
  EXPECT_TRUE(client_credentials(request(kWithBase), group, false));
  EXPECT_FALSE(client_credentials(
      request(
          R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"https://evil.com/v1"})"),
      group, false));
  EXPECT_FALSE(client_credentials(
      request(
          R"({"model":"m","messages":[{"role":"user","content":"hi"}],"base_url":"https://eu.example.com.evil.com/v1"})"),
      group, false));
}

TEST(ClientSide, BadValuesAre400) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  EXPECT_THAT(
      client_credentials(
          request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_key":5})"),
          group, true)
          .error()
          .message,
      HasSubstr("must be a string"));
  EXPECT_THAT(
      client_credentials(
          request(
              R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"file:///etc/passwd"})"),
          group, true)
          .error()
          .message,
      HasSubstr("http(s) URL"));
}

TEST(ClientSide, CopiesCarryTheClientsCredentialsAndNeverCool) {
  Deployment d = deployment();
  d.index = 7;
  const Deployment copy =
      with_client_credentials(d, {.api_key = "sk-client", .api_base = "http://127.0.0.1:2"});
  EXPECT_EQ(copy.target.api_key, "sk-client");
  EXPECT_EQ(copy.target.api_base, "http://127.0.0.1:2");
  EXPECT_EQ(copy.client_destination, "api_base");  // dialled under the destination policy
  EXPECT_FALSE(copy.cools);
  EXPECT_EQ(copy.index, 7u);
  EXPECT_EQ(d.target.api_key, "sk-operator");
}

TEST(ClientSide, MalformedApiBaseIs400NamingTheField) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  for (std::string_view base :
       {R"(http://127.0.0.1:1/v1\r\nX-Injected: 1)", R"(http://h/v1\n)", "http://h /v1",
        "HTTP://h/v1", "http:///v1", "gopher://h:70/_", "//h/v1", "http://[v1.x]/"}) {
    for (std::string_view field : {"api_base", "base_url"}) {
      const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}],")" +
                               std::string(field) + R"(":")" + std::string(base) + R"("})";
      auto credentials = client_credentials(request(body), group, true);
      ASSERT_FALSE(credentials) << body;
      EXPECT_EQ(http_status(credentials.error()), 400) << body;
      EXPECT_EQ(credentials.error().param, field) << body;
    }
  }
}

TEST(ClientSide, ApiBaseRemembersWhichFieldChoseIt) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  auto credentials = client_credentials(
      request(
          R"({"model":"m","messages":[{"role":"user","content":"hi"}],"base_url":"https://eu.example.com/v1"})"),
      group, true);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->api_base_field, "base_url");
  EXPECT_EQ(with_client_credentials(d, *credentials).client_destination, "base_url");
  EXPECT_EQ(with_client_credentials(d, {.api_key = "sk-client"}).client_destination, "");
}

TEST(ClientSide, AClientApiBaseGetsNoneOfTheDeploymentsCredentials) {
  Deployment d = deployment();
  d.target.organization = "org-operator";
  d.target.extra_headers = {{"X-Operator-Secret", "s"}};
  d.target.api_version = "2024-06-01";
  d.target.google_token = std::make_shared<providers::wire::GoogleAccessToken>(
      providers::wire::ServiceAccount{}, "uri", "d");
  d.target.settings =
      boost::json::parse(
          R"({"azure_ad_token": "ad", "aws_access_key_id": "AKIA", "aws_secret_access_key": "secret",
    "aws_session_token": "t", "aws_profile_name": "p", "aws_role_name": "r", "aws_session_name": "n",
    "aws_web_identity_token": "w", "aws_external_id": "e", "vertex_credentials": "{}", "aws_region_name": "eu-west-1",
    "vertex_project": "proj", "drop_params": true})")
          .as_object();
  const auto clients_base = with_client_credentials(
      d, {.api_base = "https://eu.example.com/v1", .api_base_field = "api_base"});
  EXPECT_EQ(clients_base.target.api_base, "https://eu.example.com/v1");
  EXPECT_EQ(clients_base.target.api_key, "");
  EXPECT_EQ(clients_base.target.organization, "");
  EXPECT_THAT(clients_base.target.extra_headers, ::testing::IsEmpty());
  EXPECT_EQ(clients_base.target.google_token, nullptr);
  // What is not a credential stays: the request still needs it.
  EXPECT_EQ(clients_base.target.api_version, "2024-06-01");
  EXPECT_EQ(clients_base.target.settings,
            boost::json::parse(R"({"aws_region_name": "eu-west-1", "vertex_project": "proj",
    "drop_params": true})")
                .as_object());
  EXPECT_EQ(clients_base.client_destination, "api_base");

  const auto with_key = with_client_credentials(d, {.api_key = "sk-client",
                                                    .api_base = "https://eu.example.com/v1",
                                                    .api_base_field = "api_base"});
  EXPECT_EQ(with_key.target.api_key, "sk-client");
  EXPECT_EQ(with_key.target.organization, "");
  // The client's key alone goes to the operator's destination, as configured.
  const auto key_only = with_client_credentials(d, {.api_key = "sk-client"});
  EXPECT_EQ(key_only.target.api_base, d.target.api_base);
  EXPECT_EQ(key_only.target.organization, "org-operator");
  EXPECT_EQ(key_only.target.settings, d.target.settings);
}

TEST(ClientSide, ProvidersThatNeedTheDeploymentsCredentialsRefuseAClientApiBaseWithoutThem) {
  const auto request_body = request(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  const ClientCredentials clients_base{.api_base = "https://eu.example.com"};

  Deployment bedrock{.id = "b"};
  bedrock.target = {.provider = "bedrock",
                    .upstream_model = "amazon.nova-lite-v1:0",
                    .api_base = "https://bedrock-runtime.us-east-1.amazonaws.com"};
  bedrock.target.settings = boost::json::parse(R"({"aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "secret", "aws_region_name": "us-east-1"})")
                                .as_object();
  const auto* bedrock_provider = providers::find_provider("bedrock")->provider;
  ASSERT_TRUE(
      bedrock_provider->encode(request_body, bedrock.target));  // signed with the operator's keys
  auto unsigned_call =
      bedrock_provider->encode(request_body, with_client_credentials(bedrock, clients_base).target);
  ASSERT_FALSE(unsigned_call);
  EXPECT_EQ(http_status(unsigned_call.error()), 401);
  auto clients_key = bedrock_provider->encode(
      request_body, with_client_credentials(bedrock, {.api_key = "client-bedrock-key",
                                                      .api_base = "https://eu.example.com"})
                        .target);
  ASSERT_TRUE(clients_key);
  EXPECT_THAT(clients_key->headers, ::testing::Contains(std::pair<std::string, std::string>(
                                        "Authorization", "Bearer client-bedrock-key")));

  Deployment vertex{.id = "v"};
  vertex.target = {.provider = "vertex_ai",
                   .upstream_model = "gemini-2.0-flash",
                   .api_base = "https://aiplatform.googleapis.com"};
  vertex.target.settings =
      boost::json::parse(R"({"vertex_project": "p", "vertex_location": "global"})").as_object();
  vertex.target.google_token = std::make_shared<providers::wire::GoogleAccessToken>(
      providers::wire::ServiceAccount{}, "uri", "v");
  vertex.target.google_token->publish("operator-google-token");
  const auto* vertex_provider =
      providers::find_provider("vertex_ai")->provider_for("gemini-2.0-flash");
  auto operators_call = vertex_provider->encode(request_body, vertex.target);
  ASSERT_TRUE(operators_call);
  EXPECT_THAT(operators_call->headers, ::testing::Contains(std::pair<std::string, std::string>(
                                           "Authorization", "Bearer operator-google-token")));
  auto vertex_call =
      vertex_provider->encode(request_body, with_client_credentials(vertex, clients_base).target);
  ASSERT_FALSE(vertex_call);
  EXPECT_EQ(http_status(vertex_call.error()), 401);
}

TEST(ClientSide, UserConfigCannotNameALocalFile) {
  // Whatever the path (a file, a missing one, a directory), the table is refused with one message
  // that says nothing of it: no file is opened for a client.
  std::string first;
  for (std::string_view path :
       {"/etc/passwd", "/etc/hostname", "/nonexistent/key.json", "/etc", "relative/key.json", ""}) {
    auto config =
        user_config(boost::json::parse(R"({"model_list": [{"model_name": "v", "litellm_params":
      {"model": "vertex_ai/gemini-2.0-flash", "vertex_project": "p", "vertex_credentials": ")" +
                                       std::string(path) + R"("}}]})"));
    ASSERT_TRUE(config) << config.error().message;
    std::vector<std::string> warnings;
    try {
      ModelTable::build(*config, warnings, ConfigSource::user_config);
      ADD_FAILURE() << path;
    } catch (const config::LoadError& error) {
      ASSERT_EQ(error.problems.size(), 1u);
      const std::string& problem = error.problems[0];
      EXPECT_THAT(problem,
                  HasSubstr("vertex_credentials to be the service-account key's JSON itself"));
      if (!path.empty()) {
        EXPECT_THAT(problem, ::testing::Not(HasSubstr(std::string(path)))) << path;
      }
      if (first.empty()) first = problem;
      EXPECT_EQ(problem, first) << path;
    }
  }
}

TEST(ClientSide, UserConfigIsValidatedLikeConfigYaml) {
  auto config = user_config(boost::json::parse(R"({
    "model_list": [{"model_name": "mine", "litellm_params": {"model": "openai/x", "api_base": "http://127.0.0.1:3/v1", "api_key": "sk-u"}}],
    "num_retries": 2, "fallbacks": [{"mine": ["other"]}], "timeout": 5
  })"));
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->model_list.size(), 1u);
  EXPECT_EQ(config->model_list[0].params.api_key, "sk-u");
  EXPECT_EQ(config->router_settings.num_retries, 2);
  EXPECT_EQ(config->router_settings.timeout_s, 5);
  ASSERT_TRUE(config->router_settings.fallback_settings.fallbacks);

  auto bad = user_config(boost::json::parse(
      R"({"model_list": [{"model_name": "m", "litellm_params": {"timeout": "soon"}}]})"));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("Invalid user_config"));
  EXPECT_THAT(bad.error().message, HasSubstr("litellm_params.timeout: expected a number"));
  EXPECT_FALSE(user_config(boost::json::parse(R"({"num_retries": 1})")));
  EXPECT_FALSE(user_config(boost::json::parse(R"([1])")));
}

TEST(ClientSide, UserConfigMayNotReadTheEnvironment) {
  ::setenv("LLMUX_TEST_SECRET_FOR_USER_CONFIG", "sk-operator-secret", 1);
  auto config = user_config(boost::json::parse(R"({"model_list": [{"model_name": "m",
    "litellm_params": {"model": "openai/x", "api_key": "os.environ/LLMUX_TEST_SECRET_FOR_USER_CONFIG"}}]})"));
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("may not read the gateway's environment"));
  EXPECT_THAT(config.error().message, ::testing::Not(HasSubstr("sk-operator-secret")));
}

TEST(ClientSide, UserConfigDeploymentsTakeNoProviderKeyFromTheEnvironment) {
  ::setenv("OPENAI_API_KEY", "sk-operator-env-key", 1);
  auto config = user_config(boost::json::parse(R"({"model_list": [{"model_name": "m",
    "litellm_params": {"model": "openai/x", "api_base": "http://127.0.0.1:3/v1"}}]})"));
  ASSERT_TRUE(config);
  std::vector<std::string> warnings;
  const ModelTable table = ModelTable::build(*config, warnings, ConfigSource::user_config);
  EXPECT_EQ(table.group("m")->front().target.api_key, "");
  EXPECT_EQ(ModelTable::build(*config, warnings).group("m")->front().target.api_key,
            "sk-operator-env-key");
  ::unsetenv("OPENAI_API_KEY");
}

}  // namespace
}  // namespace llmux::router
