#include "handlers/status_routes.hpp"

#include "admin/fields.hpp"
#include "api/error_body.hpp"
#include "telemetry/log.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
// else whether its last call or health probe failed (1) or not (0).
std::string StatusRoutes::metrics_text() const {
  const auto now = router::Clock::now();
  const auto snapshot = router_.current();
  const router::ModelTable& models = snapshot->models();
  std::vector<std::string> names;  // litellm_params.model of each deployment, kept for the views
  std::vector<const router::Deployment*> deployments;
  for (const std::string& name : models.model_names()) {
    if (const auto* group = models.group(name)) {
      for (const router::Deployment& deployment : *group) deployments.push_back(&deployment);
    }
  }
  names.reserve(deployments.size());
  std::vector<telemetry::DeploymentState> states;
  states.reserve(deployments.size());
  for (const router::Deployment* deployment : deployments) {
    names.push_back(deployment->target.provider + '/' + deployment->target.upstream_model);
    int state = metrics_.deployment_outcomes().last_failed(deployment->index) ? 1 : 0;
    if (snapshot->health().cooling_until(*deployment, now)) state = 2;
    states.push_back({.litellm_model_name = names.back(),
                      .model_id = deployment->id,
                      .api_base = deployment->target.api_base,
                      .api_provider = deployment->target.provider,
                      .state = state});
  }
  return metrics_.render(states);
}

namespace {

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

}  // namespace

// Without a key, the gateway's own state (cheap, for load balancers, as llmux has always answered);
// with one, LiteLLM's probes of the deployments.
asio::awaitable<void> StatusRoutes::health(server::Exchange& exchange, bool readiness) {
  if (!readiness && !presented_key(exchange).empty()) {
    co_return co_await probe_deployments(exchange);
  }
  const auto snapshot = router_.current();
  json::object body{{"status", "healthy"},
                    {"litellm_version", version_},
                    {"models", snapshot->models().model_names().size()},
                    {"deployments", snapshot->models().deployment_count()}};
  if (readiness) body["db"] = has_database_ ? "connected" : "Not connected";
  co_await exchange.respond(200, json::serialize(body));
}

// LiteLLM's GET /health: the master key only (each probe is a paid call). With background checks,
// the last run's answer whatever the query, as LiteLLM does; else the deployments ?model_id= or
// ?model= names (all of them without either), probed now.
asio::awaitable<void> StatusRoutes::probe_deployments(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  if (!caller->admin) {
    co_return co_await fail(exchange,
                            make_error(ErrorKind::unauthenticated,
                                       "Only the master key may probe the deployments (/health)."));
  }
  if (last_checks_ != nullptr) {
    std::string body = last_checks_->body().value_or(health_body({}));
    co_return co_await exchange.respond(200, std::move(body));
  }
  auto query = admin::FieldReader::from_query(exchange.request().target());
  // Kept until the probes end: the deployments are its table's.
  const auto snapshot = router_.current();
  std::vector<const router::Deployment*> deployments;
  if (const auto model_id = query.text("model_id")) {
    for (const router::Deployment* deployment : deployments_named(snapshot->models(), "")) {
      if (deployment->id == *model_id) deployments.push_back(deployment);
    }
    if (deployments.empty()) {
      co_return co_await fail(
          exchange, make_error(ErrorKind::not_found, "Model with ID " + *model_id + " not found"));
    }
  } else {
    deployments = deployments_named(snapshot->models(), query.text("model").value_or(""));
  }
  const auto results = co_await probe(std::move(deployments));
  co_await exchange.respond(200, health_body(results));
}

asio::awaitable<std::vector<ProbeResult>> StatusRoutes::probe(
    std::vector<const router::Deployment*> deployments) {
  auto results = co_await prober_.probe(std::move(deployments));
  for (const ProbeResult& result : results)
    worker_metrics_.record_probe(result.deployment->index, result.failure.has_value());
  co_return results;
}

asio::awaitable<void> StatusRoutes::check_in_background(std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    const auto snapshot = router_.current();  // kept until the probes end
    const auto results = co_await probe(deployments_named(snapshot->models(), ""));
    last_checks_->store(health_body(results));
    const auto unhealthy = std::count_if(results.begin(), results.end(),
                                         [](const ProbeResult& result) { return result.failure; });
    telemetry::log_now("info",
                       "background health checks: " + std::to_string(results.size() - unhealthy) +
                           " healthy, " + std::to_string(unhealthy) + " unhealthy");
    timer.expires_after(interval);
    const auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace llmux::handlers
