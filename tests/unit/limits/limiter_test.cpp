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
