#include "handlers/call_record.hpp"

#include "api/token_estimate.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "store/service.hpp"

#include <charconv>

namespace llmux::handlers {

namespace {

using Clock = CallRecord::Clock;

// Appends "12.345": milliseconds with three decimals, from integer microseconds (no floating
// point).
void append_milliseconds(std::string& out, Clock::duration duration) {
  const auto micros = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  char text[32];
  auto [end, ec] = std::to_chars(text, text + 24, micros / 1000);
  const auto fraction = micros % 1000;
  *end++ = '.';
  *end++ = static_cast<char>('0' + fraction / 100);
  *end++ = static_cast<char>('0' + fraction / 10 % 10);
  *end++ = static_cast<char>('0' + fraction % 10);
  out.append(text, end);
}

std::string milliseconds_text(Clock::duration duration) {
  std::string text;
  append_milliseconds(text, duration);
  return text;
}

// USD as LiteLLM prints it (Python's repr of a float): the shortest exact text, so a cost of
// 1.5e-07 is not shown as 0.000000.
std::string dollars_text(double value) {
  std::string text;
  append_number(text, value);
  return text;
}

// LiteLLM's call_type of the proxy's calls.
telemetry::Route route_of(api::Endpoint endpoint) {
  switch (endpoint) {
    case api::Endpoint::chat_completions: return telemetry::Route::chat_completions;
    case api::Endpoint::completions: return telemetry::Route::completions;
    case api::Endpoint::embeddings: return telemetry::Route::embeddings;
    case api::Endpoint::moderations: return telemetry::Route::moderations;
    case api::Endpoint::rerank: return telemetry::Route::rerank;
    case api::Endpoint::messages:
    case api::Endpoint::count_tokens: return telemetry::Route::messages;
    case api::Endpoint::responses: return telemetry::Route::responses;
  }
  return telemetry::Route::chat_completions;
}

std::string_view end_user_of(const server::Exchange& exchange, const api::Request& request) {
  if (const auto header = exchange.header("x-litellm-customer-id"); !header.empty()) return header;
  if (const auto* user = request.body.if_contains("user"); user && user->is_string())
    return user->as_string();
  return {};
}

// The model access of the key, its team and its user, and the key's budget for the group.
Result<void> authorize_group(const auth::CachedKey& key, std::string_view group,
                             const auth::ModelTraits& traits) {
  if (auto allowed = auth::check_model_access(key, group, traits); !allowed) return allowed;
  return auth::check_model_budget(key, group, store::now_millis());
}

// A virtual key's model aliases, then what authorize_group checks for the model.
Result<void> authorize_model(const auth::Caller& caller, api::Request& request,
                             const router::ModelTable& models) {
  if (!caller.key) return {};
  if (const auto alias = caller.key->aliases.find(request.model);
      alias != caller.key->aliases.end()) {
    request.model = alias->second;
  }
  return authorize_group(*caller.key, request.model, model_traits(models, request.model));
}

// The one warning of a key's spend crossing its soft_budget: never blocks (LiteLLM alerts the
// same way). Names the key by alias, else by the start of its hash; never by the key.
void warn_soft_budget(const auth::CachedKey& key) {
  const std::string name =
      key.key_alias ? "key_alias=" + *key.key_alias : "token=" + key.token.substr(0, 12) + "...";
  telemetry::log_now("warning", "key crossed its soft budget: " + name +
                                    " spend=" + dollars_text(key.spend->value()) +
                                    " soft_budget=" + dollars_text(*key.soft_budget));
}

// The index of a deployment of the operator's model table (not one a request's user_config or a
// wildcard entry made for it, whose indexes are not the table's).
std::optional<std::size_t> configured_index(const router::ModelTable& models,
                                            const router::Deployment* deployment) {
  if (!deployment) return std::nullopt;
  const auto* group = models.group(deployment->model_group);
  if (!group || group->empty() || deployment < group->data() ||
      deployment >= group->data() + group->size()) {
    return std::nullopt;
  }
  return deployment->index;
}

// What a call holds back at admission until it is settled (docs/SCALING.md): with a tpm limit,
// its prompt's estimate plus the completion it allows; with a budget (counted in a fleet:
// `with_cost`), its worst-case cost on its group.
fleet::Reservation reservation_for(std::span<const fleet::Holder> holders,
                                   const api::Request& request, const router::ModelTable& models,
                                   bool with_cost) {
  const bool tokens = std::any_of(holders.begin(), holders.end(),
                                  [](const fleet::Holder& holder) { return holder.limits.tpm; });
  const bool cost =
      with_cost && std::any_of(holders.begin(), holders.end(),
                               [](const fleet::Holder& holder) { return holder.budget; });
  if (!tokens && !cost) return {};
  const std::int64_t prompt = api::estimate_prompt_tokens(request);
  const std::optional<std::int64_t> max_tokens = api::requested_max_tokens(request);
  fleet::Reservation reservation;
  if (tokens) reservation.tokens = prompt + max_tokens.value_or(0);
  if (cost) {
    if (const auto* group = models.group(models.group_name(request.model)))
      reservation.cost = router::worst_case_cost(*group, prompt, max_tokens);
  }
  return reservation;
}

}  // namespace

CallRecord::CallRecord(const CallServices& services, server::Exchange& exchange,
                       api::Endpoint endpoint, Origin origin)
    : services_(services),
      router_(services.router.current()),
      exchange_(exchange),
      endpoint_(endpoint),
      origin_(origin),
      received_at_(origin == Origin::client ? exchange.received_at() : Clock::now()) {
  if (origin == Origin::client) request_id_ = exchange.header("x-request-id");
  if (request_id_.empty() || request_id_.size() > 128) request_id_ = make_time_ordered_uuid();
  if (services.callbacks && services.callbacks->exports_spans())
    trace_ = callbacks::trace_context(exchange.header("traceparent"));
}

void CallRecord::begin_gateway_call(const auth::Caller& caller, const api::Request& request) {
  caller_ = &caller;
  request_ = &request;
  admitted_ = true;
  outcome.served_group = request.model;
}

Result<void> CallRecord::authorize(const auth::Caller& caller, api::Request& request) {
  caller_ = &caller;
  request_ = &request;
  end_user_ = end_user_of(exchange_, request);
  if (auto allowed = authorize_model(caller, request, router_->models()); !allowed) return allowed;
  return auth::check_end_user(caller.snapshot.get(), end_user_);
}

asio::awaitable<Result<void>> CallRecord::admit(router::AttemptPlan* plan) {
  if (auto admitted = co_await admit_limits(*caller_, plan); !admitted) co_return admitted;
  admitted_ = true;
  outcome.served_group = request_->model;
  co_return Result<void>{};
}

// The rpm / tpm / max_parallel_requests of the key's team and user, then the key's own: the
// order in which the first refusal is named. In a fleet, one Redis round trip decides them all,
// with their budgets, the key's model budget and the end user's budget counted fleet-wide (this
// instance's snapshot checked them already).
asio::awaitable<Result<void>> CallRecord::admit_limits(const auth::Caller& caller,
                                                       router::AttemptPlan* plan) {
  if (!services_.rate_counters) co_return Result<void>{};
  std::array<fleet::Holder, 3> holders;
  std::array<const auth::CachedOwner*, 3> owner_of{};  // nullptr: the key itself
  std::size_t count = 0;
  if (caller.key) {
    for (const auth::CachedOwner* owner : caller.key->owners()) {
      if (!owner) continue;
      owner_of[count] = owner;
      holders[count++] = {.subject = owner->subject,
                          .kind = owner->kind,
                          .limits = {.rpm = owner->rpm_limit,
                                     .tpm = owner->tpm_limit,
                                     .max_parallel = owner->max_parallel_requests},
                          .budget = owner->max_budget,
                          .spend = owner->spend->value()};
    }
    key_limits_ = {.rpm = caller.key->rpm_limit,
                   .tpm = caller.key->tpm_limit,
                   .max_parallel = caller.key->max_parallel_requests};
    holders[count++] = {.subject = caller.token,
                        .kind = "key",
                        .limits = key_limits_,
                        .budget = caller.key->max_budget,
                        .spend = caller.key->spend->value()};
  }
  const auto now = store::now_millis();
  fleet::SharedLimits* shared = services_.shared_limits;
  if (!shared) {
    if (!caller.key) co_return Result<void>{};
    co_return admit_local_limits({holders.data(), count}, 1, now);
  }

  // Redis counts only the holders with limits or a budget; none: no round trip.
  struct Whose {
    const auth::CachedOwner* owner = nullptr;  // a team or user; else the key, unless
    const auth::ModelBudget* model = nullptr;  // the key's budget for the model, or
    bool end_user = false;                     // the end user's
  };
  std::array<fleet::Holder, 5> counted;
  std::array<Whose, 5> whose{};
  std::size_t counted_count = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!holders[i].counted()) continue;
    whose[counted_count].owner = owner_of[i];
    counted[counted_count++] = holders[i];
  }
  if (const auth::ModelBudget* budget =
          caller.key ? auth::find_model_budget(caller.key->model_budgets, request_->model)
                     : nullptr) {
    model_budget_subject_ = auth::model_budget_subject(caller.token, *budget, now);
    whose[counted_count].model = budget;
    counted[counted_count++] = {.subject = model_budget_subject_,
                                .kind = "key",
                                .budget = budget->max_budget,
                                .spend = budget->spend->value(now),
                                .charged_at_end = false};
  }
  // An end user the database does not know yet has spent nothing, and has the default budget.
  const auth::CachedBudget* end_user =
      caller.snapshot ? caller.snapshot->find_end_user(end_user_) : nullptr;
  const std::optional<double> end_user_budget =
      end_user ? end_user->max_budget
               : (caller.snapshot && !end_user_.empty() ? caller.snapshot->default_end_user_budget
                                                        : std::nullopt);
  if (end_user_budget) {
    end_user_subject_ = store::kEndUserPrefix + std::string(end_user_);
    whose[counted_count].end_user = true;
    counted[counted_count++] = {.subject = end_user_subject_,
                                .kind = "end user",
                                .budget = end_user_budget,
                                .spend = end_user ? end_user->spend->value() : 0.0};
  }
  if (counted_count == 0) co_return Result<void>{};
  const std::span<const fleet::Holder> asked(counted.data(), counted_count);
  const fleet::Reservation reservation =
      reservation_for(asked, *request_, router_->models(), /*with_cost=*/true);
  // usage-based-routing: the first attempt's deployment is claimed in the same round trip.
  const router::Attempt* first =
      plan && plan->counts_deployment_usage() ? plan->choose_first(router::Clock::now()) : nullptr;
  std::optional<fleet::DeploymentToClaim> to_claim;
  // Braced: clang 14 has no parenthesised aggregate initialisation.
  if (first)
    to_claim.emplace(fleet::DeploymentToClaim{*first->deployment, plan->group_deployments()});
  auto admission = co_await shared->admit(asked, reservation, to_claim ? &*to_claim : nullptr);
  if (to_claim) first_claim = std::move(admission.claim);
  switch (admission.verdict) {
    case fleet::SharedAdmission::Verdict::admitted:
      shared_lease_ = std::move(admission.lease);
      if (key_limits_.any()) {
        key_usage_ = admission.usage;
        key_admitted_ = true;
      }
      co_return Result<void>{};
    case fleet::SharedAdmission::Verdict::refused: {
      const fleet::Holder& refusing = counted[admission.holder];
      const Whose& refused = whose[admission.holder];
      if (!admission.over_budget) {
        co_return limits::refusal(refusing.kind, refusing.limits, admission.usage, now);
      }
      if (refused.model) co_return auth::model_over_budget(*caller.key, request_->model);
      if (refused.end_user)
        co_return auth::end_user_over_budget(end_user_, admission.spend, *refusing.budget);
      co_return refused.owner ? auth::owner_over_budget(*refused.owner, admission.spend)
                              : auth::key_over_budget(*caller.key, admission.spend);
    }
    case fleet::SharedAdmission::Verdict::unavailable: break;
  }
  // Redis is away: this instance's share of each limit (docs/SCALING.md).
  shared->count_local_admission();
  if (!caller.key) co_return Result<void>{};
  co_return admit_local_limits({holders.data(), count}, shared->instances(), now);
}

Result<void> CallRecord::admit_local_limits(std::span<const fleet::Holder> holders,
                                            std::uint64_t instances, limits::Millis now) {
  const std::int64_t reserved =
      reservation_for(holders, *request_, router_->models(), /*with_cost=*/false).tokens;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    const fleet::Holder& holder = holders[i];
    if (!holder.limits.any()) continue;
    auto admitted =
        limits::admit(*services_.rate_counters, std::string(holder.subject),
                      limits::share_of(holder.limits, instances), now, holder.kind, reserved);
    if (!admitted) return admitted.error();
    if (i + 1 < holders.size()) {
      owner_permits_[i] = std::move(admitted->permit);
    } else {
      key_permit_ = std::move(admitted->permit);
      key_usage_ = admitted->usage;
    }
  }
  key_admitted_ = true;
  return {};
}

void CallRecord::answered_from_cache(const api::Usage& usage) {
  cache_hit_ = true;
  outcome.status = 200;
  outcome.usage = usage;
}

void CallRecord::settle() {
  if (settled_) return;
  settled_ = true;
  const auto tokens = outcome.usage.prompt_tokens + outcome.usage.completion_tokens;
  const auto now = store::now_millis();
  key_permit_.finish(tokens, now);
  for (limits::Permit& permit : owner_permits_) permit.finish(tokens, now);
  if (!services_.spend.enabled()) {
    shared_lease_.finish(tokens, 0);
    return;
  }
  cost_ = services_.spend.record({.caller = caller_,
                                  .endpoint = endpoint_,
                                  .request = request_,
                                  .request_id = request_id_,
                                  .answer_id = answer_id_,
                                  .end_user = end_user_,
                                  .deployment = outcome.deployment,
                                  .served_group = outcome.served_group,
                                  .usage = outcome.usage,
                                  .status = outcome.status,
                                  .received_at = received_at_,
                                  .time_to_first_chunk = outcome.upstream_time,
                                  .stream = admitted_ && request_->stream,
                                  .cache_hit = cache_hit_,
                                  .key_only = origin_ == Origin::semantic_cache_embedding,
                                  .response_body = response_body_});
  const auth::CachedKey* key = caller_ ? caller_->key : nullptr;
  // The model budget of the group that answered (a fallback's may not be the one admitted).
  const auth::ModelBudget* model_budget =
      key && cost_ > 0 ? auth::find_model_budget(key->model_budgets, outcome.served_group)
                       : nullptr;
  if (model_budget) {
    const std::string subject = auth::model_budget_subject(caller_->token, *model_budget, now);
    shared_lease_.finish(tokens, cost_, subject);
  } else {
    shared_lease_.finish(tokens, cost_);
  }
  if (key && cost_ > 0) {
    if (origin_ == Origin::client)
      auth::charge_model_budget(*key, outcome.served_group, cost_, now);
    if (key->soft_budget && key->spend->crossed(*key->soft_budget)) {
      services_.metrics.soft_budget_crossed();
      warn_soft_budget(*key);
    }
  }
}

void CallRecord::compose_headers(Leaving leaving) {
  exchange_.set_header("x-request-id", request_id_);
  exchange_.set_header("x-litellm-call-id", request_id_);
  auto remaining = [](std::int64_t limit, std::int64_t used) {
    return std::to_string(std::max<std::int64_t>(0, limit - used));
  };
  if (key_admitted_) {
    if (key_limits_.rpm) {
      exchange_.set_header("x-ratelimit-limit-requests", std::to_string(*key_limits_.rpm));
      exchange_.set_header("x-ratelimit-remaining-requests",
                           remaining(*key_limits_.rpm, key_usage_.requests));
    }
    if (key_limits_.tpm) {
      exchange_.set_header("x-ratelimit-limit-tokens", std::to_string(*key_limits_.tpm));
      exchange_.set_header("x-ratelimit-remaining-tokens",
                           remaining(*key_limits_.tpm, key_usage_.tokens));
    }
  }
  if (outcome.deployment) {
    exchange_.set_header("x-litellm-model-id", outcome.deployment->id);
    exchange_.set_header("x-litellm-model-group", outcome.served_group);
  }
  if (planned_) {
    exchange_.set_header("x-litellm-attempted-retries", std::to_string(outcome.retries));
    exchange_.set_header("x-litellm-attempted-fallbacks", std::to_string(outcome.fallbacks));
  }
  if (leaving != Leaving::error) {
    const auto total = Clock::now() - received_at_;
    exchange_.set_header("x-litellm-response-duration-ms", milliseconds_text(total));
    if (leaving == Leaving::answer) {
      exchange_.set_header("x-litellm-overhead-duration-ms",
                           milliseconds_text(total - outcome.upstream_time));
    }
  }
  // The cost is known before a whole answer or an error leaves; a stream's head leaves before it
  // is.
  if (leaving != Leaving::stream_head && settled_ && services_.spend.enabled()) {
    exchange_.set_header("x-litellm-response-cost", dollars_text(cost_));
    if (caller_ && caller_->key)
      exchange_.set_header("x-litellm-key-spend", dollars_text(caller_->key->spend->value()));
  }
}

void CallRecord::report() {
  if (reported_) return;
  reported_ = true;
  auto& metrics = services_.metrics;
  const bool stream = admitted_ && request_->stream;
  const auto duration = Clock::now() - received_at_;
  metrics.record(route_of(endpoint_), outcome.status, stream,
                 static_cast<std::uint64_t>(outcome.usage.prompt_tokens),
                 static_cast<std::uint64_t>(outcome.usage.completion_tokens),
                 static_cast<std::uint64_t>(
                     std::chrono::duration_cast<std::chrono::microseconds>(duration).count()));
  record_litellm_metrics(duration);
  report_cooldowns();
  if (services_.alerts != nullptr && admitted_) {
    services_.alerts->call_ended(request_->model, outcome.deployment, outcome.failure, duration);
    if (settled_ && cost_ > 0 && caller_ && caller_->key)
      services_.alerts->budget_spent(*caller_->key);
  }
  std::string line;
  line.reserve(320);
  line += "{\"type\":\"access\",\"request_id\":";
  append_json_string(line, request_id_);
  line += ",\"path\":";
  append_json_string(line, exchange_.path());
  line += ",\"model\":";
  append_json_string(line, admitted_ ? std::string_view(request_->model) : std::string_view());
  if (outcome.deployment) {
    line += ",\"deployment\":";
    append_json_string(line, outcome.deployment->id);
  }
  line += ",\"status\":";
  append_number(line, outcome.status);
  line += ",\"stream\":";
  line += stream ? "true" : "false";
  line += ",\"duration_ms\":";
  append_milliseconds(line, duration);
  line += ",\"upstream_ms\":";
  append_milliseconds(line, outcome.upstream_time);
  line += ",\"prompt_tokens\":";
  append_number(line, outcome.usage.prompt_tokens);
  line += ",\"completion_tokens\":";
  append_number(line, outcome.usage.completion_tokens);
  if (outcome.usage.estimated) line += ",\"usage_estimated\":true";
  if (cache_hit_) line += ",\"cache_hit\":true";
  if (origin_ == Origin::semantic_cache_embedding) line += ",\"semantic_cache_embedding\":true";
  if (outcome.retries > 0) {
    line += ",\"retries\":";
    append_number(line, outcome.retries);
  }
  if (outcome.fallbacks > 0) {
    line += ",\"fallbacks\":";
    append_number(line, outcome.fallbacks);
  }
  if (outcome.failure) {
    line += ",\"error\":";
    append_json_string(line, outcome.failure->message);
  }
  line += '}';
  services_.log.add(line);
  send_to_callbacks(duration);  // last: it takes the request id
}

void CallRecord::record_litellm_metrics(Clock::duration total) {
  auto seconds = [](Clock::duration duration) {
    return std::chrono::duration<double>(duration).count();
  };
  const auth::CachedKey* key = caller_ ? caller_->key : nullptr;
  const router::Deployment* deployment = outcome.deployment;
  std::string litellm_model_name;
  std::string exception_class;
  if (deployment) {
    litellm_model_name = deployment->target.provider + '/' + deployment->target.upstream_model;
  }
  if (outcome.failure) {
    exception_class = telemetry::exception_class(
        outcome.failure->kind, deployment ? std::string_view(deployment->target.provider) : "");
  }
  const bool stream = admitted_ && request_->stream;
  telemetry::CallSample sample{
      // The master key's calls carry its hash as LiteLLM's do; an unidentified caller none.
      .hashed_api_key = key       ? std::string_view(key->token)
                        : caller_ ? services_.master_key_hash
                                  : "",
      .api_key_alias = key && key->key_alias ? std::string_view(*key->key_alias) : "",
      .team = key ? std::string_view(key->team_id) : "",
      .team_alias = key && key->team && key->team->alias ? std::string_view(*key->team->alias) : "",
      .user = key ? std::string_view(key->user_id) : "",
      .end_user = {},  // LiteLLM leaves it empty unless asked to track end users' cost
      .route = exchange_.path(),
      .requested_model = outcome.served_group,
      .user_agent = exchange_.header("user-agent"),
      .status = outcome.status,
      .exception_class = exception_class,
      .prompt_tokens = outcome.usage.prompt_tokens,
      .completion_tokens = outcome.usage.completion_tokens,
      // Without a database settle() prices nothing; the metric still has the call's cost.
      .spend = services_.spend.enabled() || !deployment || outcome.status >= 300
                   ? cost_
                   : router::call_cost(*deployment, outcome.usage),
      .total_seconds = seconds(total),
      .upstream_seconds = seconds(outcome.upstream_time),
  };
  if (deployment) {
    sample.model = deployment->target.upstream_model;
    sample.litellm_model_name = litellm_model_name;
    sample.model_id = deployment->id;
    sample.api_base = deployment->target.api_base;
    sample.api_provider = deployment->target.provider;
    if (stream && outcome.status < 300) sample.first_token_seconds = sample.upstream_seconds;
    if (outcome.status < 300) {
      sample.remaining_requests = outcome.upstream_remaining.requests;
      sample.remaining_tokens = outcome.upstream_remaining.tokens;
    }
  }
  // Before the final attempt: a deployment's state is the outcome of its last attempt.
  if (!outcome.retried_attempts.empty()) record_retried_attempts(sample);
  services_.metrics.record_call(sample, configured_index(router_->models(), deployment));
  if (key && outcome.status >= 200 && outcome.status < 300) record_budgets(*key);
  if (!outcome.fallback_groups.empty()) record_fallbacks(sample);
}

// The call's failed attempts before its last, labelled with their own deployment and failure.
void CallRecord::record_retried_attempts(const telemetry::CallSample& call) {
  for (const relay::RetriedAttempt& failed : outcome.retried_attempts) {
    const router::Deployment& deployment = *failed.deployment;
    const std::string litellm_model_name =
        deployment.target.provider + '/' + deployment.target.upstream_model;
    const std::string exception_class =
        telemetry::exception_class(failed.kind, deployment.target.provider);
    telemetry::CallSample attempt = call;
    attempt.requested_model = failed.served_group;
    attempt.model = deployment.target.upstream_model;
    attempt.litellm_model_name = litellm_model_name;
    attempt.model_id = deployment.id;
    attempt.api_base = deployment.target.api_base;
    attempt.api_provider = deployment.target.provider;
    attempt.status = failed.status;
    attempt.exception_class = exception_class;
    services_.metrics.record_retried_attempt(attempt,
                                             configured_index(router_->models(), &deployment));
  }
}

// LiteLLM sets the budget gauges of a successful call's key and team, when they have a
// max_budget, from their live spend (this call's cost included).
void CallRecord::record_budgets(const auth::CachedKey& key) {
  using Owner = telemetry::BudgetSample::Owner;
  const auto hours_to = [](const std::optional<store::Millis>& reset_at) -> std::optional<double> {
    if (!reset_at) return std::nullopt;
    return static_cast<double>(*reset_at - store::now_millis()) / 3'600'000.0;
  };
  if (key.max_budget) {
    services_.metrics.record_budget({.owner = Owner::key,
                                     .id = key.token,
                                     .alias = key.key_alias ? std::string_view(*key.key_alias) : "",
                                     .max_budget = *key.max_budget,
                                     .spend = key.spend->value(),
                                     .hours_to_reset = hours_to(key.budget_reset_at)});
  }
  if (const auth::CachedOwner* team = key.team; team && team->max_budget) {
    services_.metrics.record_budget({.owner = Owner::team,
                                     .id = team->id,
                                     .alias = team->alias ? std::string_view(*team->alias) : "",
                                     .max_budget = *team->max_budget,
                                     .spend = team->spend->value(),
                                     .hours_to_reset = hours_to(team->budget_reset_at)});
  }
}

// Each fallback group the call entered: the last one answered it if the call succeeded, every
// other one failed it (a call the client left is not counted against its last group).
void CallRecord::record_fallbacks(const telemetry::CallSample& call) {
  const Error& cause = *outcome.fallback_cause;
  const router::Deployment* failed_at = outcome.fallback_cause_deployment;
  const std::string exception_class = telemetry::exception_class(
      cause.kind, failed_at ? std::string_view(failed_at->target.provider) : "");
  const auto& groups = outcome.fallback_groups;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const bool last = i + 1 == groups.size();
    if (last && outcome.status == 499) break;
    services_.metrics.record_fallback({.requested_model = request_->model,
                                       .fallback_model = groups[i],
                                       .hashed_api_key = call.hashed_api_key,
                                       .api_key_alias = call.api_key_alias,
                                       .team = call.team,
                                       .team_alias = call.team_alias,
                                       .exception_status = http_status(cause),
                                       .exception_class = exception_class,
                                       .succeeded = last && outcome.status < 300});
  }
}

// Deployments this call's attempts put into cooldown: LiteLLM's litellm_deployment_cooled_down
// and its cooldown_deployment alert.
void CallRecord::report_cooldowns() {
  for (const router::CooldownBegun& cooled : outcome.cooldowns) {
    const router::Deployment& deployment = *cooled.deployment;
    const std::string litellm_model_name =
        deployment.target.provider + '/' + deployment.target.upstream_model;
    services_.metrics.record_cooldown({.litellm_model_name = litellm_model_name,
                                       .model_id = deployment.id,
                                       .api_base = deployment.target.api_base,
                                       .api_provider = deployment.target.provider,
                                       .status = cooled.status});
    if (services_.alerts != nullptr)
      services_.alerts->deployment_cooled(deployment.model_group, cooled);
  }
}

// The call's facts, queued for the logging callbacks that take its outcome (its payload is built
// on their thread). What the record no longer needs once reported is moved, not copied.
void CallRecord::send_to_callbacks(Clock::duration total) {
  auto* exporter = services_.callbacks;
  const bool success = outcome.status >= 200 && outcome.status < 300;
  const auth::CachedKey* key = caller_ ? caller_->key : nullptr;
  const auto* own = key && key->logging ? key->logging.get() : nullptr;
  const bool own_wanted = own && std::any_of(own->begin(), own->end(), [&](const auto& callback) {
                            return success ? callback.on_success : callback.on_failure;
                          });
  if (!exporter || !(exporter->wants(success) || own_wanted)) return;
  callbacks::CallFacts call{.call_id = std::move(request_id_),
                            .call_type = std::string(api::call_type(endpoint_)),
                            .route = std::string(exchange_.path()),
                            .user_agent = std::string(exchange_.header("user-agent")),
                            .model_group = outcome.served_group,
                            .status = outcome.status,
                            .failure = outcome.failure,
                            .prompt_tokens = outcome.usage.prompt_tokens,
                            .completion_tokens = outcome.usage.completion_tokens,
                            .cost = cost_,
                            .upstream_time = outcome.upstream_time,
                            .log_messages = services_.log_messages,
                            .redact_key_info = services_.redact_key_info,
                            .trace = trace_};
  call.end = std::chrono::system_clock::now();
  call.start = call.end - std::chrono::duration_cast<std::chrono::system_clock::duration>(total);
  if (admitted_) {
    call.request = request_->text;
    call.stream = request_->stream;
    call.end_user = end_user_;
  }
  if (success && !call.stream) call.response = response_body_;
  if (key) call.key_callbacks = key->logging;
  // With redact_user_api_key_info no destination may show who called: the facts leave it out.
  if (key && !call.redact_key_info) {
    call.key_hash = key->token;
    if (key->key_alias) call.key_alias = *key->key_alias;
    call.team_id = key->team_id;
    call.user_id = key->user_id;
  } else if (caller_ && !call.redact_key_info) {
    call.key_hash = services_.master_key_hash;
  }
  if (const router::Deployment* deployment = outcome.deployment) {
    call.provider = deployment->target.provider;
    call.upstream_model = deployment->target.upstream_model;
    call.model_id = deployment->id;
    call.api_base = deployment->target.api_base;
  }
  exporter->submit(std::move(call));
}

auth::ModelTraits model_traits(const router::ModelTable& models, std::string_view model) {
  return {models.provider_of(model), models.access_groups_of(model)};
}

Result<void> authorize_fallbacks(const auth::Caller& caller, const std::vector<std::string>& groups,
                                 const router::ModelTable& models) {
  if (!caller.key) return {};
  for (const std::string& group : groups) {
    if (auto allowed = authorize_group(*caller.key, group, model_traits(models, group)); !allowed) {
      Error error = std::move(allowed.error());
      error.param = "fallbacks";
      return error;
    }
  }
  return {};
}

router::GroupAccess group_access(const auth::Caller& caller, const router::ModelTable& models) {
  if (!caller.key) return {};
  return [key = caller.key, &models](std::string_view group,
                                     std::span<const router::Deployment* const> deployments) {
    const std::string_view provider =
        deployments.empty() ? "" : std::string_view(deployments.front()->target.provider);
    const auth::ModelTraits traits{provider, models.access_groups_of(group)};
    return authorize_group(*key, group, traits).has_value();
  };
}

}  // namespace llmux::handlers
