#include "redis/options.hpp"

#include <gtest/gtest.h>

namespace llmux::redis {
namespace {

using namespace std::chrono_literals;

Options parsed(std::string_view url, Options defaults = {}) {
  auto options = parse_url(url, std::move(defaults));
  EXPECT_TRUE(options) << url << ": " << (options ? "" : options.error().message);
  return options ? *options : Options{};
}

TEST(ParseUrl, ReadsEveryPart) {
  const auto options = parsed("rediss://cache-user:p%40ss%3Aword@cache.internal:6380/2");
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.host, "cache.internal");
  EXPECT_EQ(options.port, 6380);
  EXPECT_EQ(options.username, "cache-user");
  EXPECT_EQ(options.password, "p@ss:word");  // percent-decoded
  EXPECT_EQ(options.database, 2);
  EXPECT_TRUE(options.verify_certificate);
  EXPECT_TRUE(options.ca_file.empty());
}

TEST(ParseUrl, KeepsTheDefaultsForWhatItDoesNotSay) {
  Options defaults;
  defaults.port = 7000;
  defaults.command_timeout = 250ms;
  const auto options = parsed("redis://localhost", defaults);
  EXPECT_FALSE(options.tls);
  EXPECT_EQ(options.host, "localhost");
  EXPECT_EQ(options.port, 7000);
  EXPECT_EQ(options.command_timeout, 250ms);
  EXPECT_TRUE(options.username.empty());
  EXPECT_TRUE(options.password.empty());
  EXPECT_EQ(options.database, 0);
  EXPECT_EQ(parsed("redis://").host, Options{}.host);
}

TEST(ParseUrl, ReadsAPasswordWithoutUserAndAnIpv6Host) {
  const auto options = parsed("redis://:only-a-password@[::1]:6390");
  EXPECT_TRUE(options.username.empty());
  EXPECT_EQ(options.password, "only-a-password");
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 6390);
  EXPECT_EQ(endpoint_text(options), "redis://[::1]:6390");
}

TEST(ParseUrl, ReadsRedisPyQueryParameters) {
  auto options = parsed(
      "rediss://h:1/"
      "?ssl_cert_reqs=none&ssl_ca_certs=%2Fetc%2Fredis%2Fca.pem&db=5&socket_timeout=3");
  EXPECT_FALSE(options.verify_certificate);
  EXPECT_EQ(options.ca_file, "/etc/redis/ca.pem");
  EXPECT_EQ(options.database, 5);
  EXPECT_TRUE(parsed("rediss://h?ssl_cert_reqs=optional").verify_certificate);
  EXPECT_TRUE(parsed("rediss://h?ssl_cert_reqs=required").verify_certificate);
}

TEST(ParseUrl, RefusesWhatIsNotARedisUrlWithoutRepeatingIt) {
  for (const std::string_view url :
       {"http://user:s3cret-pass@h:6379", "redis://user:s3cret-pass@h:0",
        "redis://user:s3cret-pass@h/db1", "redis://user:s3cret-pass@h/-1",
        "redis://user:s3cret-pass@h?db=x", "redis://user:s3cret-pass@h?ssl_cert_reqs=maybe",
        "user:s3cret-pass@h:6379 with spaces", "redis://user:s3cret-pass@h:99999"}) {
    const auto options = parse_url(url);
    ASSERT_FALSE(options) << url;
    EXPECT_EQ(options.error().kind, ErrorKind::invalid_request);
    EXPECT_EQ(options.error().param, "redis_url");
    EXPECT_TRUE(options.error().message.starts_with("redis_url ")) << options.error().message;
    EXPECT_EQ(options.error().message.find("s3cret"), std::string::npos) << options.error().message;
  }
}

TEST(EndpointText, NamesTheServerButNoCredential) {
  const auto options = parsed("rediss://admin:s3cret-pass@cache.internal:6380/3");
  EXPECT_EQ(endpoint_text(options), "rediss://cache.internal:6380/3");
  EXPECT_EQ(endpoint_text(Options{}), "redis://127.0.0.1:6379");
}

}  // namespace
}  // namespace llmux::redis
