// The routing strategies (router_settings.routing_strategy): which of a group's callable
// deployments takes the next attempt. Pure: the load figures and the random draw come in.
#pragma once

#include "router/health.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace llmux::router {

enum class Strategy { simple_shuffle, least_busy, latency_based, usage_based };

// LiteLLM's names; "usage-based-routing-v2" is the same rule as "usage-based-routing".
std::optional<Strategy> parse_strategy(std::string_view name);

struct Candidate {
  const Deployment* deployment = nullptr;
  Load load;
};

// usage-based-routing never sends a deployment past its rpm or tpm for this minute.
bool within_limits(const Deployment& deployment, const Load& load) noexcept;

// Picks among the candidates of the lowest `order` tier (deployments without an order come after
// every tier). `draw` is uniform in [0, 1): simple-shuffle's weighted choice and every strategy's
// tie-break. Returns nullptr only for an empty span.
const Deployment* pick(Strategy strategy, std::span<const Candidate> candidates, double draw);

}  // namespace llmux::router
