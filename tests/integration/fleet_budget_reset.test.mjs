// Budget resets in a fleet (docs/SCALING.md): three llmux instances on one Redis and one
// PostgreSQL. A key's budget_duration window ends once for the fleet (the instance whose reset
// reaches the database first resets it), the spend after it counts on every instance, and an
// instance that has not heard of a reset yet does not start the fleet's count again from the
// spend it knew. The second instance reaches Redis through a proxy that holds each reply back for
// a second: what it sends runs in Redis at once, what Redis tells it (its replies, the key
// changes announced) arrives a second late.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startPostgres } from '../support/postgres.mjs';
import { redisGet, startDelayingProxy, startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { admin, chatWith, eventually, generateKey, knownEverywhere, kCallCost, pricedModels } from '../support/store.mjs';
import { scaled } from '../support/time_scale.mjs';

const kReplyDelayMs = 1000;
const kWindowSeconds = 8;
// A call's cost as Redis counts it (whole nano-USD).
const kCallNanoUsd = Math.round(kCallCost * 1e9);

let mock;
let postgres;
let redis;
let proxy;
let fleet = [];

function startInstance(redisServer) {
  return startGateway({
    config: {
      model_list: pricedModels(mock.url),
      general_settings: { master_key: kMasterKey, database_url: postgres.url, drain_timeout_s: 5 },
      router_settings: {
        redis_host: redisServer.host, redis_port: redisServer.port, redis_socket_timeout: 10, num_retries: 0,
      },
    },
  });
}

before(async () => {
  mock = await startMockUpstream();
  postgres = await startPostgres();
  redis = await startRedis();
  proxy = await startDelayingProxy(redis, kReplyDelayMs);
  fleet = [await startInstance(redis), await startInstance(proxy), await startInstance(redis)];
});

after(async () => {
  for (const instance of fleet) await instance?.stop();
  await proxy?.close();
  await redis?.stop();
  await postgres?.stop();
  await mock?.close();
});

async function sumOver(name) {
  let sum = 0;
  for (const instance of fleet) sum += await metricValue(instance.url, name);
  return sum;
}

// Chat calls one after the other on the instances named by index, each admitted call's end
// counted in Redis before the next (an answer leaves before its end is told to Redis); resolves
// with the statuses and the first refusal's error.
async function inTurn(key, instances) {
  const statuses = [];
  let refused;
  for (const index of instances) {
    const before = await sumOver('llmux_fleet_call_ends_counted_total');
    const response = await chatWith(fleet[index].url, key, 'priced');
    if (response.status === 200) {
      await response.arrayBuffer();
      await eventually(async () => (await sumOver('llmux_fleet_call_ends_counted_total')) > before,
        { timeoutMs: scaled(3000), what: 'the call\'s end counted in Redis' });
    } else {
      refused ??= (await response.json()).error;
    }
    statuses.push(response.status);
  }
  return { statuses, refused };
}

const money = (usd) => String(Number(usd.toPrecision(10)));  // as %.10g prints it

async function budgetResetAt(key) {
  const info = await admin(fleet[0].url, 'GET', `/key/info?key=${key}`);
  assert.equal(info.status, 200, JSON.stringify(info.body));
  return info.body.info.budget_reset_at;
}

test('a budget_duration window ends once for the fleet, and the spend after it counts on every instance', async () => {
  const key = await generateKey(fleet[0].url, { max_budget: 2.5 * kCallCost, budget_duration: `${kWindowSeconds}s` });
  await knownEverywhere(fleet, key.key, scaled(3000));
  const firstReset = await budgetResetAt(key.key);
  const spent = await inTurn(key.key, [0, 1, 2, 0]);
  assert.deepEqual(spent.statuses, [200, 200, 200, 400]);

  const heard = await sumOver('llmux_fleet_key_changes_received_total');
  await eventually(async () => (await budgetResetAt(key.key)) !== firstReset,
    { timeoutMs: scaled((kWindowSeconds + 5) * 1000), what: 'the budget reset' });
  const secondReset = await budgetResetAt(key.key);
  assert.ok(Date.parse(secondReset) - Date.parse(firstReset) >= kWindowSeconds * 1000, `${firstReset} → ${secondReset}`);
  // The reset announced by the instance that made it, heard by the two others.
  await eventually(async () => (await sumOver('llmux_fleet_key_changes_received_total')) >= heard + 2,
    { timeoutMs: scaled(3000), what: 'the reset heard' });

  const after = await inTurn(key.key, [1, 2, 0, 1]);
  assert.deepEqual(after.statuses, [200, 200, 200, 400]);
  assert.equal(after.refused.type, 'budget_exceeded');
  assert.ok(after.refused.message.startsWith(`Budget has been exceeded! Current cost: ${money(3 * kCallCost)},`), after.refused.message);
  // One reset: no other instance reset the window again (each would have announced it).
  assert.equal(await sumOver('llmux_fleet_key_changes_received_total'), heard + 2);
  assert.equal(await budgetResetAt(key.key), secondReset);
});

test('an instance that has not heard of a spend reset yet does not start the fleet\'s count from the spend it knew', async () => {
  const key = await generateKey(fleet[0].url, { max_budget: 2.5 * kCallCost });
  await knownEverywhere(fleet, key.key, scaled(3000));
  // One call on the second instance (it knows that much spend of its own), two on the first.
  const spent = await inTurn(key.key, [1, 0, 0, 0]);
  assert.deepEqual(spent.statuses, [200, 200, 200, 400]);
  const spendKey = `llmux:spend:${key.token}`;
  assert.equal(await redisGet(redis, spendKey), String(3 * kCallNanoUsd));

  const updated = await admin(fleet[0].url, 'POST', '/key/update', { key: key.key, spend: 0 });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  await eventually(async () => (await redisGet(redis, spendKey)) !== String(3 * kCallNanoUsd),
    { timeoutMs: scaled(3000), what: 'the spend set in Redis' });
  // The second instance's admission runs in Redis before it hears of the change: the fleet's count
  // goes on from nothing spent, not from its own call.
  const after = await inTurn(key.key, [1, 0, 0, 0]);
  assert.deepEqual(after.statuses, [200, 200, 200, 400]);
  assert.ok(after.refused.message.startsWith(`Budget has been exceeded! Current cost: ${money(3 * kCallCost)},`), after.refused.message);
});
