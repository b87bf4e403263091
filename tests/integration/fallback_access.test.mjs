// Every model group a call can reach is authorised: a client's `fallbacks` pass the same model
// access and model_max_budget checks as the model it asks for (key, team, user), the config's
// fallbacks pass over groups the caller may not use, streams included; and a call answered by a
// fallback is charged to the group and deployment that answered (spend log, model budget, end user).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { kHello, postJson, startStack } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';
import { admin, chatWith, eventually, generateKey, kCallCost, kEngines, kInputPrice, kOutputPrice } from '../support/store.mjs';

// The backup group costs twice the `failing` group's prices, so the spend says who answered.
const kBackupCost = 2 * kCallCost;

function models(mockUrl) {
  const priced = (name, upstream, factor = 1) => ({
    model_name: name,
    litellm_params: {
      model: `openai/${upstream}`, api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-priced',
      input_cost_per_token: kInputPrice * factor, output_cost_per_token: kOutputPrice * factor,
    },
    model_info: { id: `deployment-${name}` },
  });
  return [
    priced('failing', 'mock-error-500'),
    priced('forbidden', 'gpt-4o-upstream@forbidden'),
    priced('backup', 'gpt-4o-upstream@backup', 2),
  ];
}

let database;
let stack;
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({
    extraModelsFor: models,
    generalSettings: { database_url: database.url, proxy_batch_write_at: 1 },
    litellmSettings: { fallbacks: [{ failing: ['forbidden', 'backup'] }] },
  });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

const upstreamCalls = (tag) => stack.mock.requests.filter((request) => request.body.model === `gpt-4o-upstream@${tag}`).length;

async function chatAnsweredBy(key, extra, group) {
  const response = await chatWith(stack.url, key, 'failing', extra);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(response.headers.get('x-litellm-model-group'), group);
  assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '1');
  return { response, text };
}

test('a key: fallbacks it may not use are refused before any call, streamed or not', async () => {
  const key = await generateKey(stack.url, { models: ['failing', 'backup'] });
  const calls = stack.mock.requests.length;
  for (const stream of [false, true]) {
    await expectError(await chatWith(stack.url, key.key, 'failing', { stream, fallbacks: ['backup', 'forbidden'] }), 401,
      { type: 'key_model_access_denied', param: 'fallbacks', message: /Tried to access forbidden/ }, `stream=${stream}`);
  }
  assert.equal(stack.mock.requests.length, calls, 'nothing reached an upstream');
  // The groups it may use still serve as its fallbacks.
  await chatAnsweredBy(key.key, { fallbacks: ['backup'] }, 'backup');
});

test('a key: the config\'s fallbacks pass over a group it may not use, streamed or not', async () => {
  const key = await generateKey(stack.url, { models: ['failing', 'backup'] });
  const forbiddenBefore = upstreamCalls('forbidden');
  const { text } = await chatAnsweredBy(key.key, {}, 'backup');
  assert.equal(JSON.parse(text).model, 'backup');
  const streamed = await chatWith(stack.url, key.key, 'failing', { stream: true });
  assert.equal(streamed.status, 200);
  assert.equal(streamed.headers.get('x-litellm-model-group'), 'backup');
  const { done, chunks } = await readSse(streamed);
  assert.ok(done);
  assert.equal(chunks[0].model, 'backup');
  assert.equal(upstreamCalls('forbidden'), forbiddenBefore, 'the forbidden group was never called');
  // The master key is not restricted: the config's first fallback answers it.
  const admitted = await postJson(stack.url, '/v1/chat/completions', { model: 'failing', messages: kHello });
  assert.equal(admitted.headers.get('x-litellm-model-group'), 'forbidden');
  await admitted.arrayBuffer();
});

test('a team\'s and a user\'s models restrict their keys\' fallbacks too', async () => {
  const team = (await admin(stack.url, 'POST', '/team/new', { models: ['failing'] })).body;
  const teamKey = await generateKey(stack.url, { team_id: team.team_id });
  await expectError(await chatWith(stack.url, teamKey.key, 'failing', { fallbacks: ['backup'] }), 401,
    { type: 'team_model_access_denied', param: 'fallbacks' });
  // Both config fallbacks are outside the team's models: the failing group's own error answers.
  const forbiddenBefore = upstreamCalls('forbidden');
  const backupBefore = upstreamCalls('backup');
  await expectError(await chatWith(stack.url, teamKey.key, 'failing', { stream: true }), 500);
  assert.equal(upstreamCalls('forbidden'), forbiddenBefore);
  assert.equal(upstreamCalls('backup'), backupBefore);

  const user = (await admin(stack.url, 'POST', '/user/new', { models: ['failing', 'backup'] })).body;
  const userKey = await generateKey(stack.url, { user_id: user.user_id });
  await expectError(await chatWith(stack.url, userKey.key, 'failing', { stream: true, fallbacks: ['forbidden'] }), 401,
    { type: 'user_model_access_denied', param: 'fallbacks' });
  await chatAnsweredBy(userKey.key, {}, 'backup');
});

test('model_max_budget holds for fallback groups and is charged to the group that answered', async () => {
  const key = await generateKey(stack.url, {
    models: ['failing', 'backup'],
    model_max_budget: { backup: kBackupCost * 1.5, failing: kCallCost / 100 },
  });
  // The first fallback call is within backup's budget, and is charged to it (not to `failing`,
  // whose tiny budget would otherwise be spent and refuse the next call at once).
  await chatAnsweredBy(key.key, {}, 'backup');
  await chatAnsweredBy(key.key, { stream: true }, 'backup');
  // backup's budget is now spent: as a named fallback it is refused, as a config fallback passed over.
  await expectError(await chatWith(stack.url, key.key, 'failing', { fallbacks: ['backup'] }), 400,
    { type: 'budget_exceeded', param: 'fallbacks', message: /exceeded budget for model=backup/ });
  const backupBefore = upstreamCalls('backup');
  await expectError(await chatWith(stack.url, key.key, 'failing'), 500);
  assert.equal(upstreamCalls('backup'), backupBefore);
});

test('spend: the log row, the key and the end user are charged what the answering deployment costs', async () => {
  const endUser = 'fallback-end-user';
  assert.equal((await admin(stack.url, 'POST', '/customer/new', { user_id: endUser, max_budget: 1 })).status, 200);
  const key = await generateKey(stack.url, { models: ['failing', 'backup'] });
  const { response } = await chatAnsweredBy(key.key, { user: endUser }, 'backup');
  assert.ok(Math.abs(Number(response.headers.get('x-litellm-response-cost')) - kBackupCost) < 1e-12);
  const requestId = response.headers.get('x-litellm-call-id');
  const rows = await eventually(async () => {
    const logs = await admin(stack.url, 'GET', `/spend/logs?request_id=${requestId}`);
    return logs.body.length ? logs.body : null;
  }, { what: 'the spend log row' });
  assert.equal(rows[0].model_group, 'backup');
  assert.equal(rows[0].model_id, 'deployment-backup');
  assert.ok(Math.abs(rows[0].spend - kBackupCost) < 1e-12);
  const info = await admin(stack.url, 'GET', `/customer/info?end_user_id=${endUser}`);
  assert.ok(Math.abs(info.body.spend - kBackupCost) < 1e-12, JSON.stringify(info.body));
});
