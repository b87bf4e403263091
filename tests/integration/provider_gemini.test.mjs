// Gemini (gemini/…) beyond the conformance suite: the exact upstream request the mock sees (URL,
// key header, translated body), Google's errors as OpenAI errors, safety blocks, embeddings,
// unsupported parameters and the key from the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kUpstreamKey } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import { kRetryDelaySeconds } from '../mock_upstream/dialects/gemini.mjs';

const kEnvKey = 'gemini-env-key-Q81-test';

function geminiModels(mockUrl) {
  const entry = (name, model, params = {}) => ({
    model_name: name,
    litellm_params: { model: `gemini/${model}`, api_base: mockUrl, api_key: kUpstreamKey, ...params },
  });
  return [
    entry('g-chat', 'gemini-2.5-flash'),
    entry('g-tools', 'mock-tool-call'),
    entry('g-400', 'mock-error-400'),
    entry('g-403', 'mock-error-403'),
    entry('g-404', 'mock-error-404'),
    entry('g-429', 'mock-error-429'),
    entry('g-503', 'mock-error-503'),
    entry('g-bad-key', 'mock-invalid-key'),
    entry('g-blocked', 'mock-prompt-blocked'),
    entry('g-stream-error', 'mock-stream-error'),
    entry('g-garbage', 'mock-garbage'),
    entry('g-embed', 'text-embedding-004'),
    entry('g-dropping', 'gemini-2.5-flash', { drop_params: true }),
    entry('g-slow', 'mock-slow-first-byte-3000', { timeout: 1, stream_timeout: 1 }),
    // No api_key: GEMINI_API_KEY from the environment (GOOGLE_API_KEY, read first, is empty).
    { model_name: 'g-env-key', litellm_params: { model: 'gemini/gemini-2.5-flash', api_base: mockUrl } },
  ];
}

let stack;
before(async () => {
  stack = await startStack({ extraModelsFor: geminiModels, env: { GOOGLE_API_KEY: '', GEMINI_API_KEY: kEnvKey } });
});
after(() => stack?.stop());

// Sends one request; returns the response, its text and the one upstream request it caused.
async function call(path, body) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, path, body);
  const text = await response.text();
  const upstream = stack.mock.requests.slice(before);
  return { response, text, upstream: upstream.at(-1), upstreamCount: upstream.length };
}

test('a chat request reaches Gemini translated, with the key in x-goog-api-key only', async () => {
  const { response, text, upstream } = await call('/v1/chat/completions', {
    model: 'g-chat',
    messages: [{ role: 'system', content: 'Be brief.' }, ...kHello],
    temperature: 0.3, max_tokens: 50, stop: 'END',
    tools: [{ type: 'function', function: { name: 'lookup', strict: true, parameters: { type: 'object', additionalProperties: false, properties: { q: { type: 'string' } }, required: ['q'] } } }],
    tool_choice: 'required',
    metadata: { team: 'a' },
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.dialect, 'gemini');
  assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash:generateContent');
  assert.equal(upstream.query, '', 'no key (or anything else) in the URL');
  assert.equal(upstream.headers['x-goog-api-key'], kUpstreamKey);
  assert.equal(upstream.headers.authorization, undefined);
  assert.deepEqual(upstream.body, {
    systemInstruction: { parts: [{ text: 'Be brief.' }] },
    contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }],
    tools: [{ functionDeclarations: [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    generationConfig: { temperature: 0.3, maxOutputTokens: 50, stopSequences: ['END'] },
  });
  const completion = JSON.parse(text);
  assert.equal(completion.model, 'g-chat');
  assert.equal(completion.choices[0].message.content, 'Hello!');
  assert.deepEqual(completion.usage.completion_tokens_details, { reasoning_tokens: 17 });
});

test('a stream asks for SSE and ends with [DONE] though Gemini sends no end marker', async () => {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'g-chat', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  const { done, chunks, broken } = await readSse(response);
  const upstream = stack.mock.requests.slice(before).at(-1);
  assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
  assert.equal(upstream.query, '?alt=sse');
  assert.equal(broken, null);
  assert.ok(done);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
});

test('a tool round trip: calls become functionCall parts, results functionResponse parts named by call id', async () => {
  const first = await call('/v1/chat/completions', { model: 'g-tools', messages: kHello, tools: [{ type: 'function', function: { name: 'getWeather' } }] });
  const [toolCall] = JSON.parse(first.text).choices[0].message.tool_calls;
  // Gemini sends no call id; the call's thoughtSignature rides in the made-up one (LiteLLM's way).
  const [, signature] = /^call_[0-9a-f]{24}__thought__(.+)$/.exec(toolCall.id) ?? [];
  assert.ok(signature, toolCall.id);
  const { response, upstream } = await call('/v1/chat/completions', {
    model: 'g-chat',
    messages: [...kHello, { role: 'assistant', content: null, tool_calls: [toolCall] }, { role: 'tool', tool_call_id: toolCall.id, content: '22 degrees' }],
  });
  assert.equal(response.status, 200);
  assert.deepEqual(upstream.body.contents.slice(1), [
    { role: 'model', parts: [{ functionCall: { name: 'getWeather', args: { location: 'Tokyo' } }, thoughtSignature: signature }] },
    { role: 'user', parts: [{ functionResponse: { name: 'getWeather', response: { content: '22 degrees' } } }] },
  ]);
});

test("Google's errors become OpenAI errors with the upstream message, streamed or not", async () => {
  for (const stream of [false, true]) {
    const context = stream ? 'streamed' : 'unary';
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-400', messages: kHello, stream }), 400,
      { type: 'invalid_request_error', message: 'Request contains an invalid argument.' }, context);
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-bad-key', messages: kHello, stream }), 401,
      { code: 'invalid_api_key', message: 'API key not valid. Please pass a valid API key.' }, context);
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-403', messages: kHello, stream }), 403, {}, context);
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-404', messages: kHello, stream }), 404, {}, context);
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-503', messages: kHello, stream }), 503, {}, context);
    const limited = await postJson(stack.url, '/v1/chat/completions', { model: 'g-429', messages: kHello, stream });
    assert.equal(limited.headers.get('retry-after'), String(kRetryDelaySeconds), `${context}: RetryInfo.retryDelay`);
    await expectError(limited, 429, { code: 'rate_limit_exceeded' }, context);
  }
  await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-garbage', messages: kHello }), 502);
});

test('a prompt blocked by safety is a 400 content_policy_violation naming the reason', async () => {
  for (const stream of [false, true]) {
    const body = await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-blocked', messages: kHello, stream }),
      400, { code: 'content_policy_violation' }, stream ? 'streamed' : 'unary');
    assert.match(body.error.message, /blockReason: SAFETY/);
  }
});

test('an error event inside a Gemini stream reaches the client as an in-band error after the text', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'g-stream-error', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  const { payloads, done } = await readSse(response);
  assert.equal(JSON.parse(payloads[0]).choices[0].delta.content, 'The answer');
  const { error } = JSON.parse(payloads.at(-1));
  assert.equal(error.message, 'The model is overloaded. Please try again later.');
  assert.equal(error.code, '503');
  assert.ok(!done, 'no [DONE] after an error');
});

test('the upstream key appears in no answer and no log line', async () => {
  for (const model of ['g-400', 'g-bad-key', 'g-blocked', 'g-chat']) {
    const { text } = await call('/v1/chat/completions', { model, messages: kHello });
    assert.ok(!text.includes(kUpstreamKey), model);
  }
  assert.ok(!stack.gateway.stderr().includes(kUpstreamKey));
  assert.ok(!stack.gateway.stderr().includes(kEnvKey));
});

test('embeddings go through batchEmbedContents, dimensions as outputDimensionality', async () => {
  const inputs = ['first text', 'second text'];
  const { response, text, upstream } = await call('/v1/embeddings', { model: 'g-embed', input: inputs, dimensions: 4, encoding_format: 'float' });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path, '/v1beta/models/text-embedding-004:batchEmbedContents');
  assert.deepEqual(upstream.body, {
    requests: inputs.map((input) => ({ model: 'models/text-embedding-004', content: { parts: [{ text: input }] }, outputDimensionality: 4 })),
  });
  const answer = JSON.parse(text);
  assert.equal(answer.object, 'list');
  assert.equal(answer.model, 'g-embed');
  assert.deepEqual(answer.data.map((item) => item.embedding), inputs.map((input) => embeddingFor(input, 4)));
});

test('a parameter Gemini cannot express is a 400 unless the deployment drops it', async () => {
  const refused = await call('/v1/chat/completions', { model: 'g-chat', messages: kHello, logit_bias: { 1: 2 } });
  assert.equal(refused.response.status, 400, refused.text);
  assert.match(JSON.parse(refused.text).error.message, /gemini does not support parameters: \['logit_bias'\]/);
  assert.equal(refused.upstreamCount, 0, 'nothing was sent upstream');
  const dropped = await call('/v1/chat/completions', { model: 'g-dropping', messages: kHello, logit_bias: { 1: 2 } });
  assert.equal(dropped.response.status, 200, dropped.text);
  assert.equal(dropped.upstream.body.logit_bias, undefined);
});

test('without api_key the key comes from GEMINI_API_KEY', async () => {
  const { response, upstream } = await call('/v1/chat/completions', { model: 'g-env-key', messages: kHello });
  assert.equal(response.status, 200);
  assert.equal(upstream.headers['x-goog-api-key'], kEnvKey);
});

test('a Gemini upstream slower than the deployment timeout is a 408, streamed or not', async () => {
  for (const stream of [false, true]) {
    const started = Date.now();
    await expectError(await postJson(stack.url, '/v1/chat/completions', { model: 'g-slow', messages: kHello, stream }), 408,
      {}, stream ? 'streamed' : 'unary');
    assert.ok(Date.now() - started < 2900, 'gave up at the timeout, before the mock answered at 3 s');
  }
});

test('the Gemini mock itself refuses a call without x-goog-api-key, as Google does', async () => {
  const response = await fetch(`${stack.mock.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [] }),
  });
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error.status, 'PERMISSION_DENIED');
});

test('GOOGLE_API_KEY wins over GEMINI_API_KEY, as in LiteLLM', async () => {
  const both = await startStack({
    extraModelsFor: (mockUrl) => [{ model_name: 'g-env', litellm_params: { model: 'gemini/gemini-2.5-flash', api_base: mockUrl } }],
    env: { GOOGLE_API_KEY: 'google-env-key-test', GEMINI_API_KEY: kEnvKey },
  });
  try {
    const response = await postJson(both.url, '/v1/chat/completions', { model: 'g-env', messages: kHello });
    assert.equal(response.status, 200, await response.text());
    assert.equal(both.mock.requests.at(-1).headers['x-goog-api-key'], 'google-env-key-test');
  } finally {
    await both.stop();
  }
});
