// The budget rules beyond a key's own max_budget, on SQLite and on a real PostgreSQL server:
// a key over it on the management routes, model_max_budget (per model group, in memory, seeded
// again from the spend log after a restart), soft_budget (one warning and a metric, never a
// refusal), a user's models / limits over all of their keys, /key/{key}/regenerate, and
// calendar-month windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { kAuth } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import {
  admin, chatWith, describeOnEachEngine, eventually, generateKey, inRoomyMinute, kCallCost,
} from '../support/store.mjs';

// The same day next month at the same time (UTC), clamped to the month's last day.
function plusOneMonth(iso) {
  const from = new Date(iso);
  const target = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(from.getUTCDate(), lastDay));
  target.setUTCHours(from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds());
  return target.toISOString();
}

const modelBudgetRefusal = (token, alias, model) =>
  `LiteLLM Virtual Key: ${token}, key_alias: ${alias}, exceeded budget for model=${model}`;

describeOnEachEngine('key budgets', { proxy_batch_write_at: 0.3 }, (env) => {
  test('a key over its own max_budget is refused model calls but still reads its own /key/info and the model info routes, as LiteLLM\'s', async () => {
    const key = await generateKey(env.stack.url, { max_budget: kCallCost / 2 });
    const spent = await chatWith(env.stack.url, key.key, 'priced');
    assert.equal(spent.status, 200, await spent.clone().text());
    await spent.arrayBuffer();
    await expectError(await chatWith(env.stack.url, key.key, 'priced'), 400, { type: 'budget_exceeded' });
    const info = await fetch(`${env.stack.url}/key/info`, { headers: { Authorization: `Bearer ${key.key}` } });
    assert.equal(info.status, 200, await info.clone().text());
    const { info: read } = await info.json();
    assert.equal(read.token, key.token);
    assert.ok(Math.abs(read.spend - kCallCost) < 1e-9, `spend ${read.spend}`);
    assert.equal(read.max_budget, kCallCost / 2);
    // LiteLLM checks a key's own budget on model-call routes only: /model/info and its kin are
    // info routes, /v1/models an OpenAI route.
    const asKey = { headers: { Authorization: `Bearer ${key.key}` } };
    for (const route of ['/model/info', '/v1/model/info', '/v2/model/info', '/model_group/info']) {
      const answer = await fetch(`${env.stack.url}${route}`, asKey);
      assert.equal(answer.status, 200, `${route}: ${await answer.clone().text()}`);
      assert.ok((await answer.json()).data.length > 0, route);
    }
    await expectError(await fetch(`${env.stack.url}/v1/models`, asKey), 400, { type: 'budget_exceeded' });
  });

  test('model_max_budget: each model group has its own budget; a stream crossing it finishes; a restart keeps it', async () => {
    const alias = `per-model-${env.engine.name}`;
    const key = await generateKey(env.stack.url, {
      key_alias: alias,
      // Both of LiteLLM's shapes: a bare limit, and a limit with a window.
      model_max_budget: { priced: kCallCost * 1.5, 'priced-slow-stream': { budget_limit: String(kCallCost / 100), time_period: '1d' } },
    });
    assert.deepEqual(key.model_max_budget.priced, kCallCost * 1.5, 'shown as sent');
    for (let i = 0; i < 2; i++) assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);
    const refused = await chatWith(env.stack.url, key.key, 'priced');
    await expectError(refused, 400, { type: 'budget_exceeded', message: modelBudgetRefusal(key.token, alias, 'priced') });
    assert.equal((await chatWith(env.stack.url, key.key, 'gpt-test')).status, 200, 'another model is not limited');

    // Under its budget when it starts: the stream runs to its end, the next call is refused.
    const stream = await chatWith(env.stack.url, key.key, 'priced-slow-stream', { stream: true, stream_options: { include_usage: true } });
    assert.equal(stream.status, 200);
    assert.match(await stream.text(), /data: \[DONE\]/);
    await expectError(await chatWith(env.stack.url, key.key, 'priced-slow-stream'), 400,
      { type: 'budget_exceeded', message: modelBudgetRefusal(key.token, alias, 'priced-slow-stream') });

    // SIGTERM writes the spend log; the next start counts the window's calls from it.
    await env.stack.stop();
    env.stack = await env.start();
    await expectError(await chatWith(env.stack.url, key.key, 'priced'), 400, { type: 'budget_exceeded' });
    await expectError(await chatWith(env.stack.url, key.key, 'priced-slow-stream'), 400, { type: 'budget_exceeded' });

    // A raised budget applies at once.
    const raised = await admin(env.stack.url, 'POST', '/key/update', { key: key.key, model_max_budget: { priced: kCallCost * 10 } });
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);
    const unlimited = await chatWith(env.stack.url, key.key, 'priced-slow-stream', { stream: true });
    assert.equal(unlimited.status, 200, 'no budget for it any more');
    await unlimited.text();
  });

  test('model_max_budget: a malformed budget is 400 with the field as param', async () => {
    for (const model_max_budget of [{ priced: 'lots' }, { priced: { budget_limit: 1, time_period: '1 day' } },
      { priced: { budget_limit: -1 } }, [1]]) {
      const created = await admin(env.stack.url, 'POST', '/key/generate', { model_max_budget });
      assert.equal(created.status, 400, JSON.stringify(created.body));
      assert.equal(created.body.error.param, 'model_max_budget');
    }
  });

  test('soft_budget never refuses; crossing it logs one warning without key material and counts in /metrics', async () => {
    const alias = `soft-${env.engine.name}`;
    const key = await generateKey(env.stack.url, { key_alias: alias, soft_budget: kCallCost * 1.5 });
    const logged = () => env.stack.gateway.stderr().split('\n').filter((line) => line.includes('crossed its soft budget'));
    const before = logged().length;
    for (let i = 0; i < 4; i++) {
      const response = await chatWith(env.stack.url, key.key, 'priced');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-litellm-key-soft-budget'), null, 'LiteLLM sends no such header');
      await response.arrayBuffer();
    }
    const warnings = logged().slice(before);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], new RegExp(`"level":"warning".*key_alias=${alias}`));
    assert.ok(!env.stack.gateway.stderr().includes(key.key), 'the key never reaches the log');
    const metrics = await (await fetch(`${env.stack.url}/metrics`)).text();
    assert.match(metrics, /\nllmux_soft_budget_crossings_total [1-9]\d*\n/);

    // Without an alias the log names the start of the key's hash.
    const anonymous = await generateKey(env.stack.url, { soft_budget: kCallCost / 2 });
    await (await chatWith(env.stack.url, anonymous.key, 'priced')).arrayBuffer();
    assert.ok(logged().some((line) => line.includes(`token=${anonymous.token.slice(0, 12)}...`)), logged().join('\n'));
    assert.ok(!logged().some((line) => line.includes(anonymous.token)), 'not the whole hash');
  });

  test('a user\'s models, rpm and parallel limits apply to all of their keys', async () => {
    await inRoomyMinute();
    const userId = `limited-${env.engine.name}`;
    const created = await admin(env.stack.url, 'POST', '/user/new', {
      user_id: userId, models: ['priced', 'priced-slow-stream'], rpm_limit: 3, max_parallel_requests: 1,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.max_parallel_requests, 1);
    const [a, b] = [await generateKey(env.stack.url, { user_id: userId }), await generateKey(env.stack.url, { user_id: userId })];
    await expectError(await chatWith(env.stack.url, a.key, 'gpt-test'), 401,
      { type: 'user_model_access_denied', param: 'model', message: /This user can only access models=\[priced, priced-slow-stream\]/ });

    // One call at a time over both keys.
    const slow = await chatWith(env.stack.url, a.key, 'priced-slow-stream', { stream: true });
    assert.equal(slow.status, 200);
    await expectError(await chatWith(env.stack.url, b.key, 'priced'), 429,
      { message: /rate limit type = user\. .*current max_parallel_requests: 1, max_parallel_requests: 1/ });
    await slow.text();
    // Three requests a minute over both keys: the stream was the first.
    assert.equal((await chatWith(env.stack.url, b.key, 'priced')).status, 200);
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);
    const refused = await chatWith(env.stack.url, b.key, 'priced');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await expectError(refused, 429, { message: /rate limit type = user\. .*current rpm: 3, rpm limit: 3/ });
    // Another user's keys are not affected; a lifted limit applies at once.
    assert.equal((await chatWith(env.stack.url, (await generateKey(env.stack.url)).key, 'priced')).status, 200);
    const lifted = await admin(env.stack.url, 'POST', '/user/update', { user_id: userId, rpm_limit: null, max_parallel_requests: null });
    assert.equal(lifted.body.max_parallel_requests, null);
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);
  });

  test('a user\'s models govern their personal keys only; no-default-models leaves those none', async () => {
    const team = await admin(env.stack.url, 'POST', '/team/new', { models: ['gpt-test'] });
    assert.equal(team.status, 200, JSON.stringify(team.body));
    const userId = `team-only-${env.engine.name}`;
    const created = await admin(env.stack.url, 'POST', '/user/new', { user_id: userId, models: ['no-default-models'] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const personal = await generateKey(env.stack.url, { user_id: userId });
    await expectError(await chatWith(env.stack.url, personal.key, 'gpt-test'), 403, {
      type: 'key_model_access_denied', param: 'model',
      message: 'User not allowed to access model. No default model access, only team models allowed. Tried to access gpt-test',
    });
    const teamKey = await generateKey(env.stack.url, { user_id: userId, team_id: team.body.team_id });
    const answered = await chatWith(env.stack.url, teamKey.key, 'gpt-test');
    assert.equal(answered.status, 200, await answered.clone().text());
    await answered.arrayBuffer();
  });

  test('a user\'s tpm_limit counts the tokens of all of their keys', async () => {
    await inRoomyMinute();
    const userId = `tpm-${env.engine.name}`;
    assert.equal((await admin(env.stack.url, 'POST', '/user/new', { user_id: userId, tpm_limit: 30 })).status, 200);
    const info = await admin(env.stack.url, 'GET', `/user/info?user_id=${userId}`);
    assert.equal(info.body.user_info.tpm_limit, 30);
    const [a, b] = [await generateKey(env.stack.url, { user_id: userId }), await generateKey(env.stack.url, { user_id: userId })];
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);  // 29 tokens
    assert.equal((await chatWith(env.stack.url, b.key, 'priced')).status, 200);  // 29 < 30: admitted
    await expectError(await chatWith(env.stack.url, a.key, 'priced'), 429,
      { message: /rate limit type = user\. .*current tpm: 58, tpm limit: 30/ });
  });

  test('/key/{key}/regenerate: admin only, the old key stops at once, the body changes fields', async () => {
    const key = await generateKey(env.stack.url, { key_alias: `path-regen-${env.engine.name}`, models: ['priced'], max_budget: 1 });
    const byKey = await chatWith(env.stack.url, key.key, 'priced');
    assert.equal(byKey.status, 200);
    await byKey.arrayBuffer();

    const asKey = await fetch(`${env.stack.url}/key/${key.key}/regenerate`, {
      method: 'POST', headers: { Authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: '{}',
    });
    const refusal = await expectError(asKey, 401);
    assert.ok(!JSON.stringify(refusal).includes(key.key), 'the key in the path is not repeated');

    const fresh = await admin(env.stack.url, 'POST', `/key/${encodeURIComponent(key.key)}/regenerate`, { max_budget: 5 });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.match(fresh.body.key, /^sk-[A-Za-z0-9_-]{32}$/);
    assert.notEqual(fresh.body.key, key.key);
    assert.equal(fresh.body.max_budget, 5);
    assert.deepEqual(fresh.body.models, ['priced'], 'the rest is kept');
    assert.equal(fresh.body.key_alias, `path-regen-${env.engine.name}`);
    await expectError(await chatWith(env.stack.url, key.key, 'priced'), 401, { code: 'invalid_api_key' });
    assert.equal((await chatWith(env.stack.url, fresh.body.key, 'priced')).status, 200);
    const info = await admin(env.stack.url, 'GET', `/key/info?key=${fresh.body.key}`);
    assert.equal(info.body.info.key, undefined, 'the new key is shown once, by regenerate');

    // By its hash, without a body.
    const again = await fetch(`${env.stack.url}/key/${fresh.body.token}/regenerate`, {
      method: 'POST', headers: kAuth,
    });
    assert.equal(again.status, 200);
    const againBody = await again.json();
    assert.equal(againBody.max_budget, 5);
    await expectError(await chatWith(env.stack.url, fresh.body.key, 'priced'), 401);
    assert.equal((await chatWith(env.stack.url, againBody.key, 'priced')).status, 200);

    assert.equal((await admin(env.stack.url, 'POST', '/key/sk-no-such-key/regenerate', {})).status, 404);
    const badField = await admin(env.stack.url, 'POST', `/key/${againBody.key}/regenerate`, { max_budget: 'lots' });
    assert.equal(badField.status, 400);
    assert.equal((await chatWith(env.stack.url, againBody.key, 'priced')).status, 200, 'a refused regenerate changes nothing');
  });

  test('regenerate keeps the spend of calls not yet written to the database, and counts them once', async () => {
    const key = await generateKey(env.stack.url, { max_budget: kCallCost * 10 });
    await (await chatWith(env.stack.url, key.key, 'priced')).arrayBuffer();
    // At once, most likely before the next spend write.
    const fresh = await admin(env.stack.url, 'POST', '/key/regenerate', { key: key.key });
    assert.equal(fresh.status, 200);
    assert.ok(Math.abs(fresh.body.spend - kCallCost) < 1e-12, `spend ${fresh.body.spend}`);
    // The call's spend-log row is written in the same transaction as the key's spend.
    await eventually(async () => (await admin(env.stack.url, 'GET', `/spend/logs?api_key=${key.token}`)).body.length === 1,
      { what: 'the call written to the database' });
    const info = await admin(env.stack.url, 'GET', `/key/info?key=${fresh.body.key}`);
    assert.ok(Math.abs(info.body.info.spend - kCallCost) < 1e-12, `spend ${info.body.info.spend}`);
    await env.stack.stop();
    env.stack = await env.start();
    const restarted = await admin(env.stack.url, 'GET', `/key/info?key=${fresh.body.key}`);
    assert.ok(Math.abs(restarted.body.info.spend - kCallCost) < 1e-12, `database spend ${restarted.body.info.spend}`);
  });

  test('1mo windows are calendar months: budget_reset_at and expires are the same day next month', async () => {
    const key = await generateKey(env.stack.url, { max_budget: 10, budget_duration: '1mo', duration: '1mo' });
    assert.equal(key.budget_reset_at, plusOneMonth(key.created_at));
    assert.equal(key.expires, plusOneMonth(key.created_at));
    const team = await admin(env.stack.url, 'POST', '/team/new', { max_budget: 10, budget_duration: '1mo' });
    assert.equal(team.body.budget_reset_at, plusOneMonth(team.body.created_at));
  });
});
