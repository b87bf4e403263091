#include "cache/entry.hpp"

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

TEST(Entry, EncodesAndDecodesTheAnswerAsItIs) {
  const Entry entry{.answer = "{\"id\":\"x\"}\nsecond line",
                    .stored_at_ms = 1733500000123,
                    .prompt_tokens = 12,
                    .completion_tokens = 34};
  const std::string value = encode(entry);
  auto decoded = decode(value);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->answer, entry.answer);
  EXPECT_EQ(decoded->stored_at_ms, entry.stored_at_ms);
  EXPECT_EQ(decoded->prompt_tokens, 12);
  EXPECT_EQ(decoded->completion_tokens, 34);
}

TEST(Entry, AnotherProgramsValueIsNotAnEntry) {
  EXPECT_FALSE(decode("plain text"));
  EXPECT_FALSE(decode("{\"json\":1}\n"));
  EXPECT_FALSE(decode("llmux-cache-1 notanumber\n{}"));
  EXPECT_FALSE(decode("llmux-cache-1 5\n{}"));
  EXPECT_FALSE(decode("llmux-cache-1 5 1 2 extra\n{}"));
}

TEST(Entry, YoungEnoughComparesItsAgeWithSMaxAge) {
  const Entry entry{.answer = "a", .stored_at_ms = 10'000};
  EXPECT_TRUE(young_enough(entry, std::nullopt, 1'000'000));
  EXPECT_TRUE(young_enough(entry, 5.0, 15'000));
  EXPECT_FALSE(young_enough(entry, 5.0, 15'001));
  EXPECT_FALSE(young_enough(entry, 0.0, 10'001));
}

}  // namespace
}  // namespace llmux::cache
