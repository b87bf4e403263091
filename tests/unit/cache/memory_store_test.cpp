#include "cache/memory_store.hpp"

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

Entry entry_of(std::string answer) { return Entry{.answer = std::move(answer), .stored_at_ms = 1}; }

TEST(MemoryStore, GetsWhatItStoredUntilItExpires) {
  telemetry::CacheCounters counters;
  MemoryStore store(1 << 20, &counters);
  ASSERT_TRUE(store.put("k", entry_of("answer"), 1000));
  auto found = store.get("k", 999);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->answer, "answer");
  EXPECT_EQ(counters.memory_entries.load(), 1);
  EXPECT_GT(counters.memory_bytes.load(), 6);
  EXPECT_FALSE(store.get("k", 1000)) << "expired at its expiry time";
  EXPECT_EQ(store.size(), 0u) << "an expired entry is dropped when read";
  EXPECT_EQ(counters.memory_bytes.load(), 0);
  EXPECT_FALSE(store.get("other", 0));
}

TEST(MemoryStore, ReplacingAnEntryKeepsOneCopy) {
  MemoryStore store(1 << 20);
  ASSERT_TRUE(store.put("k", entry_of("one"), 0));
  ASSERT_TRUE(store.put("k", entry_of("two"), 0));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.get("k", 5)->answer, "two");
  EXPECT_TRUE(store.erase("k"));
  EXPECT_FALSE(store.erase("k"));
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(MemoryStore, BoundedByBytesLeastRecentlyUsedOut) {
  telemetry::CacheCounters counters;
  // One shard's share holds a few entries of 1 KiB; keys that land in one shard show the order.
  MemoryStore store(MemoryStore::kShards * 4096, &counters);
  std::vector<std::string> same_shard;
  const auto shard = [](const std::string& key) {
    return std::hash<std::string_view>{}(key) % MemoryStore::kShards;
  };
  for (int i = 0; same_shard.size() < 4; ++i) {
    const std::string key = "key-" + std::to_string(i);
    if (same_shard.empty() || shard(key) == shard(same_shard.front())) same_shard.push_back(key);
  }
  const std::string kilobyte(1024, 'x');
  ASSERT_TRUE(store.put(same_shard[0], entry_of(kilobyte), 0));
  ASSERT_TRUE(store.put(same_shard[1], entry_of(kilobyte), 0));
  ASSERT_TRUE(store.put(same_shard[2], entry_of(kilobyte), 0));
  ASSERT_TRUE(store.get(same_shard[0], 0));  // now the most recently used
  ASSERT_TRUE(store.put(same_shard[3], entry_of(kilobyte), 0));
  EXPECT_TRUE(store.get(same_shard[0], 0));
  EXPECT_FALSE(store.get(same_shard[1], 0)) << "the least recently used went first";
  EXPECT_TRUE(store.get(same_shard[3], 0));
  EXPECT_GE(counters.memory_evictions.load(), 1u);
  EXPECT_LE(store.bytes(), 4096u);
}

TEST(MemoryStore, RefusesAnEntryLargerThanHalfAShard) {
  MemoryStore store(MemoryStore::kShards * 4096);
  EXPECT_FALSE(store.put("big", entry_of(std::string(3000, 'x')), 0));
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryStore, AHitOutlivesItsEviction) {
  MemoryStore store(1 << 20);
  ASSERT_TRUE(store.put("k", entry_of("answer"), 0));
  auto held = store.get("k", 0);
  store.clear();
  EXPECT_EQ(held->answer, "answer");
}

}  // namespace
}  // namespace llmux::cache
