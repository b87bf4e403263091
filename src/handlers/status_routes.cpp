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
    return exchange.respond(200, metrics_.render(), "text/plain; version=0.0.4");
  });
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
