// What the router knows about each deployment's recent behaviour: cooldowns, calls in flight,
// use this minute, latency. Behind an interface so that a Redis-backed state shared by several
// llmux instances can replace the in-memory one; every worker thread shares one instance.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace llmux::router {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct Deployment;

// When a failure cools a deployment (router_settings allowed_fails, cooldown_time,
// disable_cooldowns).
struct CooldownPolicy {
  int allowed_fails = 3;  // failures in one minute that are tolerated; one more cools
  std::chrono::milliseconds cooldown_time{5000};
  bool disabled = false;
};

// Statuses that cool a deployment at once, whatever allowed_fails says: the deployment is rate
// limited (429), its credential is wrong (401), it does not exist (404), or it timed out (408).
bool cools_at_once(int status) noexcept;
// Failures that count towards allowed_fails: the deployment's fault, not the request's
// (5xx, a transport failure reported as 502/503, and the statuses above).
bool counts_as_deployment_failure(int status) noexcept;

// The figures a routing strategy reads.
struct Load {
  int in_flight = 0;
  std::int64_t requests_this_minute = 0;
  std::int64_t tokens_this_minute = 0;
  // Calls that failed by the deployment's fault (counts_as_deployment_failure, not a timeout the
  // client chose) since the process started, whether or not cooldowns are on: what an operator
  // reads, not a routing input.
  std::int64_t failures = 0;
  // Recent average: the fleet's while its figure is fresh (observe_fleet_latency), else this
  // process's own; 0 = no data yet.
  std::chrono::microseconds latency{0};
};

// How one call ended, as the router reports it.
struct CallOutcome {
  bool success = false;
  int status = 200;                 // the failure's HTTP status
  bool counts_for_cooldown = true;  // false e.g. for a timeout the client itself asked for
  Clock::duration latency{};        // whole call, or time to the first chunk for a stream
  std::int64_t tokens = 0;
};

// Told of each failure that counts towards a cooldown, on the reporting worker's thread: in a
// fleet, counted with the other instances' failures, which may cool the deployment everywhere
// (docs/SCALING.md). cools_at_once: the failure's status cools by itself (cools_at_once()).
using FailureReporter = std::function<void(const Deployment& deployment, bool cools_at_once)>;

class HealthState {
 public:
  virtual ~HealthState() = default;
  // The end of the deployment's cooldown, or nullopt when it may be called now.
  virtual std::optional<TimePoint> cooling_until(const Deployment& deployment,
                                                 TimePoint now) const = 0;
  virtual Load load(const Deployment& deployment, TimePoint now) const = 0;
  virtual void call_started(const Deployment& deployment, TimePoint now) = 0;
  // The length of the cooldown this failure began (LiteLLM's cooldown event), else nullopt.
  virtual std::optional<std::chrono::milliseconds> call_finished(const Deployment& deployment,
                                                                 const CallOutcome& outcome,
                                                                 TimePoint now) = 0;
  // Before any call: counted failures are also told to `reporter`.
  virtual void report_failures_to(FailureReporter reporter) = 0;
  // A cooldown decided elsewhere (by the fleet's count of failures): the deployment (by
  // Deployment::index) is skipped until `until`, or longer if it already cools longer.
  virtual void cool(std::size_t deployment_index, TimePoint until) = 0;
  // The fleet's requests and tokens on the deployment in its current minute, which ends at
  // `until`: until then load() reports at least these.
  virtual void observe_fleet_usage(const Deployment& deployment, std::int64_t requests,
                                   std::int64_t tokens, TimePoint until) = 0;
  // This process's own latency average for the deployment (by Deployment::index), whatever the
  // fleet says: what it tells the fleet. 0 = no data yet.
  virtual std::chrono::microseconds own_latency(std::size_t deployment_index) const = 0;
  // The fleet's latency figure for the deployment (by Deployment::index), which load() reports
  // instead of this process's own until `until`; 0 = the fleet has none (own figure used).
  virtual void observe_fleet_latency(std::size_t deployment_index,
                                     std::chrono::microseconds latency, TimePoint until) = 0;
  // The state for a new model table whose deployments, by index, have `deployment_ids`: one
  // that stays (the same id) shares this state's cooldown, load and failures, so calls still
  // running on the old table count on the new one; the failure reporter carries over.
  virtual std::unique_ptr<HealthState> successor(
      const std::vector<std::string>& deployment_ids) const = 0;
};

// One process's state, indexed by Deployment::index. Reads and successful calls are lock-free
// (relaxed atomics; counters are approximate across a minute boundary, which routing tolerates);
// only a failure takes its deployment's mutex, to count failures and start a cooldown.
class InMemoryHealth final : public HealthState {
 public:
  // Deployments known by index only: a successor shares nothing with this state.
  InMemoryHealth(std::size_t deployment_count, CooldownPolicy policy);
  // previous: the state whose slots the deployments of the same id share.
  InMemoryHealth(const std::vector<std::string>& deployment_ids, CooldownPolicy policy,
                 const InMemoryHealth* previous = nullptr);

  std::optional<TimePoint> cooling_until(const Deployment& deployment,
                                         TimePoint now) const override;
  Load load(const Deployment& deployment, TimePoint now) const override;
  void call_started(const Deployment& deployment, TimePoint now) override;
  std::optional<std::chrono::milliseconds> call_finished(const Deployment& deployment,
                                                         const CallOutcome& outcome,
                                                         TimePoint now) override;
  void report_failures_to(FailureReporter reporter) override;
  void cool(std::size_t deployment_index, TimePoint until) override;
  void observe_fleet_usage(const Deployment& deployment, std::int64_t requests, std::int64_t tokens,
                           TimePoint until) override;
  std::chrono::microseconds own_latency(std::size_t deployment_index) const override;
  void observe_fleet_latency(std::size_t deployment_index, std::chrono::microseconds latency,
                             TimePoint until) override;
  std::unique_ptr<HealthState> successor(
      const std::vector<std::string>& deployment_ids) const override;

 private:
  struct alignas(64) Slot {
    std::atomic<std::int64_t> cooling_until_ns{0};
    std::atomic<int> in_flight{0};
    std::atomic<std::int64_t> usage_minute{-1};
    std::atomic<std::int64_t> requests{0};
    std::atomic<std::int64_t> tokens{0};
    std::atomic<std::int64_t> failed_calls{0};  // since the start, never reset
    std::atomic<std::int64_t> latency_us{0};
    // The fleet's usage as Redis last told it, valid until fleet_until_ns (its window's end).
    std::atomic<std::int64_t> fleet_requests{0};
    std::atomic<std::int64_t> fleet_tokens{0};
    std::atomic<std::int64_t> fleet_until_ns{0};
    // The fleet's latency figure, valid until fleet_latency_until_ns.
    std::atomic<std::int64_t> fleet_latency_us{0};
    std::atomic<std::int64_t> fleet_latency_until_ns{0};
    std::mutex failure_mutex;
    std::int64_t failure_minute = -1;  // guarded by failure_mutex
    int failures = 0;                  // guarded by failure_mutex
  };
  Slot& slot(const Deployment& deployment) const;
  static void roll_usage_minute(Slot& slot, std::int64_t minute);

  // Shared with the states of other model tables that have the same deployment (by id).
  std::vector<std::shared_ptr<Slot>> slots_;
  std::vector<std::string> ids_;  // by index; empty when built from a count
  std::size_t count_;
  CooldownPolicy policy_;
  FailureReporter failure_reporter_;  // set before any call, read-only afterwards
};

}  // namespace llmux::router
