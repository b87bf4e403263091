#include "fleet/scripts.hpp"

namespace llmux::fleet {

namespace {

// Redis's clock in ms, and the one-minute window it falls in (as limits::MemoryCounters counts).
constexpr const char* kClock = R"(
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = math.floor(now / 60000)
local window_left = (window + 1) * 60000 - now
-- Numbers go to Redis as text made with '%d': Lua's own conversion ('%.14g', and '%.17g' for a
-- number passed to redis.call) is the dearest part of a script run.
local now_text, window_text = string.format('%d', now), string.format('%d', window)
local function window_key(subject) return 'llmux:rate:' .. subject .. ':' .. window_text end
local function slots_key(subject) return 'llmux:slots:' .. subject end
local function spend_key(subject) return 'llmux:spend:' .. subject end
local window_ttl_ms, spend_ttl_ms = '120000', '86400000'
)";

// An admitted call's lease: its record (what its end must undo or add, and what the heartbeat
// renews), and the budget reservations of the calls in flight per holder: each lease's amount in
// nano-USD with their sum, and when each lapses unless renewed (its instance died).
constexpr const char* kLeases = R"(
local function lease_key(lease) return 'llmux:lease:' .. lease end
local function held_key(subject) return 'llmux:held:' .. subject end
local function held_until_key(subject) return 'llmux:held-until:' .. subject end
-- Releases a lease's reservation of `amount` nano-USD (text, as its record holds it).
local function release_held(subject, lease, amount)
  redis.call('ZREM', held_until_key(subject), lease)
  if redis.call('HDEL', held_key(subject), lease) == 1 then
    redis.call('HINCRBY', held_key(subject), 'sum', '-' .. amount)
  end
end
-- The holder's reservations in flight, those whose lease lapsed released first (none to look for
-- while nothing is held).
local function held_cost(subject)
  local held = tonumber(redis.call('HGET', held_key(subject), 'sum') or 0)
  if held == 0 then return 0 end
  local lapsed =
    redis.call('ZRANGEBYSCORE', held_until_key(subject), '-inf', now_text, 'LIMIT', '0', '1000')
  if #lapsed == 0 then return held end
  for _, lease in ipairs(lapsed) do
    local amount = redis.call('HGET', held_key(subject), lease)
    if amount then release_held(subject, lease, amount) end
  end
  return tonumber(redis.call('HGET', held_key(subject), 'sum') or 0)
end
)";

// Claims one request on a deployment in the fleet's minute (usage-based-routing), unless its
// requests are at its rpm or its tokens at its tpm, and reads its group's counts.
// ARGV[first .. last]: deployment id, rpm, tpm (-1: none), then the group's deployment ids.
// Returns {1 claimed | 0 full, ms left in the minute, then per group deployment: requests, tokens}.
constexpr const char* kClaim = R"(
local function usage_key(id) return 'llmux:deployment:' .. id .. ':' .. window_text end
local function claim_deployment(first, last)
  local chosen = usage_key(ARGV[first])
  local rpm, tpm = tonumber(ARGV[first + 1]), tonumber(ARGV[first + 2])
  local counts = redis.call('HMGET', chosen, 'r', 't')
  local requests, tokens = tonumber(counts[1] or 0), tonumber(counts[2] or 0)
  local claimed = 0
  if not ((rpm >= 0 and requests >= rpm) or (tpm >= 0 and tokens >= tpm)) then
    redis.call('HINCRBY', chosen, 'r', '1')
    redis.call('PEXPIRE', chosen, window_ttl_ms)
    claimed = 1
  end
  local reply = {claimed, window_left}
  for i = first + 3, last do
    local usage = redis.call('HMGET', usage_key(ARGV[i]), 'r', 't')
    reply[#reply + 1] = tonumber(usage[1] or 0)
    reply[#reply + 1] = tonumber(usage[2] or 0)
  end
  return reply
end
)";

}  // namespace

const redis::Script& admit_script() {
  static const redis::Script script(std::string(kClock) + kLeases + kClaim + R"(
local lease, lease_ms = ARGV[1], tonumber(ARGV[2])
local lease_until, lease_ttl = string.format('%d', now + lease_ms), string.format('%d', lease_ms * 2)
local reserves_tokens, reserves_cost = tonumber(ARGV[3]) > 0, tonumber(ARGV[4]) > 0
local claim_arguments = tonumber(ARGV[5])
local first, fields = 6 + claim_arguments, 7
local holders = (#ARGV - first + 1) / fields
local function at(i) return first + (i - 1) * fields end
for i = 1, holders do
  local budget = tonumber(ARGV[at(i) + 4])
  if budget >= 0 then
    local subject = ARGV[at(i)]
    local key = spend_key(subject)
    local spend = tonumber(redis.call('GET', key) or -1)
    if spend < 0 then
      spend = tonumber(ARGV[at(i) + 5])
      redis.call('SET', key, ARGV[at(i) + 5], 'PX', spend_ttl_ms)
    end
    local counted = spend + held_cost(subject)
    if counted >= budget then return {0, i, 2, 0, 0, 0, window_left, counted} end
  end
end
local counts = {}
for i = 1, holders do
  local subject = ARGV[at(i)]
  local rpm, tpm = tonumber(ARGV[at(i) + 1]), tonumber(ARGV[at(i) + 2])
  local parallel = tonumber(ARGV[at(i) + 3])
  -- A holder counted only for its budget has no window or slots.
  if rpm >= 0 or tpm >= 0 or parallel >= 0 then
    local window_counts = redis.call('HMGET', window_key(subject), 'r', 't')
    local requests, tokens = tonumber(window_counts[1] or 0), tonumber(window_counts[2] or 0)
    local in_flight = 0
    if parallel >= 0 then
      redis.call('ZREMRANGEBYSCORE', slots_key(subject), '-inf', now_text)
      in_flight = redis.call('ZCARD', slots_key(subject))
    end
    if (rpm >= 0 and requests >= rpm) or (tpm >= 0 and tokens >= tpm) or
       (parallel >= 0 and in_flight >= parallel) then
      return {0, i, 1, requests, tokens, in_flight, window_left, 0}
    end
    counts[i] = {requests, tokens, in_flight, parallel >= 0, tpm >= 0}
  end
end
-- What settle() and the heartbeat need of this call, kept in Redis under the lease.
-- Its numbers as text: encoding and decoding them as numbers would convert them again.
local record = {w = window_text, t = ARGV[3], k = ARGV[4], r = {}, s = {}, h = {}, c = {}}
local last = {0, 0, 0}
-- Only tpm, a budget or a parallel slot need the call's end (an rpm-only call has no record).
local ends_told = false
for i = 1, holders do
  local subject = ARGV[at(i)]
  if counts[i] then
    local key = window_key(subject)
    redis.call('HINCRBY', key, 'r', '1')
    if reserves_tokens then redis.call('HINCRBY', key, 't', ARGV[3]) end
    -- A window is given its expiry when it starts (a settle that starts one gives it its own).
    if counts[i][1] == 0 and counts[i][2] == 0 then redis.call('PEXPIRE', key, window_ttl_ms) end
    record.r[#record.r + 1] = subject
    if counts[i][4] or counts[i][5] then ends_told = true end
    local in_flight = counts[i][3]
    if counts[i][4] then
      redis.call('ZADD', slots_key(subject), lease_until, lease)
      redis.call('PEXPIRE', slots_key(subject), lease_ttl)
      record.s[#record.s + 1] = subject
      in_flight = in_flight + 1
    end
    last = {counts[i][1] + 1, counts[i][2], in_flight}
  end
  if tonumber(ARGV[at(i) + 4]) >= 0 then
    ends_told = true
    if reserves_cost then
      redis.call('HSET', held_key(subject), lease, ARGV[4])
      redis.call('HINCRBY', held_key(subject), 'sum', ARGV[4])
      redis.call('ZADD', held_until_key(subject), lease_until, lease)
      redis.call('PEXPIRE', held_key(subject), lease_ttl)
      redis.call('PEXPIRE', held_until_key(subject), lease_ttl)
      record.h[#record.h + 1] = subject
    end
    if ARGV[at(i) + 6] == '1' then record.c[#record.c + 1] = subject end
  end
end
if ends_told then redis.call('SET', lease_key(lease), cjson.encode(record), 'PX', lease_ttl) end
local reply = {1, window_left, last[1], last[2], last[3]}
if claim_arguments > 0 then
  for _, value in ipairs(claim_deployment(6, 5 + claim_arguments)) do reply[#reply + 1] = value end
end
return reply
)");
  return script;
}

const redis::Script& settle_script() {
  static const redis::Script script(std::string(kClock) + kLeases + R"(
local function charge(subject, cost)
  if redis.call('EXISTS', spend_key(subject)) == 1 then
    redis.call('INCRBY', spend_key(subject), cost)
    redis.call('PEXPIRE', spend_key(subject), spend_ttl_ms)
  end
end
local settled = 0
for i = 1, #ARGV, 4 do
  local lease, tokens, cost, also = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local text = redis.call('GET', lease_key(lease))
  if text then
    redis.call('DEL', lease_key(lease))
    settled = settled + 1
    local record = cjson.decode(text)
    -- The reserved tokens are in the window of the admission: replaced there by the real count,
    -- or the real count goes to the window the call ended in.
    local added, same_window = tokens, record.w == window_text
    if same_window then added = string.format('%d', tonumber(tokens) - tonumber(record.t)) end
    for _, subject in ipairs(record.r) do
      if added ~= '0' then
        local key = window_key(subject)
        redis.call('HINCRBY', key, 't', added)
        -- The admission's window has its expiry; a later one may start here.
        if not same_window then redis.call('PEXPIRE', key, window_ttl_ms) end
      end
    end
    for _, subject in ipairs(record.s) do redis.call('ZREM', slots_key(subject), lease) end
    for _, subject in ipairs(record.h) do release_held(subject, lease, record.k) end
    if cost ~= '0' then
      for _, subject in ipairs(record.c) do charge(subject, cost) end
      if also ~= '' then charge(also, cost) end
    end
  end
end
return settled
)");
  return script;
}

const redis::Script& claim_deployment_script() {
  static const redis::Script script(std::string(kClock) + kClaim + R"(
return claim_deployment(1, #ARGV)
)");
  return script;
}

const redis::Script& deployment_tokens_script() {
  static const redis::Script script(std::string(kClock) + R"(
local key = 'llmux:deployment:' .. ARGV[1] .. ':' .. window_text
redis.call('HINCRBY', key, 't', ARGV[2])
redis.call('PEXPIRE', key, window_ttl_ms)
return 1
)");
  return script;
}

const redis::Script& beat_script() {
  static const redis::Script script(std::string(kClock) + kLeases + R"(
local instance, ttl_ms, lease_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local lease_until, lease_ttl = string.format('%d', now + lease_ms), string.format('%d', lease_ms * 2)
redis.call('ZADD', 'llmux:instances', string.format('%d', now + ttl_ms), instance)
redis.call('ZREMRANGEBYSCORE', 'llmux:instances', '-inf', now_text)
for i = 4, #ARGV do
  local lease = ARGV[i]
  local text = redis.call('GET', lease_key(lease))
  if text then
    redis.call('PEXPIRE', lease_key(lease), lease_ttl)
    local record = cjson.decode(text)
    for _, subject in ipairs(record.s) do
      redis.call('ZADD', slots_key(subject), 'XX', lease_until, lease)
      redis.call('PEXPIRE', slots_key(subject), lease_ttl)
    end
    for _, subject in ipairs(record.h) do
      redis.call('ZADD', held_until_key(subject), 'XX', lease_until, lease)
      redis.call('PEXPIRE', held_until_key(subject), lease_ttl)
      redis.call('PEXPIRE', held_key(subject), lease_ttl)
    end
  end
end
return redis.call('ZCARD', 'llmux:instances')
)");
  return script;
}

const redis::Script& set_spend_script() {
  static const redis::Script script(std::string(kClock) + R"(
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '-1' then
    redis.call('DEL', spend_key(ARGV[i]))
  else
    redis.call('SET', spend_key(ARGV[i]), ARGV[i + 1], 'PX', spend_ttl_ms)
  end
end
return #ARGV / 2
)");
  return script;
}

const redis::Script& count_failure_script() {
  static const redis::Script script(R"(
local failures_key = 'llmux:failures:' .. ARGV[1]
local cooldown_key = 'llmux:cooldown:' .. ARGV[1]
if redis.call('EXISTS', cooldown_key) == 1 then return 0 end
local failures = redis.call('INCR', failures_key)
if failures == 1 then redis.call('PEXPIRE', failures_key, 60000) end
if ARGV[4] ~= '1' and failures <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', cooldown_key, '1', 'PX', ARGV[3])
redis.call('DEL', failures_key)
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
)");
  return script;
}

const redis::Script& cooling_script() {
  static const redis::Script script(R"(
local left = {}
for i = 1, #ARGV do left[i] = redis.call('PTTL', 'llmux:cooldown:' .. ARGV[i]) end
return left
)");
  return script;
}

const redis::Script& exchange_latency_script() {
  static const redis::Script script(R"(
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local instance, max_age = ARGV[1], tonumber(ARGV[2])
local means = {}
for i = 3, #ARGV, 2 do
  local key = 'llmux:latency:' .. ARGV[i]
  if tonumber(ARGV[i + 1]) > 0 then
    redis.call('HSET', key, instance, string.format('%s:%d', ARGV[i + 1], now))
    redis.call('PEXPIRE', key, max_age)
  end
  local figures = redis.call('HGETALL', key)
  local sum, count = 0, 0
  for j = 1, #figures, 2 do
    local latency, told = string.match(figures[j + 1], '^(%d+):(%d+)$')
    if latency and now - tonumber(told) <= max_age then
      sum, count = sum + tonumber(latency), count + 1
    else
      redis.call('HDEL', key, figures[j])
    end
  end
  means[#means + 1] = count > 0 and math.floor(sum / count) or 0
end
return means
)");
  return script;
}

}  // namespace llmux::fleet
