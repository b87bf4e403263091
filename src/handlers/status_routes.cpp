#include "handlers/status_routes.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

void StatusRoutes::add_to(server::Routes& routes) {
  const auto alive = [](server::Exchange& exchange, std::string_view) {
    return exchange.respond(200, "\"I'm alive!\"");
  };
  routes.add({verb::get}, "/health/liveliness", alive);
  routes.add({verb::get}, "/health/liveness", alive);
  routes.add({verb::get}, "/health", [this](server::Exchange& exchange, std::string_view) {
    return health(exchange, false);
  });
  routes.add(
      {verb::get}, "/health/readiness",
      [this](server::Exchange& exchange, std::string_view) { return health(exchange, true); });
  routes.add({verb::get}, "/metrics", [this](server::Exchange& exchange, std::string_view) {
    return exchange.respond(200, metrics_text(), "text/plain; version=0.0.4");
  });
}

// The counters, and each configured deployment's state: cooling down (2) as the router says,
// else whether its last call failed (1) or not (0).
std::string StatusRoutes::metrics_text() const {
  const auto now = router::Clock::now();
  std::vector<std::string> names;  // litellm_params.model of each deployment, kept for the views
  std::vector<const router::Deployment*> deployments;
  for (const std::string& name : models_.model_names()) {
    if (const auto* group = models_.group(name)) {
      for (const router::Deployment& deployment : *group) deployments.push_back(&deployment);
    }
  }
  names.reserve(deployments.size());
  std::vector<telemetry::DeploymentState> states;
  states.reserve(deployments.size());
  for (const router::Deployment* deployment : deployments) {
    names.push_back(deployment->target.provider + '/' + deployment->target.upstream_model);
    int state = metrics_.deployment_outcomes().last_failed(deployment->index) ? 1 : 0;
    if (router_.health().cooling_until(*deployment, now)) state = 2;
    states.push_back({.litellm_model_name = names.back(),
                      .model_id = deployment->id,
                      .api_base = deployment->target.api_base,
                      .api_provider = deployment->target.provider,
                      .state = state});
  }
  return metrics_.render(states);
}

asio::awaitable<void> StatusRoutes::health(server::Exchange& exchange, bool readiness) {
  json::object body{{"status", "healthy"},
                    {"litellm_version", version_},
                    {"models", models_.model_names().size()},
                    {"deployments", models_.deployment_count()}};
  if (readiness) body["db"] = has_database_ ? "connected" : "Not connected";
  co_await exchange.respond(200, json::serialize(body));
}

}  // namespace llmux::handlers
