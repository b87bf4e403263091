#include "limits/limiter.hpp"

namespace llmux::limits {

namespace {

constexpr Millis kWindow = 60'000;

}  // namespace

void MemoryCounters::roll(Usage& usage, Millis now) {
  if (now >= usage.window_ends_at) {
    usage.requests = 0;
    usage.tokens = 0;
    usage.window_ends_at = (now / kWindow + 1) * kWindow;
  }
}

std::pair<bool, Usage> MemoryCounters::try_admit(const std::string& subject, const Limits& limits,
                                                 std::int64_t reserved_tokens, Millis now) {
  Shard& shard = shard_of(subject);
  const std::lock_guard lock(shard.mutex);
  Usage& usage = shard.usage[subject];
  roll(usage, now);
  const bool fits = (!limits.rpm || usage.requests < *limits.rpm) &&
                    (!limits.tpm || usage.tokens < *limits.tpm) &&
                    (!limits.max_parallel || usage.in_flight < *limits.max_parallel);
  if (!fits) return {false, usage};
  ++usage.requests;
  ++usage.in_flight;
  // The counts returned leave this call's own reservation out (x-ratelimit-remaining-tokens
  // tells what was used before it, as without reservations).
  const Usage counted = usage;
  usage.tokens += reserved_tokens;
  return {true, counted};
}

void MemoryCounters::add_tokens(const std::string& subject, std::int64_t tokens, Millis now) {
  Shard& shard = shard_of(subject);
  const std::lock_guard lock(shard.mutex);
  Usage& usage = shard.usage[subject];
  roll(usage, now);
  usage.tokens += tokens;
}

void MemoryCounters::release(const std::string& subject) {
  Shard& shard = shard_of(subject);
  const std::lock_guard lock(shard.mutex);
  if (auto it = shard.usage.find(subject); it != shard.usage.end() && it->second.in_flight > 0)
    --it->second.in_flight;
}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (counters_) counters_->release(subject_);
    counters_ = std::exchange(other.counters_, nullptr);
    subject_ = std::move(other.subject_);
    reserved_tokens_ = other.reserved_tokens_;
    window_ends_at_ = other.window_ends_at_;
  }
  return *this;
}

Permit::~Permit() {
  if (counters_) counters_->release(subject_);
}

void Permit::finish(std::int64_t tokens, Millis now) {
  if (!counters_) return;
  // The reservation is in the window of the admission: there the real count replaces it; a call
  // that ends in a later window adds its real count there.
  const std::int64_t added = now < window_ends_at_ ? tokens - reserved_tokens_ : tokens;
  if (added != 0) counters_->add_tokens(subject_, added, now);
  std::exchange(counters_, nullptr)->release(subject_);
}

Result<Admission> admit(RateCounters& counters, const std::string& subject, const Limits& limits,
                        Millis now, std::string_view kind, std::int64_t reserved_tokens) {
  if (!limits.any()) return Admission{};
  auto [fits, usage] = counters.try_admit(subject, limits, reserved_tokens, now);
  if (fits) {
    return Admission{Permit(&counters, subject, reserved_tokens, usage.window_ends_at), usage};
  }
  return refusal(kind, limits, usage, now);
}

Error refusal(std::string_view kind, const Limits& limits, const Usage& usage, Millis now) {
  auto text = [](const std::optional<std::int64_t>& limit) {
    return limit ? std::to_string(*limit) : "None";
  };
  Error error = make_error(
      ErrorKind::rate_limited,
      "LiteLLM Rate Limit Handler for rate limit type = " + std::string(kind) +
          ". Crossed TPM / RPM / Max Parallel Request Limit. current rpm: " +
          std::to_string(usage.requests) + ", rpm limit: " + text(limits.rpm) +
          ", current tpm: " + std::to_string(usage.tokens) + ", tpm limit: " + text(limits.tpm) +
          ", current max_parallel_requests: " + std::to_string(usage.in_flight) +
          ", max_parallel_requests: " + text(limits.max_parallel));
  const bool only_parallel =
      (!limits.rpm || usage.requests < *limits.rpm) && (!limits.tpm || usage.tokens < *limits.tpm);
  const Millis wait = only_parallel ? 1000 : std::max<Millis>(1000, usage.window_ends_at - now);
  error.retry_after = std::chrono::seconds((wait + 999) / 1000);
  return error;
}

Limits share_of(const Limits& limits, std::uint64_t instances) {
  const auto share = [instances](const std::optional<std::int64_t>& limit) {
    if (!limit || instances <= 1) return limit;
    const auto count = static_cast<std::int64_t>(instances);
    return std::optional<std::int64_t>(std::max<std::int64_t>(1, (*limit + count - 1) / count));
  };
  return {.rpm = share(limits.rpm),
          .tpm = share(limits.tpm),
          .max_parallel = share(limits.max_parallel)};
}

}  // namespace llmux::limits
