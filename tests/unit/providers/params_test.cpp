#include "providers/params.hpp"

#include "provider_test.hpp"

#include <array>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

constexpr std::array<std::string_view, 3> kSupported = {"messages", "temperature", "max_tokens"};

Target target(bool drop_params = false) {
  return Target{
      .provider = "anthropic", .upstream_model = "claude-test", .drop_params = drop_params};
}

Result<void> check(std::string_view body, const Target& deployment = target()) {
  return check_supported_params(parsed_request(api::Endpoint::chat_completions, body), deployment,
                                kSupported, "anthropic");
}

TEST(CheckSupportedParams, SupportedAndGatewayFieldsPass) {
  EXPECT_TRUE(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1,
      "metadata":{"a":1},"num_retries":2,"drop_params":false})"));
}

TEST(CheckSupportedParams, StreamUserAndNEqualToOneAreAlwaysAccepted) {
  EXPECT_TRUE(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":1,"user":"u-1",
      "stream":true,"stream_options":{"include_usage":true}})"));
  EXPECT_FALSE(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":2})"));
}

TEST(CheckSupportedParams, AnUnsupportedFieldIsA400NamingItAndTheProvider) {
  const auto result =
      check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"logit_bias":{"1":2}})");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::unsupported_params);
  EXPECT_EQ(http_status(result.error()), 400);
  EXPECT_EQ(result.error().param, "logit_bias");
  EXPECT_THAT(result.error().message,
              HasSubstr("anthropic does not support parameters: ['logit_bias']"));
  EXPECT_THAT(result.error().message, HasSubstr("model=claude-test"));
}

TEST(CheckSupportedParams, DroppedByTheDeploymentTheRequestOrAList) {
  const std::string_view body =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"logit_bias":{}})";
  EXPECT_TRUE(check(body, target(/*drop_params=*/true)));
  EXPECT_TRUE(check(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"logit_bias":{},"drop_params":true})"));
  EXPECT_TRUE(check(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"logit_bias":{},
      "additional_drop_params":["logit_bias"]})"));
  Target listing = target();
  listing.settings["additional_drop_params"] = boost::json::array{"logit_bias"};
  EXPECT_TRUE(check(body, listing));
  listing.settings["additional_drop_params"] = boost::json::array{"seed"};
  EXPECT_FALSE(check(body, listing));
}

}  // namespace
}  // namespace llmux::providers
