#include "cache/memory_store.hpp"

namespace llmux::cache {

namespace {

// What an entry costs besides its bytes: the list node, the index slot, the shared entry.
constexpr std::size_t kNodeOverhead = 160;

std::size_t cost_of(const std::string& key, const Entry& entry) {
  return kNodeOverhead + 2 * key.size() + entry.answer.size();
}

}  // namespace

MemoryStore::MemoryStore(std::size_t max_bytes, telemetry::CacheCounters* counters)
    : shard_bytes_(max_bytes / kShards), counters_(counters) {}

MemoryStore::~MemoryStore() { clear(); }

MemoryStore::Shard& MemoryStore::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

void MemoryStore::drop(Shard& shard, std::list<Node>::iterator node) {
  shard.bytes -= node->bytes;
  if (counters_) {
    counters_->memory_bytes.fetch_sub(static_cast<std::int64_t>(node->bytes),
                                      std::memory_order_relaxed);
    counters_->memory_entries.fetch_sub(1, std::memory_order_relaxed);
  }
  shard.index.erase(std::string_view(node->key));
  shard.recency.erase(node);
}

std::shared_ptr<const Entry> MemoryStore::get(std::string_view key, std::int64_t now_ms) {
  Shard& shard = shard_of(key);
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.index.find(key);
  if (found == shard.index.end()) return nullptr;
  const auto node = found->second;
  if (node->expires_at_ms != 0 && node->expires_at_ms <= now_ms) {
    drop(shard, node);
    return nullptr;
  }
  shard.recency.splice(shard.recency.begin(), shard.recency, node);
  return node->entry;
}

bool MemoryStore::put(std::string key, Entry entry, std::int64_t expires_at_ms) {
  const std::size_t bytes = cost_of(key, entry);
  if (bytes > shard_bytes_ / 2 || entry.answer.size() > kMaxEntryBytes) return false;
  Shard& shard = shard_of(key);
  auto shared = std::make_shared<const Entry>(std::move(entry));
  const std::lock_guard lock(shard.mutex);
  if (const auto found = shard.index.find(std::string_view(key)); found != shard.index.end())
    drop(shard, found->second);
  while (shard.bytes + bytes > shard_bytes_ && !shard.recency.empty()) {
    drop(shard, std::prev(shard.recency.end()));
    if (counters_) counters_->memory_evictions.fetch_add(1, std::memory_order_relaxed);
  }
  shard.recency.push_front(Node{.key = std::move(key),
                                .entry = std::move(shared),
                                .expires_at_ms = expires_at_ms,
                                .bytes = bytes});
  shard.index.emplace(std::string_view(shard.recency.front().key), shard.recency.begin());
  shard.bytes += bytes;
  if (counters_) {
    counters_->memory_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
    counters_->memory_entries.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

bool MemoryStore::erase(std::string_view key) {
  Shard& shard = shard_of(key);
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.index.find(key);
  if (found == shard.index.end()) return false;
  drop(shard, found->second);
  return true;
}

void MemoryStore::clear() {
  for (Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    while (!shard.recency.empty()) drop(shard, shard.recency.begin());
  }
}

std::size_t MemoryStore::bytes() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

std::size_t MemoryStore::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    total += shard.recency.size();
  }
  return total;
}

}  // namespace llmux::cache
