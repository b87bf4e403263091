#include "router/balancer.hpp"

#include "router/model_table.hpp"

#include <algorithm>
#include <climits>
#include <vector>

namespace llmux::router {

namespace {

int tier_of(const Deployment& deployment) { return deployment.order.value_or(INT_MAX); }

// Weighted by Deployment::weight (weight, else rpm, else tpm, else 1).
const Deployment* weighted_choice(const std::vector<const Candidate*>& tier, double draw) {
  double total = 0;
  for (const Candidate* candidate : tier) total += candidate->deployment->weight;
  double point = draw * total;
  for (const Candidate* candidate : tier) {
    point -= candidate->deployment->weight;
    if (point < 0) return candidate->deployment;
  }
  return tier.back()->deployment;
}

// The candidates whose score is lowest, one of them chosen by the draw.
template <class Score>
const Deployment* lowest(const std::vector<const Candidate*>& tier, double draw, Score score) {
  std::vector<const Candidate*> best;
  for (const Candidate* candidate : tier) {
    if (!best.empty() && score(*candidate) > score(*best.front())) continue;
    if (!best.empty() && score(*candidate) < score(*best.front())) best.clear();
    best.push_back(candidate);
  }
  const auto index =
      std::min(best.size() - 1, static_cast<std::size_t>(draw * static_cast<double>(best.size())));
  return best[index]->deployment;
}

}  // namespace

std::optional<Strategy> parse_strategy(std::string_view name) {
  if (name == "simple-shuffle") return Strategy::simple_shuffle;
  if (name == "least-busy") return Strategy::least_busy;
  if (name == "latency-based-routing") return Strategy::latency_based;
  if (name == "usage-based-routing" || name == "usage-based-routing-v2")
    return Strategy::usage_based;
  return std::nullopt;
}

bool within_limits(const Deployment& deployment, const Load& load) noexcept {
  if (deployment.rpm && load.requests_this_minute + 1 > *deployment.rpm) return false;
  if (deployment.tpm && load.tokens_this_minute >= *deployment.tpm) return false;
  return true;
}

const Deployment* pick(Strategy strategy, std::span<const Candidate> candidates, double draw) {
  if (candidates.empty()) return nullptr;
  int top_tier = INT_MAX;
  for (const Candidate& candidate : candidates)
    top_tier = std::min(top_tier, tier_of(*candidate.deployment));
  std::vector<const Candidate*> tier;
  tier.reserve(candidates.size());
  for (const Candidate& candidate : candidates) {
    if (tier_of(*candidate.deployment) == top_tier) tier.push_back(&candidate);
  }
  switch (strategy) {
    case Strategy::simple_shuffle: return weighted_choice(tier, draw);
    case Strategy::least_busy:
      return lowest(tier, draw, [](const Candidate& c) { return c.load.in_flight; });
    case Strategy::latency_based:
      return lowest(tier, draw, [](const Candidate& c) { return c.load.latency; });
    case Strategy::usage_based:
      return lowest(tier, draw, [](const Candidate& c) { return c.load.tokens_this_minute; });
  }
  return tier.front()->deployment;
}

}  // namespace llmux::router
