// The in-memory response cache: one per process, shared by every worker. Bounded by bytes
// (answers, keys and bookkeeping counted), least recently used entries pushed out first; each
// entry has its own expiry, checked when it is read. Split into shards by key, each behind its
// own mutex, so that workers reading different entries do not wait for each other; a hit holds
// its shard's lock only to find the entry and take a reference to it.
#pragma once

#include "cache/entry.hpp"
#include "telemetry/metrics.hpp"

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace llmux::cache {

class MemoryStore {
 public:
  // `counters`: where the cache's bytes, entries and evictions are published (may be nullptr).
  explicit MemoryStore(std::size_t max_bytes, telemetry::CacheCounters* counters = nullptr);
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;
  ~MemoryStore();

  // The entry under `key`, or nullptr when there is none or it has expired (it is then dropped).
  // A hit makes the entry the most recently used of its shard.
  std::shared_ptr<const Entry> get(std::string_view key, std::int64_t now_ms);
  // Stores (or replaces) an entry until `expires_at_ms` (0: no expiry), pushing out the least
  // recently used entries of its shard to make room. False when the entry is too large for the
  // cache (more than half a shard, or LiteLLM's 1 MiB per item): it is not stored.
  bool put(std::string key, Entry entry, std::int64_t expires_at_ms);
  bool erase(std::string_view key);
  void clear();

  std::size_t bytes() const;
  std::size_t size() const;

  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxEntryBytes = 1u << 20;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const Entry> entry;
    std::int64_t expires_at_ms = 0;
    std::size_t bytes = 0;
  };
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Node> recency;  // most recently used first
    std::unordered_map<std::string_view, std::list<Node>::iterator, TransparentHash,
                       std::equal_to<>>
        index;  // views of the nodes' own keys
    std::size_t bytes = 0;
  };

  Shard& shard_of(std::string_view key);
  // Removes `node` from its shard (the caller holds the shard's lock).
  void drop(Shard& shard, std::list<Node>::iterator node);

  std::size_t shard_bytes_;
  telemetry::CacheCounters* counters_;
  std::array<Shard, kShards> shards_;
};

}  // namespace llmux::cache
