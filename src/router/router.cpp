#include "router/router.hpp"

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
const std::optional<T>& first_set(const std::optional<T>& preferred, const std::optional<T>& other) {
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
  policy.context_window_fallbacks = lists_of(first_set(routers.context_window_fallbacks, litellms.context_window_fallbacks));
  policy.content_policy_fallbacks = lists_of(first_set(routers.content_policy_fallbacks, litellms.content_policy_fallbacks));
  policy.default_fallbacks = first_set(routers.default_fallbacks, litellms.default_fallbacks).value_or(std::vector<std::string>{});
  policy.max_fallbacks = router.max_fallbacks;
  policy.enable_pre_call_checks = router.enable_pre_call_checks;
  return policy;
}

CooldownPolicy cooldown_policy_from(const config::RouterSettings& settings) {
  return CooldownPolicy{
      .allowed_fails = settings.allowed_fails,
      .cooldown_time = std::chrono::milliseconds(static_cast<long long>(settings.cooldown_time_s * 1000)),
      .disabled = settings.disable_cooldowns,
  };
}

Router::Router(ModelTable table, RouterPolicy policy, std::unique_ptr<HealthState> health)
    : table_(std::move(table)), policy_(std::move(policy)), health_(std::move(health)) {}

Router Router::from_config(const config::Config& config, std::vector<std::string>& warnings) {
  ModelTable table = ModelTable::build(config, warnings);
  const std::size_t count = table.deployment_count();
  return Router(std::move(table), policy_from(config),
                std::make_unique<InMemoryHealth>(count, cooldown_policy_from(config.router_settings)));
}

std::optional<AttemptPlan> Router::plan(std::string_view model, RequestOptions options, TimePoint start) const {
  std::string group = table_.group_name(model);
  std::deque<Deployment> probe;
  if (!table_.group(group) && table_.deployments_for(group, probe).empty()) return std::nullopt;
  return AttemptPlan(table_, policy_, *health_, &uniform_draw, std::string(model), std::move(group),
                     std::move(options), start);
}

}  // namespace llmux::router
