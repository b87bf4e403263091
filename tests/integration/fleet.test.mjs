// Several llmux instances on one Redis and one PostgreSQL (docs/SCALING.md): a key's limits hold
// across all of them, a key created on one is usable on the others at once, a deployment cooled by
// their failures together is skipped by all of them, Redis going away
// fails no request (each instance counts its share of the limits), and the parallel slots of an
// instance that was SIGKILLed come back after their lease.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startPostgres } from '../support/postgres.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { admin, chatWith, eventually, generateKey, knownEverywhere, inRoomyMinute, kCallCost, pricedModels, sleep } from '../support/store.mjs';
import { kTimeScale } from '../support/time_scale.mjs';

// The instances' lease, longer for a slower gateway (the sanitized build): a SIGKILLed instance's
// slot must still be held when the next call reaches another instance, which under the sanitizers
// on a loaded machine took longer than the 1 s left of a 1.5 s lease.
const kLeaseSeconds = 1.5 * kTimeScale;
const kDefaultEndUserBudget = 2.5 * kCallCost;
const kCooldownSeconds = 4;
// A group whose first tier always fails (500) and whose second answers: a call goes to the
// failing deployment unless it is cooling.
const kFailingUpstream = 'mock-error-500@fleet';

function flakyGroup(mockUrl) {
  const tier = (upstream, order) => ({
    model_name: 'flaky',
    litellm_params: { model: `openai/${upstream}`, api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-flaky', order },
    model_info: { id: `flaky-${order}` },
  });
  return [tier(kFailingUpstream, 1), tier('gpt-4o-upstream', 2)];
}

// A stream of 100 events that outlasts two of the longer leases too (5 s, 20 s at a time scale of
// 4): its slot is held by renewal, not by a lease that has not run out yet.
function slowStreamGroup(mockUrl) {
  return [{
    model_name: 'slow-stream',
    litellm_params: { model: `openai/mock-stream-slow-${50 * kTimeScale}`, api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-slow' },
    model_info: { id: 'slow-stream' },
  }];
}

let mock;
let postgres;
let redis;
let fleet = [];

// Groups of one deployment with an rpm of 3, which usage-based-routing keeps to.
const kDeploymentRpm = 3;
function rpmLimitedGroups(mockUrl) {
  return ['rpm-shared', 'rpm-degraded'].map((name) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o-upstream', api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-rpm', rpm: kDeploymentRpm },
    model_info: { id: name },
  }));
}

function startInstance(routerSettings = {}) {
  return startGateway({
    config: {
      model_list: [...pricedModels(mock.url), ...flakyGroup(mock.url), ...rpmLimitedGroups(mock.url),
        ...slowStreamGroup(mock.url)],
      general_settings: {
        master_key: kMasterKey, database_url: postgres.url, drain_timeout_s: 5,
        fleet_lease_s: kLeaseSeconds, store_model_in_db: true,
      },
      litellm_settings: { max_end_user_budget: kDefaultEndUserBudget },
      router_settings: {
        redis_host: redis.host, redis_port: redis.port,
        allowed_fails: 1, cooldown_time: kCooldownSeconds, num_retries: 0, ...routerSettings,
      },
    },
  });
}

const metric = (instance, name) => metricValue(instance.url, name);

// Sends `count` chat calls at once, spread over the instances in turn; resolves with the statuses.
async function spread(key, count, model = 'priced') {
  const calls = Array.from({ length: count }, async (_, i) => {
    const response = await chatWith(fleet[i % fleet.length].url, key, model);
    await response.arrayBuffer();
    return response.status;
  });
  return Promise.all(calls);
}

const countOf = (statuses, status) => statuses.filter((s) => s === status).length;

// The ends of calls the fleet's Redis has counted, over every instance.
async function callEndsCounted() {
  let sum = 0;
  for (const instance of fleet) sum += await metric(instance, 'llmux_fleet_call_ends_counted_total');
  return sum;
}

// One chat call whose end (tokens, cost) Redis has counted when this resolves: an answer leaves
// before its end is told to Redis (docs/SCALING.md), so the next call of a sequence waits for it.
async function counted(url, key, extra = {}) {
  const before = await callEndsCounted();
  const response = await chatWith(url, key, 'priced', extra);
  const body = response.status === 200 ? (await response.arrayBuffer(), undefined) : await response.json();
  if (response.status === 200) {
    await eventually(async () => (await callEndsCounted()) > before,
      { timeoutMs: 2000, what: 'the call\'s end counted in Redis' });
  }
  return { status: response.status, body };
}

before(async () => {
  mock = await startMockUpstream();
  postgres = await startPostgres();
  redis = await startRedis();
  fleet = [await startInstance(), await startInstance()];
});

after(async () => {
  for (const instance of fleet) await instance?.stop();
  await redis?.stop();
  await postgres?.stop();
  await mock?.close();
});

test('a key created on one instance is usable on the others within a second', async () => {
  const started = Date.now();
  const key = await generateKey(fleet[0].url, {});
  await knownEverywhere(fleet, key.key, 1000);
  assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
});

// docs/MODELS.md: the change is announced on the key changes' channel.
test('a model added, changed or removed on one instance is served so by the others within a second', async () => {
  const servedEverywhere = async (what, check) => {
    const started = Date.now();
    for (const instance of fleet) {
      await eventually(async () => check(await chatWith(instance.url, kMasterKey, 'fleet-db-model')),
        { timeoutMs: 1000, what: `${what} on ${instance.url}` });
    }
    assert.ok(Date.now() - started < 1000, `${what}: ${Date.now() - started} ms`);
  };
  const added = await admin(fleet[0].url, 'POST', '/model/new', {
    model_name: 'fleet-db-model',
    litellm_params: { model: 'openai/gpt-4o-upstream', api_base: `${mock.url}/v1`, api_key: 'sk-upstream-db' },
  });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await servedEverywhere('the added model', async (response) => {
    await response.arrayBuffer();
    return response.status === 200;
  });
  const changed = await admin(fleet[0].url, 'POST', '/model/update', {
    model_info: { id: added.body.model_id }, litellm_params: { model: 'openai/mock-error-503' },
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  await servedEverywhere('the changed model', async (response) => {
    await response.arrayBuffer();
    return response.status === 503;
  });
  const removed = await admin(fleet[0].url, 'POST', '/model/delete', { id: added.body.model_id });
  assert.equal(removed.status, 200);
  await servedEverywhere('the removed model', async (response) => {
    const body = await response.json();
    return response.status === 400 && body.error.code === 'model_not_found';
  });
});

test('a key blocked on one instance is refused by the others within a second', async () => {
  const key = await generateKey(fleet[0].url, {});
  await knownEverywhere(fleet, key.key, 1000);
  assert.equal((await admin(fleet[0].url, 'POST', '/key/block', { key: key.key })).status, 200);
  await eventually(async () => {
    const response = await chatWith(fleet[1].url, key.key);
    await response.arrayBuffer();
    return response.status === 401;
  }, { timeoutMs: 1000, what: 'the block on the other instance' });
});

test('failures on two instances add up to a cooldown that every instance keeps for cooldown_time', async () => {
  const failingHits = () => mock.requests.filter((request) => request.body?.model === kFailingUpstream).length;
  const flaky = async (instance) => {
    const response = await chatWith(instance.url, kMasterKey, 'flaky');
    await response.arrayBuffer();
    return response.status;
  };
  const cooled = (instance) => eventually(async () => (await metric(instance, 'llmux_fleet_cooldowns_total')) >= 1,
    { timeoutMs: 1000, what: `the cooldown taken on ${instance.url}` });
  const started = Date.now();
  // allowed_fails: 1 — one failure on each instance: neither has seen more than one alone.
  assert.equal(await flaky(fleet[0]), 500);
  assert.equal(await flaky(fleet[1]), 500);
  for (const instance of fleet) await cooled(instance);
  // An instance that starts meanwhile finds the cooldown running in Redis.
  const late = await startInstance();
  try {
    await cooled(late);
    const instances = [...fleet, late];
    // All skip it: the second tier answers, and the failing deployment is not called again.
    const statuses = [];
    while (Date.now() - started < kCooldownSeconds * 1000 - 300) statuses.push(await flaky(instances[statuses.length % 3]));
    assert.ok(statuses.length >= 6, `${statuses.length} calls in the cooldown (the third instance ready after ${Date.now() - started} ms)`);
    assert.deepEqual(new Set(statuses), new Set([200]), statuses.join(' '));
    assert.equal(failingHits(), 2);
  } finally {
    await late.stop();
  }
  // After cooldown_time it is called again, and not sooner.
  await eventually(async () => (await flaky(fleet[1])) === 500,
    { timeoutMs: kCooldownSeconds * 1000 + 2000, what: 'the failing deployment called again' });
  assert.ok(Date.now() - started >= kCooldownSeconds * 1000, `${Date.now() - started} ms`);
  assert.equal(failingHits(), 3);
});

test('a stored deployment (/model/new) that fails on two instances is skipped by all for cooldown_time', async () => {
  const upstream = 'mock-error-500@fleet-stored';
  const failingHits = () => mock.requests.filter((request) => request.body?.model === upstream).length;
  for (const [model, order] of [[upstream, 1], ['gpt-4o-upstream', 2]]) {
    const added = await admin(fleet[0].url, 'POST', '/model/new', {
      model_name: 'fleet-db-flaky',
      litellm_params: { model: `openai/${model}`, api_base: `${mock.url}/v1`, api_key: 'sk-upstream-db-flaky', order },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  }
  for (const instance of fleet) {
    await eventually(async () => {
      const response = await fetch(`${instance.url}/v1/models`, { headers: { Authorization: `Bearer ${kMasterKey}` } });
      const body = await response.json();
      return body.data.some((model) => model.id === 'fleet-db-flaky');
    }, { timeoutMs: 1000, what: `the stored models on ${instance.url}` });
  }
  const flaky = async (instance) => {
    const response = await chatWith(instance.url, kMasterKey, 'fleet-db-flaky');
    await response.arrayBuffer();
    return response.status;
  };
  const cooldownsBefore = await Promise.all(fleet.map((instance) => metric(instance, 'llmux_fleet_cooldowns_total')));
  const started = Date.now();
  // allowed_fails: 1 — one failure on each instance: neither has seen more than one alone.
  assert.equal(await flaky(fleet[0]), 500);
  assert.equal(await flaky(fleet[1]), 500);
  for (const [i, instance] of fleet.entries()) {
    await eventually(async () => (await metric(instance, 'llmux_fleet_cooldowns_total')) > cooldownsBefore[i],
      { timeoutMs: 1000, what: `the cooldown taken on ${instance.url}` });
  }
  // An instance that starts meanwhile finds the stored deployment's cooldown running in Redis.
  const late = await startInstance();
  try {
    await eventually(async () => (await metric(late, 'llmux_fleet_cooldowns_total')) >= 1,
      { timeoutMs: 1000, what: 'the cooldown taken on the instance started during it' });
    const instances = [...fleet, late];
    const statuses = [];
    while (Date.now() - started < kCooldownSeconds * 1000 - 300) statuses.push(await flaky(instances[statuses.length % 3]));
    assert.ok(statuses.length >= 3, `${statuses.length} calls in the cooldown (the third instance ready after ${Date.now() - started} ms)`);
    assert.deepEqual(new Set(statuses), new Set([200]), statuses.join(' '));
    assert.equal(failingHits(), 2);
  } finally {
    await late.stop();
  }
});

test('rpm_limit N gives exactly N successes across the instances', async () => {
  await inRoomyMinute();
  const key = await generateKey(fleet[0].url, { rpm_limit: 5 });
  await knownEverywhere(fleet, key.key, 1000);
  const statuses = await spread(key.key, 16);
  assert.equal(countOf(statuses, 200), 5, statuses.join(' '));
  assert.equal(countOf(statuses, 429), 11, statuses.join(' '));
});

test('tpm_limit counts the tokens of calls finished on every instance', async () => {
  await inRoomyMinute();
  const key = await generateKey(fleet[0].url, { tpm_limit: 30 });
  await knownEverywhere(fleet, key.key, 1000);
  // Each call has 29 tokens; one after the other, in turn on each instance.
  const statuses = [];
  let refused;
  for (let i = 0; i < 4 && !refused; ++i) {
    const { status, body } = await counted(fleet[i % fleet.length].url, key.key);
    if (status === 429) refused = body.error.message;
    statuses.push(status);
  }
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.match(refused, /current tpm: 58, tpm limit: 30/);
});

test('max_budget counts the spend of every instance', async () => {
  // Calls of kCallCost, one after the other, in turn on each instance: the budget is spent after
  // the third, wherever it ran, and the fourth is refused with the fleet's spend.
  const key = await generateKey(fleet[0].url, { max_budget: 2.5 * kCallCost });
  await knownEverywhere(fleet, key.key, 1000);
  const statuses = [];
  let refused;
  for (let i = 0; i < 6 && !refused; ++i) {
    const { status, body } = await counted(fleet[i % fleet.length].url, key.key);
    if (status !== 200) refused = body.error;
    statuses.push(status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 400]);
  assert.equal(refused.type, 'budget_exceeded');
  const spent = String(Number((3 * kCallCost).toPrecision(10)));  // as %.10g prints it
  assert.ok(refused.message.startsWith(`Budget has been exceeded! Current cost: ${spent},`), refused.message);
});

test('a team max_budget counts the spend of all its keys on every instance', async () => {
  const team = await admin(fleet[0].url, 'POST', '/team/new', { max_budget: 1.5 * kCallCost });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const first = await generateKey(fleet[0].url, { team_id: team.body.team_id });
  const second = await generateKey(fleet[1].url, { team_id: team.body.team_id });
  await knownEverywhere(fleet, first.key, 1000);
  await knownEverywhere(fleet, second.key, 1000);
  const statuses = [];
  for (const [instance, key] of [[fleet[0], first], [fleet[1], second], [fleet[0], second], [fleet[1], first]]) {
    statuses.push((await counted(instance.url, key.key)).status);
  }
  assert.deepEqual(statuses, [200, 200, 400, 400]);
});

// Calls of kCallCost, one after the other, in turn on each instance, until one is refused (at
// most six): the statuses and the refusal's error.
async function spendInTurn(key, extra = {}) {
  const statuses = [];
  let refused;
  for (let i = 0; i < 6 && !refused; ++i) {
    const { status, body } = await counted(fleet[i % fleet.length].url, key, extra);
    if (status !== 200) refused = body.error;
    statuses.push(status);
  }
  return { statuses, refused };
}

test('a key\'s model_max_budget counts the spend of every instance', async () => {
  const key = await generateKey(fleet[0].url, { model_max_budget: { priced: 2.5 * kCallCost } });
  await knownEverywhere(fleet, key.key, 1000);
  const { statuses, refused } = await spendInTurn(key.key);
  assert.deepEqual(statuses, [200, 200, 200, 400]);
  assert.equal(refused.type, 'budget_exceeded');
  assert.match(refused.message, /^LiteLLM Virtual Key: [0-9a-f]{64}, key_alias: None, exceeded budget for model=priced$/);
});

test('an end user\'s max_budget counts the spend of every instance', async () => {
  const endUser = `fleet-end-user-${Date.now()}`;
  const created = await admin(fleet[0].url, 'POST', '/customer/new', { user_id: endUser, max_budget: 2.5 * kCallCost });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  // A key made after it: once every instance knows the key, its snapshot holds the end user too.
  await knownEverywhere(fleet, (await generateKey(fleet[0].url, {})).key, 1000);
  const { statuses, refused } = await spendInTurn(kMasterKey, { user: endUser });
  assert.deepEqual(statuses, [200, 200, 200, 400]);
  assert.equal(refused.type, 'budget_exceeded');
  const spent = String(Number((3 * kCallCost).toPrecision(10)));
  assert.ok(refused.message.startsWith(`ExceededBudget: End User=${endUser} over budget. Spend=${spent},`), refused.message);
});

test('max_end_user_budget holds an end user the database does not know yet across the instances', async () => {
  const endUser = `fleet-new-end-user-${Date.now()}`;
  const { statuses, refused } = await spendInTurn(kMasterKey, { user: endUser });
  assert.deepEqual(statuses, [200, 200, 200, 400]);
  assert.equal(refused.type, 'budget_exceeded');
  const money = (usd) => String(Number(usd.toPrecision(10)));
  assert.equal(refused.message,
    `ExceededBudget: End User=${endUser} over budget. Spend=${money(3 * kCallCost)}, Budget=${money(kDefaultEndUserBudget)}`);
});

test('a team rpm_limit holds across the instances for all its keys', async () => {
  await inRoomyMinute();
  const team = await admin(fleet[0].url, 'POST', '/team/new', { rpm_limit: 3 });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const keys = [await generateKey(fleet[0].url, { team_id: team.body.team_id }),
    await generateKey(fleet[1].url, { team_id: team.body.team_id })];
  for (const key of keys) await knownEverywhere(fleet, key.key, 1000);
  const statuses = (await Promise.all(keys.map((key) => spread(key.key, 4)))).flat();
  assert.equal(countOf(statuses, 200), 3, statuses.join(' '));
});

test('max_parallel_requests holds fleet-wide; a finished call frees its slot for every instance', async () => {
  const key = await generateKey(fleet[0].url, { max_parallel_requests: 1 });
  await knownEverywhere(fleet, key.key, 1000);
  const slow = await chatWith(fleet[0].url, key.key, 'slow-stream', { stream: true });
  assert.equal(slow.status, 200);
  const refused = await chatWith(fleet[1].url, key.key);
  assert.equal(refused.status, 429);
  assert.match((await refused.json()).error.message, /current max_parallel_requests: 1, max_parallel_requests: 1/);
  // Past two leases the call still holds its slot: its instance renews it while it runs.
  await sleep(2 * kLeaseSeconds * 1000);
  const stillRefused = await chatWith(fleet[1].url, key.key);
  await stillRefused.arrayBuffer();
  assert.equal(stillRefused.status, 429, 'the lease of a running call was renewed');
  await slow.text();
  await eventually(async () => {
    const response = await chatWith(fleet[1].url, key.key);
    await response.arrayBuffer();
    return response.status === 200;
  }, { timeoutMs: 1000, what: 'the slot back' });
});

test('the slots of a SIGKILLed instance come back after the lease', async () => {
  const doomed = await startInstance();
  try {
    const key = await generateKey(fleet[0].url, { max_parallel_requests: 1 });
    await knownEverywhere(fleet, key.key, 1000);
    await eventually(async () => {
      const response = await fetch(`${doomed.url}/v1/models`, { headers: { Authorization: `Bearer ${key.key}` } });
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs: 1000, what: 'the key on the third instance' });
    const held = await chatWith(doomed.url, key.key, 'slow-stream', { stream: true });
    assert.equal(held.status, 200);
    doomed.process.kill('SIGKILL');
    await doomed.exited;
    const killedAt = Date.now();
    const refused = await chatWith(fleet[0].url, key.key);
    await refused.arrayBuffer();
    assert.equal(refused.status, 429, 'the dead instance still holds the slot');
    await eventually(async () => {
      const response = await chatWith(fleet[0].url, key.key);
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs: kLeaseSeconds * 1000 + 3000, what: 'the slot back after the lease' });
    assert.ok(Date.now() - killedAt <= kLeaseSeconds * 1000 + 3000);
  } finally {
    await doomed.stop().catch(() => {});
  }
});

test('Redis killed under load: no request fails, each instance counts its share, then shared again', async () => {
  await inRoomyMinute(30);
  const key = await generateKey(fleet[0].url, { rpm_limit: 1000 });
  const limited = await generateKey(fleet[0].url, { rpm_limit: 4 });
  await knownEverywhere(fleet, key.key, 1000);
  await knownEverywhere(fleet, limited.key, 1000);
  // The SIGKILLed third instance of the test before has left the count.
  for (const instance of fleet) {
    await eventually(async () => await metric(instance, 'llmux_fleet_instances') === fleet.length,
      { timeoutMs: 5000, what: 'two live instances' });
  }
  const sharedBefore = await metric(fleet[0], 'llmux_fleet_shared_admissions_total');
  assert.ok(sharedBefore > 0);
  assert.equal(await metric(fleet[0], 'llmux_fleet_redis_up'), 1);

  const load = spread(key.key, 40);
  await redis.kill();
  const during = await spread(key.key, 40);
  assert.deepEqual([...new Set([...(await load), ...during])], [200], 'every call answered 200');
  for (const instance of fleet) {
    assert.equal(await metric(instance, 'llmux_fleet_redis_up'), 0);
    assert.ok(await metric(instance, 'llmux_fleet_local_admissions_total') > 0);
    assert.ok(await metric(instance, 'llmux_fleet_degraded_periods_total') >= 1);
  }
  // rpm_limit 4 on two instances: each admits its share, 2.
  for (const instance of fleet) {
    const statuses = [];
    for (let i = 0; i < 3; ++i) {
      const response = await chatWith(instance.url, limited.key);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  }

  await redis.start();
  for (const instance of fleet) {
    await eventually(async () => {
      const response = await chatWith(instance.url, key.key);
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      return await metric(instance, 'llmux_fleet_redis_up') === 1;
    }, { timeoutMs: 8000, what: 'shared counting back' });
  }
  const sharedAfter = await metric(fleet[0], 'llmux_fleet_shared_admissions_total');
  const statuses = await spread(key.key, 6);
  assert.deepEqual([...new Set(statuses)], [200]);
  assert.ok(await metric(fleet[0], 'llmux_fleet_shared_admissions_total') >= sharedAfter + 3);
});

test('a key change announced while Redis is away reaches the others when they resubscribe', async () => {
  const heardBefore = await metric(fleet[1], 'llmux_fleet_key_changes_received_total');
  await redis.kill();
  // Announced to nobody: Redis is down.
  const key = await generateKey(fleet[0].url, {});
  await redis.start();
  // Each instance rebuilds its snapshot on resubscribing (the reconnect's backoff is at most 5 s),
  // well before its 30 s rebuild.
  for (const instance of fleet) {
    await eventually(async () => {
      const response = await fetch(`${instance.url}/v1/models`, { headers: { Authorization: `Bearer ${key.key}` } });
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs: 8000, what: `the key on ${instance.url}` });
  }
  assert.equal(await metric(fleet[1], 'llmux_fleet_key_changes_received_total'), heardBefore,
    'learnt by resubscribing, not from a message');
});

test('a key change heard while PostgreSQL is away is applied once it answers again', async () => {
  const logged = (instance) => instance.stdout() + instance.stderr();
  await redis.kill();
  // Announced to nobody: Redis is down.
  const key = await generateKey(fleet[0].url, {});
  const knownOnSecond = async () => {
    const response = await fetch(`${fleet[1].url}/v1/models`, { headers: { Authorization: `Bearer ${key.key}` } });
    await response.arrayBuffer();
    return response.status === 200;
  };
  await postgres.pause();
  try {
    const logBefore = logged(fleet[1]).length;
    await redis.start();
    // The second instance resubscribes, takes it as a change, and cannot read the database.
    await eventually(async () => logged(fleet[1]).slice(logBefore)
      .includes('key change from another instance waits for the database'), { timeoutMs: 8000, what: 'the change kept' });
    assert.equal(await knownOnSecond(), false);
  } finally {
    await postgres.resume();
  }
  await eventually(knownOnSecond, { timeoutMs: 5000, what: 'the key on the second instance' });
});

// Two more instances routing by usage (the others route by simple-shuffle): `count` calls at once
// to `group`, spread over them; resolves with the statuses.
async function callUsageRouted(pair, group, count) {
  const calls = Array.from({ length: count }, async (_, i) => {
    const response = await chatWith(pair[i % pair.length].url, kMasterKey, group);
    await response.arrayBuffer();
    return response.status;
  });
  return Promise.all(calls);
}

async function withUsageRoutedPair(body) {
  const pair = [await startInstance({ routing_strategy: 'usage-based-routing' }),
    await startInstance({ routing_strategy: 'usage-based-routing-v2' })];
  try {
    await body(pair);
  } finally {
    for (const instance of pair) await instance.stop();
  }
}

test('usage-based-routing keeps a deployment under its rpm across the instances', async () => {
  await inRoomyMinute();
  await withUsageRoutedPair(async (pair) => {
    const statuses = await callUsageRouted(pair, 'rpm-shared', 8);
    assert.equal(countOf(statuses, 200), kDeploymentRpm, statuses.join(' '));
    assert.equal(countOf(statuses, 429), 8 - kDeploymentRpm, statuses.join(' '));
  });
});

test('Redis away: each instance keeps a deployment under its rpm by its own count', async () => {
  await inRoomyMinute();
  await withUsageRoutedPair(async (pair) => {
    await redis.kill();
    try {
      const statuses = await callUsageRouted(pair, 'rpm-degraded', 8);
      assert.equal(countOf(statuses, 200), 2 * kDeploymentRpm, statuses.join(' '));
      for (const instance of pair) {
        assert.ok(await metric(instance, 'llmux_fleet_local_deployment_claims_total') >= kDeploymentRpm);
      }
    } finally {
      await redis.start();
    }
  });
});
