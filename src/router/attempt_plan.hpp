// The attempt planner: for one request, which deployment to call next, after how long, with
// which timeouts, and when to stop. It applies retries (num_retries, retry_policy, backoff with
// jitter honouring retry-after), fallbacks (fallbacks, context_window_fallbacks,
// content_policy_fallbacks, default_fallbacks, max_fallbacks, the client's own list), cooldowns
// and pre-call checks. Pure: the clock and the random draws come in; the handler does the I/O.
#pragma once

#include "base/error.hpp"
#include "net/client_destination.hpp"
#include "router/balancer.hpp"
#include "router/health.hpp"

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::router {

class ModelTable;

// LiteLLM's retry_policy classes.
enum class FailureClass {
  bad_request,
  authentication,
  timeout,
  rate_limit,
  content_policy,
  internal_server
};
FailureClass failure_class(const Error& error) noexcept;
// Retried with num_retries unless retry_policy says otherwise: 408, 409, 429 and 5xx (transport
// failures are 502/503), as LiteLLM's _should_retry.
bool retried_by_default(const Error& error) noexcept;

struct FallbackList {
  std::string group;
  std::vector<std::string> fallbacks;
};

// The router's settings, resolved from config (router_settings over litellm_settings).
struct RouterPolicy {
  Strategy strategy = Strategy::simple_shuffle;
  int num_retries = 0;
  std::vector<std::pair<FailureClass, int>> retry_policy;  // replaces num_retries for a class
  std::vector<FallbackList> fallbacks;                     // a group "*" applies to every group
  std::vector<FallbackList> context_window_fallbacks;
  std::vector<FallbackList> content_policy_fallbacks;
  std::vector<std::string> default_fallbacks;  // for groups with no fallbacks entry
  int max_fallbacks = 5;
  bool enable_pre_call_checks = false;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8000};
  // Where a client-chosen destination may go (general_settings.allowed_client_api_base_hosts).
  net::DestinationPolicy client_destinations;
};

// Retries a client may ask for (num_retries, x-litellm-num-retries, a user_config's own): up to
// the operator's num_retries, or kClientRetries when that is lower, so a key cannot multiply the
// upstream load of its calls past what the operator set.
inline constexpr int kClientRetries = 3;
int client_retry_limit(const RouterPolicy& operator_policy) noexcept;

// Client-side credentials the operator allowed for this request (client_side.hpp).
struct ClientCredentials {
  std::optional<std::string> api_key;            // secret
  std::optional<std::string> api_base;           // from api_base or base_url
  std::string_view api_base_field = "api_base";  // which of the two named it
  bool empty() const { return !api_key && !api_base; }
};

// What the client asked for in its body or headers.
struct RequestOptions {
  std::optional<int> num_retries;
  std::optional<std::vector<std::string>> fallbacks;
  bool disable_fallbacks = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::chrono::milliseconds> stream_timeout;
  long prompt_tokens = 0;  // estimate, for pre-call checks
  ClientCredentials credentials;
};

struct Attempt {
  const Deployment* deployment = nullptr;
  std::string served_model;  // the response's `model`: the name asked for, or the fallback group
  Clock::duration wait{};    // sleep this long before calling (backoff, retry-after)
  std::chrono::milliseconds timeout{};  // whole attempt, cut to what is left of the request's
  std::chrono::milliseconds stream_timeout{};  // first streamed chunk
  bool timeout_is_clients = false;  // a timeout here was the client's (or the request's) choice
  net::ClientDestination client_destination;  // set when the client chose where this attempt goes
};

// A cooldown an attempt's failure began: what LiteLLM's cooldown_deployment alert and its
// litellm_deployment_cooled_down metric tell.
struct CooldownBegun {
  const Deployment* deployment = nullptr;
  int status = 0;  // the failure's HTTP status
  std::chrono::milliseconds length{};
};

using Draw = std::function<double()>;  // uniform in [0, 1)

// Whether this request's caller may be answered by `group` (its model access and model budgets).
// A fallback group it may not use is passed over as if it had no deployments.
using GroupAccess =
    std::function<bool(std::string_view group, std::span<const Deployment* const> deployments)>;

class AttemptPlan {
 public:
  // `requested` is the name the client sent (aliases already resolved in `group`).
  AttemptPlan(const ModelTable& table, const RouterPolicy& policy, HealthState& health, Draw draw,
              std::string requested, std::string group, RequestOptions options, TimePoint start);

  // The next attempt, or the error to answer with when there is none.
  Result<Attempt> next(TimePoint now);
  // The first attempt, chosen before next() is asked for it, which then returns it: a fleet's
  // admission claims its deployment (usage-based-routing). nullptr: there is none (next() says
  // why).
  const Attempt* choose_first(TimePoint now);
  // Reports the attempt's start and end; `failure` is null on success. Updates the shared health
  // state. `latency` is what latency-based routing compares: the time to the first chunk of a
  // stream; by default, the whole attempt.
  void started(const Attempt& attempt, TimePoint now);
  // usage-based-routing in a fleet: each attempt is first claimed from the fleet's count of its
  // deployment's minute, which also tells the group's usage.
  bool counts_deployment_usage() const;
  std::span<const Deployment* const> group_deployments() const { return group_deployments_; }
  // The fleet's count of one of the group's deployments this minute, which ends at `until`.
  void fleet_usage(const Deployment& deployment, std::int64_t requests, std::int64_t tokens,
                   TimePoint until);
  // usage-based-routing: the attempt's deployment is still under its rpm and tpm by this
  // process's own count (calls may have started while a fleet claim was out).
  bool has_room(const Attempt& attempt, TimePoint now) const;
  // The fleet found the attempt's deployment full: it is not made, and next() picks again among
  // the others without counting another retry or fallback.
  void withdraw(const Attempt& attempt);
  // Returns the cooldown the attempt's failure began, if it began one.
  std::optional<CooldownBegun> finished(const Attempt& attempt, const Error* failure, TimePoint now,
                                        std::int64_t tokens = 0,
                                        std::optional<Clock::duration> latency = std::nullopt);

  // Keeps alive what the plan's table, policy and health belong to (a request's own user_config).
  void keep(std::shared_ptr<const void> owner) { owner_ = std::move(owner); }
  // Limits the fallback groups to those the caller may use; before the first next().
  void restrict_groups(GroupAccess access) { group_access_ = std::move(access); }

  int attempted_retries() const { return retries_; }
  int attempted_fallbacks() const { return fallbacks_used_; }
  // The fallback groups entered, in order, and the failure that made the call leave the group it
  // asked for (what LiteLLM's fallback metrics are labelled with).
  std::span<const std::string> fallback_groups() const { return fallback_groups_; }
  const std::optional<Error>& fallback_cause() const { return fallback_cause_; }

 private:
  void enter_group(std::string group);
  bool enter_fallback(const Error& error);
  std::vector<std::string> fallbacks_for(const Error& error) const;
  Result<Attempt> pick_in_group(TimePoint now);
  int retries_allowed(const Error& error) const;
  Clock::duration backoff(const Error& error) const;

  std::shared_ptr<const void> owner_;
  GroupAccess group_access_;
  const ModelTable& table_;
  const RouterPolicy& policy_;
  HealthState& health_;
  Draw draw_;
  std::string requested_;
  std::string primary_group_;
  RequestOptions options_;
  TimePoint start_;
  std::optional<TimePoint> deadline_;

  std::string group_;  // the group being tried
  std::vector<const Deployment*> group_deployments_;
  TimePoint attempt_started_{};
  std::vector<std::string> fallback_queue_;
  bool fallbacks_planned_ = false;
  std::vector<std::string> fallback_groups_;  // entered: none, and no allocation, usually
  std::optional<Error> fallback_cause_;
  int retries_in_group_ = 0;
  int retries_ = 0;
  int fallbacks_used_ = 0;
  std::vector<const Deployment*> tried_;      // in this group
  std::vector<const Deployment*> withdrawn_;  // found full by the fleet: not picked again
  std::optional<Error> last_failure_;
  bool first_attempt_ = true;
  std::optional<Result<Attempt>> first_;  // chosen by choose_first(), not yet taken by next()
  // Deployments made for this request (wildcard matches, client credentials); a list keeps
  // their addresses stable and allocates nothing while empty.
  std::list<Deployment> owned_;
};

}  // namespace llmux::router
