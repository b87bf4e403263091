// LiteLLM's spend-log settings, on SQLite and on a real PostgreSQL server:
// general_settings.disable_spend_logs (no spend-log row per call; the spend still counts) and
// maximum_spend_logs_retention_period / _interval (old rows deleted while the gateway runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { admin, chatWith, describeOnEachEngine, eventually, generateKey, kCallCost } from '../support/store.mjs';

const spendLogs = async (env, token) => (await admin(env.stack.url, 'GET', `/spend/logs?api_key=${token}`)).body;
const keySpend = async (env, key) => (await admin(env.stack.url, 'GET', `/key/info?key=${key}`)).body.info.spend;

describeOnEachEngine('disable_spend_logs', { disable_spend_logs: true }, (env) => {
  test('a call leaves no spend-log row, and its spend still reaches the key in the database', async () => {
    const key = await generateKey(env.stack.url);
    assert.equal((await chatWith(env.stack.url, key.key)).status, 200);
    // A stop writes everything the gateway holds; the next gateway reads what the database has.
    await env.stack.stop();
    env.stack = await env.start();
    assert.ok(Math.abs(await keySpend(env, key.key) - kCallCost) < 1e-12);
    assert.deepEqual(await spendLogs(env, key.token), []);
  });
});

describeOnEachEngine('maximum_spend_logs_retention_period',
  { maximum_spend_logs_retention_period: '1s', maximum_spend_logs_retention_interval: '1s' }, (env) => {
    test('a row older than the period is deleted while the gateway runs; the spend stays', async () => {
      const key = await generateKey(env.stack.url);
      assert.equal((await chatWith(env.stack.url, key.key)).status, 200);
      // The row is written by the spend indexer, then deleted by the store thread's cleanup
      // (every second here) once the call started more than a second ago.
      await eventually(() => /spend log: 1 rows older than maximum_spend_logs_retention_period deleted/
        .test(env.stack.gateway.stderr()), { what: 'the cleanup\'s log line', timeoutMs: 20_000 });
      assert.deepEqual(await spendLogs(env, key.token), []);
      assert.ok(Math.abs(await keySpend(env, key.key) - kCallCost) < 1e-12);
    });
  });
