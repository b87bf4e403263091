// Connection and process life: one keep-alive connection carries many requests, and SIGTERM
// lets an in-flight stream finish, refuses new connections, and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { startStack, postJson, kAuth, kHello } from '../support/stack.mjs';
import { RawConnection, canConnect } from '../support/network.mjs';
import { sseEvents } from '../support/sse.mjs';
import { eventually } from '../support/assertions.mjs';

test('one keep-alive connection serves many requests of every kind in turn', async () => {
  const stack = await startStack();
  try {
    const connection = await RawConnection.open(stack.port);
    const json = { ...kAuth, 'Content-Type': 'application/json' };
    const requests = [
      ['GET', '/health/readiness', {}, undefined],
      ['GET', '/v1/models', kAuth, undefined],
      ['POST', '/v1/chat/completions', json, { model: 'gpt-test', messages: kHello }],
      ['POST', '/v1/chat/completions', json, { model: 'gpt-test', messages: kHello, stream: true }],
      ['POST', '/v1/embeddings', json, { model: 'embedder', input: 'x', encoding_format: 'float' }],
      ['POST', '/v1/chat/completions', json, { model: 'mocked', messages: kHello, stream: true }],
      ['GET', '/v1/models/gpt-test', kAuth, undefined],
      ['POST', '/v1/chat/completions', json, { model: 'tools', messages: kHello }],
    ];
    for (const [method, path, headers, body] of requests) {
      await connection.request(method, path, { headers, body });
      const response = await connection.readResponse();
      assert.equal(response.status, 200, `${method} ${path}: ${response.text.slice(0, 300)}`);
      assert.notEqual(response.headers.connection?.toLowerCase(), 'close', `${method} ${path} closed the connection`);
      if (body?.stream) assert.match(response.text, /data: \[DONE\]\n\n$/);
    }
    assert.equal(connection.closed, false);
    connection.close();
  } finally {
    await stack.stop();
  }
});

test('SIGTERM drains an in-flight stream, refuses new connections, then exits 0', async () => {
  const stack = await startStack();
  let exit;
  try {
    // short-slow-stream: 30 content events, one every 50 ms: about 1.6 s.
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'short-slow-stream', messages: kHello, stream: true });
    assert.equal(response.status, 200);
    const events = [];
    let refused = null;
    for await (const event of sseEvents(response)) {
      events.push(event);
      if (events.length === 2) {
        stack.gateway.process.kill('SIGTERM');
        refused = await eventually(async () => !await canConnect(stack.port),
          { timeoutMs: 1000, what: 'new connections refused after SIGTERM' });
      }
    }
    const streamEnd = Date.now();
    exit = await Promise.race([stack.gateway.exited, sleep(8000, null, { ref: false })]);
    assert.ok(refused, 'a new connection was accepted after SIGTERM');
    const payloads = events.map((event) => event.data);
    assert.equal(payloads.at(-1), '[DONE]', 'the in-flight stream was cut short');
    const content = payloads.slice(0, -1).map((data) => JSON.parse(data).choices[0]?.delta?.content ?? '').join('');
    assert.equal(content, Array.from({ length: 30 }, (_, i) => `tick ${i} `).join(''));
    assert.ok(exit, 'the gateway did not exit within 8 s of its last stream ending');
    assert.deepEqual(exit, { code: 0, signal: null }, stack.gateway.stderr());
    assert.ok(Date.now() - streamEnd < 8000);
  } finally {
    await stack.stop();
  }
});

test('SIGTERM with no traffic (idle keep-alive connection open) exits 0 promptly', async () => {
  const stack = await startStack();
  const connection = await RawConnection.open(stack.port);
  try {
    await connection.request('GET', '/v1/models', { headers: kAuth });
    assert.equal((await connection.readResponse()).status, 200);
    const started = Date.now();
    const exit = await stack.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, stack.gateway.stderr());
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms to exit`);
    assert.ok(await connection.closedWithin(1000), 'the idle connection was left open');
  } finally {
    connection.close();
  }
});
