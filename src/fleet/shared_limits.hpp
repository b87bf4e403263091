// Rate limits counted in one Redis for a fleet of llmux instances (docs/SCALING.md): a call is
// admitted against its key, team and user by one script run (one round trip, pipelined with the
// worker's other commands), so with any number of instances the successes in a window never pass
// rpm_limit, and parallel-request slots are leases that expire when an instance dies.
// When Redis does not answer, a call is decided by this instance's own counters against its share
// of each limit (limit / live instances, rounded up): requests keep flowing, and the next call
// tries Redis again.
#pragma once

#include "limits/limiter.hpp"
#include "redis/client.hpp"
#include "relay/deployment_claims.hpp"
#include "telemetry/metrics.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmux::fleet {

namespace asio = boost::asio;

// What the workers of one instance share.
struct Instance {
  Instance(std::chrono::milliseconds lease, telemetry::FleetMetrics& metrics);
  const std::string id;  // random per process: names its leases and its heartbeat
  const std::chrono::milliseconds lease;
  telemetry::FleetMetrics& metrics;
  // Redis answered the last command: flips log once per change.
  void redis_answered(bool up);
};

// One thing a call counts against: a key (its token), its team or its user; or, for a budget
// only, a key's model budget or an end user.
struct Holder {
  std::string_view subject;
  std::string_view kind;  // "key", "team", "user": the 429's wording
  limits::Limits limits;
  std::optional<double> budget;  // max_budget, USD
  double spend = 0;              // what this instance knows of its spend, USD
  // false: the call's cost is not added to this budget by the lease, but to those the caller
  // names when the call ends (a model budget: the group that answered may be a fallback's).
  bool charged_at_end = true;
  bool counted() const { return limits.any() || budget; }
};

class SharedLimits;

// An admitted call's place in the shared counts: finish() adds its tokens and frees its slots
// (without waiting for Redis); dropped unfinished, it frees them with no tokens.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept { *this = std::move(other); }
  Lease& operator=(Lease&& other) noexcept;
  ~Lease() { finish(0, 0); }
  // also_charged: budget subjects the cost goes to besides the holders charged at end.
  void finish(std::int64_t tokens, double cost,
              std::span<const std::string_view> also_charged = {});

 private:
  friend class SharedLimits;
  SharedLimits* owner_ = nullptr;
  std::string id_;
};

struct SharedAdmission {
  enum class Verdict { admitted, refused, unavailable };
  Verdict verdict = Verdict::unavailable;
  Lease lease;  // admitted, when the call's end must be told (tpm, budgets, parallel slots)
  std::size_t holder = 0;    // refused: the index of the holder that refused it
  bool over_budget = false;  // refused by its budget (else by a rate limit)
  double spend = 0;          // over_budget: the holder's spend in Redis, USD
  // admitted: the last holder's counts with this call; refused by a rate: the refusing holder's
  limits::Usage usage;
};

// One worker's connection to the fleet's counters; used from its io_context's thread only.
class SharedLimits final : public relay::DeploymentClaims {
 public:
  SharedLimits(asio::io_context& io, const redis::Options& options, Instance& instance);
  // Starts the heartbeat that registers this instance and renews its leases (until the
  // io_context stops).
  void start();

  // Holders in the order a refusal is looked for; their subjects must outlive the call.
  asio::awaitable<SharedAdmission> admit(std::span<const Holder> holders);
  // A call this worker decided alone because Redis was away.
  void count_local_admission() { telemetry::FleetMetrics::add(instance_.metrics.local_admissions); }
  // Live instances as the last heartbeat counted them (at least 1): what a limit is divided by
  // while Redis is away.
  std::uint64_t instances() const;
  redis::Client& client() { return client_; }

  // A deployment's rpm / tpm counted for the fleet (usage-based-routing). Redis away: the
  // claim is unavailable, and this process's own counts decide.
  asio::awaitable<Claim> claim(const router::Deployment& chosen,
                               std::span<const router::Deployment* const> group) override;
  void add_tokens(const router::Deployment& deployment, std::int64_t tokens) override;

 private:
  friend class Lease;
  struct Live {
    std::vector<std::string> rated_subjects;  // holders with a rate limit: tokens go to each
    std::vector<std::string> slot_subjects;   // those with a parallel limit: renewed
    std::vector<std::string> spend_subjects;  // holders with a budget charged at end: the cost
  };
  void settle(const std::string& lease_id, std::int64_t tokens, double cost,
              std::span<const std::string_view> also_charged);
  asio::awaitable<void> beat();
  void schedule_beat();

  asio::io_context& io_;
  redis::Client client_;
  Instance& instance_;
  asio::steady_timer beat_timer_;
  std::unordered_map<std::string, Live> live_;
  std::uint64_t next_lease_ = 0;
};

}  // namespace llmux::fleet
