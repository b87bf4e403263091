// The end of every model call, for spend: its cost, added at once to the caller's live spend
// (budgets see it on the next request), and one spend-log event appended to this worker's sink
// (written by the store thread in the next batch). No lock contention, no database wait.
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "auth/authenticator.hpp"
#include "router/model_table.hpp"
#include "store/service.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace llmux::handlers {

struct FinishedCall {
  const auth::Caller* caller = nullptr;  // nullptr: refused before authentication
  // The client's: a dialect's call is sent as a chat completion (`request`) but logged as itself.
  api::Endpoint endpoint = api::Endpoint::chat_completions;
  const api::Request* request = nullptr;  // nullptr: refused before the body was parsed
  std::string_view request_id;
  std::string_view answer_id;  // the id in the client's answer ("chatcmpl-…"); empty: none
  std::string_view end_user;   // the body's "user" or x-litellm-customer-id
  const router::Deployment* deployment = nullptr;
  std::string_view served_group;  // the group that answered; empty: the requested model's
  api::Usage usage;
  int status = 0;
  std::chrono::steady_clock::time_point received_at;
  std::chrono::steady_clock::duration time_to_first_chunk{};  // streams only
  bool stream = false;
  bool cache_hit = false;  // answered from the response cache: costs nothing
  // The semantic cache's embedding: charged to the key alone, as LiteLLM charges it (its call
  // carries only the caller's key, not its team, user or end user).
  bool key_only = false;
  std::string_view response_body;  // kept only with store_prompts_in_spend_logs
};

class SpendTracker {
 public:
  // sink: nullptr when there is no store (nothing is recorded).
  SpendTracker(store::SpendSink* sink, bool store_prompts)
      : sink_(sink), store_prompts_(store_prompts) {}
  bool enabled() const { return sink_ != nullptr; }
  // Returns the call's cost.
  double record(const FinishedCall& call);

 private:
  store::SpendSink* sink_;
  bool store_prompts_;
};

}  // namespace llmux::handlers
