// Cohere beyond the conformance suite: the exact /v2/chat and /v2/embed requests (fields renamed,
// tools and tool results, response_format, input_type), the key from CO_API_KEY when neither
// api_key nor COHERE_API_KEY is set, Cohere's `{"message"}` errors mapped to OpenAI's, and
// requests Cohere cannot express refused before any upstream call; /rerank and /v1/rerank
// relayed to /v2/rerank (and refused for deployments of other providers), each logged in the
// spend log with LiteLLM's call_type arerank.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kUpstreamKey } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';
import { admin, eventually, kEngines } from '../support/store.mjs';
import { cohereErrorBody, cohereStreamText, readCohereFixture } from '../mock_upstream/dialects/cohere.mjs';

const kSdkEnvKey = 'co-sdk-env-key-test';

function cohereModels(mockUrl) {
  const entry = (name, model, params = {}) => ({ model_name: name, litellm_params: { model, api_base: mockUrl, ...params } });
  const keyed = { api_key: kUpstreamKey };
  return [
    entry('co-chat', 'cohere_chat/command-a-03-2025', { ...keyed, seed: 11 }),
    entry('co-env', 'cohere/command-r'),
    entry('co-embed', 'cohere/embed-english-v3.0', keyed),
    entry('co-rerank', 'cohere/rerank-v3.5', keyed),
    entry('co-404', 'cohere_chat/mock-error-404', keyed),
    entry('co-422', 'cohere_chat/mock-error-422', keyed),
  ];
}

let stack;
let database;  // SQLite, for the spend log
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({
    extraModelsFor: cohereModels,
    env: { CO_API_KEY: kSdkEnvKey },
    dir: database.dir,
    generalSettings: { database_url: database.url, proxy_batch_write_at: 0.2 },
  });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

async function call(path, body) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, path, body);
  const upstream = stack.mock.requests.slice(before);
  return { response, upstream: upstream[0], upstreamCount: upstream.length };
}

test('cohere_chat: /v2/chat with fields renamed, tools and tool results translated', async () => {
  const { response, upstream } = await call('/v1/chat/completions', {
    model: 'co-chat',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
    ],
    temperature: 0.3, top_p: 0.8, max_tokens: 40, stop: 'END', tool_choice: 'required',
    response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } },
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    metadata: { trace: 'x' },
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(upstream.dialect, 'cohere');
  assert.equal(upstream.path, '/v2/chat');
  assert.equal(upstream.headers.authorization, `bearer ${kUpstreamKey}`);
  assert.deepEqual(upstream.body, {
    model: 'command-a-03-2025',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
    ],
    temperature: 0.3, p: 0.8, max_tokens: 40, stop_sequences: ['END'], tool_choice: 'REQUIRED',
    response_format: { type: 'json_object', json_schema: { type: 'object' } },
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    seed: 11,
    stream: false,
  });
  const body = JSON.parse(text);
  assert.equal(body.model, 'co-chat');
  assert.equal(body.choices[0].finish_reason, 'stop');
});

test('cohere/: the key comes from CO_API_KEY when neither api_key nor COHERE_API_KEY is set', async () => {
  const { response, upstream } = await call('/v1/chat/completions', { model: 'co-env', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  assert.equal(upstream.headers.authorization, `bearer ${kSdkEnvKey}`);
  assert.equal(upstream.body.stream, true);
  const { payloads, broken } = await readSse(response);
  assert.equal(broken, null);
  assert.equal(payloads.at(-1), '[DONE]');
  const text = payloads.slice(0, -1).map((data) => JSON.parse(data).choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, cohereStreamText('chat_stream.synthetic.sse'));
});

test('cohere/: embeddings go to /v2/embed with input_type and float vectors', async () => {
  const { response, upstream } = await call('/v1/embeddings', { model: 'co-embed', input: 'hello', input_type: 'search_query' });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(upstream.path, '/v2/embed');
  assert.deepEqual(upstream.body, {
    model: 'embed-english-v3.0', texts: ['hello'], input_type: 'search_query', embedding_types: ['float'],
  });
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 1);
  assert.deepEqual(body.usage, { prompt_tokens: 4, total_tokens: 4 });
});

test('cohere: upstream errors keep their status and Cohere\'s message, in OpenAI\'s envelope', async () => {
  for (const [model, status] of [['co-404', 404], ['co-422', 422]]) {
    const { response } = await call('/v1/chat/completions', { model, messages: kHello });
    const body = await response.json();
    assert.equal(response.status, status);
    assert.equal(body.error.message, cohereErrorBody(status).message);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.ok(!JSON.stringify(body).includes(kUpstreamKey), 'no secret in the error');
  }
});

test('cohere: what Cohere cannot express is a 400 before any upstream call', async () => {
  for (const body of [
    { model: 'co-chat', messages: kHello, tool_choice: { type: 'function', function: { name: 'f' } } },
    { model: 'co-chat', messages: kHello, logit_bias: { 1: 2 } },
  ]) {
    const { response, upstreamCount } = await call('/v1/chat/completions', body);
    assert.equal(response.status, 400);
    assert.equal(upstreamCount, 0);
    const error = (await response.json()).error;
    assert.equal(typeof error.message, 'string');
  }
});

test('cohere: /rerank and /v1/rerank go to /v2/rerank and answer as Cohere does', async () => {
  for (const path of ['/rerank', '/v1/rerank']) {
    const { response, upstream } = await call(path, {
      model: 'co-rerank', query: 'What is the capital of France?', documents: ['Berlin', 'Madrid', 'Paris'], top_n: 2,
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(upstream.dialect, 'cohere');
    assert.equal(upstream.path, '/v2/rerank');
    assert.equal(upstream.headers.authorization, `bearer ${kUpstreamKey}`);
    assert.deepEqual(upstream.body, {
      model: 'rerank-v3.5', query: 'What is the capital of France?', documents: ['Berlin', 'Madrid', 'Paris'], top_n: 2,
    });
    assert.deepEqual(body, JSON.parse(readCohereFixture('rerank.synthetic.json')));
    const requestId = response.headers.get('x-litellm-call-id');
    const [row] = await eventually(async () => {
      const logs = await admin(stack.url, 'GET', `/spend/logs?request_id=${encodeURIComponent(requestId)}`);
      assert.equal(logs.status, 200, JSON.stringify(logs.body));
      return logs.body.length === 1 && logs.body;
    }, { what: `the spend-log row of ${path}` });
    assert.equal(row.call_type, 'arerank');
    assert.equal(row.model_group, 'co-rerank');
  }
});

test('rerank: a deployment of another provider, or a body without a query, is a 400 before any upstream call', async () => {
  for (const body of [
    { model: 'gpt-test', query: 'q', documents: ['a'] },
    { model: 'co-rerank', documents: ['a'] },
  ]) {
    const { response, upstreamCount } = await call('/v1/rerank', body);
    assert.equal(response.status, 400);
    assert.equal(upstreamCount, 0);
    assert.equal((await response.json()).error.type, 'invalid_request_error');
  }
});
