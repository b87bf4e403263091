// A fleet's count of each deployment's requests and tokens per minute (docs/SCALING.md): under
// usage-based-routing, an attempt on a deployment with an rpm or tpm is first claimed from it, so
// that the instances together keep the deployment under its limits.
#pragma once

#include "router/health.hpp"
#include "router/model_table.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>

namespace llmux::relay {

class DeploymentClaims {
 public:
  struct Claim {
    enum class Verdict { claimed, full, unavailable };
    Verdict verdict = Verdict::unavailable;  // unavailable: decide with this process's counts
    std::int64_t requests = 0;  // the fleet's this minute (with this attempt when claimed)
    std::int64_t tokens = 0;
    router::Clock::duration window_left{};  // until the fleet's minute ends
  };
  virtual ~DeploymentClaims() = default;
  virtual boost::asio::awaitable<Claim> claim(const router::Deployment& deployment) = 0;
  // A claimed attempt's tokens, once it ended; not awaited.
  virtual void add_tokens(const router::Deployment& deployment, std::int64_t tokens) = 0;
};

}  // namespace llmux::relay
