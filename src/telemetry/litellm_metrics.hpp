// LiteLLM's Prometheus metrics: the names, types and labels its prometheus logger exposes, so
// dashboards and alerts written for LiteLLM read llmux unchanged.
//
// The request path records one CallSample per finished model request into its worker's
// CallSeries: one key built from the sample's labels, one hash lookup, a few additions, under a
// mutex only /metrics ever contends for. Everything else (projecting a series onto each metric's
// label set, summing workers) happens when /metrics is read.
#pragma once

#include "base/error.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmux::telemetry {

// One finished model request as LiteLLM's metrics label and measure it. The views live as long
// as the record() call. An empty value is an absent one, written "None" as LiteLLM writes a
// Python None (end_user excepted: LiteLLM leaves it empty).
struct CallSample {
  // Who called: the key's SHA-256 (the master key's too), its alias, team, user, end user.
  std::string_view hashed_api_key;
  std::string_view api_key_alias;
  std::string_view team;
  std::string_view team_alias;
  std::string_view user;
  std::string_view user_email;
  std::string_view end_user;
  // What was asked: the path, the model group, the client.
  std::string_view route;
  std::string_view requested_model;
  std::string_view client_ip;
  std::string_view user_agent;
  // The deployment that answered (all empty when none was reached).
  std::string_view model;               // the upstream's model name
  std::string_view litellm_model_name;  // litellm_params.model
  std::string_view model_id;
  std::string_view api_base;
  std::string_view api_provider;
  int status = 200;
  std::string_view exception_class;  // LiteLLM's "<Provider>.<Class>"; empty on success
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double spend = 0;                           // USD
  double total_seconds = 0;                   // request received → answer sent
  double upstream_seconds = 0;                // the upstream call (a stream: to its first frame)
  std::optional<double> first_token_seconds;  // streams only
  // The deployment's x-ratelimit-remaining-requests / -tokens, when its answer had them.
  std::optional<std::uint64_t> remaining_requests;
  std::optional<std::uint64_t> remaining_tokens;
};

// LiteLLM's name of the exception a failure of `kind` raises (RateLimitError, …), prefixed with
// the provider as LiteLLM's exception_class label has it ("Openai.RateLimitError"); the bare
// class when no provider was reached.
std::string exception_class(ErrorKind kind, std::string_view provider);

// LiteLLM's LATENCY_BUCKETS (seconds), +Inf implied.
inline constexpr std::array<double, 17> kLatencyBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600};

struct Histogram {
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> counts{};  // per bucket, not cumulative
  double sum = 0;
  void observe(double seconds);
  void add(const Histogram& other);
};

// What one distinct label set accumulated.
struct SeriesFigures {
  std::uint64_t requests = 0;
  double spend = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  Histogram total_latency;
  Histogram api_latency;
  Histogram first_token_latency;
  Histogram overhead_latency;
  // Gauges (litellm_remaining_requests / _tokens): adding keeps the latest write.
  std::optional<std::uint64_t> remaining_requests;
  std::optional<std::uint64_t> remaining_tokens;
  std::chrono::steady_clock::time_point remaining_written{};
  void add(const SeriesFigures& other);
};

// A deployment's state for litellm_deployment_state: 0 healthy, 1 its last call failed,
// 2 cooling down.
struct DeploymentState {
  std::string_view litellm_model_name;
  std::string_view model_id;
  std::string_view api_base;
  std::string_view api_provider;
  int state = 0;
};

// A deployment the router put into cooldown (litellm_deployment_cooled_down), labelled as
// litellm_deployment_state is, with the status of the failure that cooled it.
struct CooldownSample {
  std::string_view litellm_model_name;
  std::string_view model_id;
  std::string_view api_base;
  std::string_view api_provider;
  int status = 0;
};

// A key's or a team's budget as one of its successful calls left it (LiteLLM's
// litellm_remaining_api_key_budget_metric and litellm_remaining_team_budget_metric, with the
// max_budget and hours-to-reset gauges beside them). Only an owner with a max_budget has one.
struct BudgetSample {
  enum class Owner { key, team };
  Owner owner = Owner::key;
  std::string_view id;                   // the key's SHA-256, or the team id
  std::string_view alias;                // the key's alias, or the team's
  double max_budget = 0;                 // USD
  double spend = 0;                      // live: the database's figure and every call's since
  std::optional<double> hours_to_reset;  // with a budget_duration
};

// A fallback group a call entered (LiteLLM's litellm_deployment_successful_fallbacks and
// litellm_deployment_failed_fallbacks), labelled with the failure that made the call leave the
// group it asked for.
struct FallbackSample {
  std::string_view requested_model;
  std::string_view fallback_model;
  std::string_view hashed_api_key;
  std::string_view api_key_alias;
  std::string_view team;
  std::string_view team_alias;
  int exception_status = 0;
  std::string_view exception_class;
  bool succeeded = false;  // the group answered the call
};

struct BudgetFigures {
  double remaining = 0;
  double max_budget = 0;
  std::optional<double> hours_to_reset;
  std::chrono::steady_clock::time_point written;  // the latest of the workers' writes wins
};

struct FallbackCounts {
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
};

// One worker's series. Past `max_series` distinct label sets, further new ones are counted in one
// series whose every label reads "overflow": the cardinality /metrics can reach is bounded. A
// gauge has no overflow series (a value of unrelated label sets means nothing): past the cap a
// new label set is not kept.
class CallSeries {
 public:
  explicit CallSeries(std::size_t max_series) : max_series_(max_series) {}
  void record(const CallSample& sample);
  // A failed attempt of a call that went on to another attempt (a retry or a fallback): LiteLLM
  // counts it in the deployment counters, as record() counts the call's final attempt.
  void record_retried_attempt(const CallSample& sample);
  // Rare (a failure that cools a deployment): its key is built in a string of its own.
  void record_cooldown(const CooldownSample& sample);
  // Workers write the same owner's budget: /metrics shows the latest write of any worker.
  void record_budget(const BudgetSample& sample);
  // Rare (a call that fell back): its key is built in a string of its own.
  void record_fallback(const FallbackSample& sample);

 private:
  friend void render_litellm(std::string&, std::span<const CallSeries* const>,
                             std::span<const DeploymentState>);
  // Writes the sample's labels, status and exception class into key_; returns where the labels
  // end.
  std::size_t make_key(const CallSample& sample);
  // key_'s figures in `series`, made if new (past the cap: the overflow series'); mutex_ held.
  SeriesFigures& figures_for_key(std::unordered_map<std::string, SeriesFigures>& series,
                                 std::size_t labels_end);

  std::size_t max_series_;
  std::string key_;  // reused: the request path allocates only for a new label set
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SeriesFigures> series_;
  // Failed attempts that were followed by another (counted in their figures' requests): only the
  // deployment counters read them.
  std::unordered_map<std::string, SeriesFigures> retried_attempts_;
  // Cooldowns by deployment and status (bounded by the deployments and statuses that cool),
  // counted in their figures' requests.
  std::unordered_map<std::string, SeriesFigures> cooldowns_;
  std::string budget_key_;                                       // reused, as key_
  std::unordered_map<std::string, BudgetFigures> key_budgets_;   // by api_key_alias, hashed_api_key
  std::unordered_map<std::string, BudgetFigures> team_budgets_;  // by team, team_alias
  std::unordered_map<std::string, FallbackCounts> fallbacks_;    // by LiteLLM's F labels
};

// Per deployment (by index), the outcome of its last call: shared by all workers, relaxed.
class DeploymentOutcomes {
 public:
  explicit DeploymentOutcomes(std::size_t count)
      : failed_(std::make_unique<std::atomic<bool>[]>(count)), count_(count) {}
  void record(std::size_t index, bool failed) {
    if (index < count_) failed_[index].store(failed, std::memory_order_relaxed);
  }
  bool last_failed(std::size_t index) const {
    return index < count_ && failed_[index].load(std::memory_order_relaxed);
  }

 private:
  std::unique_ptr<std::atomic<bool>[]> failed_;
  std::size_t count_;
};

// The cap on distinct label sets per worker (see CallSeries).
inline constexpr std::size_t kMaxCallSeriesPerWorker = 2000;

// Appends LiteLLM's metrics of every worker's series, summed, in Prometheus' text format.
void render_litellm(std::string& out, std::span<const CallSeries* const> workers,
                    std::span<const DeploymentState> deployments);

}  // namespace llmux::telemetry
