// Request counters in Prometheus' text format. Each worker thread owns one WorkerMetrics and is
// its only writer (plain relaxed loads and stores, no locked instructions on the request path);
// /metrics sums all workers' counters from whichever thread serves it.
#pragma once

#include "telemetry/litellm_metrics.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace llmux::telemetry {

// What a counter is kept per: the endpoint family of a model request.
enum class Route : std::size_t {
  chat_completions,
  completions,
  embeddings,
  moderations,
  rerank,
  // the ingress dialects
  messages,
  responses,
  count
};
// 2xx, 4xx, 5xx, and 499 (the client went away first).
enum class Outcome : std::size_t { success, client_error, server_error, client_gone, count };

Outcome outcome_of(int status);

// The in-memory response cache's state (one per process): written by the cache under its own
// locks, read by /metrics.
struct CacheCounters {
  std::atomic<std::int64_t> memory_bytes{0};
  std::atomic<std::int64_t> memory_entries{0};
  std::atomic<std::uint64_t> memory_evictions{0};  // pushed out to make room (not expiries)
  std::atomic<std::int64_t> semantic_entries{0};   // the semantic cache's index
};

// How one lookup of the response cache ended.
enum class CacheLookup : std::size_t { hit, miss, count };

class WorkerMetrics {
 public:
  // One finished model request.
  void record(Route route, int status, bool stream, std::uint64_t prompt_tokens,
              std::uint64_t completion_tokens, std::uint64_t duration_us);
  // A key's spend went past its soft_budget (LiteLLM's budget alert; the call is not refused).
  void soft_budget_crossed() { add(soft_budget_crossings_, 1); }
  // A Slack alert the webhook took (2xx), or one it did not (down, or another status).
  void alert_delivered(bool delivered) { add(delivered ? alerts_sent_ : alerts_failed_, 1); }
  void request_started() { add(in_flight_, 1); }
  // The response cache, as one worker saw it.
  void cache_lookup(CacheLookup result) {
    add(cache_lookups_[static_cast<std::size_t>(result)], 1);
  }
  void cache_stored() { add(cache_stores_, 1); }
  void cache_redis_failed() { add(cache_redis_errors_, 1); }
  void cache_embedding_failed() { add(cache_embedding_errors_, 1); }
  void request_finished() { add(in_flight_, ~std::uint64_t{0}); }
  // A connection to the HTTPS listener dropped because its TLS handshake failed or timed out.
  void tls_handshake_failed() { add(tls_handshake_failures_, 1); }

  // LiteLLM's metrics of one finished model request; `deployment_index`: the deployment that
  // answered (its last outcome feeds litellm_deployment_state).
  void record_call(const CallSample& sample, std::optional<std::size_t> deployment_index) {
    calls_.record(sample);
    if (deployment_index) deployment_outcomes_->record(*deployment_index, sample.status >= 300);
  }
  // A failed attempt the call went on from, to a retry or a fallback: the deployment counters
  // count it, and it is its deployment's last outcome.
  void record_retried_attempt(const CallSample& sample,
                              std::optional<std::size_t> deployment_index) {
    calls_.record_retried_attempt(sample);
    if (deployment_index) deployment_outcomes_->record(*deployment_index, true);
  }
  // The router put a deployment into cooldown (litellm_deployment_cooled_down).
  void record_cooldown(const CooldownSample& sample) { calls_.record_cooldown(sample); }
  // A key's or a team's budget after one of its calls (litellm_remaining_*_budget_metric).
  void record_budget(const BudgetSample& sample) { calls_.record_budget(sample); }
  // A fallback group a call entered (litellm_deployment_*_fallbacks).
  void record_fallback(const FallbackSample& sample) { calls_.record_fallback(sample); }
  // A health probe's verdict (GET /health) is the deployment's last outcome too.
  void record_probe(std::size_t deployment_index, bool failed) {
    deployment_outcomes_->record(deployment_index, failed);
  }

 private:
  friend class Metrics;
  using Counter = std::atomic<std::uint64_t>;
  static void add(Counter& counter, std::uint64_t amount) {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }

  std::array<std::array<Counter, static_cast<std::size_t>(Outcome::count)>,
             static_cast<std::size_t>(Route::count)>
      requests_{};
  Counter streams_{0};
  Counter prompt_tokens_{0};
  Counter completion_tokens_{0};
  Counter duration_us_{0};
  Counter soft_budget_crossings_{0};
  Counter alerts_sent_{0};
  Counter alerts_failed_{0};
  Counter in_flight_{0};  // modular: a finish adds 2^64 - 1; the sum over workers is exact
  std::array<Counter, static_cast<std::size_t>(CacheLookup::count)> cache_lookups_{};
  Counter cache_stores_{0};
  Counter cache_redis_errors_{0};
  Counter cache_embedding_errors_{0};
  Counter tls_handshake_failures_{0};
  CallSeries calls_{kMaxCallSeriesPerWorker};
  DeploymentOutcomes* deployment_outcomes_ = nullptr;
};

// One logging callback's deliveries: written by the callback exporter's thread, read by /metrics.
struct CallbackCounters {
  explicit CallbackCounters(std::string callback_name) : name(std::move(callback_name)) {}
  std::string name;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};  // dropped: the queue was full or every attempt failed
};

// A fleet's shared state (fleet/): process-wide, written from any thread (relaxed atomic adds,
// only in a fleet), shown by /metrics once enabled.
struct FleetMetrics {
  using Counter = std::atomic<std::uint64_t>;
  static void add(Counter& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<bool> redis_up{false};        // the last Redis command of any kind succeeded
  std::atomic<std::uint64_t> instances{0};  // live instances, as the last heartbeat counted them
  Counter shared_admissions{0};             // calls admitted or refused by Redis (one script each)
  Counter local_admissions{0};      // calls decided by local counters because Redis was away
  Counter degraded_periods{0};      // times shared counting stopped (Redis away or too slow)
  Counter key_changes_received{0};  // key changes announced by other instances
  Counter cooldowns_heard{
      0};  // deployment cooldowns taken from the fleet (announced or found running)
  Counter call_ends_counted{0};  // calls whose end (tokens, cost, freed slots) Redis has counted
  Counter local_deployment_claims{0};  // deployment rpm / tpm decided locally: Redis was away
  Counter latency_exchanges{0};  // latency figures told to and read from Redis (one script each)
};

class Metrics {
 public:
  explicit Metrics(std::size_t deployment_count = 0) : deployment_outcomes_(deployment_count) {}
  WorkerMetrics& add_worker();
  CacheCounters& cache() { return cache_; }
  // The Prometheus text exposition of every counter, summed over workers: llmux's own, then
  // LiteLLM's, with each deployment's state as its caller read it from the router.
  std::string render(std::span<const DeploymentState> deployments = {}) const;
  const DeploymentOutcomes& deployment_outcomes() const { return deployment_outcomes_; }
  // Before any thread runs.
  CallbackCounters& add_callback(std::string name);
  // Before the workers start: /metrics shows the fleet's counters from then on.
  FleetMetrics& enable_fleet() {
    fleet_enabled_ = true;
    return fleet_;
  }

 private:
  void render_cache(std::string& out) const;
  void render_fleet(std::string& out) const;

  std::vector<std::unique_ptr<WorkerMetrics>> workers_;
  CacheCounters cache_;
  DeploymentOutcomes deployment_outcomes_;
  std::vector<std::unique_ptr<CallbackCounters>> callbacks_;
  FleetMetrics fleet_;
  bool fleet_enabled_ = false;
};

}  // namespace llmux::telemetry
