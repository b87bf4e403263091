// What keys add to a model call, in two steps model_call.cpp calls: admit_call after the body
// is parsed (model aliases and access, per-model and end-user budgets, rpm / tpm / parallel
// limits) and settle_call when the call ends (tokens for the limits, cost and spend-log event,
// per-model spend, the soft-budget warning, cost headers).
#pragma once

#include "api/request.hpp"
#include "auth/authenticator.hpp"
#include "handlers/spend_tracker.hpp"
#include "limits/limiter.hpp"
#include "router/attempt_plan.hpp"
#include "router/model_table.hpp"
#include "server/exchange.hpp"

#include <array>
#include <chrono>
#include <string_view>
#include <vector>

namespace llmux::handlers {

// Held by the call from admission to its end.
struct CallAccounting {
  SpendTracker* tracker = nullptr;
  server::Exchange* exchange = nullptr;
  const auth::Caller* caller = nullptr;  // set by admit_call
  const api::Request* request = nullptr;
  std::string_view request_id;
  std::string_view end_user;       // the body's "user" or x-litellm-customer-id
  std::string_view response_body;  // kept only with store_prompts_in_spend_logs
  // The in-flight slots of the key and of its owners (team, user, as CachedKey::owners() lists
  // them), until the call's tokens are added at its end.
  limits::Permit key_permit;
  std::array<limits::Permit, 2> owner_permits;
};

struct CallOutcome {
  const router::Deployment* deployment = nullptr;
  std::string_view served_group;  // the model group that answered (a fallback's, after one)
  api::Usage usage;
  int status = 0;
  std::chrono::steady_clock::time_point received_at;
  std::chrono::steady_clock::duration time_to_first_chunk{};
  bool stream = false;
};

// May rewrite request.model (a key's alias). An error is the call's answer (401/400/429).
Result<void> admit_call(CallAccounting& accounting, const auth::Caller& caller, api::Request& request,
                        std::string_view request_id, const router::ModelTable& models, limits::RateCounters* counters);

// The fallback groups a client names in its body (`fallbacks`) pass the same model access and
// model budget checks as the model it asks for: 401 / 400 naming the first it may not use.
Result<void> authorize_fallbacks(const auth::Caller& caller, const std::vector<std::string>& groups,
                                 const router::ModelTable& models);
// Every other group the router may fall back to (the config's fallbacks, a user_config's) is
// passed over when the caller may not use it; empty for the master key.
router::GroupAccess group_access(const auth::Caller& caller);

struct Settlement {
  bool soft_budget_crossed = false;  // this call took its key past its soft_budget (warned once)
};
Settlement settle_call(CallAccounting& accounting, const CallOutcome& outcome);

}  // namespace llmux::handlers
