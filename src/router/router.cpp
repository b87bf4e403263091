#include "router/router.hpp"

#include "config/load.hpp"
#include "router/client_side.hpp"

#include <random>

namespace llmux::router {

namespace {

std::vector<FallbackList> lists_of(const std::optional<config::FallbackMap>& map) {
  std::vector<FallbackList> lists;
  if (!map) return lists;
  for (const auto& [group, fallbacks] : *map) lists.push_back({group, fallbacks});
  return lists;
}

template <class T>
const std::optional<T>& first_set(const std::optional<T>& preferred,
                                  const std::optional<T>& other) {
  return preferred ? preferred : other;
}

std::optional<FailureClass> class_named(std::string_view name) {
  if (name == "BadRequestErrorRetries") return FailureClass::bad_request;
  if (name == "AuthenticationErrorRetries") return FailureClass::authentication;
  if (name == "TimeoutErrorRetries") return FailureClass::timeout;
  if (name == "RateLimitErrorRetries") return FailureClass::rate_limit;
  if (name == "ContentPolicyViolationErrorRetries") return FailureClass::content_policy;
  if (name == "InternalServerErrorRetries") return FailureClass::internal_server;
  return std::nullopt;
}

double uniform_draw() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(generator);
}

}  // namespace

RouterPolicy policy_from(const config::Config& config) {
  const auto& router = config.router_settings;
  const auto& routers = router.fallback_settings;
  const auto& litellms = config.litellm_settings.fallback_settings;
  RouterPolicy policy;
  policy.strategy = parse_strategy(router.routing_strategy).value_or(Strategy::simple_shuffle);
  policy.num_retries = router.num_retries.value_or(config.litellm_settings.num_retries);
  for (const auto& [name, count] : router.retry_policy) {
    if (const auto kind = class_named(name)) policy.retry_policy.emplace_back(*kind, count);
  }
  policy.fallbacks = lists_of(first_set(routers.fallbacks, litellms.fallbacks));
  policy.context_window_fallbacks =
      lists_of(first_set(routers.context_window_fallbacks, litellms.context_window_fallbacks));
  policy.content_policy_fallbacks =
      lists_of(first_set(routers.content_policy_fallbacks, litellms.content_policy_fallbacks));
  policy.default_fallbacks = first_set(routers.default_fallbacks, litellms.default_fallbacks)
                                 .value_or(std::vector<std::string>{});
  policy.max_fallbacks = router.max_fallbacks;
  policy.enable_pre_call_checks = router.enable_pre_call_checks;
  for (const auto& entry : config.general_settings.allowed_client_api_base_hosts) {
    [[maybe_unused]] const auto allowed =
        policy.client_destinations.allow(entry);  // checked at load
  }
  return policy;
}

CooldownPolicy cooldown_policy_from(const config::RouterSettings& settings) {
  return CooldownPolicy{
      .allowed_fails = settings.allowed_fails,
      .cooldown_time =
          std::chrono::milliseconds(static_cast<long long>(settings.cooldown_time_s * 1000)),
      .disabled = settings.disable_cooldowns,
  };
}

Router::Router(ModelTable table, RouterPolicy policy, std::unique_ptr<HealthState> health,
               bool allow_client_side_credentials)
    : table_(std::move(table)),
      policy_(std::move(policy)),
      health_(std::move(health)),
      allow_client_side_credentials_(allow_client_side_credentials) {}

Router Router::from_config(const config::Config& config, std::vector<std::string>& warnings) {
  ModelTable table = ModelTable::build(config, warnings);
  auto health = std::make_unique<InMemoryHealth>(table.deployment_ids(),
                                                 cooldown_policy_from(config.router_settings));
  return Router(std::move(table), policy_from(config), std::move(health),
                config.general_settings.allow_client_side_credentials);
}

std::shared_ptr<Router> Router::with_table(ModelTable table) const {
  auto health = health_->successor(table.deployment_ids());
  return std::make_shared<Router>(std::move(table), policy_, std::move(health),
                                  allow_client_side_credentials_);
}

// A user_config's own policy, within what the operator allows a client: its retries bounded like a
// client's, its destinations under the operator's policy.
RouterPolicy Router::user_config_policy(const config::Config& user_config) const {
  RouterPolicy policy = policy_from(user_config);
  const int most = client_retry_limit(policy_);
  policy.num_retries = std::min(policy.num_retries, most);
  for (auto& [failure_class, count] : policy.retry_policy) count = std::min(count, most);
  policy.client_destinations = policy_.client_destinations;
  return policy;
}

Result<AttemptPlan> Router::plan(const api::Request& request, RequestOptions options,
                                 TimePoint start) const {
  const auto* config_value = request.body.if_contains("user_config");
  if (!config_value || config_value->is_null() || !allow_client_side_credentials_) {
    return plan_in_table(request, std::move(options), start);
  }
  // A router of the request's own, built for it and dropped with it: nothing it holds (its
  // credentials above all) outlives the request.
  auto config = user_config(*config_value);
  if (!config) return config.error();
  std::vector<std::string> warnings;
  std::shared_ptr<Router> own;
  try {
    ModelTable table = ModelTable::build(*config, warnings, ConfigSource::user_config);
    const std::size_t count = table.deployment_count();
    own = std::make_shared<Router>(
        std::move(table), user_config_policy(*config),
        std::make_unique<InMemoryHealth>(count, cooldown_policy_from(config->router_settings)),
        true);
  } catch (const config::LoadError& error) {
    std::string message = "Invalid user_config:";
    for (const auto& problem : error.problems) message += " " + problem + ";";
    message.back() = '.';
    return make_error(ErrorKind::invalid_request, std::move(message), "user_config");
  }
  auto plan = own->plan_in_table(request, std::move(options), start);
  if (plan) plan->keep(own);
  return plan;
}

Result<AttemptPlan> Router::plan_in_table(const api::Request& request, RequestOptions options,
                                          TimePoint start) const {
  std::string group = table_.group_name(request.model);
  std::list<Deployment> probe;
  const auto deployments = table_.deployments_for(group, probe);
  // Refused fields first: a client probing for client-side routing learns nothing about models.
  auto credentials = client_credentials(request, deployments, allow_client_side_credentials_);
  if (!credentials) return credentials.error();
  if (deployments.empty()) {
    return make_error(ErrorKind::invalid_request,
                      "Invalid model name passed in model=" + request.model +
                          ". Call `/v1/models` to view available models for your key.",
                      "model", "model_not_found");
  }
  options.credentials = std::move(*credentials);
  return AttemptPlan(table_, policy_, *health_, &uniform_draw, request.model, std::move(group),
                     std::move(options), start);
}

}  // namespace llmux::router
