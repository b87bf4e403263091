// Streaming: events relayed in order as they arrive (not buffered), [DONE] at the end, usage only
// when asked, errors before the first chunk as plain JSON errors, an upstream that dies mid-stream
// as an in-band error event, and a client that leaves aborting the upstream call at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kAuth, kHello } from '../support/stack.mjs';
import { fixtureStreamEvents, fixtureStreamText, eventData, errorBody, kLegacyCompletionText } from '../mock_upstream/bodies.mjs';
import { expectError, assertErrorBody, assertStillServing } from '../support/assertions.mjs';
import { RawConnection } from '../support/network.mjs';
import { readSse, sseEvents } from '../support/sse.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

// The fixture's chunks as the client must see them: same order and content, model rewritten.
function expectedChunks(fixture, includeUsage, modelName) {
  return fixtureStreamEvents(fixture, includeUsage)
    .map(eventData)
    .filter((data) => data !== '[DONE]')
    .map((data) => ({ ...JSON.parse(data), model: modelName }));
}

const stream = (model, extra = {}, options) =>
  postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, stream: true, ...extra }, options);

test('a chat stream relays every upstream chunk in order, model rewritten, then [DONE]', async () => {
  const response = await stream('gpt-test');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  const { chunks, done, broken, payloads } = await readSse(response);
  assert.equal(broken, null);
  assert.ok(done, `the stream must end with [DONE]; last: ${payloads.at(-1)}`);
  assert.equal(payloads.filter((data) => data === '[DONE]').length, 1);
  assert.deepEqual(chunks, expectedChunks('chat_completion_stream.sse', false, 'gpt-test'));
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
    fixtureStreamText('chat_completion_stream.sse'));
  assert.ok(chunks.every((chunk) => !chunk.usage), 'no usage chunk when the client did not ask');
});

test('stream_options.include_usage is forwarded and the usage chunk relayed', async () => {
  const before = stack.mock.requests.length;
  const { chunks, done } = await readSse(await stream('gpt-test', { stream_options: { include_usage: true } }));
  assert.ok(done);
  assert.deepEqual(stack.mock.requests[before].body.stream_options, { include_usage: true });
  assert.deepEqual(chunks, expectedChunks('chat_completion_stream.sse', true, 'gpt-test'));
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44, completion_tokens_details: { reasoning_tokens: 0 } });
});

test('a streamed pair of parallel tool calls is relayed chunk for chunk', async () => {
  const { chunks, done } = await readSse(await stream('tools', { stream_options: { include_usage: true } }));
  assert.ok(done);
  assert.deepEqual(chunks, expectedChunks('chat_completion_stream_tool_calls.sse', true, 'tools'));
});

test('a legacy completion stream is relayed, model rewritten, then [DONE]', async () => {
  const response = await postJson(stack.url, '/v1/completions', { model: 'instruct', prompt: 'x', stream: true });
  assert.equal(response.status, 200);
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.ok(chunks.every((chunk) => chunk.model === 'instruct' && chunk.object === 'text_completion'));
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join(''), kLegacyCompletionText);
});

test('events reach the client while the upstream is still sending (relayed, not buffered)', async () => {
  // slow-stream: an event every 50 ms, 100 content events: about 5 s in all.
  const started = Date.now();
  const controller = new AbortController();
  const before = stack.mock.requests.length;
  const response = await stream('slow-stream', {}, { signal: controller.signal });
  assert.equal(response.status, 200);
  const arrivals = [];
  for await (const event of sseEvents(response)) {
    arrivals.push(event.at - started);
    const upstream = stack.mock.requests[before];
    assert.equal(upstream.outcome, 'pending', 'the upstream must still be sending when the client sees an event');
    if (arrivals.length === 5) break;
  }
  controller.abort();
  assert.ok(arrivals[0] < 1000, `first event after ${arrivals[0]} ms`);
  assert.ok(arrivals[4] < 2000, `fifth event after ${arrivals[4]} ms; arrivals: ${arrivals}`);
  // Spread out like the upstream's pacing, not delivered in one burst.
  assert.ok(arrivals[4] - arrivals[0] >= 120, `arrivals: ${arrivals}`);
});

test('a client that disconnects mid-stream makes the gateway abort its upstream request at once', async () => {
  const connection = await RawConnection.open(stack.port);
  const before = stack.mock.requests.length;
  await connection.request('POST', '/v1/chat/completions', {
    headers: { ...kAuth, 'Content-Type': 'application/json' },
    body: { model: 'slow-stream', messages: kHello, stream: true },
  });
  await connection.waitFor(() => ((connection.buffer.toString().match(/data: /g) ?? []).length >= 3 ? true : undefined),
    3000, 'three events');
  const upstream = stack.mock.requests[before];
  assert.equal(upstream.outcome, 'pending');
  const leftAt = Date.now();
  connection.close();
  const record = await stack.mock.waitFor((r) => r.id === upstream.id && r.outcome !== 'pending', { timeoutMs: 4000 });
  assert.equal(record.outcome, 'aborted', 'the upstream response must be abandoned, not finished');
  assert.ok(record.endedAt - leftAt < 1000, `upstream closed ${record.endedAt - leftAt} ms after the client left`);
  assert.ok(record.eventsWritten < 60, `the upstream wrote ${record.eventsWritten} of 102 events`);
  await assertStillServing(stack.port);
});

test('an upstream error before the first chunk is a plain JSON error with its status and message', async () => {
  for (const [model, status] of [['rate-limited', 429], ['broken', 500]]) {
    const response = await stream(model);
    await expectError(response, status, { message: errorBody(status).error.message }, model);
  }
});

test('an upstream that dies mid-stream yields an in-band error event and no [DONE]', async () => {
  const response = await stream('cut-stream');
  assert.equal(response.status, 200);
  const { chunks, payloads, done } = await readSse(response);
  assert.equal(done, false, 'a broken stream must not look complete');
  const relayed = chunks.slice(0, -1);
  assert.deepEqual(relayed, expectedChunks('chat_completion_stream.sse', false, 'cut-stream').slice(0, 3),
    `payloads: ${payloads}`);
  const last = chunks.at(-1);
  assertErrorBody(last, {}, 'the last event');
  await assertStillServing(stack.port);
});
