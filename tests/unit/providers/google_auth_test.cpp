#include "providers/wire/google_auth.hpp"

#include "google_key.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace llmux::providers::wire {
namespace {

namespace json = boost::json;
using test_support::key_json;
using test_support::key_pair;
using ::testing::HasSubstr;
using ::testing::Not;

std::string base64url_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard += '=';
  std::string out(standard.size(), '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(standard.data()),
                                     static_cast<int>(standard.size()));
  out.resize(static_cast<std::size_t>(length) -
             (standard.size() - text.size()));  // minus the padding
  return out;
}

bool verifies(std::string_view signing_input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_pair().key.get());
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

TEST(Base64Url, UrlAlphabetWithoutPadding) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(base64url_decode(base64url("any bytes \xff\x01")), "any bytes \xff\x01");
}

TEST(ServiceAccount, ParsesTheKeyFile) {
  const auto account = parse_service_account(key_json());
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(account->client_email, "llmux-test@proj-1.iam.gserviceaccount.com");
  EXPECT_EQ(account->private_key_id, "kid-123");
  EXPECT_EQ(account->project_id, "proj-1");
  EXPECT_EQ(account->token_uri, "https://oauth2.example.test/token");
  EXPECT_EQ(account->private_key_pem, key_pair().private_pem());
}

TEST(ServiceAccount, DefaultTokenUri) {
  json::object object = json::parse(key_json()).as_object();
  object.erase("token_uri");
  const auto account = parse_service_account(json::serialize(object));
  ASSERT_TRUE(account);
  EXPECT_EQ(account->token_uri, "https://oauth2.googleapis.com/token");
}

TEST(ServiceAccount, InlineJsonOrPath) {
  const auto inline_account = load_service_account("  \n" + key_json());
  ASSERT_TRUE(inline_account) << inline_account.error().message;
  const auto path = std::filesystem::temp_directory_path() / "llmux_google_auth_test_key.json";
  std::ofstream(path) << key_json();
  const auto from_file = load_service_account(path.string() + "\n");
  std::filesystem::remove(path);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(from_file->client_email, inline_account->client_email);
  EXPECT_EQ(from_file->private_key_pem, inline_account->private_key_pem);
}

TEST(ServiceAccount, ProblemsNameTheFieldNeverTheKey) {
  const auto missing = [](std::string_view field) {
    json::object object = json::parse(key_json()).as_object();
    object.erase(field);
    return parse_service_account(json::serialize(object));
  };
  const auto no_email = missing("client_email");
  ASSERT_FALSE(no_email);
  EXPECT_THAT(no_email.error().message, HasSubstr("no client_email"));
  const auto no_key = missing("private_key");
  ASSERT_FALSE(no_key);
  EXPECT_THAT(no_key.error().message, HasSubstr("no private_key"));

  json::object object = json::parse(key_json()).as_object();
  object["private_key"] =
      "-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRETBYTES\n-----END PRIVATE KEY-----\n";
  const auto bad_key = parse_service_account(json::serialize(object));
  ASSERT_FALSE(bad_key);
  EXPECT_THAT(bad_key.error().message, HasSubstr("not a PEM private key"));
  EXPECT_THAT(bad_key.error().message, Not(HasSubstr("SECRETBYTES")));

  const auto not_json = parse_service_account(R"({"private_key":"-----BEGIN SECRETBYTES)");
  ASSERT_FALSE(not_json);
  EXPECT_THAT(not_json.error().message, Not(HasSubstr("SECRETBYTES")));

  const auto user_credentials =
      parse_service_account(R"({"type":"authorized_user","refresh_token":"SECRETBYTES"})");
  ASSERT_FALSE(user_credentials);
  EXPECT_THAT(user_credentials.error().message, HasSubstr("'authorized_user' are not supported"));

  const auto no_file = load_service_account("/nonexistent/llmux/key.json");
  ASSERT_FALSE(no_file);
  EXPECT_THAT(no_file.error().message,
              HasSubstr("cannot read the service-account key file '/nonexistent/llmux/key.json'"));
}

TEST(JwtAssertion, ExactHeaderAndClaimsSignedWithTheAccountsKey) {
  const auto account = parse_service_account(key_json());
  ASSERT_TRUE(account);
  const auto jwt = sign_jwt_assertion(*account, kCloudPlatformScope,
                                      "https://oauth2.example.test/token", 1700000000);
  ASSERT_TRUE(jwt) << jwt.error().message;
  const auto first_dot = jwt->find('.');
  const auto second_dot = jwt->find('.', first_dot + 1);
  ASSERT_NE(second_dot, std::string::npos);
  ASSERT_EQ(jwt->find('.', second_dot + 1), std::string::npos) << "three parts";

  EXPECT_EQ(json::parse(base64url_decode(jwt->substr(0, first_dot))),
            json::parse(R"({"alg":"RS256","typ":"JWT","kid":"kid-123"})"));
  EXPECT_EQ(json::parse(base64url_decode(jwt->substr(first_dot + 1, second_dot - first_dot - 1))),
            json::parse(R"({"iss":"llmux-test@proj-1.iam.gserviceaccount.com",
                            "scope":"https://www.googleapis.com/auth/cloud-platform",
                            "aud":"https://oauth2.example.test/token","iat":1700000000,"exp":1700003600})"));
  const std::string signing_input = jwt->substr(0, second_dot);
  const std::string signature = base64url_decode(jwt->substr(second_dot + 1));
  EXPECT_EQ(signature.size(), 256u) << "RSA-2048 signature";
  EXPECT_TRUE(verifies(signing_input, signature));
  EXPECT_FALSE(verifies(signing_input + "x", signature)) << "the check can fail";
}

TEST(JwtAssertion, NoKidWithoutPrivateKeyId) {
  auto account = parse_service_account(key_json(""));
  ASSERT_TRUE(account);
  const auto jwt = sign_jwt_assertion(*account, kCloudPlatformScope, account->token_uri, 1);
  ASSERT_TRUE(jwt);
  EXPECT_EQ(json::parse(base64url_decode(jwt->substr(0, jwt->find('.')))),
            json::parse(R"({"alg":"RS256","typ":"JWT"})"));
}

TEST(TokenRequest, JwtBearerGrantFormEncoded) {
  EXPECT_EQ(
      token_request_body("aa.bb-_.cc"),
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aa.bb-_.cc");
}

TEST(TokenResponse, AccessTokenAndLifetime) {
  const auto token = parse_token_response(
      200, R"({"access_token":"ya29.c.token","expires_in":3599,"token_type":"Bearer"})");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->value, "ya29.c.token");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(3599));
}

TEST(TokenResponse, ErrorsQuoteGooglesReasonOnly) {
  const auto refused = parse_token_response(
      400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(refused.error().message,
            "the token endpoint answered 400: invalid_grant (Invalid JWT Signature.)");
  const auto down = parse_token_response(503, "<html>busy</html>");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::unavailable);
  EXPECT_FALSE(parse_token_response(200, "not json"));
  EXPECT_FALSE(parse_token_response(200, R"({"expires_in":3599})"));
  EXPECT_FALSE(parse_token_response(200, R"({"access_token":"t"})"));
}

TEST(GoogleAccessToken, NoTokenYetThenTokenThenExpiry) {
  auto account = parse_service_account(key_json());
  ASSERT_TRUE(account);
  GoogleAccessToken token(std::move(*account), "https://oauth2.example.test/token",
                          "vertex_ai deployment 'v'");
  const auto before = token.bearer();
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().kind, ErrorKind::unavailable);
  EXPECT_THAT(before.error().message,
              HasSubstr("vertex_ai deployment 'v': no Google OAuth access token"));

  token.publish("ya29.first");
  EXPECT_EQ(token.bearer().value(), "Bearer ya29.first");
  // A failed refresh while the token is still valid keeps it.
  token.report_failure("the token endpoint answered 503", false, /*token_expired=*/false);
  EXPECT_EQ(token.bearer().value(), "Bearer ya29.first");
  token.report_failure("the token endpoint answered 400: invalid_grant", true,
                       /*token_expired=*/true);
  const auto after = token.bearer();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, ErrorKind::unauthenticated);
  EXPECT_THAT(after.error().message, HasSubstr("(the token endpoint answered 400: invalid_grant)"));
  EXPECT_THAT(after.error().message, Not(HasSubstr("ya29")));
}

}  // namespace
}  // namespace llmux::providers::wire
