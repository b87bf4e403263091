// Every kind of bad input gets its OpenAI-shaped error, never reaches the upstream, and leaves
// the gateway serving: on a new connection, and on the same one wherever HTTP allows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, kAuth, kHello } from '../support/stack.mjs';
import { assertErrorBody, assertStillServing } from '../support/assertions.mjs';
import { RawConnection, rawExchange } from '../support/network.mjs';

const kMaxRequestMb = 1;
const kMaxHeaderKb = 8;

let stack;
before(async () => {
  stack = await startStack({
    generalSettings: { max_request_size_mb: kMaxRequestMb, max_header_size_kb: kMaxHeaderKb },
  });
});
after(() => stack?.stop());

const hello = JSON.stringify(kHello);
// [name, path, raw body, expected param (undefined: not checked)]
const kBadBodies = [
  ['malformed JSON', '/v1/chat/completions', `{"model": "gpt-test", "messages": ${hello}`, undefined],
  ['an empty body', '/v1/chat/completions', '', undefined],
  ['a JSON array body', '/v1/chat/completions', `[{"model": "gpt-test", "messages": ${hello}}]`, undefined],
  ['a JSON string body', '/v1/chat/completions', '"hello"', undefined],
  ['model missing', '/v1/chat/completions', `{"messages": ${hello}}`, 'model'],
  ['model a number', '/v1/chat/completions', `{"model": 4, "messages": ${hello}}`, 'model'],
  ['model null', '/v1/chat/completions', `{"model": null, "messages": ${hello}}`, 'model'],
  ['messages missing', '/v1/chat/completions', '{"model": "gpt-test"}', 'messages'],
  ['messages empty', '/v1/chat/completions', '{"model": "gpt-test", "messages": []}', 'messages'],
  ['messages an object', '/v1/chat/completions', '{"model": "gpt-test", "messages": {"role": "user"}}', 'messages'],
  ['messages a string', '/v1/chat/completions', '{"model": "gpt-test", "messages": "hi"}', 'messages'],
  ['prompt missing', '/v1/completions', '{"model": "instruct"}', 'prompt'],
  ['model missing (completions)', '/v1/completions', '{"prompt": "x"}', 'model'],
  ['input missing (embeddings)', '/v1/embeddings', '{"model": "embedder"}', 'input'],
  ['model missing (embeddings)', '/v1/embeddings', '{"input": "x"}', 'model'],
  ['input missing (moderations)', '/v1/moderations', '{"model": "moderator"}', 'input'],
  ['malformed JSON (embeddings)', '/v1/embeddings', '{"model": "embedder", "input": ', undefined],
];

for (const [name, path, body, param] of kBadBodies) {
  test(`${name} on ${path} is 400${param ? ` naming ${param}` : ''}, and the gateway keeps serving`, async () => {
    const before = stack.mock.requests.length;
    const connection = await RawConnection.open(stack.port);
    await connection.request('POST', path, { headers: { ...kAuth, 'Content-Type': 'application/json' }, body });
    const response = await connection.readResponse();
    assert.equal(response.status, 400, response.text);
    assertErrorBody(response.json(), param === undefined ? {} : { param });
    assert.equal(stack.mock.requests.length, before, 'a bad request must not reach the upstream');
    await assertStillServing(stack.port, { connection });
    connection.close();
  });
}

test('an unknown model is 400 with param "model", pointing at /v1/models', async () => {
  for (const [path, body] of [
    ['/v1/chat/completions', { model: 'no-such-model', messages: kHello }],
    ['/v1/embeddings', { model: 'no-such-model', input: 'x' }],
    ['/v1/completions', { model: 'no-such-model', prompt: 'x' }],
  ]) {
    const connection = await RawConnection.open(stack.port);
    await connection.request('POST', path, { headers: { ...kAuth, 'Content-Type': 'application/json' }, body });
    const response = await connection.readResponse();
    assert.equal(response.status, 400, `${path}: ${response.text}`);
    assertErrorBody(response.json(), { param: 'model', message: /\/models/ }, path);
    await assertStillServing(stack.port, { connection });
    connection.close();
  }
});

function chatBytes({ extraHeaders = '', bodySize }) {
  const filler = 'x'.repeat(bodySize);
  const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: filler }] });
  return {
    body,
    head: `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${kAuth.Authorization}\r\n`
      + `Content-Type: application/json\r\n${extraHeaders}`,
  };
}

test(`a body over max_request_size_mb (${kMaxRequestMb}) is 413; just under it is served`, async () => {
  const big = chatBytes({ bodySize: 1.5 * 1024 * 1024 });
  const response = await rawExchange(stack.port, `${big.head}Content-Length: ${Buffer.byteLength(big.body)}\r\n\r\n${big.body}`);
  assert.equal(response.status, 413, response.text);
  assertErrorBody(response.json());
  await assertStillServing(stack.port);

  const fits = chatBytes({ bodySize: 0.9 * 1000 * 1000 });
  const ok = await rawExchange(stack.port, `${fits.head}Content-Length: ${Buffer.byteLength(fits.body)}\r\n\r\n${fits.body}`);
  assert.equal(ok.status, 200, ok.text.slice(0, 300));
});

test('a chunked body over max_request_size_mb is 413 too', async () => {
  const big = chatBytes({ bodySize: 1.5 * 1024 * 1024 });
  const chunks = [];
  for (let offset = 0; offset < big.body.length; offset += 64 * 1024) {
    const piece = big.body.slice(offset, offset + 64 * 1024);
    chunks.push(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
  }
  const response = await rawExchange(stack.port, `${big.head}Transfer-Encoding: chunked\r\n\r\n${chunks.join('')}0\r\n\r\n`);
  assert.equal(response.status, 413, response.text);
  assertErrorBody(response.json());
  await assertStillServing(stack.port);
});

test(`request headers over max_header_size_kb (${kMaxHeaderKb}) are 431; smaller ones are served`, async () => {
  const small = chatBytes({ bodySize: 10, extraHeaders: `X-Padding: ${'p'.repeat(kMaxHeaderKb * 1024 / 2)}\r\n` });
  const ok = await rawExchange(stack.port, `${small.head}Content-Length: ${Buffer.byteLength(small.body)}\r\n\r\n${small.body}`);
  assert.equal(ok.status, 200, ok.text);

  const big = chatBytes({ bodySize: 10, extraHeaders: `X-Padding: ${'p'.repeat(kMaxHeaderKb * 1024 * 2)}\r\n` });
  const response = await rawExchange(stack.port, `${big.head}Content-Length: ${Buffer.byteLength(big.body)}\r\n\r\n${big.body}`);
  assert.equal(response.status, 431, response.text);
  await assertStillServing(stack.port);
});

test('many headers that add up past the limit are 431', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `X-Many-${i}: ${'v'.repeat(80)}\r\n`).join('');
  const big = chatBytes({ bodySize: 10, extraHeaders: lines });
  const response = await rawExchange(stack.port, `${big.head}Content-Length: ${Buffer.byteLength(big.body)}\r\n\r\n${big.body}`);
  assert.equal(response.status, 431, response.text);
  await assertStillServing(stack.port);
});

test('garbage instead of HTTP gets a 400 or a close, and the gateway keeps serving', async () => {
  const connection = await RawConnection.open(stack.port);
  await connection.send('THIS IS NOT HTTP\r\n\r\n').catch(() => {});
  if (!await connection.closedWithin(500)) {
    const response = await connection.readResponse();
    assert.equal(response.status, 400, response.text);
  }
  connection.close();
  await assertStillServing(stack.port);
});
