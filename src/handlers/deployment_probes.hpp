// LiteLLM's deployment health checks (GET /health with the master key): each deployment is
// called with a minimal request of its mode, through the worker's relay and upstream transport,
// and the answer is LiteLLM's {healthy_endpoints, unhealthy_endpoints, healthy_count,
// unhealthy_count}, without credentials. With general_settings.background_health_checks the
// probes run every health_check_interval on one worker and /health answers the last run.
#pragma once

#include "api/request.hpp"
#include "base/error.hpp"
#include "relay/relay.hpp"
#include "router/model_table.hpp"

#include <boost/asio/awaitable.hpp>

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::handlers {

namespace asio = boost::asio;

// One deployment's verdict.
struct ProbeResult {
  const router::Deployment* deployment = nullptr;
  std::optional<Error> failure;  // nullopt: healthy
};

// The call a deployment is probed with, by its health check's mode (LiteLLM's): a chat with
// max_tokens, a text completion, an embedding, a moderation or a rerank, naming the deployment's
// group. An error for a mode llmux does not serve (image generation, audio, …).
Result<api::Request> probe_request(const router::Deployment& deployment);

// The deployments GET /health?model=<name> checks, as LiteLLM picks them: the group of that name,
// else the deployments whose litellm_params.model it is; every deployment when `model` is empty.
std::vector<const router::Deployment*> deployments_named(const router::ModelTable& models,
                                                         std::string_view model);

// LiteLLM's answer to GET /health: each deployment as its litellm_params.model, api_base (as
// /model/info shows it) and model_id, with the masked error when it failed.
std::string health_body(std::span<const ProbeResult> results);

// Probes deployments from one worker, all at once, each with its own timeout.
class DeploymentProber {
 public:
  explicit DeploymentProber(relay::Relay relay) : relay_(relay) {}

  asio::awaitable<std::vector<ProbeResult>> probe(
      std::vector<const router::Deployment*> deployments);

 private:
  asio::awaitable<std::optional<Error>> probe_one(const router::Deployment& deployment);

  relay::Relay relay_;
};

// The last background run's answer: written by the worker that probes, read by every worker.
class LastHealthChecks {
 public:
  void store(std::string body);
  // nullopt until the first run has ended.
  std::optional<std::string> body() const;

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> body_;
};

}  // namespace llmux::handlers
