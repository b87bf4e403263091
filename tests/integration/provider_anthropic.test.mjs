// Anthropic deployments end to end, for what the conformance suite does not cover: the exact
// request the Messages API receives (URL, headers, translated body), LiteLLM's error mapping,
// in-stream errors before and after the first chunk, thinking, and parameter checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kUpstreamKey } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';

const kEnvKey = 'sk-ant-from-env-Q7r2-test';

function anthropicModel(name, upstreamModel, apiBase, params = {}) {
  return {
    model_name: name,
    litellm_params: { model: `anthropic/${upstreamModel}`, api_base: apiBase, api_key: kUpstreamKey, ...params },
    model_info: { id: `deployment-${name}` },
  };
}

let stack;
before(async () => {
  stack = await startStack({
    env: { ANTHROPIC_API_KEY: kEnvKey },
    extraModelsFor: (mockUrl) => [
      anthropicModel('claude', 'claude-made-up-for-tests', mockUrl, {
        extra_headers: { 'anthropic-beta': 'beta-one,beta-two', 'X-Team': 'blue' },
      }),
      {
        model_name: 'claude-env-key',
        litellm_params: { model: 'anthropic/claude-made-up-for-tests', api_base: mockUrl },
        model_info: { id: 'deployment-claude-env-key' },
      },
      anthropicModel('claude-dropping', 'claude-made-up-for-tests', mockUrl, { drop_params: true }),
      anthropicModel('claude-thinking', 'mock-thinking', mockUrl),
      anthropicModel('claude-garbage', 'mock-garbage', mockUrl),
      anthropicModel('claude-cut', 'mock-stream-cut-after-5', mockUrl),
      anthropicModel('claude-overloaded-first', 'mock-overloaded-after-1', mockUrl),
      anthropicModel('claude-overloaded-later', 'mock-overloaded-after-5', mockUrl),
      ...[400, 401, 403, 404, 413, 500, 529].map((status) =>
        anthropicModel(`claude-error-${status}`, `mock-error-${status}`, mockUrl)),
    ],
  });
});
after(() => stack?.stop());

async function call(body) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, '/v1/chat/completions', body);
  const upstream = stack.mock.requests.slice(before);
  return { response, upstream };
}

test('the Messages API receives the translated request with its headers', async () => {
  const { response, upstream } = await call({
    model: 'claude',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    temperature: 0.5,
    stop: 'END',
    user: 'end-user-42',
    metadata: { trace: 'gateway-only' },
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(upstream.length, 1);
  const [request] = upstream;
  assert.equal(request.dialect, 'anthropic');
  assert.equal(request.path, '/v1/messages');
  assert.equal(request.headers['x-api-key'], kUpstreamKey);
  assert.equal(request.headers['anthropic-version'], '2023-06-01');
  assert.equal(request.headers['anthropic-beta'], 'beta-one,beta-two');
  assert.equal(request.headers['x-team'], 'blue');
  assert.equal(request.headers.authorization, undefined, 'the key goes in x-api-key only');
  assert.deepEqual(request.body, {
    model: 'claude-made-up-for-tests',
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
        { type: 'text', text: 'And tomorrow?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      ] },
    ],
    max_tokens: 4096,
    temperature: 0.5,
    stop_sequences: ['END'],
    metadata: { user_id: 'end-user-42' },
    tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
  });
  const completion = await response.json();
  assert.equal(completion.model, 'claude');
  assert.equal(completion.choices[0].message.content, JSON.parse(readAnthropicFixture('message.json')).content[0].text);
});

test('a streamed request asks for a stream and carries no OpenAI stream options', async () => {
  const { response, upstream } = await call({
    model: 'claude', messages: [{ role: 'user', content: 'Hi' }], stream: true,
    stream_options: { include_usage: true }, max_completion_tokens: 64, reasoning_effort: 'low',
  });
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.equal(upstream[0].body.stream, true);
  assert.equal(upstream[0].body.max_tokens, 64);
  assert.deepEqual(upstream[0].body.thinking, { type: 'enabled', budget_tokens: 1024 });
  assert.equal(upstream[0].body.stream_options, undefined);
  assert.deepEqual(chunks.at(-1).usage.prompt_tokens_details, { cached_tokens: 0 });
});

test('without api_key the key comes from ANTHROPIC_API_KEY', async () => {
  const { response, upstream } = await call({ model: 'claude-env-key', messages: [{ role: 'user', content: 'Hi' }] });
  assert.equal(response.status, 200);
  assert.equal(upstream[0].headers['x-api-key'], kEnvKey);
});

test('upstream errors map as LiteLLM maps them, with Anthropic\'s message and type', async () => {
  const cases = [
    [400, 400, 'invalid_request_error'], [401, 401, 'authentication_error'], [403, 403, 'permission_error'],
    [404, 404, 'not_found_error'], [413, 400, 'request_too_large'], [500, 500, 'api_error'], [529, 500, 'overloaded_error'],
  ];
  for (const [upstreamStatus, clientStatus, type] of cases) {
    for (const stream of [false, true]) {
      const { response } = await call({ model: `claude-error-${upstreamStatus}`, messages: [{ role: 'user', content: 'Hi' }], stream });
      await expectError(response, clientStatus, {
        type, message: `mock upstream says ${upstreamStatus}: the scripted failure for this model`,
      }, `upstream ${upstreamStatus} (stream ${stream})`);
    }
  }
});

test('an overloaded error before any content is a JSON 500 error', async () => {
  const { response } = await call({ model: 'claude-overloaded-first', messages: [{ role: 'user', content: 'Hi' }], stream: true });
  await expectError(response, 500, { type: 'overloaded_error', message: 'Overloaded' });
});

test('an overloaded error after the first chunks ends the stream in-band', async () => {
  const { response } = await call({ model: 'claude-overloaded-later', messages: [{ role: 'user', content: 'Hi' }], stream: true });
  assert.equal(response.status, 200);
  const { payloads, chunks, done } = await readSse(response);
  assert.ok(!done, 'no [DONE] after an error');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[1].choices[0].delta.content, '[');
  const last = JSON.parse(payloads.at(-1));
  assert.equal(last.error.type, 'overloaded_error');
  assert.equal(last.error.message, 'Overloaded');
});

test('an answer that is not JSON is a 502, streamed or not', async () => {
  for (const stream of [false, true]) {
    const { response } = await call({ model: 'claude-garbage', messages: [{ role: 'user', content: 'Hi' }], stream });
    await expectError(response, 502, {}, `stream ${stream}`);
  }
});

test('a stream cut mid-way ends with an in-band error after the chunks that came', async () => {
  const { response } = await call({ model: 'claude-cut', messages: [{ role: 'user', content: 'Hi' }], stream: true });
  assert.equal(response.status, 200);
  const { payloads, chunks, done } = await readSse(response);
  assert.ok(!done);
  assert.equal(chunks[1].choices[0].delta.content, '[');
  const { error } = JSON.parse(payloads.at(-1));
  assert.equal(error.code, '502', `an upstream failure: ${error.message}`);
});

test('thinking streams as reasoning_content beside the answer', async () => {
  const { response } = await call({ model: 'claude-thinking', messages: [{ role: 'user', content: '27 * 453?' }], stream: true });
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  const reasoning = chunks.map((chunk) => chunk.choices[0]?.delta?.reasoning_content ?? '').join('');
  const content = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
  assert.equal(reasoning, 'Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3');
  assert.equal(content, '27 * 453 = 12,231');
});

test('parameters Anthropic lacks are refused, or dropped when the deployment drops them', async () => {
  const refused = await call({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], logit_bias: { 1: 2 } });
  await expectError(refused.response, 400, { param: 'logit_bias', message: /anthropic does not support parameters: \['logit_bias'\]/ });
  assert.equal(refused.upstream.length, 0, 'nothing sent upstream');
  const dropped = await call({ model: 'claude-dropping', messages: [{ role: 'user', content: 'Hi' }], logit_bias: { 1: 2 }, seed: 7 });
  assert.equal(dropped.response.status, 200);
  assert.equal(dropped.upstream[0].body.logit_bias, undefined);
  assert.equal(dropped.upstream[0].body.seed, undefined);
});

test('embeddings are refused: Anthropic has none', async () => {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, '/v1/embeddings', { model: 'claude', input: 'hello' });
  await expectError(response, 400, { message: /chat completions only/ });
  assert.equal(stack.mock.requests.length, before);
});
