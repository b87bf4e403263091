#include "router/client_side.hpp"

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

Deployment deployment(std::vector<std::string> params = {}, std::vector<std::string> api_base_patterns = {}) {
  Deployment result{.id = "d"};
  result.clientside_params = std::move(params);
  for (const auto& pattern : api_base_patterns) result.clientside_api_bases.emplace_back(pattern);
  result.target.api_key = "sk-operator";
  result.target.api_base = "http://127.0.0.1:1/v1";
  return result;
}

constexpr std::string_view kWithKey = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_key":"sk-client"})";
constexpr std::string_view kWithBase = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"https://eu.example.com/v1/"})";

TEST(ClientSide, NothingToApplyInAnOrdinaryRequest) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  auto credentials = client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"), group, false);
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->empty());
}

TEST(ClientSide, RefusedUnlessAllowed) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  for (std::string_view body : {kWithKey, kWithBase,
                                std::string_view(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"base_url":"http://x"})"),
                                std::string_view(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"),
                                std::string_view(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":{"api_key":"k"}})")}) {
    auto credentials = client_credentials(request(body), group, false);
    ASSERT_FALSE(credentials) << body;
    EXPECT_EQ(credentials.error().status, 0);
    EXPECT_EQ(http_status(credentials.error()), 401);  // LiteLLM refuses them in its auth step
    EXPECT_EQ(error_type(credentials.error()), "auth_error");
    EXPECT_THAT(credentials.error().message, StartsWith("Authentication Error, Rejected Request: "));
    EXPECT_THAT(credentials.error().message, HasSubstr("allow_client_side_credentials"));
  }
}

TEST(ClientSide, AllowedEverywhereByTheGlobalSetting) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  auto credentials = client_credentials(request(kWithBase), group, true);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->api_base, "https://eu.example.com/v1");
  EXPECT_TRUE(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"), group, true));
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
  EXPECT_FALSE(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"user_config":{}})"), one, false));
}

TEST(ClientSide, ApiBaseByPattern) {
  const Deployment d = deployment({}, {R"(^https://[a-z]+\.example\.com/v1/?$)"});
  const Deployment* group[] = {&d};
  EXPECT_TRUE(client_credentials(request(kWithBase), group, false));
  EXPECT_FALSE(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"https://evil.com/v1"})"), group, false));
  EXPECT_FALSE(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"base_url":"https://eu.example.com.evil.com/v1"})"), group, false));
}

TEST(ClientSide, BadValuesAre400) {
  const Deployment d = deployment();
  const Deployment* group[] = {&d};
  EXPECT_THAT(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_key":5})"), group, true).error().message,
              HasSubstr("must be a string"));
  EXPECT_THAT(client_credentials(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"api_base":"file:///etc/passwd"})"), group, true).error().message,
              HasSubstr("http(s) URL"));
}

TEST(ClientSide, CopiesCarryTheClientsCredentialsAndNeverCool) {
  Deployment d = deployment();
  d.index = 7;
  const Deployment copy = with_client_credentials(d, {.api_key = "sk-client", .api_base = "http://127.0.0.1:2"});
  EXPECT_EQ(copy.target.api_key, "sk-client");
  EXPECT_EQ(copy.target.api_base, "http://127.0.0.1:2");
  EXPECT_FALSE(copy.cools);
  EXPECT_EQ(copy.index, 7u);
  EXPECT_EQ(d.target.api_key, "sk-operator");
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

  auto bad = user_config(boost::json::parse(R"({"model_list": [{"model_name": "m", "litellm_params": {"timeout": "soon"}}]})"));
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
  const ModelTable table = ModelTable::build(*config, warnings, /*use_environment=*/false);
  EXPECT_EQ(table.group("m")->front().target.api_key, "");
  EXPECT_EQ(ModelTable::build(*config, warnings).group("m")->front().target.api_key, "sk-operator-env-key");
  ::unsetenv("OPENAI_API_KEY");
}

}  // namespace
}  // namespace llmux::router
