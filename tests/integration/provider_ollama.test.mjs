// Ollama beyond the conformance suite: the exact upstream requests (/api/chat with options,
// tools and images; /api/generate with LiteLLM's flattened prompt for `ollama/`; /api/embed),
// the optional bearer key, Ollama's error bodies and a mid-stream error line, unsupported
// parameters, and legacy completions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kUpstreamKey } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';
import { readOllamaFixture, ollamaStreamText } from '../mock_upstream/dialects/ollama.mjs';

function ollamaModels(mockUrl) {
  const entry = (name, model, params = {}) => ({ model_name: name, litellm_params: { model, api_base: mockUrl, ...params } });
  return [
    entry('ol-chat', 'ollama_chat/llama3.2', { num_ctx: 4096 }),
    entry('ol-keyed', 'ollama_chat/llama3.2', { api_key: kUpstreamKey }),
    entry('ol-generate', 'ollama/llama3.2'),
    entry('ol-missing', 'ollama_chat/mock-error-404'),
    entry('ol-stream-error', 'ollama_chat/mock-stream-error'),
    entry('ol-dropping', 'ollama_chat/llama3.2', { drop_params: true }),
  ];
}

let stack;
before(async () => { stack = await startStack({ extraModelsFor: ollamaModels }); });
after(() => stack?.stop());

async function call(path, body) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, path, body);
  const text = await response.text();
  const upstream = stack.mock.requests.slice(before);
  return { response, text, upstream: upstream[0], upstreamCount: upstream.length };
}

test('ollama_chat: /api/chat with messages, options, tools and images translated', async () => {
  const { response, text, upstream } = await call('/v1/chat/completions', {
    model: 'ol-chat',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
    ],
    temperature: 0.1, max_tokens: 50, stop: ['END'], seed: 3,
    response_format: { type: 'json_object' },
    tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
    metadata: { trace: 'x' },
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.dialect, 'ollama');
  assert.equal(upstream.path, '/api/chat');
  assert.equal(upstream.headers.authorization, undefined, 'no key configured, none sent');
  assert.deepEqual(upstream.body, {
    model: 'llama3.2',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is this?', images: ['iVBORw0KGgo='] },
    ],
    stream: false,
    format: 'json',
    tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
    options: { temperature: 0.1, num_predict: 50, stop: ['END'], seed: 3, num_ctx: 4096 },
  });
  const body = JSON.parse(text);
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'ol-chat');
  assert.equal(body.created, 1702390423, 'created from Ollama\'s created_at');
});

test('ollama_chat: api_key is sent as a bearer token', async () => {
  const { response, upstream } = await call('/v1/chat/completions', { model: 'ol-keyed', messages: kHello });
  assert.equal(response.status, 200);
  assert.equal(upstream.headers.authorization, `Bearer ${kUpstreamKey}`);
});

test('ollama/: chat requests go to /api/generate as one flattened prompt', async () => {
  const { response, text, upstream } = await call('/v1/chat/completions', {
    model: 'ol-generate',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Why is the sky blue?' }],
    max_tokens: 20,
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path, '/api/generate');
  assert.deepEqual(upstream.body, {
    model: 'llama3.2', prompt: '### System:\nBe brief.\n\n### User:\nWhy is the sky blue?\n\n', stream: false,
    options: { num_predict: 20 },
  });
  const body = JSON.parse(text);
  assert.equal(body.choices[0].message.content, JSON.parse(readOllamaFixture('generate.synthetic.json')).response);
  assert.deepEqual(body.usage, { prompt_tokens: 26, completion_tokens: 259, total_tokens: 285 });
});

test('ollama/: a streamed generate answer becomes OpenAI chunks ending with the finish reason and [DONE]', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', {
    model: 'ol-generate', messages: kHello, stream: true, stream_options: { include_usage: true },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /text\/event-stream/);
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), ollamaStreamText('generate_stream.synthetic.ndjson'));
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 26, completion_tokens: 7, total_tokens: 33 });
});

test('ollama: legacy completions use /api/generate and answer text_completion', async () => {
  const { response, text, upstream } = await call('/v1/completions', { model: 'ol-chat', prompt: 'Why is the sky blue?', max_tokens: 9 });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path, '/api/generate');
  assert.deepEqual(upstream.body, { model: 'llama3.2', prompt: 'Why is the sky blue?', stream: false, options: { num_predict: 9, num_ctx: 4096 } });
  const body = JSON.parse(text);
  assert.equal(body.object, 'text_completion');
  assert.equal(body.choices[0].text, JSON.parse(readOllamaFixture('generate.synthetic.json')).response);
});

test('ollama: embeddings go to /api/embed', async () => {
  const { response, text, upstream } = await call('/v1/embeddings', { model: 'ol-chat', input: ['a', 'b'], encoding_format: 'float' });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path, '/api/embed');
  assert.deepEqual(upstream.body, { model: 'llama3.2', input: ['a', 'b'], options: { num_ctx: 4096 } });
  const body = JSON.parse(text);
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 2);
});

test('ollama: a missing model is a 404 with Ollama\'s message', async () => {
  const { response, text } = await call('/v1/chat/completions', { model: 'ol-missing', messages: kHello });
  assert.equal(response.status, 404);
  assert.equal(JSON.parse(text).error.message, 'mock ollama says 404: the scripted failure for this model');
});

test('ollama: an error line mid-stream becomes an in-band error event', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'ol-stream-error', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  const { chunks, done } = await readSse(response);
  assert.ok(!done, 'no [DONE] after an error');
  assert.equal(chunks[0].choices[0].delta.content, 'Hel');
  assert.match(chunks.at(-1).error.message, /unexpected EOF/);
});

test('ollama: parameters Ollama cannot express are refused unless dropped', async () => {
  const refused = await call('/v1/chat/completions', { model: 'ol-chat', messages: kHello, logit_bias: { 1: 2 } });
  assert.equal(refused.response.status, 400);
  assert.equal(refused.upstreamCount, 0);
  assert.match(JSON.parse(refused.text).error.message, /ollama_chat does not support parameters: \['logit_bias'\]/);
  const dropped = await call('/v1/chat/completions', { model: 'ol-dropping', messages: kHello, logit_bias: { 1: 2 } });
  assert.equal(dropped.response.status, 200, dropped.text);
  assert.equal(dropped.upstream.body.logit_bias, undefined);
});
