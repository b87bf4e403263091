// Request bodies take memory as their bytes arrive, never as a client declares them: clients
// that declare the largest body and send one byte hold almost nothing, the memory of bodies
// cut off by a closed connection is given back, and all bodies being received at once stay
// within general_settings.max_request_memory_mb (a request past it is answered 503).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, kAuth } from '../support/stack.mjs';
import { RawConnection, rawExchange } from '../support/network.mjs';
import { assertErrorBody } from '../support/assertions.mjs';
import { assertAddedLessThan, residentBytes, kMiB } from '../support/memory.mjs';

// A chat request for the `mocked` model whose JSON body is exactly `size` bytes.
function chatBody(size) {
  const empty = JSON.stringify({ model: 'mocked', messages: [{ role: 'user', content: '' }] });
  const body = JSON.stringify({ model: 'mocked', messages: [{ role: 'user', content: 'x'.repeat(size - empty.length) }] });
  assert.equal(body.length, size);
  return body;
}

function chatHead(port, contentLength) {
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${kAuth.Authorization}\r\n`
    + `Content-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

// A request on a new connection, answered: every connection opened and written to before it
// has been read by the gateway's one worker (it takes connections and their bytes in order).
async function roundTrip(port) {
  const response = await rawExchange(port, `GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  assert.equal(response.status, 200);
}

// Waits until the gateway closes `connection` (after the client ended its side).
async function closedByGateway(connection) {
  assert.equal(await connection.closedWithin(5000), true, 'the gateway kept a connection whose client left');
}

// Runs `check(stack)` against a gateway of its own (so that what one test leaves in memory does
// not count in another's).
async function withStack(generalSettings, check) {
  const stack = await startStack({ generalSettings });
  try {
    await check(stack);
  } finally {
    await stack.stop();
  }
}

const kMaxRequestMb = 8;

test('100 connections that declare the largest body and send one byte add less than 4 MiB', () =>
  withStack({ max_request_size_mb: kMaxRequestMb }, async (stack) => {
    const pid = stack.gateway.process.pid;
    const port = stack.port;
    // The same number of connections once, served whole: what a connection itself costs is
    // part of the baseline.
    const warmup = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(port)));
    const small = chatBody(200);
    await Promise.all(warmup.map((connection) => connection.send(chatHead(port, small.length) + small)));
    for (const connection of warmup) assert.equal((await connection.readResponse()).status, 200);
    for (const connection of warmup) connection.close();
    await roundTrip(port);
    const before = residentBytes(pid);

    const held = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(port)));
    try {
      await Promise.all(held.map((connection) => connection.send(`${chatHead(port, kMaxRequestMb * kMiB)}{`)));
      await roundTrip(port);
      assertAddedLessThan(pid, before, 4 * kMiB, '100 connections that sent one byte of their body');
    } finally {
      for (const connection of held) connection.close();
    }
  }));

test('the memory of bodies cut off by their connection goes back to the system', () =>
  withStack({ max_request_size_mb: kMaxRequestMb }, async (stack) => {
    const pid = stack.gateway.process.pid;
    const port = stack.port;
    await roundTrip(port);
    const before = residentBytes(pid);
    const connections = await Promise.all(Array.from({ length: 8 }, () => RawConnection.open(port)));
    const body = chatBody(kMaxRequestMb * kMiB);
    const sent = 6 * kMiB;
    await Promise.all(connections.map((connection) => connection.send(chatHead(port, body.length) + body.slice(0, sent))));
    // Each connection ends its side: the gateway reads the bytes before the end, then closes.
    for (const connection of connections) connection.socket.end();
    for (const connection of connections) await closedByGateway(connection);
    await roundTrip(port);
    assertAddedLessThan(pid, before, 8 * kMiB, `after 8 connections sent ${sent / kMiB} MiB of their bodies each and left`);
  }));

test('past max_request_memory_mb a request is answered 503; once a body is whole its memory is free again', () =>
  // Room for exactly two bodies of the largest size.
  withStack({ max_request_size_mb: 4, max_request_memory_mb: 8 }, async (stack) => {
    const port = stack.port;
    const large = chatBody(4 * kMiB);
    const small = chatBody(200);
    const smallRequest = () => rawExchange(port, chatHead(port, small.length) + small);
    const first = await RawConnection.open(port);
    const second = await RawConnection.open(port);
    try {
      // All but the last byte of each body: each has its whole length, together the limit.
      const partial = large.length - 1;
      await first.send(chatHead(port, large.length) + large.slice(0, partial));
      await second.send(chatHead(port, large.length) + large.slice(0, partial));
      // A small request fits until both bodies are received that far; then it is refused.
      let refused;
      const deadline = Date.now() + 10_000;
      while (!refused) {
        assert.ok(Date.now() < deadline, 'no request was refused while two bodies held all the request memory');
        const response = await smallRequest();
        if (response.status === 503) refused = response;
        else assert.equal(response.status, 200, response.text);
      }
      assertErrorBody(refused.json(), { message: /too many request bodies at once/ });
      assert.match(refused.headers['content-type'], /application\/json/);

      // The first body is completed and served: its memory is free for the next request.
      await first.send(large.slice(partial));
      const served = await first.readResponse();
      assert.equal(served.status, 200, served.text);
      assert.equal((await smallRequest()).status, 200);
    } finally {
      first.close();
      second.close();
    }
  }));
