// The semantic cache's index (`type: redis-semantic`, docs/CACHING.md): the prompts answered
// before, as embedding vectors, and their answers, one index per process shared by its workers.
// Nearest neighbours by cosine similarity come from an HNSW graph (hnswlib) over the normalised
// vectors, so a lookup does not scan every entry.
//
// An entry belongs to a scope: the hash of everything but the prompt that the exact cache keys
// (the endpoint, the model group, the other body fields), so a hit needs the same model group and
// parameters. The graph holds every scope; a lookup takes the nearest `kCandidates` prompts and
// answers with the most similar one of its own scope.
//
// Bounded: at most `max_entries`; past that the oldest entry's slot takes the new one. Entries are
// added once per id (the id of its record in Redis), so the same entry seen again is ignored.
#pragma once

#include "cache/entry.hpp"
#include "telemetry/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmux::cache {

struct SemanticMatch {
  std::shared_ptr<const Entry> entry;
  double similarity = 0;  // cosine similarity of the two prompts' vectors
};

class SemanticIndex {
 public:
  // How many nearest prompts a lookup examines for one of its own scope.
  static constexpr std::size_t kCandidates = 32;

  // `counters`: where its entry count is shown (llmux_cache_semantic_entries); may be nullptr.
  explicit SemanticIndex(std::size_t max_entries, telemetry::CacheCounters* counters = nullptr);
  ~SemanticIndex();
  SemanticIndex(const SemanticIndex&) = delete;
  SemanticIndex& operator=(const SemanticIndex&) = delete;

  // `expires_at_ms`: Unix ms, 0 for never. False when the entry is not added: its id is already
  // indexed, or its vector is empty, zero or of another dimension than the index's (fixed by the
  // first entry).
  bool add(std::string id, std::string scope, std::span<const float> vector, Entry entry,
           std::int64_t expires_at_ms);
  // The most similar entry of `scope` among the nearest candidates, alive at `now_ms` and younger
  // than `max_age_s` when given; nullopt when there is none.
  std::optional<SemanticMatch> nearest(std::string_view scope, std::span<const float> vector,
                                       std::int64_t now_ms,
                                       std::optional<double> max_age_s = std::nullopt) const;
  std::size_t size() const;
  void clear();

 private:
  struct Slot {
    std::string id;
    std::string scope;
    std::shared_ptr<const Entry> entry;
    std::int64_t expires_at_ms = 0;  // 0: never
  };
  struct Graph;

  void count_entries();  // with the lock held

  const std::size_t max_entries_;
  telemetry::CacheCounters* counters_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Graph> graph_;  // made by the first entry, which fixes the dimension
  std::vector<Slot> slots_;       // by the graph's label
  std::size_t next_slot_ = 0;     // the slot the next entry takes (the oldest once full)
  std::unordered_map<std::string, std::size_t> slot_of_id_;
};

// The vector scaled to length 1 (cosine similarity is then a dot product); empty for a zero
// vector.
std::vector<float> normalised(std::span<const float> vector);

}  // namespace llmux::cache
