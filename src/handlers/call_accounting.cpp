#include "handlers/call_accounting.hpp"

#include "base/json_string.hpp"
#include "telemetry/log.hpp"

namespace llmux::handlers {

namespace {

// USD as LiteLLM prints it (Python's repr of a float): the shortest exact text, so a cost of
// 1.5e-07 is not shown as 0.000000.
std::string dollars_text(double value) {
  std::string text;
  append_number(text, value);
  return text;
}

std::string_view end_user_of(const server::Exchange& exchange, const api::Request& request) {
  if (const auto header = exchange.header("x-litellm-customer-id"); !header.empty()) return header;
  if (const auto* user = request.body.if_contains("user"); user && user->is_string()) return user->as_string();
  return {};
}

// The provider of a model name's configured group ("" for a name only a wildcard serves), which
// "provider/*" model access matches.
std::string_view provider_of(const router::ModelTable& models, std::string_view model) {
  const auto* group = models.group(model);
  return group && !group->empty() ? std::string_view(group->front().target.provider) : "";
}

// The model access of the key, its team and its user, and the key's budget for the group.
Result<void> authorize_group(const auth::CachedKey& key, std::string_view group, std::string_view provider) {
  if (auto allowed = auth::check_model_access(key, group, provider); !allowed) return allowed;
  return auth::check_model_budget(key, group, store::now_millis());
}

// A virtual key's model aliases, then what authorize_group checks for the model.
Result<void> authorize_model(const auth::Caller& caller, api::Request& request, const router::ModelTable& models) {
  if (!caller.key) return {};
  if (const auto alias = caller.key->aliases.find(request.model); alias != caller.key->aliases.end()) {
    request.model = alias->second;
  }
  return authorize_group(*caller.key, request.model, provider_of(models, request.model));
}

// The rpm / tpm / max_parallel_requests of the key's team and user, then the key's own, with
// LiteLLM's x-ratelimit-* headers (the key's) on the answer.
Result<void> admit_limits(CallAccounting& accounting, const auth::Caller& caller, limits::RateCounters* counters) {
  if (!caller.key || !counters) return {};
  const auto now = store::now_millis();
  const auto owners = caller.key->owners();
  for (std::size_t i = 0; i < owners.size(); ++i) {
    const auth::CachedOwner* owner = owners[i];
    if (!owner) continue;
    const limits::Limits limits{
        .rpm = owner->rpm_limit, .tpm = owner->tpm_limit, .max_parallel = owner->max_parallel_requests};
    auto admitted = limits::admit(*counters, owner->subject, limits, now, owner->kind);
    if (!admitted) return admitted.error();
    accounting.owner_permits[i] = std::move(admitted->permit);
  }
  const limits::Limits limits{.rpm = caller.key->rpm_limit,
                              .tpm = caller.key->tpm_limit,
                              .max_parallel = caller.key->max_parallel_requests};
  auto admitted = limits::admit(*counters, caller.token, limits, now);
  if (!admitted) return admitted.error();
  accounting.key_permit = std::move(admitted->permit);
  auto remaining = [](std::int64_t limit, std::int64_t used) { return std::to_string(std::max<std::int64_t>(0, limit - used)); };
  if (limits.rpm) {
    accounting.exchange->set_header("x-ratelimit-limit-requests", std::to_string(*limits.rpm));
    accounting.exchange->set_header("x-ratelimit-remaining-requests", remaining(*limits.rpm, admitted->usage.requests));
  }
  if (limits.tpm) {
    accounting.exchange->set_header("x-ratelimit-limit-tokens", std::to_string(*limits.tpm));
    accounting.exchange->set_header("x-ratelimit-remaining-tokens", remaining(*limits.tpm, admitted->usage.tokens));
  }
  return {};
}

// The one warning of a key's spend crossing its soft_budget: never blocks (LiteLLM alerts the
// same way). Names the key by alias, else by the start of its hash; never by the key.
void warn_soft_budget(const auth::CachedKey& key) {
  const std::string name = key.key_alias ? "key_alias=" + *key.key_alias : "token=" + key.token.substr(0, 12) + "...";
  telemetry::log_now("warning", "key crossed its soft budget: " + name + " spend=" + dollars_text(key.spend->value()) +
                                    " soft_budget=" + dollars_text(*key.soft_budget));
}

}  // namespace

Result<void> admit_call(CallAccounting& accounting, const auth::Caller& caller, api::Request& request,
                        std::string_view request_id, const router::ModelTable& models, limits::RateCounters* counters) {
  accounting.caller = &caller;
  accounting.request = &request;
  accounting.request_id = request_id;
  accounting.end_user = end_user_of(*accounting.exchange, request);
  if (auto allowed = authorize_model(caller, request, models); !allowed) return allowed;
  if (auto allowed = auth::check_end_user(caller.snapshot.get(), accounting.end_user); !allowed) return allowed;
  return admit_limits(accounting, caller, counters);
}

Result<void> authorize_fallbacks(const auth::Caller& caller, const std::vector<std::string>& groups,
                                 const router::ModelTable& models) {
  if (!caller.key) return {};
  for (const std::string& group : groups) {
    if (auto allowed = authorize_group(*caller.key, group, provider_of(models, group)); !allowed) {
      Error error = std::move(allowed.error());
      error.param = "fallbacks";
      return error;
    }
  }
  return {};
}

router::GroupAccess group_access(const auth::Caller& caller) {
  if (!caller.key) return {};
  return [key = caller.key](std::string_view group, std::span<const router::Deployment* const> deployments) {
    const std::string_view provider = deployments.empty() ? "" : std::string_view(deployments.front()->target.provider);
    return authorize_group(*key, group, provider).has_value();
  };
}

Settlement settle_call(CallAccounting& accounting, const CallOutcome& outcome) {
  const auto tokens = outcome.usage.prompt_tokens + outcome.usage.completion_tokens;
  const auto now = store::now_millis();
  accounting.key_permit.finish(tokens, now);
  for (limits::Permit& permit : accounting.owner_permits) permit.finish(tokens, now);
  if (!accounting.tracker || !accounting.tracker->enabled()) return {};
  const double cost = accounting.tracker->record({.caller = accounting.caller,
                                                  .request = accounting.request,
                                                  .request_id = accounting.request_id,
                                                  .end_user = accounting.end_user,
                                                  .deployment = outcome.deployment,
                                                  .served_group = outcome.served_group,
                                                  .usage = outcome.usage,
                                                  .status = outcome.status,
                                                  .received_at = outcome.received_at,
                                                  .time_to_first_chunk = outcome.time_to_first_chunk,
                                                  .stream = outcome.stream,
                                                  .response_body = accounting.response_body});
  Settlement settlement;
  const auth::CachedKey* key = accounting.caller ? accounting.caller->key : nullptr;
  if (key && cost > 0) {
    auth::charge_model_budget(*key, outcome.served_group, cost, now);
    settlement.soft_budget_crossed = key->soft_budget && key->spend->crossed(*key->soft_budget);
    if (settlement.soft_budget_crossed) warn_soft_budget(*key);
  }
  server::Exchange& exchange = *accounting.exchange;
  if (!exchange.streaming() && !exchange.responded()) {
    exchange.set_header("x-litellm-response-cost", dollars_text(cost));
    if (key) exchange.set_header("x-litellm-key-spend", dollars_text(key->spend->value()));
  }
  return settlement;
}

}  // namespace llmux::handlers
