#include "base/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

namespace llmux {
namespace {

struct KindFacts {
  ErrorKind kind;
  int status;
  std::string_view type;
};

// Every kind with the status and OpenAI type a client sees for it.
const std::vector<KindFacts> kEveryKind = {
    {ErrorKind::invalid_request, 400, "invalid_request_error"},
    {ErrorKind::context_window_exceeded, 400, "invalid_request_error"},
    {ErrorKind::content_policy, 400, "invalid_request_error"},
    {ErrorKind::unsupported_params, 400, "invalid_request_error"},
    {ErrorKind::unauthenticated, 401, "invalid_request_error"},  // as OpenAI answers a bad key
    {ErrorKind::forbidden, 403, "permission_error"},
    {ErrorKind::not_found, 404, "invalid_request_error"},
    {ErrorKind::model_not_found, 404, "invalid_request_error"},
    {ErrorKind::timeout, 408, "timeout_error"},
    {ErrorKind::payload_too_large, 413, "invalid_request_error"},
    {ErrorKind::unprocessable, 422, "invalid_request_error"},
    {ErrorKind::rate_limited, 429, "rate_limit_error"},
    {ErrorKind::internal, 500, "api_error"},
    {ErrorKind::upstream_failed, 502, "api_error"},
    {ErrorKind::unavailable, 503, "api_error"},
};

TEST(HttpStatus, EveryKindHasItsStatus) {
  for (const auto& facts : kEveryKind) {
    SCOPED_TRACE(facts.status);
    EXPECT_EQ(http_status(facts.kind), facts.status);
    EXPECT_EQ(http_status(Error{.kind = facts.kind}), facts.status);
  }
}

TEST(HttpStatus, UpstreamStatusOverridesTheKind) {
  EXPECT_EQ(http_status(Error{.kind = ErrorKind::internal, .status = 529}), 529);
  EXPECT_EQ(http_status(Error{.kind = ErrorKind::invalid_request, .status = 418}), 418);
  EXPECT_EQ(http_status(Error{.kind = ErrorKind::rate_limited, .status = 0}), 429);
}

TEST(ErrorType, EveryKindHasItsType) {
  for (const auto& facts : kEveryKind) {
    SCOPED_TRACE(facts.status);
    EXPECT_EQ(error_type(Error{.kind = facts.kind}), facts.type);
  }
}

TEST(ErrorType, UpstreamTypeIsKept) {
  EXPECT_EQ(error_type(Error{.kind = ErrorKind::rate_limited, .type = "insufficient_quota"}),
            "insufficient_quota");
  EXPECT_EQ(error_type(Error{.kind = ErrorKind::internal, .type = "server_error"}), "server_error");
}

TEST(KindFromStatus, MapsEachKnownStatus) {
  const std::vector<std::pair<int, ErrorKind>> cases = {
      {400, ErrorKind::invalid_request}, {401, ErrorKind::unauthenticated},
      {403, ErrorKind::forbidden},       {404, ErrorKind::not_found},
      {408, ErrorKind::timeout},         {413, ErrorKind::payload_too_large},
      {422, ErrorKind::unprocessable},   {429, ErrorKind::rate_limited},
      {500, ErrorKind::internal},        {502, ErrorKind::internal},
      {503, ErrorKind::unavailable},
  };
  for (const auto& [status, kind] : cases) {
    SCOPED_TRACE(status);
    EXPECT_EQ(kind_from_status(status), kind);
  }
}

TEST(KindFromStatus, GatewayTimeoutIsATimeout) {
  EXPECT_EQ(kind_from_status(504), ErrorKind::timeout);
}

TEST(KindFromStatus, UnknownStatusesFallBackByClass) {
  for (int status : {501, 505, 520, 529, 599}) {
    SCOPED_TRACE(status);
    EXPECT_EQ(kind_from_status(status), ErrorKind::internal);
  }
  for (int status : {402, 405, 409, 418, 451, 499, 0, 200, 302}) {
    SCOPED_TRACE(status);
    EXPECT_EQ(kind_from_status(status), ErrorKind::invalid_request);
  }
}

TEST(MakeError, FillsTheGivenFieldsAndLeavesTheRestDefault) {
  const Error error =
      make_error(ErrorKind::model_not_found, "no such model", "model", "model_not_found");
  EXPECT_EQ(error.kind, ErrorKind::model_not_found);
  EXPECT_EQ(error.message, "no such model");
  EXPECT_EQ(error.param, "model");
  EXPECT_EQ(error.code, "model_not_found");
  EXPECT_EQ(error.status, 0);
  EXPECT_EQ(error.type, "");
  EXPECT_FALSE(error.retry_after.has_value());

  const Error bare = make_error(ErrorKind::unavailable, "busy");
  EXPECT_EQ(bare.param, "");
  EXPECT_EQ(bare.code, "");
  EXPECT_EQ(http_status(bare), 503);
}

TEST(ResultValue, ThrowsTheErrorMessage) {
  const Result<int> result = make_error(ErrorKind::internal, "startup failed");
  try {
    (void)result.value();
    FAIL() << "value() of an error did not throw";
  } catch (const std::runtime_error& thrown) {
    EXPECT_STREQ(thrown.what(), "startup failed");
  }
}

}  // namespace
}  // namespace llmux
