// A model with litellm_params.mock_response is answered by the gateway itself: its api_base is
// a closed port, so any upstream call would fail the request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kMockedAnswer } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

test('mock_response answers a chat completion with no upstream call', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'mocked', messages: kHello });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const body = JSON.parse(text);
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'mocked');
  assert.equal(typeof body.id, 'string');
  assert.equal(typeof body.created, 'number');
  assert.equal(body.choices.length, 1);
  assert.equal(body.choices[0].index, 0);
  assert.equal(body.choices[0].message.role, 'assistant');
  assert.equal(body.choices[0].message.content, kMockedAnswer);
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(response.headers.get('x-litellm-model-group'), 'mocked');
  assert.equal(stack.mock.requests.length, 0);
});

test('mock_response streams as chunks ending in [DONE], with no upstream call', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'mocked', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.ok(chunks.length >= 1);
  for (const chunk of chunks) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, 'mocked');
  }
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), kMockedAnswer);
  assert.ok(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop'));
  assert.equal(stack.mock.requests.length, 0);
});
