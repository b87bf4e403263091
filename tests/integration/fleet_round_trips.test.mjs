// What a call waits on in a fleet (docs/SCALING.md, "Cost"): at most one Redis round trip, with
// the commands of concurrent calls pipelined on the worker's one connection. Redis is reached
// through a proxy that holds each of its replies for kReplyDelayMs, so a call that waited on two
// round trips would take at least twice that, and calls whose commands queued one behind the
// other on the connection would take that long each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { admin, chatWith, generateKey, inRoomyMinute, pricedModels } from '../support/store.mjs';

const kReplyDelayMs = 1000;

let mock;
let redis;
let proxy;
let databaseDir;
let gateway;

// A TCP proxy to `target` that forwards what its clients send at once and each reply chunk
// `delayMs` after it came (in order: equal timeouts fire in the order they were set). Counts the
// connections it accepted.
async function startDelayingProxy(target, delayMs) {
  const sockets = new Set();
  const server = createServer((client) => {
    server.connections += 1;
    const upstream = connect({ host: target.host, port: target.port });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), delayMs));
    const close = () => { client.destroy(); upstream.destroy(); };
    for (const socket of [client, upstream]) socket.on('error', close).on('close', close);
  });
  server.connections = 0;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: '127.0.0.1',
    port: server.address().port,
    connections: () => server.connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

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
async function fullyLimitedKey() {
  const team = await admin(gateway.url, 'POST', '/team/new', { rpm_limit: 100_000, max_budget: 1000 });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const key = await generateKey(gateway.url, {
    team_id: team.body.team_id, rpm_limit: 100_000, tpm_limit: 100_000_000, max_budget: 1000, max_parallel_requests: 100,
  });
  return key.key;
}

async function timedCall(key, extra) {
  const started = performance.now();
  const response = await chatWith(gateway.url, key, 'priced', { max_tokens: 10, ...extra });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
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
