// Request counters in Prometheus' text format. Each worker thread owns one WorkerMetrics and is
// its only writer (plain relaxed loads and stores, no locked instructions on the request path);
// /metrics sums all workers' counters from whichever thread serves it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
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
  count
};
// 2xx, 4xx, 5xx, and 499 (the client went away first).
enum class Outcome : std::size_t { success, client_error, server_error, client_gone, count };

Outcome outcome_of(int status);

class WorkerMetrics {
 public:
  // One finished model request.
  void record(Route route, int status, bool stream, std::uint64_t prompt_tokens,
              std::uint64_t completion_tokens, std::uint64_t duration_us);
  // A key's spend went past its soft_budget (LiteLLM's budget alert; the call is not refused).
  void soft_budget_crossed() { add(soft_budget_crossings_, 1); }
  void request_started() { add(in_flight_, 1); }
  void request_finished() { add(in_flight_, ~std::uint64_t{0}); }

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
  Counter in_flight_{0};  // modular: a finish adds 2^64 - 1; the sum over workers is exact
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
};

class Metrics {
 public:
  WorkerMetrics& add_worker();
  // Before the workers start: /metrics shows the fleet's counters from then on.
  FleetMetrics& enable_fleet() {
    fleet_enabled_ = true;
    return fleet_;
  }
  // The Prometheus text exposition of every counter, summed over workers.
  std::string render() const;

 private:
  void render_fleet(std::string& out) const;

  std::vector<std::unique_ptr<WorkerMetrics>> workers_;
  FleetMetrics fleet_;
  bool fleet_enabled_ = false;
};

}  // namespace llmux::telemetry
