// Upstream failures reach the client as OpenAI errors: the upstream's own status and message
// when it answered, 502/503 when it cannot be reached, 408 when it is too slow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello } from '../support/stack.mjs';
import { errorBody } from '../mock_upstream/bodies.mjs';
import { expectError, assertStillServing, eventually } from '../support/assertions.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

const chat = (model, extra = {}) => postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, ...extra });

test('upstream 429 is relayed as 429 with the upstream message', async () => {
  await expectError(await chat('rate-limited'), 429, { message: errorBody(429).error.message });
  await assertStillServing(stack.port);
});

test('upstream 500 is relayed as 500 with the upstream message', async () => {
  await expectError(await chat('broken'), 500, { message: errorBody(500).error.message });
  await assertStillServing(stack.port);
});

test('upstream errors on embeddings keep their status too', async () => {
  const response = await postJson(stack.url, '/v1/embeddings', { model: 'rate-limited', input: 'x' });
  await expectError(response, 429, { message: errorBody(429).error.message });
});

test('an unreachable upstream (closed port) is 502 or 503, quickly', async () => {
  const started = Date.now();
  await expectError(await chat('unreachable'), [502, 503]);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  const streamed = await chat('unreachable', { stream: true });
  assert.ok([502, 503].includes(streamed.status), `stream: ${streamed.status}`);
  await streamed.arrayBuffer();
  await assertStillServing(stack.port);
});

test('an upstream slower than litellm_params.timeout is 408 after about that long', async () => {
  // slow-first-byte: the upstream waits 3 s before answering; the model's timeout is 1 s.
  for (const stream of [false, true]) {
    const before = stack.mock.requests.length;
    const started = Date.now();
    await expectError(await chat('slow-first-byte', { stream }), 408, {}, `stream: ${stream}`);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 2500, `stream ${stream}: answered after ${took} ms`);
    // The gateway gave up on the call, so it must not keep the upstream request open.
    const record = await stack.mock.waitFor((r) => r.id === before + 1 && r.outcome !== 'pending', { timeoutMs: 4000 });
    assert.equal(record.outcome, 'aborted', `stream ${stream}: the timed-out upstream request was not abandoned`);
  }
  await assertStillServing(stack.port);
});

test('an upstream answering 200 with a body that is not JSON is a 500/502/503 error, not a crash', async () => {
  await expectError(await chat('garbage'), [500, 502, 503]);
  await assertStillServing(stack.port);
});

test('keep-alive connections the upstream closed while idle are not an error: the call goes on a new connection', async () => {
  // Three calls in flight at once leave three connections in the pool; once idle for 5 s, the mock
  // (Node's keep-alive timeout) closes them all. Resending on another pooled connection would
  // meet a closed one again (a 502 before the fix).
  const streams = await Promise.all([1, 2, 3].map(() => chat('short-slow-stream', { stream: true })));
  for (const stream of streams) {
    assert.equal(stream.status, 200);
    await stream.text();
  }
  await eventually(async () => await stack.mock.openConnections() === 0,
    { timeoutMs: 15_000, intervalMs: 200, what: 'the mock closing its idle connections' });
  for (let i = 0; i < 3; i++) {
    const response = await chat('gpt-test');
    assert.equal(response.status, 200, await response.clone().text());
    await response.arrayBuffer();
  }
});
