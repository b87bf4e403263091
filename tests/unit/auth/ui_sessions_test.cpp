#include "auth/ui_sessions.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::auth {
namespace {

constexpr store::Millis kHour = 3'600'000;

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("llmux_ui_session=abc", "llmux_ui_session"), "abc");
  EXPECT_EQ(cookie_value("a=1; llmux_ui_session=abc; b=2", "llmux_ui_session"), "abc");
  EXPECT_EQ(cookie_value("a=1;llmux_ui_session=abc", "llmux_ui_session"), "abc");
}

TEST(CookieValue, NoPrefixOrSuffixMatch) {
  EXPECT_EQ(cookie_value("xllmux_ui_session=abc; llmux_ui_session_old=def", "llmux_ui_session"),
            "");
  EXPECT_EQ(cookie_value("", "llmux_ui_session"), "");
  EXPECT_EQ(cookie_value("llmux_ui_session", "llmux_ui_session"), "");
}

TEST(UiSessions, MasterKeyLogsInWithAnyUsername) {
  const Authenticator authenticator("sk-master");
  const UiSessions sessions(authenticator, std::nullopt, kHour);
  EXPECT_TRUE(sessions.accepts_login("", "sk-master"));
  EXPECT_TRUE(sessions.accepts_login("anyone", "sk-master"));
  EXPECT_FALSE(sessions.accepts_login("", "sk-maste"));
  EXPECT_FALSE(sessions.accepts_login("", ""));
}

TEST(UiSessions, UsernameAndPasswordBothMustMatch) {
  const Authenticator authenticator("sk-master");
  const UiSessions sessions(authenticator, UiCredentials{.username = "op", .password = "pw-1"},
                            kHour);
  EXPECT_TRUE(sessions.accepts_login("op", "pw-1"));
  EXPECT_FALSE(sessions.accepts_login("op", "pw-2"));
  EXPECT_FALSE(sessions.accepts_login("admin", "pw-1"));
  EXPECT_FALSE(sessions.accepts_login("", ""));
  EXPECT_TRUE(sessions.accepts_login("op", "sk-master"));
}

TEST(UiSessions, OpenGatewayTakesAnyLogin) {
  const Authenticator authenticator("");
  const UiSessions sessions(authenticator, std::nullopt, kHour);
  EXPECT_TRUE(sessions.accepts_login("", ""));
}

TEST(UiSessions, ATokenIsValidUntilItExpiresOrCloses) {
  const Authenticator authenticator("sk-master");
  UiSessions sessions(authenticator, std::nullopt, kHour);
  const std::string token = sessions.open(1000);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_TRUE(sessions.valid(token, 1000));
  EXPECT_TRUE(sessions.valid(token, 1000 + kHour - 1));
  EXPECT_FALSE(sessions.valid(token, 1000 + kHour));
  const std::string other = sessions.open(2000);
  EXPECT_NE(other, token);
  sessions.close(other);
  EXPECT_FALSE(sessions.valid(other, 2000));
  EXPECT_FALSE(sessions.valid("", 2000));
  EXPECT_FALSE(sessions.valid(std::string(64, '0'), 2000));
}

TEST(UiSessions, AtTheLimitExpiredSessionsGoFirstThenTheOldest) {
  const Authenticator authenticator("sk-master");
  UiSessions sessions(authenticator, std::nullopt, kHour, 2);
  const std::string first = sessions.open(0);
  const std::string second = sessions.open(kHour / 2);
  // first has expired at this time: it makes room, second stays.
  const std::string third = sessions.open(kHour);
  EXPECT_TRUE(sessions.valid(second, kHour));
  EXPECT_TRUE(sessions.valid(third, kHour));
  // None expired: the oldest (second) goes.
  const std::string fourth = sessions.open(kHour + 1);
  EXPECT_FALSE(sessions.valid(second, kHour + 1));
  EXPECT_TRUE(sessions.valid(third, kHour + 1));
  EXPECT_TRUE(sessions.valid(fourth, kHour + 1));
  EXPECT_FALSE(sessions.valid(first, 0));
}

TEST(UiSessions, FailedLoginsPastTheLimitRefuseThatAddressUntilTheNextMinute) {
  const Authenticator authenticator("sk-master");
  UiSessions sessions(authenticator, std::nullopt, kHour);
  const store::Millis minute = 60'000 * 1000;
  const std::string guesser = "192.0.2.7", admin = "192.0.2.8";
  for (int i = 0; i < UiSessions::kMaxFailedLogins; ++i) {
    EXPECT_EQ(sessions.login_refused_for(guesser, minute + i), 0) << i;
    sessions.login_failed(guesser, minute + i);
  }
  EXPECT_EQ(sessions.login_refused_for(guesser, minute + 15'000), 45'000);
  EXPECT_EQ(sessions.login_refused_for(guesser, minute + 59'999), 1);
  // Another client still logs in, and has its own count.
  EXPECT_EQ(sessions.login_refused_for(admin, minute + 15'000), 0);
  sessions.login_failed(admin, minute + 15'000);
  EXPECT_EQ(sessions.login_refused_for(admin, minute + 15'001), 0);
  // A new minute starts a new count.
  EXPECT_EQ(sessions.login_refused_for(guesser, minute + 60'000), 0);
  sessions.login_failed(guesser, minute + 60'000);
  EXPECT_EQ(sessions.login_refused_for(guesser, minute + 60'001), 0);
}

TEST(UiSessions, PastTheCountedAddressesEveryOtherAddressIsRefusedUntilTheNextMinute) {
  const Authenticator authenticator("sk-master");
  UiSessions sessions(authenticator, std::nullopt, kHour);
  const store::Millis minute = 60'000 * 1000;
  for (std::size_t n = 0; n < UiSessions::kMaxCountedAddresses; ++n) {
    sessions.login_failed("10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256),
                          minute);
  }
  EXPECT_EQ(sessions.login_refused_for("10.0.0.1", minute + 1), 0);        // one failure: counted
  EXPECT_EQ(sessions.login_refused_for("192.0.2.1", minute + 1), 59'999);  // not counted
  sessions.login_failed("192.0.2.1", minute + 1);
  EXPECT_EQ(sessions.login_refused_for("192.0.2.1", minute + 60'000), 0);
}

}  // namespace
}  // namespace llmux::auth
