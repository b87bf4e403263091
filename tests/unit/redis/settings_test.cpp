#include "redis/settings.hpp"

#include <gtest/gtest.h>

namespace llmux::redis {
namespace {

using namespace std::chrono_literals;

TEST(OptionsFrom, TakesTheFieldsWhenNoUrlIsGiven) {
  config::RedisSettings settings;
  settings.host = "cache.internal";
  settings.port = 6380;
  settings.username = "user";
  settings.password = "secret";
  settings.ssl = true;
  settings.db = 3;
  settings.ssl_cert_reqs = "none";
  settings.socket_timeout_s = 0.25;
  settings.socket_connect_timeout_s = 2;
  const auto options = options_from(settings);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->host, "cache.internal");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->username, "user");
  EXPECT_EQ(options->password, "secret");
  EXPECT_TRUE(options->tls);
  EXPECT_EQ(options->database, 3);
  EXPECT_FALSE(options->verify_certificate);
  EXPECT_EQ(options->command_timeout, 250ms);
  EXPECT_EQ(options->connect_timeout, 2000ms);
}

TEST(OptionsFrom, AUrlWinsAndKeepsTheTimeouts) {
  config::RedisSettings settings;
  settings.url = "rediss://:pw@other:7000/1";
  settings.host = "ignored";
  settings.socket_timeout_s = 1;
  const auto options = options_from(settings);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->host, "other");
  EXPECT_EQ(options->port, 7000);
  EXPECT_EQ(options->password, "pw");
  EXPECT_TRUE(options->tls);
  EXPECT_EQ(options->command_timeout, 1000ms);
}

TEST(OptionsFrom, AMalformedUrlIsAnErrorThatDoesNotRepeatIt) {
  config::RedisSettings settings;
  settings.url = "http://:hunter2@host";
  const auto options = options_from(settings);
  ASSERT_FALSE(options);
  EXPECT_EQ(options.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace llmux::redis
