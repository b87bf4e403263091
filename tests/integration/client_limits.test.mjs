// Per-client limits at the door (general_settings, llmux's own): max_connections_per_ip, and
// max_requests_per_second_per_ip with request_burst_per_ip. Each test is a client of its own
// loopback address (127.0.0.0/8 is all loopback), so the readiness checks of 127.0.0.1 and the
// other tests do not spend its limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack } from '../support/stack.mjs';
import { RawConnection } from '../support/network.mjs';
import { assertErrorBody } from '../support/assertions.mjs';

// The connection test sends 4 requests from its address: within the burst.
let stack;
before(async () => {
  stack = await startStack({
    generalSettings: { max_connections_per_ip: 2, max_requests_per_second_per_ip: 0.5, request_burst_per_ip: 5 },
  });
});
after(() => stack?.stop());

const from = (address) => RawConnection.open(stack.port, '127.0.0.1', { localAddress: address });

async function get(connection, path = '/health/liveliness', headers = {}) {
  await connection.request('GET', path, { headers });
  return connection.readResponse();
}

// A refusal at the door: an OpenAI error that says when to try again, then the close.
async function assertRefused(response, connection, messagePattern) {
  assert.equal(response.status, 429);
  assert.equal(response.headers['retry-after'], '1');
  assertErrorBody(response.json(), { message: messagePattern });
  assert.equal(await connection.closedWithin(3000), true, 'a refused connection was kept');
}

test('max_connections_per_ip: a third connection from one address is answered 429; others are served', async () => {
  const held = [await from('127.0.0.2'), await from('127.0.0.2')];
  try {
    for (const connection of held) assert.equal((await get(connection)).status, 200);
    const third = await from('127.0.0.2');
    try {
      await assertRefused(await third.readResponse(), third, /too many connections from your address \(limit 2\)/i);
    } finally {
      third.close();
    }
    const other = await from('127.0.0.3');
    assert.equal((await get(other)).status, 200, 'another address has its own count');
    other.close();

    // The gateway closes one of them itself (Connection: close): its place is free at once.
    assert.equal((await get(held[0], '/health/liveliness', { Connection: 'close' })).status, 200);
    assert.equal(await held[0].closedWithin(3000), true);
    const again = await from('127.0.0.2');
    assert.equal((await get(again)).status, 200);
    held.push(again);
  } finally {
    for (const connection of held) connection.close();
  }
});

test('max_requests_per_second_per_ip: past the burst a request is answered 429; the bucket refills', async () => {
  const client = await from('127.0.0.4');
  try {
    for (let i = 0; i < 5; ++i) assert.equal((await get(client)).status, 200, `request ${i + 1} of the burst`);
    await assertRefused(await get(client), client, /too many requests from your address \(limit 0\.5 per second, burst 5\)/i);
  } finally {
    client.close();
  }
  const other = await from('127.0.0.5');
  assert.equal((await get(other)).status, 200, 'another address has its own bucket');
  other.close();

  // At 0.5 per second, one request is back 2 s later (time passing is what is tested here).
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const later = await from('127.0.0.4');
  try {
    assert.equal((await get(later)).status, 200);
    await assertRefused(await get(later), later, /too many requests/i);
  } finally {
    later.close();
  }
});
