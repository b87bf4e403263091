#include "api/error_body.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace llmux::api {
namespace {

namespace json = boost::json;

// The rendered body, parsed; checks the shape OpenAI's spec requires on the way.
json::object inner_of(const Error& error) {
  const json::value parsed = json::parse(error_body(error));
  EXPECT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed.get_object().size(), 1u);
  const json::object& inner = parsed.at("error").as_object();
  EXPECT_EQ(inner.size(), 4u);
  for (std::string_view key : {"message", "type", "param", "code"}) {
    EXPECT_TRUE(inner.contains(key)) << key;
  }
  return inner;
}

TEST(ErrorBody, AllFourKeysForAGatewayError) {
  const json::object inner =
      inner_of(make_error(ErrorKind::invalid_request, "Missing 'messages'.", "messages"));
  EXPECT_EQ(json::value(inner),
            json::parse(R"({"message":"Missing 'messages'.",)"
                        R"("type":"invalid_request_error","param":"messages","code":"400"})"));
}

TEST(ErrorBody, ParamIsNullWhenEmpty) {
  const json::object inner = inner_of(make_error(ErrorKind::internal, "boom"));
  EXPECT_TRUE(inner.at("param").is_null());
}

TEST(ErrorBody, CodeDefaultsPerKind) {
  const std::vector<std::pair<ErrorKind, std::string_view>> cases = {
      {ErrorKind::unauthenticated, "invalid_api_key"},
      {ErrorKind::model_not_found, "model_not_found"},
      {ErrorKind::rate_limited, "rate_limit_exceeded"},
      {ErrorKind::context_window_exceeded, "context_length_exceeded"},
      {ErrorKind::content_policy, "content_policy_violation"},
      // Otherwise LiteLLM's proxy sends the HTTP status, as a string.
      {ErrorKind::invalid_request, "400"},
      {ErrorKind::forbidden, "403"},
      {ErrorKind::not_found, "404"},
      {ErrorKind::timeout, "408"},
      {ErrorKind::payload_too_large, "413"},
      {ErrorKind::internal, "500"},
      {ErrorKind::upstream_failed, "502"},
      {ErrorKind::unavailable, "503"},
  };
  for (const auto& [kind, code] : cases) {
    SCOPED_TRACE(std::string(code));
    const json::object inner = inner_of(make_error(kind, "m"));
    ASSERT_TRUE(inner.at("code").is_string());
    EXPECT_EQ(inner.at("code").get_string(), code);
  }
}

TEST(ErrorBody, StatusCodeFollowsAnUpstreamStatus) {
  const json::object inner =
      inner_of(Error{.kind = ErrorKind::internal, .message = "overloaded", .status = 529});
  EXPECT_EQ(inner.at("code"), "529");
}

TEST(ErrorBody, UpstreamTypeAndCodeAreKept) {
  const json::object inner = inner_of(Error{.kind = ErrorKind::rate_limited,
                                            .message = "You exceeded your current quota.",
                                            .code = "insufficient_quota",
                                            .status = 429,
                                            .type = "insufficient_quota"});
  EXPECT_EQ(
      json::value(inner),
      json::parse(R"({"message":"You exceeded your current quota.",)"
                  R"("type":"insufficient_quota","param":null,"code":"insufficient_quota"})"));
}

TEST(ErrorBody, TypeDefaultsFromTheKind) {
  EXPECT_EQ(inner_of(make_error(ErrorKind::unauthenticated, "bad key")).at("type"),
            "invalid_request_error");
  EXPECT_EQ(inner_of(make_error(ErrorKind::upstream_failed, "down")).at("type"), "api_error");
  EXPECT_EQ(inner_of(make_error(ErrorKind::rate_limited, "slow")).at("type"), "rate_limit_error");
}

TEST(ErrorBody, MessageIsEscapedAndRoundTrips) {
  const std::string message = "quote \" backslash \\ newline \n tab \t unicode é ✓ control \x01";
  EXPECT_EQ(inner_of(make_error(ErrorKind::invalid_request, message)).at("message"),
            json::value(message));
}

}  // namespace
}  // namespace llmux::api
