// Per-client limits at the door (general_settings, llmux's own): max_connections_per_ip, and
// max_requests_per_second_per_ip with request_burst_per_ip; behind a trusted proxy
// (use_x_forwarded_for, LiteLLM's), the request rate of the client X-Forwarded-For names. Each
// test is a client of its own loopback address (127.0.0.0/8 is all loopback), so the readiness
// checks of 127.0.0.1 and the other tests do not spend its limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack } from '../support/stack.mjs';
import { RawConnection } from '../support/network.mjs';
import { assertErrorBody } from '../support/assertions.mjs';

// The connection test sends 4 requests from its address: within the burst.
const kLimits = { max_connections_per_ip: 2, max_requests_per_second_per_ip: 0.5, request_burst_per_ip: 5 };
let stack;
let behindProxy;  // the same limits, every connection trusted as a proxy's
before(async () => {
  [stack, behindProxy] = await Promise.all([
    startStack({ generalSettings: kLimits }),
    startStack({ generalSettings: { ...kLimits, use_x_forwarded_for: true } }),
  ]);
});
after(() => Promise.all([stack?.stop(), behindProxy?.stop()]));

const from = (address, gateway = stack) =>
  RawConnection.open(gateway.port, '127.0.0.1', { localAddress: address });

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

// Five requests on one connection spend a burst; the sixth is refused, closing it.
async function spendBurst(address, gateway, headers) {
  const connection = await from(address, gateway);
  try {
    for (let i = 0; i < 5; ++i) {
      assert.equal((await get(connection, '/health/liveliness', headers)).status, 200, `request ${i + 1} of the burst`);
    }
    await assertRefused(await get(connection, '/health/liveliness', headers), connection, /too many requests/i);
  } finally {
    connection.close();
  }
}

test('use_x_forwarded_for: the request rate is counted for the client the proxy appended, not for the proxy', async () => {
  // One proxy (127.0.0.6) carries two clients; the first forged an entry of its own to the left.
  const first = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' };
  await spendBurst('127.0.0.6', behindProxy, first);
  // A new forged entry does not give the client a new bucket: the proxy's entry is what counts.
  const forged = await from('127.0.0.6', behindProxy);
  try {
    await assertRefused(await get(forged, '/health/liveliness', { 'X-Forwarded-For': '198.51.100.99, 203.0.113.7' }),
      forged, /too many requests/i);
  } finally {
    forged.close();
  }
  const second = await from('127.0.0.6', behindProxy);
  assert.equal((await get(second, '/health/liveliness', { 'X-Forwarded-For': '203.0.113.8' })).status, 200,
    'another client behind the same proxy has its own bucket');
  // Seven requests came through 127.0.0.6: none was counted for it (its burst is 5).
  assert.equal((await get(second)).status, 200, 'a request without the header is the connection\'s own');
  second.close();
});

test('use_x_forwarded_for: max_connections_per_ip still counts the proxy\'s connections, whatever clients they carry', async () => {
  // Two connections from the proxy (127.0.0.8), each carrying another client: the proxy's limit.
  const held = [await from('127.0.0.8', behindProxy), await from('127.0.0.8', behindProxy)];
  try {
    for (const [i, connection] of held.entries()) {
      assert.equal((await get(connection, '/health/liveliness', { 'X-Forwarded-For': `203.0.113.${20 + i}` })).status, 200);
    }
    const third = await from('127.0.0.8', behindProxy);
    try {
      await assertRefused(await third.readResponse(), third, /too many connections from your address \(limit 2\)/i);
    } finally {
      third.close();
    }
  } finally {
    for (const connection of held) connection.close();
  }
});

test('without use_x_forwarded_for, X-Forwarded-For is not believed: the connection\'s address is the client', async () => {
  await spendBurst('127.0.0.7', stack, { 'X-Forwarded-For': '203.0.113.9' });
  const other = await from('127.0.0.7', stack);
  try {
    await assertRefused(await get(other, '/health/liveliness', { 'X-Forwarded-For': '203.0.113.10' }),
      other, /too many requests/i);
  } finally {
    other.close();
  }
});
