// The router as the handlers see it: the model table, the resolved routing policy and the
// deployments' shared health, built once at startup. plan() starts one request's attempts.
#pragma once

#include "api/request.hpp"
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
  Router(ModelTable table, RouterPolicy policy, std::unique_ptr<HealthState> health,
         bool allow_client_side_credentials = false);
  static Router from_config(const config::Config& config, std::vector<std::string>& warnings);
  // This router with another model table: the same policy, and the health state of the
  // deployments both tables have (HealthState::successor).
  std::shared_ptr<Router> with_table(ModelTable table) const;

  const ModelTable& models() const { return table_; }
  const RouterPolicy& policy() const { return policy_; }
  // Each deployment's cooldown and load, as the router sees them now (the admin page and
  // litellm_deployment_state show it).
  const HealthState& health() const { return *health_; }
  // The same to change: a fleet shares its cooldowns through it.
  HealthState& health() { return *health_; }

  // The attempts for a request: its model's group in this router, or in the request's own
  // user_config. Errors: a model no deployment serves (400 model_not_found), client-side
  // routing the operator did not allow (400), an invalid user_config (400).
  Result<AttemptPlan> plan(const api::Request& request, RequestOptions options,
                           TimePoint start) const;

 private:
  Result<AttemptPlan> plan_in_table(const api::Request& request, RequestOptions options,
                                    TimePoint start) const;
  RouterPolicy user_config_policy(const config::Config& user_config) const;

  ModelTable table_;
  RouterPolicy policy_;
  std::unique_ptr<HealthState> health_;  // shared by every worker; thread-safe
  bool allow_client_side_credentials_ = false;
};

}  // namespace llmux::router
