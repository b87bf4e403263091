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
#include <unordered_set>
#include <utility>
#include <vector>

namespace llmux::fleet {

namespace asio = boost::asio;

// Money in Redis is whole nano-USD (INCRBY is exact; a float sum would drift).
std::int64_t nano_usd(double usd);

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

// What a call holds back at admission until its end settles it (docs/SCALING.md): tokens in the
// window of every rate-limited holder, a cost in every budget holder's reservations.
struct Reservation {
  std::int64_t tokens = 0;
  double cost = 0;  // USD
};

// The deployment an admission also claims, in the same script run (usage-based-routing): the
// call's first attempt's, `chosen`, one of `group`.
struct DeploymentToClaim {
  const router::Deployment& chosen;
  std::span<const router::Deployment* const> group;
};

class SharedLimits;

// An admitted call's place in the shared counts: finish() replaces its reservation by its real
// tokens and cost and frees its slots (without waiting for Redis); dropped unfinished, it does so
// with no tokens and no cost.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept { *this = std::move(other); }
  Lease& operator=(Lease&& other) noexcept;
  ~Lease() { finish(0, 0); }
  // also_charged: a budget subject the cost goes to besides the holders charged at end.
  void finish(std::int64_t tokens, double cost, std::string_view also_charged = {});

 private:
  friend class SharedLimits;
  SharedLimits* owner_ = nullptr;
  std::uint64_t number_ = 0;  // in SharedLimits::live_
  std::string id_;
};

struct SharedAdmission {
  enum class Verdict { admitted, refused, unavailable };
  Verdict verdict = Verdict::unavailable;
  Lease lease;  // admitted, when the call's end must be told (tpm, budgets, parallel slots)
  std::size_t holder = 0;    // refused: the index of the holder that refused it
  bool over_budget = false;  // refused by its budget (else by a rate limit)
  double spend = 0;          // over_budget: the holder's spend in Redis with the reservations, USD
  // admitted: the last holder's counts with this call; refused by a rate: the refusing holder's
  limits::Usage usage;
  // Admitted with a deployment to claim: the claim (unavailable when Redis did not answer).
  relay::DeploymentClaims::Claim claim;
};

// One worker's connection to the fleet's counters; used from its io_context's thread only.
class SharedLimits final : public relay::DeploymentClaims {
 public:
  SharedLimits(asio::io_context& io, const redis::Options& options, Instance& instance);
  // Starts the heartbeat that registers this instance and renews its leases (until the
  // io_context stops).
  void start();

  // Holders in the order a refusal is looked for; their subjects must outlive the call.
  // `reservation` is held for holders with a tpm limit (tokens) or a budget (cost); an admitted
  // call also claims `to_claim` when given.
  asio::awaitable<SharedAdmission> admit(std::span<const Holder> holders,
                                         Reservation reservation = {},
                                         const DeploymentToClaim* to_claim = nullptr);
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
  void settle(const Lease& lease, std::int64_t tokens, double cost, std::string_view also_charged);
  // Tells Redis the ends queued in ends_, in one script run.
  void flush_ends();
  std::string lease_id(std::uint64_t number) const;
  asio::awaitable<void> beat();
  void schedule_beat();

  asio::io_context& io_;
  redis::Client client_;
  Instance& instance_;
  asio::steady_timer beat_timer_;
  // The leases of this worker's calls in flight whose end is told: their records in Redis (what
  // the end undoes) are renewed by the heartbeat.
  std::unordered_set<std::uint64_t> live_;
  std::uint64_t next_lease_ = 0;
  // The ends of calls settled in this turn of the event loop, told to Redis together by
  // flush_ends() (posted once per turn): per call its lease id, tokens, cost in nano-USD and the
  // subject also charged (empty: none).
  std::vector<std::string> ends_;
  bool flush_posted_ = false;
};

}  // namespace llmux::fleet
