// LiteLLM's spend-log settings, on SQLite and on a real PostgreSQL server:
// general_settings.disable_spend_logs (no spend-log row per call; the spend still counts) and
// maximum_spend_logs_retention_period / _interval (old rows deleted while the gateway runs). The
// routes that sum spend read the daily aggregates, which both leave whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { admin, chatWith, describeOnEachEngine, eventually, generateKey, kCallCost } from '../support/store.mjs';

const spendLogs = async (env, token) => (await admin(env.stack.url, 'GET', `/spend/logs?api_key=${token}`)).body;
const keySpend = async (env, key) => (await admin(env.stack.url, 'GET', `/key/info?key=${key}`)).body.info.spend;
const near = (actual, expected) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

// What /global/spend/report (by key) and /global/spend say a key's calls cost today.
async function reportedFor(env, token) {
  const today = new Date().toISOString().slice(0, 10);
  const report = await admin(env.stack.url, 'GET', `/global/spend/report?group_by=api_key&start_date=${today}&end_date=${today}`);
  assert.equal(report.status, 200, JSON.stringify(report.body));
  const entry = report.body.flatMap((day) => day.api_keys).find((item) => item.api_key === token);
  const total = await admin(env.stack.url, 'GET', `/global/spend?start_date=${today}&end_date=${today}`);
  assert.equal(total.status, 200, JSON.stringify(total.body));
  return { entry, total: total.body.spend };
}

describeOnEachEngine('disable_spend_logs', { disable_spend_logs: true }, (env) => {
  test('a call leaves no spend-log row, and its spend still reaches the key in the database', async () => {
    const key = await generateKey(env.stack.url);
    assert.equal((await chatWith(env.stack.url, key.key)).status, 200);
    // A stop writes everything the gateway holds; the next gateway reads what the database has.
    await env.stack.stop();
    env.stack = await env.start();
    assert.ok(Math.abs(await keySpend(env, key.key) - kCallCost) < 1e-12);
    assert.deepEqual(await spendLogs(env, key.token), []);
    // LiteLLM keeps its daily tables without the log: so does llmux, and the reports read them.
    const { entry, total } = await reportedFor(env, key.token);
    near(entry.total_spend, kCallCost);
    assert.equal(entry.metadata[0].api_requests, 1);
    assert.ok(total >= kCallCost - 1e-12);
  });

  test('LiteLLM\'s /user/daily/activity and /team/daily/activity read the daily tables', async () => {
    const [user, team] = [`activity-user-${env.engine.name}`, `activity-team-${env.engine.name}`];
    const key = await generateKey(env.stack.url, { user_id: user, team_id: team });
    assert.equal((await chatWith(env.stack.url, key.key)).status, 200);
    await env.stack.stop();  // everything written: the daily tables hold the call
    env.stack = await env.start();
    const today = new Date().toISOString().slice(0, 10);
    const dates = `start_date=${today}&end_date=${today}`;
    for (const path of [`/user/daily/activity?${dates}&user_id=${user}`, `/team/daily/activity?${dates}&team_ids=${team}`]) {
      const { status, body } = await admin(env.stack.url, 'GET', path);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.results.length, 1, path);
      const [day] = body.results;
      assert.equal(day.date, today);
      near(day.metrics.spend, kCallCost);
      assert.equal(day.metrics.api_requests, 1);
      assert.equal(day.metrics.successful_requests, 1);
      assert.equal(day.metrics.total_tokens, 29);
      assert.equal(day.breakdown.model_groups.priced.metrics.api_requests, 1);
      assert.deepEqual(day.breakdown.api_keys[key.token].metadata, { key_alias: null, team_id: team });
      assert.equal(body.metadata.page, 1);
      assert.equal(body.metadata.has_more, false);
    }
    const undated = await admin(env.stack.url, 'GET', '/user/daily/activity');
    assert.equal(undated.status, 400);
    assert.match(undated.body.error.message, /Please provide start_date and end_date/);
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
      // The reports still count the call whose row is gone.
      const { entry, total } = await reportedFor(env, key.token);
      near(entry.total_spend, kCallCost);
      assert.equal(entry.metadata[0].api_requests, 1);
      assert.equal(entry.metadata[0].total_tokens, 29);
      assert.ok(total >= kCallCost - 1e-12);
    });
  });
