// The router as the handlers see it: the model table, the resolved routing policy and the
// deployments' shared health, built once at startup. plan() starts one request's attempts.
#pragma once

#include "config/config.hpp"
#include "router/attempt_plan.hpp"
#include "router/health.hpp"
#include "router/model_table.hpp"

#include <memory>

namespace llmux::router {

// router_settings over litellm_settings, as LiteLLM's proxy resolves them.
RouterPolicy policy_from(const config::Config& config);
CooldownPolicy cooldown_policy_from(const config::RouterSettings& settings);

class Router {
 public:
  // The table is built by the caller (its warnings go to the startup log).
  Router(ModelTable table, RouterPolicy policy, std::unique_ptr<HealthState> health);
  static Router from_config(const config::Config& config, std::vector<std::string>& warnings);

  const ModelTable& models() const { return table_; }
  const RouterPolicy& policy() const { return policy_; }

  // The attempts for a request naming `model`; nullopt for a model no deployment serves.
  std::optional<AttemptPlan> plan(std::string_view model, RequestOptions options, TimePoint start) const;

 private:
  ModelTable table_;
  RouterPolicy policy_;
  std::unique_ptr<HealthState> health_;  // shared by every worker; thread-safe
};

}  // namespace llmux::router
