// The Lua scripts a fleet runs in Redis. Each does its whole job in one EVALSHA (atomic on the
// server, one round trip) with Redis's own clock (TIME) for windows and lease expiries, so the
// instances' clocks need not agree. Key names are built inside the scripts (every one starts with
// "llmux:"), so they need one Redis, not a Redis Cluster.
#pragma once

#include "redis/client.hpp"

namespace llmux::fleet {

// Admits a call against every holder it counts against, or refuses it and counts nothing.
// ARGV: lease id, lease ms, the tokens and the cost (nano-USD) the call reserves, the number of
// claim arguments that follow (0: none; else those of claim_deployment_script, the deployment an
// admitted call claims in the same run: usage-based-routing), then per holder:
// subject, rpm, tpm, max parallel, budget in nano-USD (-1: no limit), the spend the caller knows
// in nano-USD (what Redis starts from when it has none for the holder, e.g. after a restart), 1 if
// the call's cost goes to this budget at its end (else 0). Budgets first — the spend plus the
// reservations of the calls in flight, refused at the budget — then rates, each in holder order;
// the first holder that refuses is named. An admitted call adds its reserved tokens to the window
// of every rate-limited holder and its reserved cost to every budget holder's reservations; one
// with a parallel limit gets a slot. Slots and cost reservations expire after lease ms unless
// renewed; the lease's record (what its end must undo) is kept under the lease id, when its end
// must be told at all (tpm, a budget, a slot).
// Reply: {1, ms left in the window, requests, tokens, in flight} (the last rate-limited holder's,
// this call counted, its reserved tokens not), followed by the claim's reply when one was asked,
// or {0, holder (1-based), 1 rate | 2 budget, requests, tokens, in flight, ms left in the window,
// spend with the reservations in flight in nano-USD} (a refused call claims nothing).
const redis::Script& admit_script();

// Ends admitted calls by their leases' records: the real tokens replace the reserved ones in the
// window of the admission (or go to the current window), the slots and cost reservations are
// freed, the cost goes to the spend of the budget holders charged at the end and of the subject
// given. ARGV per call: lease id, tokens, cost in nano-USD, a further subject charged (empty:
// none). Reply: the calls ended (a lease whose record is gone — it lapsed, no renewal for a whole
// lease — ends nothing).
const redis::Script& settle_script();

// Claims one request on a deployment in the fleet's current minute (usage-based-routing): counted
// unless the deployment's requests are at its rpm or its tokens at its tpm; and reads the counts
// of the deployments of its group.
// ARGV: deployment id, rpm, tpm (-1: none), then the group's deployment ids.
// Reply: {1 claimed | 0 full, ms left in the minute, then per group deployment: requests, tokens}.
const redis::Script& claim_deployment_script();

// Adds a claimed call's tokens to its deployment's current minute. ARGV: deployment id, tokens.
const redis::Script& deployment_tokens_script();

// Registers this instance for ttl ms, moves its live leases' expiry on (their records, slots and
// cost reservations), and counts the live instances. ARGV: instance id, ttl ms, lease ms, then the
// lease ids.
// Reply: the number of live instances.
const redis::Script& beat_script();

// Sets anew the spend Redis counts for some holders whose budget was reset or whose spend an
// admin set, to what the instance that changed it knows of it then: an instance that has not
// heard of the change yet cannot start Redis's count again from the spend it knew before. A
// spend not known (-1) is forgotten: the next admission starts again from its instance's.
// ARGV: per holder: subject, spend in nano-USD.
const redis::Script& set_spend_script();

// Counts one failure of a deployment for the fleet: failures in a minute (from the first) are
// counted under the deployment's id; one that cools at once, or one more than allowed_fails, cools
// it for every instance: a key that expires after the cooldown, and the deployment id published
// on the channel. A deployment already cooling counts nothing.
// ARGV: deployment id, allowed_fails, cooldown ms, 1 if this failure cools at once (else 0),
// channel, message. Reply: 1 if this failure cooled the deployment, else 0.
const redis::Script& count_failure_script();

// The deployments cooling now: ARGV: deployment ids. Reply: for each, the ms its cooldown has
// left (0 or less: not cooling).
const redis::Script& cooling_script();

// Tells the fleet this instance's latency figures and reads the fleet's (latency-based-routing):
// each deployment's hash holds one figure per instance with the Redis time it was told; a figure
// older than max age ms counts no more (its instance stopped telling it) and is removed.
// ARGV: instance id, max age ms, then per deployment: id, this instance's latency in µs (0: none).
// Reply: per deployment, the mean of the fresh figures in µs (0: none).
const redis::Script& exchange_latency_script();

}  // namespace llmux::fleet
