// Reservations at admission across a fleet (docs/SCALING.md): three llmux instances on one Redis
// and one PostgreSQL. A call with a tpm limit reserves its prompt's estimate plus its max_tokens
// in the window, one with a budget its worst-case cost; the calls admitted together are held back
// by each other's reservations, and each end puts the real count in place of its reservation (a
// failed call releases it; an instance that dies loses it after its lease).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startPostgres } from '../support/postgres.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue } from '../support/stack.mjs';
import { chatWith, eventually, generateKey, inRoomyMinute, kOutputPrice } from '../support/store.mjs';

const kLeaseSeconds = 3;
// Calls to 'held' are answered after this long: every call of a burst is admitted (or refused)
// while the ones admitted before it are still in flight.
const kHeldMs = 2000;
// The mock's answer: 19 prompt and 10 completion tokens.
const kAnswerTokens = 29;
// "Say hello." as one user message, by llmux's estimate (api/token_estimate): 10 tokens.
const kPromptEstimate = 10;
// The budget tests price only the output: a call with max_tokens 10 reserves 10 output tokens,
// and costs exactly that (the mock answers 10 completion tokens).
const kWorstCase = 10 * kOutputPrice;

let mock;
let postgres;
let redis;
let fleet = [];

function outputPriced(name, upstream, extra = {}) {
  return {
    model_name: name,
    litellm_params: {
      model: `openai/${upstream}`, api_base: `${mock.url}/v1`, api_key: 'sk-upstream-held',
      input_cost_per_token: 0, output_cost_per_token: kOutputPrice, ...extra,
    },
    model_info: { id: `deployment-${name}` },
  };
}

function startInstance() {
  return startGateway({
    config: {
      model_list: [
        outputPriced('held', `mock-slow-first-byte-${kHeldMs}`),
        outputPriced('quick', 'gpt-4o-upstream'),
        // Times out after a second: the call fails and costs nothing.
        outputPriced('held-failing', 'mock-slow-first-byte-5000', { timeout: 1 }),
      ],
      general_settings: {
        master_key: kMasterKey, database_url: postgres.url, drain_timeout_s: 5, fleet_lease_s: kLeaseSeconds,
      },
      router_settings: { redis_host: redis.host, redis_port: redis.port, num_retries: 0, disable_cooldowns: true },
    },
  });
}

const metric = (instance, name) => metricValue(instance.url, name);

async function sumOver(instances, name) {
  let sum = 0;
  for (const instance of instances) sum += await metric(instance, name);
  return sum;
}

async function knownEverywhere(key, instances = fleet) {
  for (const instance of instances) {
    await eventually(async () => {
      const response = await fetch(`${instance.url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs: 1000, what: `the key on ${instance.url}` });
  }
}

// `count` calls at once, spread over the instances in turn; resolves with [{status, body}].
function burst(key, count, model, extra) {
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const response = await chatWith(fleet[i % fleet.length].url, key, model, extra);
    return { status: response.status, body: await response.json(), headers: response.headers };
  }));
}

// Resolves once Redis has counted `count` more call ends than `before` (an answer leaves before
// its end is told to Redis).
function endsCounted(before, count) {
  return eventually(async () => (await sumOver(fleet, 'llmux_fleet_call_ends_counted_total')) >= before + count,
    { timeoutMs: 3000, what: `${count} call ends counted in Redis` });
}

const statusesOf = (answers) => answers.map((answer) => answer.status).sort();
const money = (usd) => String(Number(usd.toPrecision(10)));  // as %.10g prints it
const currentCost = (message) => Number(/Current cost: ([0-9.e-]+),/.exec(message)?.[1]);

before(async () => {
  mock = await startMockUpstream();
  postgres = await startPostgres();
  redis = await startRedis();
  fleet = [await startInstance(), await startInstance(), await startInstance()];
});

after(async () => {
  for (const instance of fleet) await instance?.stop();
  await redis?.stop();
  await postgres?.stop();
  await mock?.close();
});

test('a budget that fits 2.5 worst-case calls admits 3 of 8 concurrent calls over three instances', async () => {
  const budget = 2.5 * kWorstCase;
  const key = await generateKey(fleet[0].url, { max_budget: budget });
  await knownEverywhere(key.key);
  const endsBefore = await sumOver(fleet, 'llmux_fleet_call_ends_counted_total');
  const answers = await burst(key.key, 8, 'held', { max_tokens: 10 });
  assert.deepEqual(statusesOf(answers), [200, 200, 200, 400, 400, 400, 400, 400]);
  for (const refused of answers.filter((answer) => answer.status === 400)) {
    assert.equal(refused.body.error.type, 'budget_exceeded');
    // The spend so far (nothing) and the three reservations in flight.
    assert.ok(refused.body.error.message.startsWith(`Budget has been exceeded! Current cost: ${money(3 * kWorstCase)},`),
      refused.body.error.message);
  }
  await endsCounted(endsBefore, 3);
  // The reservations gave way to the real cost: the next call sees the spend alone, past the
  // budget by less than one call's worst case (the documented bound).
  const after = await chatWith(fleet[1].url, key.key, 'quick', { max_tokens: 10 });
  assert.equal(after.status, 400);
  const spend = currentCost((await after.json()).error.message);
  assert.equal(money(spend), money(3 * kWorstCase));
  assert.ok(spend >= budget && spend < budget + kWorstCase, `spend ${spend}`);
});

test('tpm_limit refuses concurrent calls by their reserved estimate; ends put the real count in place', async () => {
  await inRoomyMinute();
  const key = await generateKey(fleet[0].url, { tpm_limit: 100 });
  await knownEverywhere(key.key);
  const endsBefore = await sumOver(fleet, 'llmux_fleet_call_ends_counted_total');
  // Each reserves 10 + 60 = 70 tokens: the first two fit under 100, the third sees 140.
  const reserved = kPromptEstimate + 60;
  const answers = await burst(key.key, 6, 'held', { max_tokens: 60 });
  assert.deepEqual(statusesOf(answers), [200, 200, 429, 429, 429, 429]);
  for (const refused of answers.filter((answer) => answer.status === 429)) {
    assert.match(refused.body.error.message, new RegExp(`current tpm: ${2 * reserved}, tpm limit: 100`));
  }
  await endsCounted(endsBefore, 2);
  // 2 × 29 real tokens now (the header leaves the call's own reservation out).
  const next = await chatWith(fleet[2].url, key.key, 'quick');
  await next.arrayBuffer();
  assert.equal(next.status, 200);
  assert.equal(next.headers.get('x-ratelimit-remaining-tokens'), String(100 - 2 * kAnswerTokens));
});

test('a failed call releases its reservation', async () => {
  // Fits less than one worst-case call: a call in flight holds every other back.
  const key = await generateKey(fleet[0].url, { max_budget: 0.5 * kWorstCase });
  await knownEverywhere(key.key);
  const admittedBefore = await metric(fleet[0], 'llmux_fleet_shared_admissions_total');
  const endsBefore = await sumOver(fleet, 'llmux_fleet_call_ends_counted_total');
  const failing = chatWith(fleet[0].url, key.key, 'held-failing', { max_tokens: 10 });
  await eventually(async () => (await metric(fleet[0], 'llmux_fleet_shared_admissions_total')) > admittedBefore,
    { timeoutMs: 1000, what: 'the failing call admitted' });
  const held = await chatWith(fleet[1].url, key.key, 'quick', { max_tokens: 10 });
  assert.equal(held.status, 400, 'held back by the reservation of the call in flight');
  assert.equal((await held.json()).error.type, 'budget_exceeded');
  const failed = await failing;
  await failed.arrayBuffer();
  assert.equal(failed.status, 408);
  await endsCounted(endsBefore, 1);
  const next = await chatWith(fleet[2].url, key.key, 'quick', { max_tokens: 10 });
  await next.arrayBuffer();
  assert.equal(next.status, 200, 'the failed call cost nothing and holds nothing');
});

test('the reservation of a SIGKILLed instance lapses after its lease', async () => {
  const doomed = await startInstance();
  try {
    const key = await generateKey(fleet[0].url, { max_budget: 0.5 * kWorstCase });
    await knownEverywhere(key.key, [...fleet, doomed]);
    const admittedBefore = await metric(doomed, 'llmux_fleet_shared_admissions_total');
    const held = chatWith(doomed.url, key.key, 'held', { max_tokens: 10 }).catch(() => undefined);
    await eventually(async () => (await metric(doomed, 'llmux_fleet_shared_admissions_total')) > admittedBefore,
      { timeoutMs: 1000, what: 'the call admitted on the doomed instance' });
    doomed.process.kill('SIGKILL');
    await doomed.exited;
    await held;
    const killedAt = Date.now();
    const refused = await chatWith(fleet[0].url, key.key, 'quick', { max_tokens: 10 });
    await refused.arrayBuffer();
    assert.equal(refused.status, 400, 'the dead instance still holds its reservation');
    await eventually(async () => {
      const response = await chatWith(fleet[0].url, key.key, 'quick', { max_tokens: 10 });
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs: kLeaseSeconds * 1000 + 3000, what: 'the reservation released after the lease' });
    assert.ok(Date.now() - killedAt <= kLeaseSeconds * 1000 + 3000);
  } finally {
    await doomed.stop().catch(() => {});
  }
});
