#include "limits/limiter.hpp"

#include <gtest/gtest.h>

namespace llmux::limits {
namespace {

TEST(Admit, NoLimitsCountsNothing) {
  MemoryCounters counters;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(admit(counters, "k", {}, 0));
}

TEST(Admit, RequestsPerMinuteInFixedWindows) {
  MemoryCounters counters;
  const Limits limits{.rpm = 2};
  EXPECT_TRUE(admit(counters, "k", limits, 1'000));
  EXPECT_TRUE(admit(counters, "k", limits, 2'000));
  auto refused = admit(counters, "k", limits, 3'000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 429);
  EXPECT_EQ(refused.error().retry_after, std::chrono::seconds(57));
  EXPECT_TRUE(admit(counters, "other", limits, 3'000)) << "keys are counted apart";
  EXPECT_TRUE(admit(counters, "k", limits, 60'000)) << "a new minute";
}

TEST(Admit, TokensAreAddedWhenTheCallFinishes) {
  MemoryCounters counters;
  const Limits limits{.tpm = 100};
  auto first = admit(counters, "k", limits, 0);
  ASSERT_TRUE(first);
  first->permit.finish(100, 10);
  auto refused = admit(counters, "k", limits, 20);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("current tpm: 100, tpm limit: 100"), std::string::npos);
}

// tpm: a call reserves its estimate at admission, so calls admitted together are held back by
// each other's reservations; its real count replaces the reservation when it ends.
TEST(Admit, ReservedTokensCountUntilTheRealCountReplacesThem) {
  MemoryCounters counters;
  const Limits limits{.tpm = 100};
  auto first = admit(counters, "k", limits, 0, "key", 60);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->usage.tokens, 0) << "its own reservation is left out of its counts";
  auto second = admit(counters, "k", limits, 1, "key", 60);
  ASSERT_TRUE(second) << "60 < 100";
  auto refused = admit(counters, "k", limits, 2, "key", 60);
  ASSERT_FALSE(refused) << "the two reservations fill the window";
  EXPECT_NE(refused.error().message.find("current tpm: 120, tpm limit: 100"), std::string::npos);
  first->permit.finish(10, 3);
  second->permit.finish(0, 4);  // failed: its reservation is released
  auto third = admit(counters, "k", limits, 5, "key", 5);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->usage.tokens, 10) << "the first's real count; the second's reservation gone";
  auto fourth = admit(counters, "k", limits, 6, "key", 0);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->usage.tokens, 15) << "10 real + the third's 5 reserved";
}

TEST(Admit, ACallEndingInALaterWindowCountsItsTokensThere) {
  MemoryCounters counters;
  const Limits limits{.tpm = 100};
  auto first = admit(counters, "k", limits, 59'000, "key", 90);
  ASSERT_TRUE(first);
  first->permit.finish(30, 61'000);
  auto next = admit(counters, "k", limits, 61'500, "key", 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->usage.tokens, 30);
}

TEST(Admit, ParallelSlotsFreeOnFinishOrDestruction) {
  MemoryCounters counters;
  const Limits limits{.max_parallel = 1};
  auto first = admit(counters, "k", limits, 0);
  ASSERT_TRUE(first);
  auto second = admit(counters, "k", limits, 0);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().retry_after, std::chrono::seconds(1));
  first->permit.finish(0, 0);
  {
    auto third = admit(counters, "k", limits, 0);
    ASSERT_TRUE(third);
    EXPECT_FALSE(admit(counters, "k", limits, 0));
  }
  EXPECT_TRUE(admit(counters, "k", limits, 0)) << "the destroyed permit gave its slot back";
}

}  // namespace
}  // namespace llmux::limits

namespace llmux::limits {
namespace {

TEST(ShareOf, EachInstanceGetsTheLimitDividedRoundedUpAndAtLeastOne) {
  const Limits limits{.rpm = 5, .tpm = 1000, .max_parallel = 1};
  const Limits share = share_of(limits, 2);
  EXPECT_EQ(share.rpm, 3);
  EXPECT_EQ(share.tpm, 500);
  EXPECT_EQ(share.max_parallel, 1);
  EXPECT_EQ(share_of(limits, 1).rpm, 5);
  EXPECT_EQ(share_of(limits, 0).rpm, 5);
  EXPECT_FALSE(share_of(Limits{.tpm = 7}, 3).rpm);
}

TEST(Refusal, NamesTheKindAndTheCountsThatRefusedIt) {
  const Error error = refusal("team", {.rpm = 3}, {.requests = 3, .window_ends_at = 31'000}, 1'000);
  EXPECT_NE(error.message.find("rate limit type = team"), std::string::npos);
  EXPECT_NE(error.message.find("current rpm: 3, rpm limit: 3"), std::string::npos);
  EXPECT_EQ(error.retry_after, std::chrono::seconds(30));
}

}  // namespace
}  // namespace llmux::limits
