// What the gateway buffers of an upstream's answer is bounded: a non-streamed answer larger than
// general_settings.max_upstream_response_size_mb, or one stream event larger than
// max_upstream_event_size_mb, fails the call with a 502 (an upstream failure: fallbacks apply)
// and is not read any further; a stream itself is relayed event by event whatever its length.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, modelEntry, kHello } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';
import { assertAddedLessThan, residentBytes, kMiB } from '../support/memory.mjs';

let stack;
before(async () => {
  stack = await startStack({
    generalSettings: { max_upstream_response_size_mb: 4, max_upstream_event_size_mb: 1 },
    extraModelsFor: (mockUrl) => [
      modelEntry('huge-answer', 'mock-huge-answer-64', `${mockUrl}/v1`),
      modelEntry('huge-answer-with-fallback', 'mock-huge-answer-64@fallback', `${mockUrl}/v1`),
      modelEntry('large-answer', 'mock-huge-answer-3', `${mockUrl}/v1`),
      modelEntry('huge-event', 'mock-huge-event-2048', `${mockUrl}/v1`),
      modelEntry('large-event', 'mock-huge-event-768', `${mockUrl}/v1`),
    ],
  });
});
after(() => stack?.stop());

const chat = (model, extra = {}) => postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, ...extra });

// The content of a non-streamed answer, or of a stream's chunks joined.
const contentOf = (answer) => answer.choices[0].message.content;
const streamedContent = (chunks) => chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');

test('four answers larger than max_upstream_response_size_mb fail with 502, unread past the limit, memory bounded', async () => {
  const pid = stack.gateway.process.pid;
  await chat('gpt-test').then((response) => response.text());
  const before = residentBytes(pid);
  const responses = await Promise.all(Array.from({ length: 4 }, () => chat('huge-answer')));
  for (const response of responses) {
    await expectError(response, 502, { message: /answer is larger than the limit of 4194304 bytes/ });
  }
  assertAddedLessThan(pid, before, 32 * kMiB, 'four 64 MiB answers cut at 4 MiB');
  const calls = stack.mock.requests.filter((request) => request.body?.model === 'mock-huge-answer-64');
  assert.equal(calls.length, 4);
  for (const call of calls) {
    await stack.mock.waitFor((request) => request === call && request.outcome !== 'pending');
    assert.equal(call.outcome, 'aborted', 'the gateway read an answer it had refused to its end');
  }
});

test('an answer over the limit is an upstream failure like any other: the request falls back', async () => {
  const response = await chat('huge-answer-with-fallback', { fallbacks: ['gpt-test'] });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer).slice(0, 300));
  assert.equal(response.headers.get('x-litellm-model-group'), 'gpt-test');
  const refused = stack.mock.requests.find((request) => request.body?.model === 'mock-huge-answer-64@fallback');
  assert.ok(refused, 'the first deployment was called');
  await stack.mock.waitFor((request) => request === refused && request.outcome !== 'pending');
  assert.equal(refused.outcome, 'aborted');
});

test('an answer just under max_upstream_response_size_mb is relayed whole', async () => {
  const response = await chat('large-answer');
  const text = await response.text();
  assert.equal(response.status, 200, text.slice(0, 300));
  assert.ok(text.length > 3 * kMiB, `${text.length} bytes`);
  const plain = await (await chat('gpt-test')).json();
  assert.equal(contentOf(JSON.parse(text)), contentOf(plain));
});

test('a stream event larger than max_upstream_event_size_mb fails the call with 502 before anything is relayed', async () => {
  await expectError(await chat('huge-event', { stream: true }), 502, { message: /event larger than the limit/ });
});

test('a stream event just under max_upstream_event_size_mb is relayed', async () => {
  const response = await chat('large-event', { stream: true });
  assert.equal(response.status, 200);
  const stream = await readSse(response);
  assert.equal(stream.broken, null);
  assert.ok(stream.done, 'the stream ended with [DONE]');
  const plain = await readSse(await chat('gpt-test', { stream: true }));
  assert.equal(streamedContent(stream.chunks), streamedContent(plain.chunks));
});

test('a stream is relayed event by event, never buffered whole: 64 MiB pass a 4 MiB answer limit', async () => {
  const pid = stack.gateway.process.pid;
  const before = residentBytes(pid);
  const response = await chat('huge-answer', { stream: true });
  assert.equal(response.status, 200);
  const stream = await readSse(response);
  assert.equal(stream.broken, null);
  assert.ok(stream.done, 'the stream ended with [DONE]');
  const plain = await readSse(await chat('gpt-test', { stream: true }));
  assert.equal(streamedContent(stream.chunks), streamedContent(plain.chunks));
  assertAddedLessThan(pid, before, 16 * kMiB, 'a 64 MiB stream');
});
