// Spend end to end, on SQLite and on a real PostgreSQL server: cost headers, the spend log and
// its routes, budgets (crossed mid-stream, reset on schedule), exact sums under concurrency,
// and no lost spend when the gateway is stopped under load or the database goes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';

import { startStack, kHello } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import {
  admin, chatWith, describeOnEachEngine, eventually, generateKey, kCallCost, kEngines, pricedModels, sleep,
} from '../support/store.mjs';

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

async function spendOf(url, key) {
  const info = await admin(url, 'GET', `/key/info?key=${key}`);
  return info.body.info.spend;
}

async function logsFor(url, key, extra = '') {
  const logs = await admin(url, 'GET', `/spend/logs?api_key=${key}&page_size=1000${extra}`);
  assert.equal(logs.status, 200, JSON.stringify(logs.body));
  return logs.body;
}

// Calls and spend the database holds for a key (from the report, which counts every row).
async function loggedFor(url, token) {
  const report = await admin(url, 'GET', '/global/spend/report?group_by=api_key');
  assert.equal(report.status, 200, JSON.stringify(report.body));
  const entries = report.body.flatMap((day) => day.api_keys).filter((item) => item.api_key === token);
  return {
    calls: entries.reduce((sum, entry) => sum + entry.metadata.reduce((n, model) => n + model.api_requests, 0), 0),
    spend: entries.reduce((sum, entry) => sum + entry.total_spend, 0),
  };
}

describeOnEachEngine('spend', { proxy_batch_write_at: 0.5 }, (env) => {
  test('the log filtered by model and status, and paged after a request id', async () => {
    const key = await generateKey(env.stack.url);
    const ids = [];
    for (const model of ['priced', 'broken', 'priced']) {
      const response = await chatWith(env.stack.url, key.key, model);
      await response.arrayBuffer();
      ids.push(response.headers.get('x-litellm-call-id'));
    }
    const page = async (query) => (await admin(env.stack.url, 'GET', `/spend/logs?api_key=${key.token}&${query}`)).body
      .map((row) => row.request_id);
    await eventually(async () => (await page('')).length === 3, { what: 'three spend-log rows' });
    assert.deepEqual(await page(''), [...ids].reverse());
    assert.deepEqual(await page('status=failure'), [ids[1]]);
    assert.deepEqual(await page('model=priced&status=success'), [ids[2], ids[0]]);
    assert.deepEqual(await page(`before_request_id=${ids[2]}&page_size=1`), [ids[1]]);
    assert.deepEqual(await page(`before_request_id=${ids[1]}`), [ids[0]]);
    assert.deepEqual(await page(`before_request_id=${ids[0]}`), []);
  });

  // LiteLLM's spend log keys a call by the id in its answer; llmux's keeps its own call id too.
  test('a call is found by the id the openai SDK returned, streamed or not, and by its call id', async () => {
    const key = await generateKey(env.stack.url);
    const openai = new OpenAI({ apiKey: key.key, baseURL: `${env.stack.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const messages = [{ role: 'user', content: 'which id?' }];
    const whole = await openai.chat.completions.create({ model: 'priced', messages }).withResponse();
    const streamed = await openai.chat.completions.create({ model: 'priced', messages, stream: true }).withResponse();
    const chunkIds = new Set();
    for await (const chunk of streamed.data) chunkIds.add(chunk.id);
    assert.equal(chunkIds.size, 1, 'one id in every chunk');
    const [streamId] = chunkIds;
    assert.notEqual(whole.data.id, streamId);
    for (const [answerId, response] of [[whole.data.id, whole.response], [streamId, streamed.response]]) {
      const callId = response.headers.get('x-litellm-call-id');
      const rows = await eventually(async () => {
        const found = await admin(env.stack.url, 'GET', `/spend/logs?api_key=${key.token}&request_id=${encodeURIComponent(answerId)}`);
        return found.body.length > 0 && found.body;
      }, { what: `the row of ${answerId}` });
      assert.deepEqual(rows.map((row) => [row.request_id, row.response_id]), [[callId, answerId]]);
      // Alone, as a LiteLLM client asks (the mock answers every call with the same id).
      const byAnswerId = await admin(env.stack.url, 'GET', `/spend/logs?request_id=${encodeURIComponent(answerId)}`);
      assert.ok(byAnswerId.body.some((row) => row.request_id === callId), JSON.stringify(byAnswerId.body));
      const byCallId = await admin(env.stack.url, 'GET', `/spend/logs?request_id=${callId}`);
      assert.deepEqual(byCallId.body.map((row) => row.response_id), [answerId]);
    }
  });

  test('each call carries its cost and the key\'s spend in headers, and one spend-log row', async () => {
    const key = await generateKey(env.stack.url, { user_id: 'spend-user', team_id: 'spend-team', tags: ['from-key'] });
    const response = await chatWith(env.stack.url, key.key, 'priced', { user: 'end-user-1', metadata: { tags: ['req-tag'], trace: 7 } });
    assert.equal(response.status, 200);
    const requestId = response.headers.get('x-litellm-call-id');
    assert.ok(close(Number(response.headers.get('x-litellm-response-cost')), kCallCost));
    assert.ok(close(Number(response.headers.get('x-litellm-key-spend')), kCallCost));
    await response.arrayBuffer();
    const logs = await eventually(async () => {
      const rows = await logsFor(env.stack.url, key.token);
      return rows.length === 1 && rows;
    }, { what: 'the spend log row' });
    const [row] = logs;
    assert.equal(row.request_id, requestId);
    assert.equal(row.api_key, key.token);
    assert.ok(close(row.spend, kCallCost));
    assert.equal(row.prompt_tokens, 19);
    assert.equal(row.completion_tokens, 10);
    assert.equal(row.model_group, 'priced');
    assert.equal(row.model_id, 'deployment-priced');
    assert.equal(row.custom_llm_provider, 'openai');
    assert.equal(row.user, 'spend-user');
    assert.equal(row.team_id, 'spend-team');
    assert.equal(row.end_user, 'end-user-1');
    assert.equal(row.status, 'success');
    assert.deepEqual(row.request_tags.sort(), ['from-key', 'req-tag']);
    assert.deepEqual(row.metadata, { tags: ['req-tag'], trace: 7 });
    assert.equal(row.messages, null, 'message bodies are not stored by default');
    assert.ok(Date.parse(row.startTime) <= Date.parse(row.endTime));
    // The end user may also come from x-litellm-customer-id.
    const viaHeader = await chatWith(env.stack.url, key.key, 'priced', {}, { 'x-litellm-customer-id': 'end-user-2' });
    await viaHeader.arrayBuffer();
    await eventually(async () => (await admin(env.stack.url, 'GET', `/spend/logs?request_id=${viaHeader.headers.get('x-litellm-call-id')}`))
      .body[0]?.end_user === 'end-user-2', { what: 'the header end user' });
  });

  test('a failed call is logged with status failure and costs nothing', async () => {
    const key = await generateKey(env.stack.url);
    const response = await chatWith(env.stack.url, key.key, 'broken');
    assert.equal(response.status, 500);
    await response.arrayBuffer();
    const [row] = await eventually(async () => {
      const rows = await logsFor(env.stack.url, key.token);
      return rows.length === 1 && rows;
    }, { what: 'the failure row' });
    assert.equal(row.status, 'failure');
    assert.equal(row.spend, 0);
  });

  test('many concurrent calls: the key\'s spend and the log add up exactly', async () => {
    const key = await generateKey(env.stack.url);
    const calls = 150;
    const responses = await Promise.all(Array.from({ length: calls }, () => chatWith(env.stack.url, key.key, 'priced')));
    for (const response of responses) {
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    assert.ok(close(await spendOf(env.stack.url, key.key), calls * kCallCost));
    const rows = await eventually(async () => {
      const logged = await logsFor(env.stack.url, key.token);
      return logged.length === calls && logged;
    }, { what: `${calls} spend-log rows` });
    assert.ok(close(rows.reduce((sum, row) => sum + row.spend, 0), calls * kCallCost));
    // The database's own total matches too (a restart reads it from there).
    const report = await admin(env.stack.url, 'GET', '/global/spend/report?group_by=api_key');
    const entry = report.body.flatMap((day) => day.api_keys).find((item) => item.api_key === key.token);
    assert.ok(close(entry.total_spend, calls * kCallCost));
    assert.equal(entry.metadata[0].api_requests, calls);
  });

  test('max_budget: refused with 400 budget_exceeded once spent, a stream crossing it finishes', async () => {
    const key = await generateKey(env.stack.url, { max_budget: kCallCost * 1.5 });
    assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);
    // Under budget when it starts: the stream runs to its end although it crosses the budget.
    const stream = await chatWith(env.stack.url, key.key, 'priced-slow-stream', { stream: true, stream_options: { include_usage: true } });
    assert.equal(stream.status, 200);
    const text = await stream.text();
    assert.match(text, /data: \[DONE\]/);
    const refused = await chatWith(env.stack.url, key.key, 'priced');
    await expectError(refused, 400, { type: 'budget_exceeded', message: /Budget has been exceeded! Current cost: .*Max budget/ });
    assert.ok(await spendOf(env.stack.url, key.key) > kCallCost * 1.5);
  });

  test('budget_duration resets the spend when the window ends', async () => {
    const key = await generateKey(env.stack.url, { max_budget: kCallCost / 2, budget_duration: '2s' });
    assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);
    await expectError(await chatWith(env.stack.url, key.key, 'priced'), 400, { type: 'budget_exceeded' });
    await eventually(async () => (await chatWith(env.stack.url, key.key, 'priced')).status === 200,
      { timeoutMs: 6000, what: 'the budget reset' });
  });

  test('/spend/logs filters by key, user, team, request id and dates, and pages', async () => {
    const user = `filter-user-${env.engine.name}`;
    const key = await generateKey(env.stack.url, { user_id: user, team_id: 'filter-team' });
    for (let i = 0; i < 5; i++) await (await chatWith(env.stack.url, key.key, 'priced')).arrayBuffer();
    await eventually(async () => (await logsFor(env.stack.url, key.token)).length === 5, { what: 'five rows' });
    assert.equal((await admin(env.stack.url, 'GET', `/spend/logs?user_id=${user}`)).body.length, 5);
    assert.ok((await admin(env.stack.url, 'GET', '/spend/logs?team_id=filter-team')).body.length >= 5);
    assert.equal((await admin(env.stack.url, 'GET', `/spend/logs?api_key=${key.key}`)).body.length, 5, 'the plain key works as a filter');
    const page1 = await admin(env.stack.url, 'GET', `/spend/logs?user_id=${user}&page_size=2&page=1`);
    const page3 = await admin(env.stack.url, 'GET', `/spend/logs?user_id=${user}&page_size=2&page=3`);
    assert.equal(page1.body.length, 2);
    assert.equal(page3.body.length, 1);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await admin(env.stack.url, 'GET', `/spend/logs?user_id=${user}&start_date=${today}&end_date=${today}`)).body.length, 5);
    assert.equal((await admin(env.stack.url, 'GET', `/spend/logs?user_id=${user}&end_date=2020-01-01`)).body.length, 0);
    assert.equal((await admin(env.stack.url, 'GET', '/spend/logs?start_date=yesterday')).status, 400);
    const total = await admin(env.stack.url, 'GET', '/global/spend');
    assert.ok(total.body.spend >= 5 * kCallCost);
    const byTeam = await admin(env.stack.url, 'GET', `/global/spend/report?start_date=${today}&end_date=${today}&group_by=team`);
    const team = byTeam.body[0].teams.find((entry) => entry.team_name === 'filter-team');
    assert.ok(close(team.total_spend, 5 * kCallCost));
    assert.equal((await admin(env.stack.url, 'GET', '/global/spend/report?group_by=planet')).status, 400);
  });

  test('kill -TERM under load loses no spend', async () => {
    const key = await generateKey(env.stack.url);
    const answered = [];  // call ids of the 200s the clients received
    let cut = 0;          // calls whose connection the shutdown closed (answered or not)
    const refused = [];
    let stopping = false;
    const load = async () => {
      while (!stopping) {
        try {
          const response = await chatWith(env.stack.url, key.key, 'priced');
          await response.arrayBuffer();
          if (response.status === 200) answered.push(response.headers.get('x-litellm-call-id'));
          else refused.push(response.status);
        } catch {
          cut += 1;
          return;  // the gateway closed
        }
      }
    };
    const workers = Array.from({ length: 16 }, load);
    // Stopped under load: once some calls went through.
    await eventually(() => answered.length > 10, { what: 'calls answered under load' });
    const exited = env.stack.gateway.stop('SIGTERM');
    stopping = true;
    await Promise.all(workers);
    assert.equal((await exited).code, 0);
    assert.ok(answered.length > 10, `only ${answered.length} calls went through`);
    await env.stack.mock.close();
    env.stack = await env.start();
    // Every answered call (and every failed one, at no cost) is in the log; a call cut at
    // shutdown may be logged too.
    const logged = await loggedFor(env.stack.url, key.token);
    const seen = answered.length + refused.length;
    assert.ok(logged.calls >= seen && logged.calls <= seen + cut,
      `${logged.calls} logged, ${answered.length} answered, ${refused.length} failed (${refused}), ${cut} cut`);
    for (const id of answered.slice(-20)) {
      const rows = (await admin(env.stack.url, 'GET', `/spend/logs?request_id=${id}`)).body;
      assert.equal(rows.length, 1, `call ${id} is not in the log`);
    }
    assert.ok(logged.spend >= answered.length * kCallCost - 1e-9 && logged.spend <= (answered.length + cut) * kCallCost + 1e-9);
    assert.ok(close(await spendOf(env.stack.url, key.key), logged.spend));
  });

  if (env.engine.name === 'postgresql') {
    test('the database stopped for 30 s under load: requests still succeed and every call is written when it returns', async () => {
      const key = await generateKey(env.stack.url);
      await env.database.server.pause();
      // 30 s, as the issue asks, at a steady pace (8 at a time) so the test does not hog the machine.
      const started = Date.now();
      let ok = 0;
      let slowest = 0;
      while (Date.now() - started < 30_000) {
        const sent = Date.now();
        const batch = await Promise.all(Array.from({ length: 8 }, () => chatWith(env.stack.url, key.key, 'priced')));
        slowest = Math.max(slowest, Date.now() - sent);
        for (const response of batch) {
          assert.equal(response.status, 200, 'a database outage must not fail requests');
          await response.arrayBuffer();
          ok += 1;
        }
        await sleep(40);  // pacing, not a wait on anything
      }
      assert.ok(slowest < 2000, `a batch took ${slowest} ms while the database was away`);
      // The key's spend is still known (and enforced) while the database is away.
      assert.ok(close(Number((await chatWith(env.stack.url, key.key, 'priced').then(async (r) => { await r.arrayBuffer(); ok += 1; return r; })).headers.get('x-litellm-key-spend')), ok * kCallCost));
      await env.database.server.resume();
      await eventually(async () => (await loggedFor(env.stack.url, key.token)).calls === ok,
        { timeoutMs: 10000, what: `${ok} rows after the database came back` });
      assert.ok(close((await loggedFor(env.stack.url, key.token)).spend, ok * kCallCost));
    });

    test('SIGTERM while the database is away leaves spend in the journal file, written at the next start', async () => {
      const key = await generateKey(env.stack.url);
      await env.database.server.pause();
      let ok = 0;
      for (let i = 0; i < 10; i++) {
        const response = await chatWith(env.stack.url, key.key, 'priced');
        await response.arrayBuffer();
        if (response.status === 200) ok += 1;
      }
      assert.equal((await env.stack.gateway.stop('SIGTERM')).code, 0);
      const journal = join(env.database.dir, 'llmux-spend-spool.jsonl');
      assert.ok(existsSync(journal) && statSync(journal).size > 0, `no spend in the journal\n${env.stack.gateway.stderr().split('\n').filter((line) => !line.includes('access')).join('\n')}`);
      await env.database.server.resume();
      await env.stack.mock.close();
      env.stack = await env.start();
      await eventually(async () => (await loggedFor(env.stack.url, key.token)).calls === ok,
        { timeoutMs: 10000, what: 'the spooled rows' });
      assert.ok(close(await spendOf(env.stack.url, key.key), ok * kCallCost));
      await eventually(async () => statSync(journal).size === 0, { timeoutMs: 5000, what: 'the journal emptied once written' });
    });
  }
});

test('store_prompts_in_spend_logs keeps the messages and the answer', async () => {
  const engine = kEngines[0];
  const database = await engine.open();
  const stack = await startStack({
    extraModelsFor: pricedModels,
    generalSettings: { database_url: database.url, proxy_batch_write_at: 0.2, store_prompts_in_spend_logs: true },
  });
  try {
    const key = await generateKey(stack.url);
    await (await chatWith(stack.url, key.key, 'priced')).arrayBuffer();
    const [row] = await eventually(async () => {
      const rows = await logsFor(stack.url, key.token);
      return rows.length === 1 && rows;
    }, { what: 'the row' });
    assert.deepEqual(row.messages.messages, kHello);
    assert.equal(row.response.object, 'chat.completion');
  } finally {
    await stack.stop();
    await database.close();
  }
});
