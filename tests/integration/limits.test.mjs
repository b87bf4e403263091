// The server's time and connection limits from general_settings: idle keep-alive connections
// and slow senders are closed on time, connections past max_connections are answered 503 and
// closed, and a drain that outlives drain_timeout_s is cut short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kAuth, kHello } from '../support/stack.mjs';
import { RawConnection } from '../support/network.mjs';
import { assertStillServing, eventually } from '../support/assertions.mjs';

let stack;
before(async () => {
  stack = await startStack({
    generalSettings: { keepalive_timeout_s: 1, request_read_timeout_s: 1, max_connections: 4 },
  });
});
after(() => stack?.stop());

test('an idle keep-alive connection is closed after keepalive_timeout_s', async () => {
  const connection = await RawConnection.open(stack.port);
  try {
    await connection.request('GET', '/health');
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    assert.equal(await connection.closedWithin(400), false, 'closed before the idle time was up');
    assert.equal(await connection.closedWithin(2500), true, 'still open well after keepalive_timeout_s');
  } finally {
    connection.close();
  }
});

test('a client that sends its headers too slowly is cut off after request_read_timeout_s', async () => {
  const connection = await RawConnection.open(stack.port);
  try {
    await connection.send('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n');  // and then nothing
    assert.equal(await connection.closedWithin(400), false);
    assert.equal(await connection.closedWithin(2500), true, 'a half-sent request holds the connection forever');
  } finally {
    connection.close();
  }
  await assertStillServing(stack.port);
});

test('a body that trickles in slower than request_read_timeout_s is cut off', async () => {
  const connection = await RawConnection.open(stack.port);
  try {
    await connection.send('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n'
      + `Authorization: ${kAuth.Authorization}\r\nContent-Length: 1000\r\n\r\n{"model":`);
    assert.equal(await connection.closedWithin(2500), true);
  } finally {
    connection.close();
  }
  await assertStillServing(stack.port);
});

// Opens a connection and has one request answered on it: the gateway holds it as a session.
async function servedConnection(port) {
  const connection = await RawConnection.open(port);
  await connection.request('GET', '/health/liveliness');
  assert.equal((await connection.readResponse()).status, 200);
  return connection;
}

// A connection the gateway turns away: its answer (an OpenAI error that says when to retry), then
// the close.
async function assertTurnedAway(connection, status, messagePattern) {
  const response = await connection.readResponse();
  assert.equal(response.status, status);
  assert.equal(response.headers['retry-after'], '1');
  assert.match(response.json().error.message, messagePattern);
  assert.equal(await connection.closedWithin(3000), true, 'a turned-away connection was kept');
}

test('connections past max_connections are answered 503 and closed; the others keep working', async () => {
  const held = [];
  try {
    for (let i = 0; i < 4; ++i) held.push(await servedConnection(stack.port));
    const extra = await RawConnection.open(stack.port);
    try {
      await assertTurnedAway(extra, 503, /too many connections open \(limit 4 per worker\)/);
    } finally {
      extra.close();
    }
    await held[0].request('GET', '/health');
    assert.equal((await held[0].readResponse()).status, 200);
  } finally {
    for (const connection of held) connection.close();
  }
  // Once the gateway has seen them close, new connections are served again.
  await eventually(async () => {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    await response.text();
    return response.status === 200;
  }, { timeoutMs: 2000, what: 'a new connection served once the held ones closed' });
});

test('SIGTERM with a stream that outlives drain_timeout_s: the stream is cut and llmux exits 0', async () => {
  const short = await startStack({ generalSettings: { drain_timeout_s: 1 } });
  let stopped = false;
  try {
    // 'slow-stream' sends an event every 50 ms for far longer than the drain allows.
    const response = await postJson(short.url, '/v1/chat/completions', { model: 'slow-stream', messages: kHello, stream: true });
    assert.equal(response.status, 200);
    const reader = response.body.getReader();
    await reader.read();  // the stream has started
    const started = Date.now();
    const exit = await short.stop();
    stopped = true;
    const took = Date.now() - started;
    assert.equal(exit.code, 0);
    assert.ok(took >= 900, `exited after ${took} ms: the drain did not wait for the stream`);
    assert.ok(took < 4000, `exited after ${took} ms: drain_timeout_s (1 s) was not enforced`);
    await reader.cancel().catch(() => {});
  } finally {
    if (!stopped) await short.stop().catch(() => {});
  }
});
