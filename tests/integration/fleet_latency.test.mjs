// Two llmux instances on one Redis under latency-based-routing (docs/SCALING.md): the latency one
// instance measures reaches the other within a second, which then routes away from a slow
// deployment it never called; with Redis away each routes by its own measurements again, and
// shares them again once Redis is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { eventually } from '../support/assertions.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { chatWith } from '../support/store.mjs';

const kSlowMs = 300;
const kSlowUpstream = `mock-slow-first-byte-${kSlowMs}`;

let mock;
let redis;
let fleet = [];

function startInstance() {
  const deployment = (upstream, id) => ({
    model_name: 'timed',
    litellm_params: { model: `openai/${upstream}`, api_base: `${mock.url}/v1`, api_key: 'sk-upstream-timed' },
    model_info: { id },
  });
  return startGateway({
    config: {
      model_list: [deployment(kSlowUpstream, 'timed-slow'), deployment('gpt-4o-upstream', 'timed-fast')],
      general_settings: { master_key: kMasterKey, drain_timeout_s: 5 },
      router_settings: {
        redis_host: redis.host, redis_port: redis.port,
        routing_strategy: 'latency-based-routing', num_retries: 0,
      },
    },
  });
}

const slowHits = () => mock.requests.filter((request) => request.body?.model === kSlowUpstream).length;

// The deployment that answered a call on `instance`.
async function answeredBy(instance) {
  const response = await chatWith(instance.url, kMasterKey, 'timed');
  await response.arrayBuffer();
  assert.equal(response.status, 200);
  return response.headers.get('x-litellm-model-id');
}

// The latency `instance` routes by for a deployment, in ms (0: none known), as /model/info shows it.
async function latencyOn(instance, id) {
  const response = await fetch(`${instance.url}/model/info`, { headers: { Authorization: `Bearer ${kMasterKey}` } });
  const { data } = await response.json();
  return data.find((deployment) => deployment.model_info.id === id).health.latency_ms;
}

before(async () => {
  mock = await startMockUpstream();
  redis = await startRedis();
  fleet = [await startInstance(), await startInstance()];
});

after(async () => {
  for (const instance of fleet) await instance?.stop();
  await redis?.stop();
  await mock?.close();
});

test('an instance routes away from a deployment another instance measured slow', async () => {
  const [measuring, other] = fleet;
  // A deployment without a figure is tried first: two calls measure both deployments.
  assert.deepEqual(new Set([await answeredBy(measuring), await answeredBy(measuring)]),
    new Set(['timed-slow', 'timed-fast']));
  const measured = Date.now();
  await eventually(async () => (await latencyOn(other, 'timed-slow')) >= kSlowMs,
    { timeoutMs: 3000, what: 'the slow deployment\'s latency on the other instance' });
  const staleness = Date.now() - measured;
  assert.ok(staleness < 1500, `${staleness} ms`);
  assert.ok((await latencyOn(other, 'timed-fast')) < kSlowMs);
  const picks = [];
  for (let i = 0; i < 6; ++i) picks.push(await answeredBy(other));
  assert.deepEqual(picks, Array(6).fill('timed-fast'));
  assert.equal(slowHits(), 1);  // the measuring instance's call only
});

test('with Redis away each instance routes by its own latency; shared again after Redis returns', async () => {
  const [measuring, other] = fleet;
  await redis.kill();
  // The fleet's figures go stale: the other instance has none of its own for the slow deployment.
  await eventually(async () => (await latencyOn(other, 'timed-slow')) === 0,
    { timeoutMs: 5000, what: 'the fleet\'s figure dropped on the other instance' });
  assert.equal(await metricValue(other.url, 'llmux_fleet_redis_up'), 0);
  // Its own measurements stay, and calls are answered without Redis.
  assert.ok((await latencyOn(measuring, 'timed-slow')) >= kSlowMs);
  assert.equal(await answeredBy(measuring), 'timed-fast');
  await redis.start();
  const exchanges = await metricValue(other.url, 'llmux_fleet_latency_exchanges_total');
  await eventually(async () => (await latencyOn(other, 'timed-slow')) >= kSlowMs,
    { timeoutMs: 10_000, what: 'the slow deployment\'s latency shared again' });
  assert.equal(await metricValue(other.url, 'llmux_fleet_redis_up'), 1);
  assert.ok(await metricValue(other.url, 'llmux_fleet_latency_exchanges_total') > exchanges);
  assert.equal(await answeredBy(other), 'timed-fast');
  assert.equal(slowHits(), 1);
});
