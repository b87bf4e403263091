#include "cache/semantic_index.hpp"

#include "cache/semantic_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace llmux::cache {
namespace {

constexpr std::int64_t kNow = 1'000'000;

Entry answer(std::string text) { return Entry{.answer = std::move(text), .stored_at_ms = kNow}; }

std::string answer_of(const std::optional<SemanticMatch>& match) {
  return match && match->entry ? match->entry->answer : "";
}

TEST(SemanticIndex, TheNearestEntryOfTheSameScopeAnswersWithItsCosineSimilarity) {
  SemanticIndex index(16);
  ASSERT_TRUE(index.add("1-0", "scope", std::vector<float>{1, 0, 0}, answer("x"), 0));
  ASSERT_TRUE(index.add("2-0", "scope", std::vector<float>{0, 1, 0}, answer("y"), 0));
  // Length does not matter, direction does: cos((3, 1, 0), (1, 0, 0)) = 3 / sqrt(10).
  const auto match = index.nearest("scope", std::vector<float>{3, 1, 0}, kNow);
  EXPECT_EQ(answer_of(match), "x");
  EXPECT_NEAR(match->similarity, 3 / std::sqrt(10.0), 1e-6);
  EXPECT_EQ(answer_of(index.nearest("scope", std::vector<float>{0, 5, 1}, kNow)), "y");
}

TEST(SemanticIndex, AnotherScopeNeverAnswersEvenWhenNearer) {
  SemanticIndex index(16);
  index.add("1-0", "gpt temperature 0", std::vector<float>{1, 0}, answer("cold"), 0);
  index.add("2-0", "gpt temperature 1", std::vector<float>{1, 0.5f}, answer("warm"), 0);
  EXPECT_EQ(answer_of(index.nearest("gpt temperature 1", std::vector<float>{1, 0}, kNow)), "warm");
  EXPECT_FALSE(index.nearest("other", std::vector<float>{1, 0}, kNow));
}

TEST(SemanticIndex, ExpiredAndTooOldEntriesDoNotAnswer) {
  SemanticIndex index(16);
  index.add("1-0", "s", std::vector<float>{1, 0}, answer("expires"), kNow + 1000);
  EXPECT_EQ(answer_of(index.nearest("s", std::vector<float>{1, 0}, kNow + 999)), "expires");
  EXPECT_FALSE(index.nearest("s", std::vector<float>{1, 0}, kNow + 1000));
  // s-maxage: stored at kNow, 5 s old at kNow + 5000.
  index.add("2-0", "s", std::vector<float>{0, 1}, answer("forever"), 0);
  EXPECT_EQ(answer_of(index.nearest("s", std::vector<float>{0, 1}, kNow + 5000, 10.0)), "forever");
  EXPECT_FALSE(index.nearest("s", std::vector<float>{0, 1}, kNow + 5000, 2.0));
}

TEST(SemanticIndex, HoldsAtMostMaxEntriesTheOldestLeavingFirst) {
  telemetry::CacheCounters counters;
  SemanticIndex index(3, &counters);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> vector(5, 0);
    vector[i] = 1;
    ASSERT_TRUE(index.add(std::to_string(i) + "-0", "s", vector, answer(std::to_string(i)), 0));
  }
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(counters.semantic_entries.load(), 3);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> vector(5, 0);
    vector[i] = 1;
    const auto match = index.nearest("s", vector, kNow);
    if (i < 2) {
      // Its slot went to a newer entry: what answers is another, orthogonal, prompt.
      EXPECT_NE(answer_of(match), std::to_string(i)) << i;
      if (match) EXPECT_NEAR(match->similarity, 0, 1e-6);
    } else {
      EXPECT_EQ(answer_of(match), std::to_string(i)) << i;
      EXPECT_NEAR(match->similarity, 1, 1e-6);
    }
  }
  // Ids that left can come back (another instance's feed reading them again is harmless).
  EXPECT_TRUE(index.add("0-0", "s", std::vector<float>{1, 0, 0, 0, 0}, answer("0"), 0));
}

TEST(SemanticIndex, RefusesAKnownIdAZeroVectorAndAnotherDimension) {
  SemanticIndex index(4);
  EXPECT_TRUE(index.add("1-0", "s", std::vector<float>{1, 2}, answer("a"), 0));
  EXPECT_FALSE(index.add("1-0", "s", std::vector<float>{2, 1}, answer("b"), 0));
  EXPECT_FALSE(index.add("2-0", "s", std::vector<float>{0, 0}, answer("c"), 0));
  EXPECT_FALSE(index.add("3-0", "s", std::vector<float>{1, 2, 3}, answer("d"), 0));
  EXPECT_FALSE(index.nearest("s", std::vector<float>{1, 2, 3}, kNow));
  EXPECT_FALSE(index.nearest("s", std::vector<float>{0, 0}, kNow));
  EXPECT_EQ(index.size(), 1u);
  index.clear();
  EXPECT_EQ(index.size(), 0u);
  // After a clear the dimension is the next entry's.
  EXPECT_TRUE(index.add("4-0", "s", std::vector<float>{1, 2, 3}, answer("e"), 0));
}

TEST(SemanticStore, VectorsRoundTripAsLittleEndianFloat32) {
  const std::vector<float> vector{1.0f, -0.5f, 3.25e-7f, std::numeric_limits<float>::max()};
  const std::string bytes = vector_bytes(vector);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x80\x3f", 4));  // 1.0f
  EXPECT_EQ(vector_from_bytes(bytes), vector);
  EXPECT_FALSE(vector_from_bytes("abc"));
}

}  // namespace
}  // namespace llmux::cache
