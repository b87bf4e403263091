#include "providers/wire/aws_sigv4.hpp"

#include <gtest/gtest.h>

namespace llmux::providers::wire {
namespace {

const AwsCredentials kExampleCredentials{
    .access_key_id = "AKIDEXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};

// others.md §4.6: computed by botocore's SigV4Auth and by an independent HMAC implementation.
AwsRequestToSign bedrock_converse() {
  return AwsRequestToSign{
      .method = "POST",
      .host = "bedrock-runtime.us-east-1.amazonaws.com",
      .path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
      .headers = {{"Content-Type", "application/json"}},
      .body =
          R"({"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":64}})",
      .region = "us-east-1",
      .service = "bedrock"};
}

TEST(AwsSigV4, TheBedrockCanonicalRequestEncodesThePathTwice) {
  std::string signed_headers;
  EXPECT_EQ(canonical_request(bedrock_converse(), "20250101T000000Z", "", signed_headers),
            "POST\n"
            "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n"
            "\n"
            "content-type:application/json\n"
            "host:bedrock-runtime.us-east-1.amazonaws.com\n"
            "x-amz-date:20250101T000000Z\n"
            "\n"
            "content-type;host;x-amz-date\n"
            "9fe85f2d1d832f88fa910da82e4380943a72b2d8f884106428ba8c4588a20b85");
  EXPECT_EQ(signed_headers, "content-type;host;x-amz-date");
}

TEST(AwsSigV4, TheBedrockExampleSignsAsBotocoreDoes) {
  std::string signed_headers;
  const std::string canonical =
      canonical_request(bedrock_converse(), "20250101T000000Z", "", signed_headers);
  EXPECT_EQ(
      string_to_sign("20250101T000000Z", "20250101/us-east-1/bedrock/aws4_request", canonical),
      "AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/us-east-1/bedrock/aws4_request\n"
      "ff1406734dad59834b02a17c42c11a0683391c032d8235a5239ade1104ecf0ab");
  const auto headers = sign_v4(bedrock_converse(), kExampleCredentials, "20250101T000000Z");
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"x-amz-date", "20250101T000000Z"}));
  EXPECT_EQ(headers[1].first, "Authorization");
  EXPECT_EQ(headers[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=05ee567ba64fef8e45e7f3fb378768ceef17d6e6d957bdfee4e82aeea2cbb9f6");
}

// AWS's published SigV4 test suite, case get-vanilla.
TEST(AwsSigV4, AwsTestSuiteGetVanilla) {
  const AwsRequestToSign request{.method = "GET",
                                 .host = "example.amazonaws.com",
                                 .path = "/",
                                 .region = "us-east-1",
                                 .service = "service"};
  const auto headers = sign_v4(request, kExampleCredentials, "20150830T123600Z");
  EXPECT_EQ(headers.back().second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(AwsSigV4, TemporaryCredentialsSignTheSessionToken) {
  AwsCredentials temporary = kExampleCredentials;
  temporary.session_token = "session-token-value";
  const auto headers = sign_v4(bedrock_converse(), temporary, "20250101T000000Z");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[1],
            (std::pair<std::string, std::string>{"x-amz-security-token", "session-token-value"}));
  EXPECT_NE(
      headers[2].second.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
      std::string::npos);
  EXPECT_EQ(headers[2].second.find("session-token-value"), std::string::npos);
  EXPECT_EQ(headers[2].second.find(temporary.secret_access_key), std::string::npos);
}

TEST(AwsSigV4, QueryParametersAreSortedAndHeaderValuesTrimmed) {
  AwsRequestToSign request{.method = "GET",
                           .host = "example.amazonaws.com",
                           .path = "/",
                           .query = "b=2&a=1",
                           .headers = {{"X-Custom", "  two   words  "}},
                           .region = "us-east-1",
                           .service = "service"};
  std::string signed_headers;
  const std::string canonical = canonical_request(request, "20150830T123600Z", "", signed_headers);
  EXPECT_NE(canonical.find("\na=1&b=2\n"), std::string::npos) << canonical;
  EXPECT_NE(canonical.find("\nx-custom:two words\n"), std::string::npos) << canonical;
}

TEST(AwsSigV4, Timestamp) {
  EXPECT_EQ(aws_timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(1735689600))),
            "20250101T000000Z");
}

}  // namespace
}  // namespace llmux::providers::wire
