// The ingress dialects (/v1/messages, /v1/responses) go through everything a chat completion
// does: a virtual key's model access and rate limits (refused in the client's dialect), spend
// with the dialect's own call_type, cost headers, and the per-endpoint metrics. On SQLite: the
// spend path is the same on PostgreSQL (spend.test.mjs runs both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kAuth, kHello } from '../support/stack.mjs';
import {
  admin, eventually, generateKey, inRoomyMinute, kCallCost, kEngines, kInputPrice, kOutputPrice, pricedModels,
} from '../support/store.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

let database;
let stack;
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({
    extraModelsFor: (mockUrl) => [
      ...pricedModels(mockUrl),
      // Passed the Messages API call through (docs/DIALECTS.md): priced all the same.
      {
        model_name: 'priced-claude',
        litellm_params: {
          model: 'anthropic/claude-upstream', api_base: mockUrl, api_key: 'sk-upstream-priced',
          input_cost_per_token: kInputPrice, output_cost_per_token: kOutputPrice,
        },
        model_info: { id: 'deployment-priced-claude' },
      },
      // Passed the Responses API call through: priced the same.
      {
        model_name: 'priced-azure',
        litellm_params: {
          model: 'azure/gpt-4o-upstream', api_base: mockUrl, api_key: 'sk-upstream-priced',
          input_cost_per_token: kInputPrice, output_cost_per_token: kOutputPrice,
        },
        model_info: { id: 'deployment-priced-azure' },
      },
    ],
    dir: database.dir,
    generalSettings: { database_url: database.url, proxy_batch_write_at: 0.5 },
  });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

const messagesBody = (model) => ({ model, max_tokens: 20, messages: kHello });
const responsesBody = (model) => ({ model, input: 'Say hello.' });

function callAs(key, path, body) {
  return postJson(stack.url, path, body, { auth: { 'x-api-key': key } });
}

test('each dialect\'s call is priced, logged with its own call_type, and counted by endpoint', async () => {
  const key = await generateKey(stack.url, {});
  const calls = [
    ['/v1/messages', messagesBody('priced'), 'anthropic_messages'],
    ['/v1/responses', responsesBody('priced'), 'aresponses'],
  ];
  const ids = new Map();
  const answerIds = new Map();  // the id in each answer (msg_…, resp_…) → its call id
  for (const [path, body, callType] of calls) {
    const response = await callAs(key.key, path, body);
    assert.equal(response.status, 200, await response.clone().text());
    assert.ok(close(Number(response.headers.get('x-litellm-response-cost')), kCallCost), path);
    assert.equal(response.headers.get('x-litellm-model-id'), 'deployment-priced');
    ids.set(response.headers.get('x-litellm-call-id'), callType);
    answerIds.set((await response.json()).id, response.headers.get('x-litellm-call-id'));
  }
  const rows = await eventually(async () => {
    const logs = await admin(stack.url, 'GET', `/spend/logs?api_key=${key.token}`);
    return logs.body.length === 2 && logs.body;
  }, { what: 'two spend-log rows' });
  for (const row of rows) {
    assert.equal(row.call_type, ids.get(row.request_id));
    assert.equal(row.model_group, 'priced');
    assert.equal(row.prompt_tokens, 19);
    assert.equal(row.completion_tokens, 10);
    assert.ok(close(row.spend, kCallCost));
  }
  // Each call is found by the id its answer gave the client, as LiteLLM finds it.
  for (const [answerId, callId] of answerIds) {
    assert.match(answerId, /^(msg|resp)_/);
    const logs = await admin(stack.url, 'GET', `/spend/logs?request_id=${answerId}`);
    assert.deepEqual(logs.body.map((row) => row.request_id), [callId], answerId);
  }
  const metrics = await (await fetch(`${stack.url}/metrics`)).text();
  for (const endpoint of ['messages', 'responses']) {
    const line = metrics.split('\n').find((text) => text.startsWith(`llmux_requests_total{endpoint="${endpoint}",status="2xx"}`));
    assert.ok(line && Number(line.split(' ').at(-1)) >= 1, `${endpoint}: ${line}`);
  }
});

test('a call passed through to an Anthropic deployment is priced and logged, streamed or not', async () => {
  const key = await generateKey(stack.url, {});
  const { usage } = JSON.parse(readAnthropicFixture('message.json'));
  const whole = await callAs(key.key, '/v1/messages', messagesBody('priced-claude'));
  assert.equal(whole.status, 200, await whole.clone().text());
  assert.deepEqual((await whole.json()).usage, usage, 'Anthropic\'s answer, as it sent it');
  const streamed = await callAs(key.key, '/v1/messages', { ...messagesBody('priced-claude'), stream: true });
  assert.equal(streamed.status, 200);
  assert.match(await streamed.text(), /event: message_stop/);
  const rows = await eventually(async () => {
    const logs = await admin(stack.url, 'GET', `/spend/logs?api_key=${key.token}`);
    return logs.body.length === 2 && logs.body;
  }, { what: 'two spend-log rows' });
  // The recorded stream's message_start and message_delta.
  const expected = [[usage.input_tokens, usage.output_tokens], [135, 10]];
  const seen = rows.map((row) => [row.prompt_tokens, row.completion_tokens]);
  assert.deepEqual(seen.sort(), expected.sort());
  for (const row of rows) {
    assert.equal(row.call_type, 'anthropic_messages');
    assert.equal(row.model_group, 'priced-claude');
    assert.ok(close(row.spend, row.prompt_tokens * kInputPrice + row.completion_tokens * kOutputPrice));
  }
});

test('a Responses call passed through to OpenAI and Azure deployments is priced and logged, streamed or not', async () => {
  const key = await generateKey(stack.url, {});
  const whole = await callAs(key.key, '/v1/responses', responsesBody('priced-azure'));
  assert.equal(whole.status, 200, await whole.clone().text());
  assert.equal((await whole.json()).object, 'response');
  const streamed = await callAs(key.key, '/v1/responses', { ...responsesBody('priced'), stream: true });
  assert.equal(streamed.status, 200);
  assert.match(await streamed.text(), /event: response\.completed/);
  const rows = await eventually(async () => {
    const logs = await admin(stack.url, 'GET', `/spend/logs?api_key=${key.token}`);
    return logs.body.length === 2 && logs.body;
  }, { what: 'two spend-log rows' });
  // The answer's usage (the mock's chat fixture, 19 + 10), and the stream's response.completed (14 + 30).
  const seen = rows.map((row) => [row.model_group, row.prompt_tokens, row.completion_tokens]);
  assert.deepEqual(seen.sort(), [['priced', 14, 30], ['priced-azure', 19, 10]]);
  for (const row of rows) {
    assert.equal(row.call_type, 'aresponses');
    assert.ok(close(row.spend, row.prompt_tokens * kInputPrice + row.completion_tokens * kOutputPrice));
  }
  const upstream = stack.mock.requests.filter((request) => request.path.endsWith('/responses'));
  assert.ok(upstream.some((request) => request.path === '/openai/v1/responses'), 'Azure\'s Responses route');
});

test('a key\'s model access is checked; the refusal is in the dialect\'s shape', async () => {
  const key = await generateKey(stack.url, { models: ['priced'] });
  const messages = await callAs(key.key, '/v1/messages', messagesBody('gpt-test'));
  assert.equal(messages.status, 401);
  const anthropic = await messages.json();
  assert.equal(anthropic.type, 'error');
  assert.equal(anthropic.error.type, 'authentication_error');
  assert.match(anthropic.error.message, /gpt-test/);

  const responses = await callAs(key.key, '/v1/responses', responsesBody('gpt-test'));
  assert.equal(responses.status, 401);
  const openai = await responses.json();
  assert.equal(typeof openai.error.message, 'string');
  assert.match(openai.error.message, /gpt-test/);
});

test('a key\'s rpm limit refuses the next call with a 429 in each dialect', async () => {
  await inRoomyMinute();
  const key = await generateKey(stack.url, { rpm_limit: 1 });
  const first = await callAs(key.key, '/v1/messages', messagesBody('priced'));
  assert.equal(first.status, 200);
  await first.arrayBuffer();
  const refused = await callAs(key.key, '/v1/messages', messagesBody('priced'));
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.type, 'rate_limit_error');
  const responses = await callAs(key.key, '/v1/responses', responsesBody('priced'));
  assert.equal(responses.status, 429);
  assert.ok((await responses.json()).error.message);
});

test('bad JSON and a wrong method get answers, not a hang', async () => {
  const broken = await postJson(stack.url, '/v1/messages', '{"model": ');
  assert.equal(broken.status, 400);
  assert.equal((await broken.json()).error.type, 'invalid_request_error');
  const counting = await postJson(stack.url, '/v1/messages/count_tokens', { model: 'priced' });
  assert.equal(counting.status, 400);
  assert.equal((await counting.json()).error.type, 'invalid_request_error');
  const get = await fetch(`${stack.url}/v1/responses`);
  assert.equal(get.status, 405);
  await get.arrayBuffer();
  // No stored responses: nothing to retrieve.
  const stored = await fetch(`${stack.url}/v1/responses/resp_123`, { headers: kAuth });
  assert.equal(stored.status, 404);
  await stored.arrayBuffer();
});
