#include "router/router.hpp"

#include "config/load.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

config::Config load(std::string_view yaml) {
  return config::load_string(yaml, "config.yaml", [](const std::string&) { return std::nullopt; });
}

api::Request request(std::string_view body) {
  auto parsed = api::parse_request(api::Endpoint::chat_completions, body);
  EXPECT_TRUE(parsed) << body;
  return std::move(*parsed);
}

TEST(RouterPolicy, RouterSettingsWinOverLitellmSettings) {
  const auto config = load(R"(
litellm_settings:
  num_retries: 1
  fallbacks: [{a: [from-litellm]}]
  context_window_fallbacks: [{a: [big]}]
router_settings:
  routing_strategy: least-busy
  num_retries: 4
  fallbacks: [{a: [from-router]}]
  retry_policy: {RateLimitErrorRetries: 7}
  max_fallbacks: 1
  allowed_fails: 2
  cooldown_time: 0.5
  disable_cooldowns: true
)");
  const RouterPolicy policy = policy_from(config);
  EXPECT_EQ(policy.strategy, Strategy::least_busy);
  EXPECT_EQ(policy.num_retries, 4);
  ASSERT_EQ(policy.fallbacks.size(), 1u);
  EXPECT_EQ(policy.fallbacks[0].fallbacks, std::vector<std::string>{"from-router"});
  ASSERT_EQ(policy.context_window_fallbacks.size(), 1u);  // only in litellm_settings: used
  EXPECT_EQ(policy.retry_policy,
            (std::vector<std::pair<FailureClass, int>>{{FailureClass::rate_limit, 7}}));
  EXPECT_EQ(policy.max_fallbacks, 1);
  const CooldownPolicy cooldown = cooldown_policy_from(config.router_settings);
  EXPECT_EQ(cooldown.allowed_fails, 2);
  EXPECT_EQ(cooldown.cooldown_time, 500ms);
  EXPECT_TRUE(cooldown.disabled);
  EXPECT_EQ(policy_from(load("litellm_settings: {num_retries: 3}\n")).num_retries, 3);
}

TEST(Router, PlansResolveAliasesAndRefuseUnknownModels) {
  std::vector<std::string> warnings;
  const Router router = Router::from_config(load(R"(
model_list:
  - {model_name: real, litellm_params: {model: openai/x, api_base: "http://127.0.0.1:9/v1", api_key: k}}
router_settings:
  model_group_alias: {nick: real}
)"),
                                            warnings);
  const auto now = Clock::now();
  auto plan = router.plan(
      request(R"({"model":"nick","messages":[{"role":"user","content":"hi"}]})"), {}, now);
  ASSERT_TRUE(plan);
  auto attempt = plan->next(now);
  ASSERT_TRUE(attempt);
  EXPECT_EQ(attempt->deployment->model_group, "real");
  EXPECT_EQ(attempt->served_model, "nick");

  auto unknown = router.plan(
      request(R"({"model":"nope","messages":[{"role":"user","content":"hi"}]})"), {}, now);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "model_not_found");
  auto refused = router.plan(
      request(R"({"model":"real","messages":[{"role":"user","content":"hi"}],"api_key":"k2"})"), {},
      now);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "api_key");
}

TEST(Router, UserConfigPlansInTheRequestsOwnTableOnlyWhenAllowed) {
  std::vector<std::string> warnings;
  constexpr std::string_view kBody = R"({"model":"mine","messages":[{"role":"user","content":"hi"}],
    "user_config":{"model_list":[{"model_name":"mine","litellm_params":{"model":"openai/u","api_base":"http://127.0.0.1:8/v1","api_key":"sk-u"}}]}})";
  const Router closed = Router::from_config(load("model_list: []\n"), warnings);
  EXPECT_EQ(closed.plan(request(kBody), {}, Clock::now()).error().param, "user_config");

  const Router open = Router::from_config(
      load("general_settings: {allow_client_side_credentials: true}\n"), warnings);
  const auto now = Clock::now();
  auto plan = open.plan(request(kBody), {}, now);
  ASSERT_TRUE(plan) << plan.error().message;
  auto attempt = plan->next(now);
  ASSERT_TRUE(attempt);
  EXPECT_EQ(attempt->deployment->target.api_key, "sk-u");
  EXPECT_EQ(attempt->deployment->target.api_base, "http://127.0.0.1:8/v1");
  plan->started(*attempt, now);
  plan->finished(*attempt, nullptr, now);
}

TEST(Router, AUserConfigIsBoundedByTheOperator) {
  std::vector<std::string> warnings;
  const Router router = Router::from_config(load(R"(
router_settings: {num_retries: 1}
general_settings: {allow_client_side_credentials: true, allowed_client_api_base_hosts: [10.0.0.0/8]}
)"),
                                            warnings);
  EXPECT_TRUE(router.policy().client_destinations.permits(
      "10.2.3.4", boost::asio::ip::make_address("10.2.3.4")));
  constexpr std::string_view kBody = R"({"model":"mine","messages":[{"role":"user","content":"hi"}],
    "user_config":{"num_retries": 50, "retry_policy": {"InternalServerErrorRetries": 40},
      "model_list":[{"model_name":"mine","litellm_params":{"model":"openai/u","api_base":"http://10.0.0.8/v1","api_key":"sk-u"}}]}})";
  const auto now = Clock::now();
  auto plan = router.plan(request(kBody), {}, now);
  ASSERT_TRUE(plan) << plan.error().message;
  int attempts = 0;
  while (auto attempt = plan->next(now)) {
    ++attempts;
    // Its destinations are the client's, under the operator's policy.
    EXPECT_EQ(attempt->client_destination.field, "user_config");
    ASSERT_NE(attempt->client_destination.policy, nullptr);
    EXPECT_TRUE(attempt->client_destination.policy->permits(
        "10.0.0.8", boost::asio::ip::make_address("10.0.0.8")));
    Error failed = make_error(ErrorKind::internal, "failed");
    failed.status = 500;
    plan->started(*attempt, now);
    plan->finished(*attempt, &failed, now);
  }
  EXPECT_EQ(attempts,
            1 + kClientRetries);  // max(the operator's 1, 3), not the 50 or 40 it asked for
}

}  // namespace
}  // namespace llmux::router
