// Per-key request limits: requests and tokens per minute, and calls in flight. The counters sit
// behind the RateCounters interface: this instance's memory today, Redis (shared by several
// instances) next. Tokens are known only after a call, so a call is admitted on the counts so
// far, with the tokens it may use (an estimate) reserved in the window, and its real tokens replace
// the reservation when it ends (Permit::finish).
#pragma once

#include "base/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace llmux::limits {

using Millis = std::int64_t;

struct Limits {
  std::optional<std::int64_t> rpm;
  std::optional<std::int64_t> tpm;
  std::optional<std::int64_t> max_parallel;
  bool any() const { return rpm || tpm || max_parallel; }
};

// One subject's counts in the current one-minute window.
struct Usage {
  std::int64_t requests = 0;
  std::int64_t tokens = 0;
  std::int64_t in_flight = 0;
  Millis window_ends_at = 0;
};

class RateCounters {
 public:
  virtual ~RateCounters() = default;
  // Admits one call when it fits `limits` (counting it, its slot and its reserved tokens) and
  // returns the counts with it (its reserved tokens left out); otherwise counts nothing and
  // returns false plus the counts that refused it.
  virtual std::pair<bool, Usage> try_admit(const std::string& subject, const Limits& limits,
                                           std::int64_t reserved_tokens, Millis now) = 0;
  virtual void add_tokens(const std::string& subject, std::int64_t tokens, Millis now) = 0;
  virtual void release(const std::string& subject) = 0;
};

// This process's counters: fixed one-minute windows, in shards so that keys rarely share a lock.
class MemoryCounters final : public RateCounters {
 public:
  std::pair<bool, Usage> try_admit(const std::string& subject, const Limits& limits,
                                   std::int64_t reserved_tokens, Millis now) override;
  void add_tokens(const std::string& subject, std::int64_t tokens, Millis now) override;
  void release(const std::string& subject) override;

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Usage> usage;
  };
  Shard& shard_of(const std::string& subject) {
    return shards_[std::hash<std::string>{}(subject) % kShards];
  }
  static void roll(Usage& usage, Millis now);

  static constexpr std::size_t kShards = 64;
  Shard shards_[kShards];
};

// An admitted call: holds its in-flight slot until finish() (which puts its real tokens in place
// of its reservation) or its destruction (the reservation then stays in its window), whichever
// comes first.
class Permit {
 public:
  Permit() = default;
  Permit(RateCounters* counters, std::string subject, std::int64_t reserved_tokens,
         Millis window_ends_at)
      : counters_(counters),
        subject_(std::move(subject)),
        reserved_tokens_(reserved_tokens),
        window_ends_at_(window_ends_at) {}
  Permit(Permit&& other) noexcept { *this = std::move(other); }
  Permit& operator=(Permit&& other) noexcept;
  ~Permit();
  void finish(std::int64_t tokens, Millis now);

 private:
  RateCounters* counters_ = nullptr;
  std::string subject_;
  std::int64_t reserved_tokens_ = 0;
  Millis window_ends_at_ = 0;  // of the window the reservation is in
};

struct Admission {
  Permit permit;
  Usage usage;  // with this call counted
};

// 429 with LiteLLM's message and retry-after when `limits` refuse the call; `subject` names the
// limited thing (a key's token), `kind` what it is ("key", "team"). Limits absent: admitted
// without counting. An admitted call counts `reserved_tokens` until it finishes.
Result<Admission> admit(RateCounters& counters, const std::string& subject, const Limits& limits,
                        Millis now, std::string_view kind = "key",
                        std::int64_t reserved_tokens = 0);

// The 429 itself, for counts that refuse a call of `kind` under `limits` (whoever counted them:
// this process, or a fleet's shared counters).
Error refusal(std::string_view kind, const Limits& limits, const Usage& usage, Millis now);

// An instance's share of a fleet's limit while the shared counters are away: limit / instances,
// rounded up (so every instance can still make a call), at least 1.
Limits share_of(const Limits& limits, std::uint64_t instances);

}  // namespace llmux::limits
