#include "relay/google_token_refresher.hpp"

#include <gtest/gtest.h>

namespace llmux::relay {
namespace {

using namespace std::chrono_literals;

TEST(RefreshDelay, FiveMinutesBeforeExpiryOrHalfwayForShortTokens) {
  EXPECT_EQ(refresh_delay(3599s), 3299s);
  EXPECT_EQ(refresh_delay(10min), 5min);
  EXPECT_EQ(refresh_delay(599s), 299500ms);
  EXPECT_EQ(refresh_delay(3s), 1500ms);
  EXPECT_EQ(refresh_delay(1s), 1s);
  EXPECT_EQ(refresh_delay(0s), 1s) << "never a busy loop";
}

TEST(RetryDelay, DoublesFromOneSecondUpToAMinute) {
  EXPECT_EQ(retry_delay(1), 1s);
  EXPECT_EQ(retry_delay(2), 2s);
  EXPECT_EQ(retry_delay(3), 4s);
  EXPECT_EQ(retry_delay(6), 32s);
  EXPECT_EQ(retry_delay(7), 60s);
  EXPECT_EQ(retry_delay(1000), 60s);
}

}  // namespace
}  // namespace llmux::relay
