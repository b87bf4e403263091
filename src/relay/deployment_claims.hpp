// A fleet's count of each deployment's requests and tokens per minute (docs/SCALING.md): under
// usage-based-routing, an attempt is first claimed from it, so that the instances together keep
// a deployment under its rpm and tpm and route by the fleet's usage.
#pragma once

#include "router/health.hpp"
#include "router/model_table.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace llmux::relay {

class DeploymentClaims {
 public:
  struct Usage {
    std::int64_t requests = 0;
    std::int64_t tokens = 0;
  };
  struct Claim {
    enum class Verdict { claimed, full, unavailable };
    Verdict verdict = Verdict::unavailable;  // unavailable: decide with this process's counts
    // The fleet's counts this minute of each deployment of the group, in its order (the chosen
    // one's with this attempt when claimed).
    std::vector<Usage> group;
    router::Clock::duration window_left{};  // until the fleet's minute ends
  };
  virtual ~DeploymentClaims() = default;
  // Claims an attempt on `chosen`, one of `group`, and reads the whole group's counts.
  virtual boost::asio::awaitable<Claim> claim(const router::Deployment& chosen,
                                              std::span<const router::Deployment* const> group) = 0;
  // A claimed attempt's tokens, once it ended; not awaited.
  virtual void add_tokens(const router::Deployment& deployment, std::int64_t tokens) = 0;
};

}  // namespace llmux::relay
