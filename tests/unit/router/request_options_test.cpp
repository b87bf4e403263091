#include "router/request_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;

api::Request request(std::string_view body) {
  auto parsed = api::parse_request(api::Endpoint::chat_completions, body);
  EXPECT_TRUE(parsed) << body;
  return std::move(*parsed);
}

Result<RequestOptions> options(std::string_view body,
                               std::map<std::string, std::string> headers = {}) {
  return request_options(request(body), [&](std::string_view name) -> std::string_view {
    const auto found = headers.find(std::string(name));
    return found == headers.end() ? std::string_view() : std::string_view(found->second);
  });
}

TEST(RequestOptions, NothingAsked) {
  auto result = options(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->num_retries, std::nullopt);
  EXPECT_EQ(result->fallbacks, std::nullopt);
  EXPECT_FALSE(result->disable_fallbacks);
  EXPECT_EQ(result->timeout, std::nullopt);
  EXPECT_EQ(result->stream_timeout, std::nullopt);
}

TEST(RequestOptions, FromTheBody) {
  auto result = options(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"num_retries":3,"fallbacks":["a",{"model":"b"}],)"
      R"("disable_fallbacks":true,"timeout":1.5,"stream_timeout":"0.25","stream":true})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->num_retries, 3);
  EXPECT_EQ(result->fallbacks, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(result->disable_fallbacks);
  EXPECT_EQ(result->timeout, 1500ms);
  EXPECT_EQ(result->stream_timeout, 250ms);
}

TEST(RequestOptions, HeadersWinOverTheBody) {
  auto result = options(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"num_retries":3,"timeout":9})",
      {{"x-litellm-num-retries", "1"},
       {"x-litellm-timeout", "2"},
       {"x-litellm-stream-timeout", "0.5"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->num_retries, 1);
  EXPECT_EQ(result->timeout, 2s);
  EXPECT_EQ(result->stream_timeout, 500ms);
}

TEST(RequestOptions, BadValuesAre400NamingTheField) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"num_retries":-1})",
       "num_retries"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"num_retries":1.5})",
       "num_retries"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"fallbacks":"b"})", "fallbacks"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"fallbacks":[""]})",
       "fallbacks"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"disable_fallbacks":"yes"})",
       "disable_fallbacks"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":0})", "timeout"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":"soon"})", "timeout"},
      {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream_timeout":-2})",
       "stream_timeout"},
  };
  for (const auto& [body, field] : cases) {
    auto result = options(body);
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().param, field);
    EXPECT_EQ(http_status(result.error()), 400);
  }
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                    {{"x-litellm-num-retries", "x"}})
                .error()
                .param,
            "x-litellm-num-retries");
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                    {{"x-litellm-timeout", "-1"}})
                .error()
                .param,
            "timeout");
}

TEST(RequestOptions, HugeTimeoutsAreTakenAsADayAndNonsenseIs400) {
  constexpr auto kDay = std::chrono::milliseconds(24h);
  for (std::string_view value :
       {"1e10", "1e300", "86400.5", "9223372036854775807", "18446744073709551615"}) {
    auto result = options(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":)" +
                          std::string(value) + R"(,"stream_timeout":)" + std::string(value) + "}");
    ASSERT_TRUE(result) << value;
    EXPECT_EQ(result->timeout, kDay) << value;
    EXPECT_EQ(result->stream_timeout, kDay) << value;
  }
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                    {{"x-litellm-timeout", "1e30"}})
                ->timeout,
            kDay);
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":"1e12"})")
                ->timeout,
            kDay);
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":86400})")
                ->timeout,
            kDay);
  EXPECT_EQ(options(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":3600})")
                ->timeout,
            1h);
  for (std::string_view value : {"-1", "-1e300", "0", R"("NaN")", R"("inf")", R"("-inf")",
                                 R"("1e400")", "[]", "{}", "true"}) {
    auto result = options(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"timeout":)" +
                          std::string(value) + "}");
    ASSERT_FALSE(result) << value;
    EXPECT_EQ(result.error().param, "timeout") << value;
    EXPECT_EQ(http_status(result.error()), 400) << value;
  }
  for (std::string_view value : {"nan", "inf", "-5", "1e999"}) {
    auto result = options(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                          {{"x-litellm-stream-timeout", std::string(value)}});
    ASSERT_FALSE(result) << value;
    EXPECT_EQ(result.error().param, "stream_timeout") << value;
  }
}

TEST(RequestOptions, PromptTokensAreEstimatedFromTheText) {
  const std::string long_text(4000, 'a');
  auto result =
      options(R"({"model":"m","messages":[{"role":"user","content":")" + long_text +
              R"("},{"role":"user","content":[{"type":"text","text":")" + long_text + R"("}]}]})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->prompt_tokens, 2000 + 2 * 4);
}

}  // namespace
}  // namespace llmux::router
