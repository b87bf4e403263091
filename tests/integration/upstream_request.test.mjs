// What the gateway sends upstream (path, key, model name, extra_headers, LiteLLM-only fields
// removed, everything else untouched), what it sends back (the upstream body with `model`
// rewritten), and the x-litellm-* response headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startStack, postJson, kHello, kMasterKey, kUpstreamKey, kExtraHeader,
} from '../support/stack.mjs';
import { readFixture, legacyCompletion, moderationResponse } from '../mock_upstream/bodies.mjs';
import { readSse } from '../support/sse.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

// Sends one request and returns the response with the single upstream request it caused.
async function exchange(path, body, options) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, path, body, options);
  const text = await response.text();
  const upstream = stack.mock.requests.slice(before);
  return { response, text, upstream };
}

const kPassThrough = {
  temperature: 0.25,
  top_p: 0.9,
  max_tokens: 77,
  n: 1,
  stop: ['\n\n', 'END'],
  presence_penalty: 0.5,
  frequency_penalty: -0.5,
  logit_bias: { 50256: -100 },
  user: 'end-user-42',
  seed: 1234,
  response_format: { type: 'json_object' },
  tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  // Not in any spec: a gateway must pass fields it does not know.
  some_future_param: { nested: [1, 'two', null, { deep: true }], unicode: 'héllo ✓ 日本' },
};

const kLitellmOnly = {
  metadata: { trace: 'abc', tags: ['x'] },
  caching: false,
  num_retries: 0,
  fallbacks: ['other'],
  context_window_fallbacks: [{ 'gpt-test': ['other'] }],
  timeout: 30,
  stream_timeout: 30,
  litellm_call_id: 'client-chosen-call-id',
  tags: ['team-a'],
};

test('a chat request reaches the upstream in the OpenAI shape', async () => {
  const messages = [{ role: 'system', content: 'Be brief.' }, ...kHello];
  const { response, text, upstream } = await exchange('/v1/chat/completions', {
    model: 'gpt-test', messages, ...kPassThrough, ...kLitellmOnly,
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.length, 1, 'exactly one upstream call');
  const [request] = upstream;
  assert.equal(request.method, 'POST');
  assert.equal(request.path, '/v1/chat/completions');
  assert.equal(request.headers.authorization, `Bearer ${kUpstreamKey}`);
  assert.equal(request.headers[kExtraHeader[0].toLowerCase()], kExtraHeader[1], 'extra_headers are sent');
  assert.match(request.headers['content-type'] ?? '', /application\/json/);
  for (const [name, value] of Object.entries(request.headers)) {
    assert.ok(!value.includes(kMasterKey), `the client's master key leaked upstream in ${name}`);
  }
  assert.equal(request.body.model, 'gpt-4o-upstream', 'the upstream model name has no openai/ prefix');
  assert.deepEqual(request.body.messages, messages);
  for (const [field, value] of Object.entries(kPassThrough)) {
    assert.deepEqual(request.body[field], value, `${field} passes through untouched`);
  }
  for (const field of Object.keys(kLitellmOnly)) {
    assert.ok(!(field in request.body), `LiteLLM-only field ${field} must not be sent upstream`);
  }
});

test('without a callback exporting spans, a client\'s traceparent is not sent upstream (LiteLLM forwards only x-* headers, and only when asked)', async () => {
  const { response, text, upstream } = await exchange('/v1/chat/completions', { model: 'gpt-test', messages: kHello },
    { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0].headers.traceparent, undefined);
});

// Each alone, so a gateway that rejects one field is still checked on the others.
const attacker = 'http://127.0.0.1:9/v1';
for (const [field, value] of Object.entries({
  api_key: 'sk-client-chosen',
  api_base: attacker,
  base_url: attacker,
  user_config: { model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/x', api_base: attacker } }] },
})) {
  test(`client-side ${field} in the body is refused as LiteLLM refuses it: 401, before any upstream call`, async () => {
    const { response, text, upstream } = await exchange('/v1/chat/completions', { model: 'gpt-test', messages: kHello, [field]: value });
    // api_base, base_url and user_config are on the list LiteLLM's auth step rejects unless the
    // admin opted in (allow_client_side_credentials or configurable_clientside_auth_params);
    // llmux refuses a client's api_key the same way (LiteLLM would call with it: docs/ROUTING.md).
    assert.equal(response.status, 401, text);
    const { error } = JSON.parse(text);
    assert.equal(error.type, 'auth_error');
    assert.match(error.message, new RegExp(`^Authentication Error, Rejected Request: ${field} is not allowed in request body`));
    assert.equal(upstream.length, 0, 'a rejected request must not reach the upstream');
  });
}

test('mock_response in a request body is never sent upstream', async () => {
  const { response, text, upstream } = await exchange('/v1/chat/completions', {
    model: 'gpt-test', messages: kHello, mock_response: 'from the client',
  });
  assert.equal(response.status, 200, text);
  for (const request of upstream) assert.ok(!('mock_response' in request.body));
});

test('the response is the upstream body with model rewritten to the requested name', async () => {
  const { response, text } = await exchange('/v1/chat/completions', { model: 'gpt-test', messages: kHello });
  assert.equal(response.status, 200, text);
  assert.match(response.headers.get('content-type'), /application\/json/);
  const expected = { ...JSON.parse(readFixture('chat_completion.json')), model: 'gpt-test' };
  assert.deepEqual(JSON.parse(text), expected);
});

test('tool calls come back untouched', async () => {
  const { response, text, upstream } = await exchange('/v1/chat/completions', { model: 'tools', messages: kHello });
  assert.equal(response.status, 200, text);
  assert.equal(upstream[0].body.model, 'mock-tool-call');
  assert.deepEqual(JSON.parse(text), { ...JSON.parse(readFixture('chat_completion_tool_calls.json')), model: 'tools' });
});

test('legacy completions go to /completions and come back with the model rewritten', async () => {
  const { response, text, upstream } = await exchange('/v1/completions', {
    model: 'instruct', prompt: ['Say this', 'is a test'], max_tokens: 7, echo: false, suffix: null, metadata: { a: '1' },
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream[0].path, '/v1/completions');
  assert.equal(upstream[0].headers.authorization, `Bearer ${kUpstreamKey}`);
  assert.deepEqual(upstream[0].body.prompt, ['Say this', 'is a test']);
  assert.equal(upstream[0].body.model, 'gpt-3.5-turbo-instruct-mock');
  assert.equal(upstream[0].body.max_tokens, 7);
  assert.ok(!('metadata' in upstream[0].body));
  assert.deepEqual(JSON.parse(text), { ...legacyCompletion('gpt-3.5-turbo-instruct-mock'), model: 'instruct' });
});

test('embeddings go to /embeddings with input and dimensions untouched', async () => {
  const { response, text, upstream } = await exchange('/v1/embeddings', {
    model: 'embedder', input: ['first', 'second'], dimensions: 4, encoding_format: 'float', user: 'u1',
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream[0].path, '/v1/embeddings');
  assert.equal(upstream[0].headers.authorization, `Bearer ${kUpstreamKey}`);
  assert.deepEqual(upstream[0].body.input, ['first', 'second']);
  assert.equal(upstream[0].body.dimensions, 4);
  assert.equal(upstream[0].body.model, 'text-embedding-mock');
  assert.equal(JSON.parse(text).model, 'embedder');
});

test('moderations go to /moderations and come back with the model rewritten', async () => {
  const { response, text, upstream } = await exchange('/v1/moderations', { model: 'moderator', input: ['I will kill it', 'hi'] });
  assert.equal(response.status, 200, text);
  assert.equal(upstream[0].path, '/v1/moderations');
  assert.equal(upstream[0].body.model, 'omni-moderation-mock');
  assert.deepEqual(upstream[0].body.input, ['I will kill it', 'hi']);
  const expected = moderationResponse({ model: 'omni-moderation-mock', input: ['I will kill it', 'hi'] });
  assert.deepEqual(JSON.parse(text), { ...expected, model: 'moderator' });
});

function assertModelHeaders(headers, modelName) {
  assert.equal(headers.get('x-litellm-model-group'), modelName);
  assert.equal(headers.get('x-litellm-model-id'), `deployment-${modelName}`);
  assert.ok(headers.get('x-litellm-call-id'), 'x-litellm-call-id');
  for (const name of ['x-litellm-response-duration-ms', 'x-litellm-overhead-duration-ms']) {
    const value = headers.get(name);
    assert.ok(value !== null && value !== '' && Number.isFinite(Number(value)) && Number(value) >= 0, `${name}: ${value}`);
  }
}

test('model routes answer with x-request-id (echoed) and the x-litellm-* headers', async () => {
  const { response } = await exchange('/v1/chat/completions', { model: 'gpt-test', messages: kHello },
    { headers: { 'x-request-id': 'client-req-7f1' } });
  assert.equal(response.headers.get('x-request-id'), 'client-req-7f1');
  assertModelHeaders(response.headers, 'gpt-test');

  const first = await exchange('/v1/embeddings', { model: 'embedder', input: 'x', encoding_format: 'float' });
  const second = await exchange('/v1/embeddings', { model: 'embedder', input: 'x', encoding_format: 'float' });
  const ids = [first, second].map(({ response: r }) => r.headers.get('x-request-id'));
  assert.ok(ids[0] && ids[1], 'an x-request-id is generated when the client sent none');
  assert.notEqual(ids[0], ids[1], 'generated request ids are unique');
  assert.notEqual(first.response.headers.get('x-litellm-call-id'), second.response.headers.get('x-litellm-call-id'));
  assertModelHeaders(first.response.headers, 'embedder');
});

test('a stream carries the same headers', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello, stream: true },
    { headers: { 'x-request-id': 'client-stream-9' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-request-id'), 'client-stream-9');
  assert.equal(response.headers.get('x-litellm-model-group'), 'gpt-test');
  assert.equal(response.headers.get('x-litellm-model-id'), 'deployment-gpt-test');
  assert.ok(response.headers.get('x-litellm-call-id'));
  assert.ok((await readSse(response)).done);
});

test('a group of two deployments answers under its model_name with the id of the deployment used', async () => {
  for (let i = 0; i < 4; i++) {
    const { response, text } = await exchange('/v1/chat/completions', { model: 'pair', messages: kHello });
    assert.equal(response.status, 200, text);
    assert.equal(JSON.parse(text).model, 'pair');
    assert.equal(response.headers.get('x-litellm-model-group'), 'pair');
    assert.ok(['deployment-pair-a', 'deployment-pair-b'].includes(response.headers.get('x-litellm-model-id')),
      `x-litellm-model-id: ${response.headers.get('x-litellm-model-id')}`);
  }
});
