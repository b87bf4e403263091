// What a call waits on in a fleet (docs/SCALING.md, "Cost"): at most one Redis round trip, with
// the commands of concurrent calls pipelined on the worker's one connection. Redis is reached
// through a proxy that holds each of its replies for kReplyDelayMs, so a call that waited on two
// round trips would take at least twice that, and calls whose commands queued one behind the
// other on the connection would take that long each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startDelayingProxy, startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { admin, chatWith, generateKey, inRoomyMinute, pricedModels } from '../support/store.mjs';

const kReplyDelayMs = 1000;

let mock;
let redis;
let proxy;
let databaseDir;
let gateway;

before(async () => {
  mock = await startMockUpstream();
  redis = await startRedis();
  proxy = await startDelayingProxy(redis, kReplyDelayMs);
  databaseDir = await mkdtemp(join(tmpdir(), 'llmux-round-trips-'));
  gateway = await startGateway({
    config: {
      model_list: pricedModels(mock.url),
      general_settings: { master_key: kMasterKey, database_url: join(databaseDir, 'llmux.db') },
      // The command timeout well above the held replies.
      router_settings: { redis_host: proxy.host, redis_port: proxy.port, redis_socket_timeout: 10, num_retries: 0 },
    },
  });
});

// The startup log names the server (docs/SCALING.md; the credential is left out of it, as the
// unit tests of redis::endpoint_text show).
test('the startup log names the Redis server the limits are counted in', () => {
  assert.match(gateway.stderr(), new RegExp(`fleet: rate limits counted in Redis at redis://127\\.0\\.0\\.1:${proxy.port}\\b`));
});

after(async () => {
  await gateway?.stop();
  await proxy?.close();
  await redis?.stop();
  await mock?.close();
  if (databaseDir) await rm(databaseDir, { recursive: true, force: true });
});

// A key whose call counts against every kind of shared limit: rpm, tpm (a reservation), a budget
// (a worst-case cost reserved) and a parallel slot (a lease), under a team with limits of its own.
async function fullyLimitedKey(url = gateway.url) {
  const team = await admin(url, 'POST', '/team/new', { rpm_limit: 100_000, max_budget: 1000 });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const key = await generateKey(url, {
    team_id: team.body.team_id, rpm_limit: 100_000, tpm_limit: 100_000_000, max_budget: 1000, max_parallel_requests: 100,
  });
  return key.key;
}

async function timedCall(key, extra, { url = gateway.url, model = 'priced' } = {}) {
  const started = performance.now();
  const response = await chatWith(url, key, model, { max_tokens: 10, ...extra });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

test('a call with rpm, tpm, a budget and a parallel slot waits on one Redis round trip', async () => {
  await inRoomyMinute();
  const key = await fullyLimitedKey();
  // The first call after the start loads the scripts into Redis (NOSCRIPT, then SCRIPT LOAD).
  assert.equal((await timedCall(key)).status, 200);
  const counted = await metricValue(gateway.url, 'llmux_fleet_shared_admissions_total');
  for (const extra of [{}, { stream: true }]) {
    const call = await timedCall(key, extra);
    assert.equal(call.status, 200);
    // At least the held reply of its admission; less than two.
    assert.ok(call.ms >= kReplyDelayMs && call.ms < 2 * kReplyDelayMs, `${JSON.stringify(extra)}: ${call.ms} ms`);
  }
  assert.equal(await metricValue(gateway.url, 'llmux_fleet_shared_admissions_total'), counted + 2);
});

test('concurrent calls share the connection and its round trip: their commands are pipelined', async () => {
  await inRoomyMinute();
  const key = await fullyLimitedKey();
  const connections = proxy.connections();
  const started = performance.now();
  const calls = await Promise.all(Array.from({ length: 8 }, () => timedCall(key)));
  const burstMs = performance.now() - started;
  assert.deepEqual(calls.map((call) => call.status), Array(8).fill(200));
  // One after the other on the connection, the eight would take 8 held replies.
  assert.ok(burstMs >= kReplyDelayMs && burstMs < 2 * kReplyDelayMs, `burst of 8: ${burstMs} ms`);
  assert.equal(proxy.connections(), connections, 'no connection opened for the burst');
});

// Under usage-based-routing the admission's script run also claims the first attempt's deployment
// from the fleet's count of its minute (docs/SCALING.md): one held reply for both.
test('under usage-based-routing a call with limits waits on one round trip, its deployment claimed with its admission', async () => {
  const rpm = 3;
  const routedDir = await mkdtemp(join(tmpdir(), 'llmux-round-trips-routed-'));
  const routed = await startGateway({
    config: {
      model_list: [{
        model_name: 'rpm-routed',
        litellm_params: { model: 'openai/gpt-4o-upstream', api_base: `${mock.url}/v1`, api_key: 'sk-upstream-rpm', rpm },
        model_info: { id: 'rpm-routed' },
      }],
      general_settings: { master_key: kMasterKey, database_url: join(routedDir, 'llmux.db') },
      router_settings: {
        redis_host: proxy.host, redis_port: proxy.port, redis_socket_timeout: 10, num_retries: 0,
        routing_strategy: 'usage-based-routing',
      },
    },
  });
  try {
    await inRoomyMinute();
    const key = await fullyLimitedKey(routed.url);
    const call = (extra = {}) => timedCall(key, extra, { url: routed.url, model: 'rpm-routed' });
    // The first call after the start loads the scripts into Redis (NOSCRIPT, then SCRIPT LOAD).
    assert.equal((await call()).status, 200);
    for (const extra of [{}, { stream: true }]) {
      const answered = await call(extra);
      assert.equal(answered.status, 200, answered.body);
      assert.ok(answered.ms >= kReplyDelayMs && answered.ms < 2 * kReplyDelayMs, `${JSON.stringify(extra)}: ${answered.ms} ms`);
    }
    // The deployment's rpm holds: the fourth claim of the minute finds it full, in the same round trip.
    const refused = await call();
    assert.equal(refused.status, 429, refused.body);
    assert.match(refused.body, /No deployments available/);
    assert.ok(refused.ms >= kReplyDelayMs && refused.ms < 2 * kReplyDelayMs, `refused: ${refused.ms} ms`);
    assert.equal(await metricValue(routed.url, 'llmux_fleet_shared_admissions_total'), rpm + 1);
  } finally {
    await routed.stop();
    await rm(routedDir, { recursive: true, force: true });
  }
});
