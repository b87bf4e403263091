#include "cache/semantic_index.hpp"

#include <hnswlib/hnswlib.h>

#include <cmath>
#include <mutex>

namespace llmux::cache {

// hnswlib's graph over inner products: on normalised vectors, distance = 1 - cosine similarity.
struct SemanticIndex::Graph {
  Graph(std::size_t dimension, std::size_t max_entries)
      : space(dimension), index(&space, max_entries) {}
  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> index;
};

std::vector<float> normalised(std::span<const float> vector) {
  double length = 0;
  for (const float x : vector) length += static_cast<double>(x) * x;
  if (!(length > 0) || !std::isfinite(length)) return {};
  const double scale = 1 / std::sqrt(length);
  std::vector<float> unit(vector.size());
  for (std::size_t i = 0; i < vector.size(); ++i) unit[i] = static_cast<float>(vector[i] * scale);
  return unit;
}

SemanticIndex::SemanticIndex(std::size_t max_entries, telemetry::CacheCounters* counters)
    : max_entries_(max_entries), counters_(counters) {}

void SemanticIndex::count_entries() {
  if (counters_) counters_->semantic_entries = static_cast<std::int64_t>(slot_of_id_.size());
}

SemanticIndex::~SemanticIndex() = default;

bool SemanticIndex::add(std::string id, std::string scope, std::span<const float> vector,
                        Entry entry, std::int64_t expires_at_ms) {
  const std::vector<float> unit = normalised(vector);
  if (unit.empty()) return false;
  std::unique_lock lock(mutex_);
  if (slot_of_id_.contains(id)) return false;
  if (!graph_) {
    graph_ = std::make_unique<Graph>(unit.size(), max_entries_);
    slots_.resize(max_entries_);
  }
  if (unit.size() != graph_->space.get_data_size() / sizeof(float)) return false;
  const std::size_t slot = next_slot_;
  next_slot_ = (next_slot_ + 1) % max_entries_;
  Slot& taken = slots_[slot];
  if (!taken.id.empty()) slot_of_id_.erase(taken.id);
  // A label already in the graph is updated in place (hnswlib repairs its links): the oldest
  // entry's slot is reused, so the graph never holds more than max_entries.
  graph_->index.addPoint(unit.data(), slot);
  taken = Slot{.id = id,
               .scope = std::move(scope),
               .entry = std::make_shared<const Entry>(std::move(entry)),
               .expires_at_ms = expires_at_ms};
  slot_of_id_.emplace(std::move(id), slot);
  count_entries();
  return true;
}

std::optional<SemanticMatch> SemanticIndex::nearest(std::string_view scope,
                                                    std::span<const float> vector,
                                                    std::int64_t now_ms,
                                                    std::optional<double> max_age_s) const {
  const std::vector<float> unit = normalised(vector);
  if (unit.empty()) return std::nullopt;
  std::shared_lock lock(mutex_);
  if (!graph_ || unit.size() != graph_->space.get_data_size() / sizeof(float)) return std::nullopt;
  auto found = graph_->index.searchKnn(unit.data(), kCandidates);
  // The queue gives the farthest first: the last one of our scope that lives is the nearest.
  std::optional<SemanticMatch> best;
  while (!found.empty()) {
    const auto [distance, label] = found.top();
    found.pop();
    const Slot& slot = slots_[label];
    const bool expired = slot.expires_at_ms != 0 && slot.expires_at_ms <= now_ms;
    if (slot.scope != scope || expired) continue;
    if (!young_enough(*slot.entry, max_age_s, now_ms)) continue;
    best = SemanticMatch{.entry = slot.entry, .similarity = 1.0 - distance};
  }
  return best;
}

std::size_t SemanticIndex::size() const {
  std::shared_lock lock(mutex_);
  return slot_of_id_.size();
}

void SemanticIndex::clear() {
  std::unique_lock lock(mutex_);
  graph_.reset();
  slots_.clear();
  slot_of_id_.clear();
  next_slot_ = 0;
  count_entries();
}

}  // namespace llmux::cache
