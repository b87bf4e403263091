#include "fleet/scripts.hpp"

namespace llmux::fleet {

namespace {

// Redis's clock in ms, and the one-minute window it falls in (as limits::MemoryCounters counts).
constexpr const char* kClock = R"(
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = math.floor(now / 60000)
local window_left = (window + 1) * 60000 - now
local function window_key(subject) return 'llmux:rate:' .. subject .. ':' .. window end
local function slots_key(subject) return 'llmux:slots:' .. subject end
)";

}  // namespace

const redis::Script& admit_script() {
  static const redis::Script script(std::string(kClock) + R"(
local lease, lease_ms = ARGV[1], tonumber(ARGV[2])
local holders = (#ARGV - 2) / 4
local counts = {}
for i = 1, holders do
  local at = 3 + (i - 1) * 4
  local subject = ARGV[at]
  local rpm, tpm, parallel = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local window_counts = redis.call('HMGET', window_key(subject), 'r', 't')
  local requests, tokens = tonumber(window_counts[1] or 0), tonumber(window_counts[2] or 0)
  local in_flight = 0
  if parallel >= 0 then
    redis.call('ZREMRANGEBYSCORE', slots_key(subject), '-inf', now)
    in_flight = redis.call('ZCARD', slots_key(subject))
  end
  if (rpm >= 0 and requests >= rpm) or (tpm >= 0 and tokens >= tpm) or
     (parallel >= 0 and in_flight >= parallel) then
    return {0, i, requests, tokens, in_flight, window_left}
  end
  counts[i] = {requests, tokens, in_flight, parallel >= 0}
end
local last = {}
for i = 1, holders do
  local subject = ARGV[3 + (i - 1) * 4]
  local key = window_key(subject)
  redis.call('HINCRBY', key, 'r', 1)
  redis.call('PEXPIRE', key, 120000)
  local in_flight = counts[i][3]
  if counts[i][4] then
    redis.call('ZADD', slots_key(subject), now + lease_ms, lease)
    redis.call('PEXPIRE', slots_key(subject), lease_ms * 2)
    in_flight = in_flight + 1
  end
  last = {counts[i][1] + 1, counts[i][2], in_flight}
end
return {1, window_left, last[1], last[2], last[3]}
)");
  return script;
}

const redis::Script& settle_script() {
  static const redis::Script script(std::string(kClock) + R"(
local lease, tokens = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
  if tokens > 0 then
    local key = window_key(ARGV[i])
    redis.call('HINCRBY', key, 't', tokens)
    redis.call('PEXPIRE', key, 120000)
  end
  redis.call('ZREM', slots_key(ARGV[i]), lease)
end
return 1
)");
  return script;
}

const redis::Script& beat_script() {
  static const redis::Script script(std::string(kClock) + R"(
local instance, ttl_ms, lease_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', 'llmux:instances', now + ttl_ms, instance)
redis.call('ZREMRANGEBYSCORE', 'llmux:instances', '-inf', now)
for i = 4, #ARGV, 2 do
  redis.call('ZADD', slots_key(ARGV[i]), 'XX', now + lease_ms, ARGV[i + 1])
  redis.call('PEXPIRE', slots_key(ARGV[i]), lease_ms * 2)
end
return redis.call('ZCARD', 'llmux:instances')
)");
  return script;
}

}  // namespace llmux::fleet
