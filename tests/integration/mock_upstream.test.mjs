// The mock upstream itself: every other test trusts that it replays the fixtures and follows its
// model-name script, so that is checked here directly, without the gateway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import {
  readFixture, fixtureStreamEvents, fixtureStreamText, eventData, errorBody, embeddingFor, kModerationCategories,
} from '../mock_upstream/bodies.mjs';
import { RawConnection } from '../support/network.mjs';
import { readSse } from '../support/sse.mjs';

let mock;
before(async () => { mock = await startMockUpstream(); });
after(() => mock.close());

function post(path, body, headers = { authorization: 'Bearer upstream-key' }) {
  return fetch(`${mock.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
}

test('a plain model gets the recorded chat completion, and the request is recorded', async () => {
  const response = await post('/v1/chat/completions', { model: 'any-model', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), JSON.parse(readFixture('chat_completion.json')));
  const record = mock.requests.at(-1);
  assert.equal(record.method, 'POST');
  assert.equal(record.path, '/v1/chat/completions');
  assert.equal(record.headers.authorization, 'Bearer upstream-key');
  assert.equal(record.body.model, 'any-model');
  assert.equal(record.outcome, 'finished');
});

test('a stream replays the fixture in pieces; the usage chunk only when asked', async () => {
  for (const includeUsage of [false, true]) {
    const response = await post('/v1/chat/completions', {
      model: 'any-model', stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    assert.match(response.headers.get('content-type'), /^text\/event-stream/);
    const { payloads, done, chunks } = await readSse(response);
    assert.ok(done);
    const expected = fixtureStreamEvents('chat_completion_stream.sse', includeUsage)
      .map((event) => event.slice('data: '.length).trimEnd());
    assert.deepEqual(payloads, expected);
    assert.equal(chunks.some((chunk) => chunk.usage), includeUsage);
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
      fixtureStreamText('chat_completion_stream.sse'));
  }
});

test('stream bytes arrive in several writes, split inside lines', async () => {
  const connection = await RawConnection.open(mock.port);
  const sizes = [];
  connection.socket.on('data', (data) => sizes.push(data.length));
  await connection.request('POST', '/v1/chat/completions', {
    headers: { Authorization: 'Bearer k', 'Content-Type': 'application/json' },
    body: { model: 'x', stream: true },
  });
  const response = await connection.readResponse();
  connection.close();
  assert.equal(response.status, 200);
  assert.ok(sizes.length >= 10, `only ${sizes.length} reads`);
});

test('mock-tool-call serves the tool-call fixtures', async () => {
  const plain = await post('/v1/chat/completions', { model: 'mock-tool-call' });
  assert.deepEqual(await plain.json(), JSON.parse(readFixture('chat_completion_tool_calls.json')));
  const streamed = await readSse(await post('/v1/chat/completions', { model: 'mock-tool-call', stream: true }));
  const names = streamed.chunks.flatMap((chunk) => chunk.choices[0]?.delta?.tool_calls ?? [])
    .filter((call) => call.function?.name).map((call) => call.function.name);
  assert.deepEqual(names, ['GetWeatherArgs', 'get_stock_price']);
});

test('mock-error-<status> and the retry-after variant', async () => {
  const response = await post('/v1/chat/completions', { model: 'mock-error-503' });
  assert.equal(response.status, 503);
  assert.deepEqual(await response.json(), errorBody(503));
  const limited = await post('/v1/embeddings', { model: 'mock-error-429-retry-after-4', input: 'x' });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '4');
  assert.deepEqual(await limited.json(), errorBody(429));
});

test('no Authorization header gets the recorded 401', async () => {
  const response = await post('/v1/chat/completions', { model: 'm' }, {});
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), JSON.parse(readFixture('error_401_invalid_api_key.json')));
});

test('mock-slow-first-byte-<ms> holds the headers back', async () => {
  const started = Date.now();
  const response = await post('/v1/chat/completions', { model: 'mock-slow-first-byte-300' });
  assert.ok(Date.now() - started >= 290);
  assert.equal(response.status, 200);
  await response.arrayBuffer();
});

test('mock-stream-cut-after-<n> sends n events, then drops the connection', async () => {
  const { payloads, broken, done } = await readSse(await post('/v1/chat/completions', { model: 'mock-stream-cut-after-3', stream: true }));
  assert.equal(payloads.length, 3);
  assert.ok(broken, 'the body should break off');
  assert.equal(done, false);
  const { id } = mock.requests.at(-1);
  await mock.waitFor((record) => record.id === id && record.outcome === 'cut', { timeoutMs: 1000 });
});

test('mock-stream-slow-<ms>-<n> paces events; a client that leaves is recorded as aborted', async () => {
  const response = await post('/v1/chat/completions', { model: 'mock-stream-slow-40', stream: true });
  const reader = response.body.getReader();
  await reader.read();
  const record = mock.requests.at(-1);
  assert.equal(record.outcome, 'pending');
  await reader.cancel();
  await mock.waitFor((r) => r.id === record.id && r.outcome === 'aborted', { timeoutMs: 2000 });
  const entry = mock.aborted.find((a) => a.requestId === record.id);
  assert.ok(entry.eventsWritten < 100);

  const short = await readSse(await post('/v1/chat/completions', { model: 'mock-stream-slow-5-4', stream: true }));
  assert.equal(short.chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'tick 0 tick 1 tick 2 tick 3 ');
  assert.ok(short.done);
});

test('mock-garbage answers 200 with a body that is not JSON', async () => {
  const response = await post('/v1/chat/completions', { model: 'mock-garbage' });
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.throws(() => JSON.parse(text), SyntaxError);
});

test('mock-huge-answer-<MiB> is the recorded answer made that long, sent without a length', async () => {
  const response = await post('/v1/chat/completions', { model: 'mock-huge-answer-2' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), null);
  const text = await response.text();
  assert.ok(text.length >= 2 * 1024 * 1024 && text.length < 2 * 1024 * 1024 + 4096, `${text.length} bytes`);
  assert.deepEqual(JSON.parse(text), JSON.parse(readFixture('chat_completion.json')));

  const streamed = await post('/v1/chat/completions', { model: 'mock-huge-answer-2', stream: true });
  const bytes = (await streamed.clone().arrayBuffer()).byteLength;
  assert.ok(bytes > 2 * 1024 * 1024 - 64 * 1024, `a ${bytes}-byte stream`);
  const { payloads } = await readSse(streamed);
  assert.deepEqual(payloads, fixtureStreamEvents('chat_completion_stream.sse', false).map(eventData));
});

test('mock-huge-event-<KiB> makes the first event that long, the same JSON', async () => {
  const response = await post('/v1/chat/completions', { model: 'mock-huge-event-100', stream: true });
  const { events, payloads } = await readSse(response);
  const expected = fixtureStreamEvents('chat_completion_stream.sse', false).map(eventData);
  assert.ok(events[0].data.length > 100 * 1024);
  assert.deepEqual(JSON.parse(payloads[0]), JSON.parse(expected[0]));
  assert.deepEqual(payloads.slice(1), expected.slice(1));
});

test('legacy completions, plain and streamed', async () => {
  const plain = await (await post('/v1/completions', { model: 'instruct', prompt: 'x' })).json();
  assert.equal(plain.object, 'text_completion');
  const streamed = await readSse(await post('/v1/completions', { model: 'instruct', prompt: 'x', stream: true }));
  assert.equal(streamed.chunks.map((chunk) => chunk.choices[0]?.text ?? '').join(''), plain.choices[0].text);
  assert.ok(streamed.done);
});

test('embeddings are deterministic floats per input, whatever encoding_format says', async () => {
  const body = await (await post('/v1/embeddings', { model: 'e', input: ['a', 'b'], encoding_format: 'base64', dimensions: 5 })).json();
  assert.deepEqual(body.data.map((item) => item.embedding), [embeddingFor('a', 5), embeddingFor('b', 5)]);
  assert.notDeepEqual(embeddingFor('a'), embeddingFor('b'));
});

test('moderations have one result per input with the 13 categories', async () => {
  const body = await (await post('/v1/moderations', { input: ['I will kill it', 'hello'] })).json();
  assert.equal(body.results.length, 2);
  assert.deepEqual(Object.keys(body.results[0].categories), kModerationCategories);
  assert.deepEqual(body.results.map((result) => result.flagged), [true, false]);
});

test('GET /__mock/requests reports requests and aborted responses; DELETE forgets them', async () => {
  const listed = await (await fetch(`${mock.url}/__mock/requests`)).json();
  assert.equal(listed.requests.length, mock.requests.length);
  assert.ok(listed.aborted.length >= 1);
  const cleared = await (await fetch(`${mock.url}/__mock/requests`, { method: 'DELETE' })).json();
  assert.deepEqual(cleared, { requests: [], aborted: [] });
  assert.equal(mock.requests.length, 0);
});

test('runs standalone and prints its port', async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../mock_upstream/server.mjs', import.meta.url))]);
  const [line] = await once(child.stdout.setEncoding('utf8'), 'data');
  const port = Number(/^listening (\d+)/.exec(line)?.[1]);
  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"model":"m"}',
  });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});
