#include "handlers/deployment_probes.hpp"

#include "handlers/model_routes.hpp"
#include "providers/registry.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

constexpr std::string_view kProbeText = "test from litellm";  // LiteLLM's probe input

Error not_probed(std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message));
}

}  // namespace

Result<api::Request> probe_request(const router::Deployment& deployment) {
  const auto& check = deployment.health_check;
  const std::string_view mode = check.mode;
  json::object body{{"model", deployment.model_group}};
  api::Endpoint endpoint = api::Endpoint::chat_completions;
  if (mode.empty() || mode == "chat") {
    body["messages"] = json::array{json::object{{"role", "user"}, {"content", "What's 1 + 1?"}}};
    body["max_tokens"] = check.max_tokens;
  } else if (mode == "completion") {
    endpoint = api::Endpoint::completions;
    body["prompt"] = kProbeText;
    body["max_tokens"] = check.max_tokens;
  } else if (mode == "embedding") {
    endpoint = api::Endpoint::embeddings;
    body["input"] = json::array{json::string(kProbeText)};
  } else if (mode == "moderation") {
    endpoint = api::Endpoint::moderations;
    body["input"] = kProbeText;
  } else if (mode == "rerank") {
    endpoint = api::Endpoint::rerank;
    body["query"] = kProbeText;
    body["documents"] = json::array{json::string(kProbeText)};
  } else {
    return not_probed("llmux does not probe deployments of mode '" + std::string(mode) +
                      "' (it probes chat, completion, embedding, moderation and rerank)");
  }
  return api::request_from_body(endpoint, std::move(body));
}

std::vector<const router::Deployment*> deployments_named(const router::ModelTable& models,
                                                         std::string_view model) {
  std::vector<const router::Deployment*> all;
  std::vector<const router::Deployment*> by_upstream_model;
  for (const std::string& name : models.model_names()) {
    for (const router::Deployment& deployment : *models.group(name)) {
      all.push_back(&deployment);
      const auto& target = deployment.target;
      if (model.size() == target.provider.size() + 1 + target.upstream_model.size() &&
          model.starts_with(target.provider) && model[target.provider.size()] == '/' &&
          model.ends_with(target.upstream_model)) {
        by_upstream_model.push_back(&deployment);
      }
    }
  }
  if (model.empty()) return all;
  if (const auto* group = models.group(model)) {
    std::vector<const router::Deployment*> named;
    for (const router::Deployment& deployment : *group) named.push_back(&deployment);
    return named;
  }
  return by_upstream_model;
}

std::string health_body(std::span<const ProbeResult> results) {
  json::array healthy;
  json::array unhealthy;
  for (const ProbeResult& result : results) {
    const auto& target = result.deployment->target;
    json::object endpoint{{"model", target.provider + "/" + target.upstream_model}};
    if (!target.api_base.empty()) endpoint["api_base"] = shown_api_base(target.api_base);
    endpoint["model_id"] = result.deployment->id;
    if (!result.failure) {
      healthy.push_back(std::move(endpoint));
      continue;
    }
    endpoint["error"] = result.failure->message;
    endpoint["exception_status"] = http_status(*result.failure);
    unhealthy.push_back(std::move(endpoint));
  }
  const std::size_t healthy_count = healthy.size();
  const std::size_t unhealthy_count = unhealthy.size();
  return json::serialize(json::object{{"healthy_endpoints", std::move(healthy)},
                                      {"unhealthy_endpoints", std::move(unhealthy)},
                                      {"healthy_count", healthy_count},
                                      {"unhealthy_count", unhealthy_count}});
}

asio::awaitable<std::vector<ProbeResult>> DeploymentProber::probe(
    std::vector<const router::Deployment*> deployments) {
  std::vector<ProbeResult> results;
  if (deployments.empty()) co_return results;
  const auto executor = co_await asio::this_coro::executor;
  using Probe = decltype(asio::co_spawn(executor, probe_one(*deployments.front()), asio::deferred));
  std::vector<Probe> probes;
  probes.reserve(deployments.size());
  for (const router::Deployment* deployment : deployments)
    probes.push_back(asio::co_spawn(executor, probe_one(*deployment), asio::deferred));
  auto [order, exceptions, failures] =
      co_await asio::experimental::make_parallel_group(std::move(probes))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  results.reserve(deployments.size());
  for (std::size_t i = 0; i < deployments.size(); ++i) {
    // A probe cannot throw (every failure is a value); one that did still counts as unhealthy.
    if (exceptions[i]) failures[i] = make_error(ErrorKind::internal, "The probe failed.");
    results.push_back({.deployment = deployments[i], .failure = std::move(failures[i])});
  }
  co_return results;
}

asio::awaitable<std::optional<Error>> DeploymentProber::probe_one(
    const router::Deployment& deployment) {
  auto request = probe_request(deployment);
  if (!request) co_return request.error();
  // A wildcard's own model is a pattern: it is probed as model_info.health_check_model.
  const std::string& health_check_model = deployment.health_check.model;
  if (health_check_model.empty() &&
      (!deployment.wildcard.empty() ||
       deployment.target.upstream_model.find('*') != std::string::npos)) {
    co_return not_probed(
        "a wildcard deployment is probed as its model_info.health_check_model, which is not set");
  }
  if (deployment.provider == nullptr) {
    co_return not_probed("a deployment whose provider the client names (model '*') is not probed");
  }
  router::Deployment probed = deployment;
  if (!health_check_model.empty()) {
    const auto name = providers::split_model(health_check_model);
    probed.target.upstream_model =
        name.prefix == deployment.target.provider ? name.name : health_check_model;
  }
  relay::SteadyClock clock(co_await asio::this_coro::executor);
  co_return co_await relay_.probe(*request, probed, deployment.health_check.timeout, clock);
}

void LastHealthChecks::store(std::string body) {
  const std::lock_guard lock(mutex_);
  body_ = std::move(body);
}

std::optional<std::string> LastHealthChecks::body() const {
  const std::lock_guard lock(mutex_);
  return body_;
}

}  // namespace llmux::handlers
