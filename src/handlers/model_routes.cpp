#include "handlers/model_routes.hpp"

#include "api/error_body.hpp"
#include "net/percent_encoding.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

// An api base as it may be shown: without user information, query or fragment, where a
// credential could be written.
std::string shown_api_base(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto host_start = scheme_end + 3;
  const auto path_start = std::min(url.find('/', host_start), url.size());
  const auto at = url.substr(0, path_start).rfind('@');
  if (at == std::string_view::npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

template <class T>
json::value optional_json(const std::optional<T>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

json::object deployment_json(const router::Deployment& deployment,
                             const router::HealthState& health, router::TimePoint now) {
  const auto& target = deployment.target;
  json::object params{{"model", target.provider + "/" + target.upstream_model},
                      {"api_base", shown_api_base(target.api_base)}};
  json::object info{{"id", deployment.id}, {"litellm_provider", target.provider}};
  if (deployment.price) {
    info["mode"] = deployment.price->mode;
    info["input_cost_per_token"] = deployment.price->input_cost_per_token;
    info["output_cost_per_token"] = deployment.price->output_cost_per_token;
    info["max_input_tokens"] = optional_json(deployment.price->max_input_tokens);
    info["max_output_tokens"] = optional_json(deployment.price->max_output_tokens);
  }
  const auto cooling = health.cooling_until(deployment, now);
  const router::Load load = health.load(deployment, now);
  const double cooling_s = cooling ? std::chrono::duration<double>(*cooling - now).count() : 0.0;
  json::object state{{"state", cooling ? "cooling_down" : "healthy"},
                     {"cooling_seconds_left", cooling_s},
                     {"in_flight", load.in_flight},
                     {"requests_this_minute", load.requests_this_minute},
                     {"tokens_this_minute", load.tokens_this_minute},
                     {"failures", load.failures},
                     {"latency_ms", load.latency.count() / 1000.0}};
  return {{"model_name", deployment.model_group},
          {"litellm_params", std::move(params)},
          {"model_info", std::move(info)},
          {"health", std::move(state)}};
}

}  // namespace

void ModelRoutes::add_to(server::Routes& routes) {
  routes.add({verb::get}, "/models",
             [this](server::Exchange& exchange, std::string_view) { return list(exchange); });
  routes.add({verb::get}, "/models/{id}", [this](server::Exchange& exchange, std::string_view id) {
    // Model ids may contain '/' and ':', which SDKs send percent-encoded in the path.
    return get(exchange, net::percent_decoded(id));
  });
  routes.add({verb::get}, "/model/info",
             [this](server::Exchange& exchange, std::string_view) { return info(exchange); });
}

// A virtual key sees the models it may call (its own list, its team's and its user's).
bool ModelRoutes::may_call(const auth::Caller& caller, std::string_view model) const {
  if (!caller.key) return true;
  const auto* group = models_.group(model);
  const std::string_view provider =
      group && !group->empty() ? std::string_view(group->front().target.provider) : "";
  return auth::check_model_access(*caller.key, model, provider).has_value();
}

asio::awaitable<void> ModelRoutes::list(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  json::array data;
  for (const auto& name : models_.model_names()) {
    if (!may_call(*caller, name)) continue;
    data.push_back(json::object{
        {"id", name}, {"object", "model"}, {"created", started_at_}, {"owned_by", "openai"}});
  }
  // Bodies are built before co_await: GCC 12 rejects string literals in braced initialisers
  // inside a co_await expression.
  std::string body = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

asio::awaitable<void> ModelRoutes::get(server::Exchange& exchange, std::string id) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  // A model the key may not call is answered as one that does not exist: it reveals nothing.
  if (!models_.group(id) || !may_call(*caller, id)) {
    co_return co_await fail(
        exchange,
        make_error(ErrorKind::model_not_found, "The model `" + id + "` does not exist.", "model"));
  }
  std::string body = json::serialize(json::object{
      {"id", id}, {"object", "model"}, {"created", started_at_}, {"owned_by", "openai"}});
  co_await exchange.respond(200, std::move(body));
}

// The operator's view of every deployment: the master key only (it shows where calls go).
asio::awaitable<void> ModelRoutes::info(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  if (!caller->admin) {
    co_return co_await fail(exchange, make_error(ErrorKind::unauthenticated,
                                                 "Only the master key may read /model/info."));
  }
  const auto now = router::Clock::now();
  json::array data;
  for (const auto& name : models_.model_names()) {
    if (const auto* group = models_.group(name)) {
      for (const auto& deployment : *group)
        data.push_back(deployment_json(deployment, health_, now));
    }
  }
  std::string body = json::serialize(json::object{{"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

}  // namespace llmux::handlers
