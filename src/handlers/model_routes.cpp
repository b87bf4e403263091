#include "handlers/model_routes.hpp"

#include "admin/fields.hpp"
#include "api/error_body.hpp"
#include "handlers/call_record.hpp"
#include "net/percent_encoding.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace llmux::handlers {

using verb = server::http::verb;

namespace {

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
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
  if (!deployment.access_groups.empty()) {
    info["access_groups"] =
        json::array(deployment.access_groups.begin(), deployment.access_groups.end());
  }
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

// The info routes are not model calls: as LiteLLM's, a key past its own budget may still read
// them (a team's or user's budget is checked on every route).
constexpr auto kInfoRoute = auth::Purpose::management;

}  // namespace

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

void ModelRoutes::add_to(server::Routes& routes) {
  routes.add({verb::get}, "/models",
             [this](server::Exchange& exchange, std::string_view) { return list(exchange); });
  routes.add({verb::get}, "/models/{id}", [this](server::Exchange& exchange, std::string_view id) {
    // Model ids may contain '/' and ':', which SDKs send percent-encoded in the path.
    return get(exchange, net::percent_decoded(id));
  });
  routes.add({verb::get}, "/model/info",
             [this](server::Exchange& exchange, std::string_view) { return info(exchange); });
  routes.add({verb::get}, "/v2/model/info",
             [this](server::Exchange& exchange, std::string_view) { return info_pages(exchange); });
  routes.add({verb::get}, "/model_group/info",
             [this](server::Exchange& exchange, std::string_view) { return group_info(exchange); });
}

// A virtual key sees the models it may call (its own list, its team's and its user's, by name,
// access group or provider wildcard).
bool ModelRoutes::may_call(const router::ModelTable& models, const auth::Caller& caller,
                           std::string_view model) {
  if (!caller.key) return true;
  return auth::check_model_access(*caller.key, model, model_traits(models, model)).has_value();
}

asio::awaitable<void> ModelRoutes::list(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  const auto snapshot = router_.current();
  const auto& models = snapshot->models();
  json::array data;
  for (const auto& name : models.model_names()) {
    if (!may_call(models, *caller, name)) continue;
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
  const auto snapshot = router_.current();
  if (!snapshot->models().group(id) || !may_call(snapshot->models(), *caller, id)) {
    co_return co_await fail(
        exchange,
        make_error(ErrorKind::model_not_found, "The model `" + id + "` does not exist.", "model"));
  }
  std::string body = json::serialize(json::object{
      {"id", id}, {"object", "model"}, {"created", started_at_}, {"owned_by", "openai"}});
  co_await exchange.respond(200, std::move(body));
}

template <class Keep>
json::array ModelRoutes::deployments_json(const router::Router& router, const auth::Caller& caller,
                                          Keep keep) {
  const auto now = router::Clock::now();
  const auto& models = router.models();
  json::array data;
  for (const auto& name : models.model_names()) {
    if (!may_call(models, caller, name)) continue;
    if (const auto* group = models.group(name)) {
      for (const auto& deployment : *group) {
        if (keep(deployment)) data.push_back(deployment_json(deployment, router.health(), now));
      }
    }
  }
  return data;
}

// Every deployment of the models the caller may call, as LiteLLM answers any key: the master
// key sees them all. No credential is shown, and an api base only without its user information.
asio::awaitable<void> ModelRoutes::info(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange, kInfoRoute);
  if (!caller) co_return co_await fail(exchange, caller.error());
  json::array data =
      deployments_json(*router_.current(), *caller, [](const router::Deployment&) { return true; });
  std::string body = json::serialize(json::object{{"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

// LiteLLM's paged form of /model/info: ?model= (a group), ?modelId= (a deployment), ?search= (in
// the group's name, ignoring case), ?page= from 1 and ?size= entries a page (50).
asio::awaitable<void> ModelRoutes::info_pages(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange, kInfoRoute);
  if (!caller) co_return co_await fail(exchange, caller.error());
  auto query = admin::FieldReader::from_query(exchange.request().target());
  const auto model = query.text("model");
  const auto deployment_id = query.text("modelId");
  const auto search = query.text("search");
  const std::int64_t page = query.integer("page").value_or(1);
  const std::int64_t size = query.integer("size").value_or(50);
  if (!query.error() && (page < 1 || size < 1)) {
    query.refuse(make_error(ErrorKind::invalid_request, "page and size must be at least 1"));
  }
  if (query.error()) co_return co_await fail(exchange, *query.error());
  const auto lower = [](std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
  };
  const std::string needle = lower(search.value_or(""));
  json::array matching =
      deployments_json(*router_.current(), *caller, [&](const router::Deployment& deployment) {
        return (!model || deployment.model_group == *model) &&
               (!deployment_id || deployment.id == *deployment_id) &&
               lower(deployment.model_group).find(needle) != std::string::npos;
      });
  const auto total = static_cast<std::int64_t>(matching.size());
  json::array data;
  for (std::int64_t i = (page - 1) * size; i < std::min(total, page * size); ++i)
    data.push_back(std::move(matching[static_cast<std::size_t>(i)]));
  std::string body = json::serialize(json::object{{"data", std::move(data)},
                                                  {"total_count", total},
                                                  {"current_page", page},
                                                  {"size", size},
                                                  {"total_pages", (total + size - 1) / size}});
  co_await exchange.respond(200, std::move(body));
}

// LiteLLM's /model_group/info: a group the caller may call a line, with its providers, the
// prices and context window of its first priced deployment and its deployments' summed tpm /
// rpm. ?model_group= keeps one.
asio::awaitable<void> ModelRoutes::group_info(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange, kInfoRoute);
  if (!caller) co_return co_await fail(exchange, caller.error());
  auto query = admin::FieldReader::from_query(exchange.request().target());
  const auto wanted = query.text("model_group");
  if (query.error()) co_return co_await fail(exchange, *query.error());
  const auto snapshot = router_.current();
  const auto& models = snapshot->models();
  json::array data;
  for (const auto& name : models.model_names()) {
    if ((wanted && name != *wanted) || !may_call(models, *caller, name)) continue;
    const auto* group = models.group(name);
    if (!group) continue;
    json::array providers;
    std::optional<long> tpm;
    std::optional<long> rpm;
    const config::ModelPrice* price = nullptr;
    for (const auto& deployment : *group) {
      const json::value provider(deployment.target.provider);
      if (std::ranges::find(providers, provider) == providers.end()) providers.push_back(provider);
      if (deployment.tpm) tpm = tpm.value_or(0) + *deployment.tpm;
      if (deployment.rpm) rpm = rpm.value_or(0) + *deployment.rpm;
      if (!price && deployment.price) price = &*deployment.price;
    }
    json::object entry{{"model_group", name},
                       {"providers", std::move(providers)},
                       {"tpm", optional_json(tpm)},
                       {"rpm", optional_json(rpm)}};
    entry["mode"] = price && !price->mode.empty() ? json::value(price->mode) : json::value("chat");
    entry["input_cost_per_token"] = price ? json::value(price->input_cost_per_token) : nullptr;
    entry["output_cost_per_token"] = price ? json::value(price->output_cost_per_token) : nullptr;
    entry["max_input_tokens"] = price ? optional_json(price->max_input_tokens) : nullptr;
    entry["max_output_tokens"] = price ? optional_json(price->max_output_tokens) : nullptr;
    data.push_back(std::move(entry));
  }
  std::string body = json::serialize(json::object{{"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

}  // namespace llmux::handlers
