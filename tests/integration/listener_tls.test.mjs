// HTTPS on the listener (--ssl_certfile_path / --ssl_keyfile_path): the openai SDK and curl talk to
// llmux with a test CA, keep-alive and streams work over TLS, TLS below 1.2 is refused, a
// handshake that never ends is dropped and counted, a plain HTTP client is told it spoke to the
// HTTPS port, the connection and request limits hold, and files the server cannot use stop it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { startStack, kAuth, kHello, kMasterKey, modelEntry } from '../support/stack.mjs';
import { kLlmuxBin } from '../support/gateway.mjs';
import { RawConnection } from '../support/network.mjs';
import { makeServerCertificate } from '../support/certificates.mjs';
import { fixtureStreamText, readFixture } from '../mock_upstream/bodies.mjs';

const run = promisify(execFile);
const kSdkChild = fileURLToPath(new URL('../support/openai_child.mjs', import.meta.url));

let dir;
let certificate;
let stack;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmux-listener-tls-'));
  certificate = makeServerCertificate(dir);
  stack = await startStack({
    // An answer of 1 MiB: written in many TLS records.
    extraModelsFor: (mockUrl) => [modelEntry('huge', 'mock-huge-answer-1', `${mockUrl}/v1`)],
    generalSettings: {
      request_read_timeout_s: 1, max_connections: 4, max_request_size_mb: 0.01,
    },
    args: ['--ssl_certfile_path', certificate.certFile, '--ssl_keyfile_path', certificate.keyFile],
    https: { ca: certificate.ca },
  });
});
after(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function openTls(options = {}) {
  return RawConnection.openTls(stack.port, { ca: certificate.ca, ...options });
}

async function tlsHandshakeFailures() {
  const connection = await openTls();
  try {
    await connection.request('GET', '/metrics');
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    return Number(/^llmux_tls_handshake_failures_total (\d+)$/m.exec(response.text)[1]);
  } finally {
    connection.close();
  }
}

test('the openai SDK calls and streams over HTTPS with the test CA, and refuses without it', async () => {
  const sdk = (env) => run(process.execPath, [kSdkChild, `${stack.url}/v1`, kMasterKey, 'gpt-test'],
    { env: { ...process.env, ...env } });
  const trusted = JSON.parse((await sdk({ NODE_EXTRA_CA_CERTS: certificate.caFile })).stdout);
  assert.equal(trusted.error, undefined, JSON.stringify(trusted));
  assert.equal(trusted.content, JSON.parse(readFixture('chat_completion.json')).choices[0].message.content);
  assert.equal(trusted.streamed, fixtureStreamText('chat_completion_stream.sse'));
  assert.ok(trusted.chunks > 3);

  const untrusted = JSON.parse((await sdk({ NODE_EXTRA_CA_CERTS: '' })).stdout);
  assert.equal(untrusted.error, 'APIConnectionError');
  assert.match(untrusted.message, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
});

test('curl gets an answer over HTTPS and reuses the connection for the next request', async () => {
  const health = `${stack.url}/health/liveliness`;
  // Each answer is followed by its status: <200>.
  const { stdout, stderr } = await run('curl', ['-sS', '-v', '--cacert', certificate.caFile,
    '-w', '\n<%{http_code}>\n', '-H', `Authorization: ${kAuth.Authorization}`,
    '-H', 'content-type: application/json', '-d', JSON.stringify({ model: 'gpt-test', messages: kHello }),
    `${stack.url}/v1/chat/completions`,
    '--next', '--cacert', certificate.caFile, '-w', '\n<%{http_code}>\n', health]);
  const [completion, completionStatus, alive, aliveStatus] = stdout.split(/\n<(\d{3})>\n/);
  assert.equal(completionStatus, '200');
  assert.equal(JSON.parse(completion).model, 'gpt-test');
  assert.equal(aliveStatus, '200');
  assert.equal(alive, '"I\'m alive!"');
  assert.match(stderr, /SSL connection using TLSv1\.[23]/);
  assert.match(stderr, /Re-using existing connection/);
});

test('keep-alive and a streamed answer on one TLS connection', async () => {
  const connection = await openTls();
  try {
    for (let i = 0; i < 2; ++i) {
      await connection.request('POST', '/v1/chat/completions', {
        headers: { ...kAuth, 'content-type': 'application/json' },
        body: { model: 'gpt-test', messages: kHello, stream: i === 1 },
      });
      const response = await connection.readResponse();
      assert.equal(response.status, 200);
      if (i === 1) {
        assert.match(response.headers['content-type'], /text\/event-stream/);
        assert.match(response.text, /data: \[DONE\]/);
      }
    }
    assert.equal(connection.closed, false);
  } finally {
    connection.close();
  }
});

// A TLS client may leave with a close_notify alert before its FIN (end(); TLS 1.3 hides that it is
// an alert) or with the FIN alone (destroy()): either way the gateway drops the upstream stream.
for (const [leave, version] of [['end', 'TLSv1.3'], ['end', 'TLSv1.2'], ['destroy', 'TLSv1.3']]) {
  test(`a ${version} client that leaves mid-stream (${leave}) makes the gateway abort its upstream request`, async () => {
    const connection = await openTls({ minVersion: version, maxVersion: version });
    const before = stack.mock.requests.length;
    await connection.request('POST', '/v1/chat/completions', {
      headers: { ...kAuth, 'content-type': 'application/json' },
      body: { model: 'slow-stream', messages: kHello, stream: true },
    });
    await connection.waitFor(() => ((connection.buffer.toString().match(/data: /g) ?? []).length >= 3 ? true : undefined),
      3000, 'three events');
    const upstream = stack.mock.requests[before];
    assert.equal(upstream.outcome, 'pending');
    const leftAt = Date.now();
    connection.socket[leave]();
    const record = await stack.mock.waitFor((r) => r.id === upstream.id && r.outcome !== 'pending', { timeoutMs: 4000 });
    assert.equal(record.outcome, 'aborted');
    assert.ok(record.endedAt - leftAt < 1000, `upstream closed ${record.endedAt - leftAt} ms after the client left`);
    connection.close();
  });
}

test('an answer of 1 MiB arrives whole over TLS', async () => {
  const connection = await openTls();
  try {
    await connection.request('POST', '/v1/chat/completions', {
      headers: { ...kAuth, 'content-type': 'application/json' },
      body: { model: 'huge', messages: kHello },
    });
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    assert.ok(response.body.length > 1024 * 1024, `${response.body.length} bytes`);
    assert.equal(response.json().model, 'huge');
  } finally {
    connection.close();
  }
});

test('the admin page\'s session cookie is Secure over TLS', async () => {
  const { stdout } = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', '--cacert', certificate.caFile,
    '-H', 'X-LLMux-UI: 1', '-d', JSON.stringify({ password: kMasterKey }), `${stack.url}/ui/login`]);
  assert.match(stdout, /^HTTP\/1\.1 200/);
  assert.match(stdout, /^set-cookie: llmux_ui_session=[0-9a-f]{64};.*; HttpOnly; SameSite=Strict; Secure\r$/im);
});

test('TLS 1.2 is accepted and TLS 1.1 refused by the server', async () => {
  const tls12 = await openTls({ maxVersion: 'TLSv1.2' });
  assert.equal(tls12.socket.getProtocol(), 'TLSv1.2');
  assert.match(tls12.socket.getCipher().name, /ECDHE-RSA-AES\d+-GCM|CHACHA20/);
  tls12.close();

  // The client offers TLS 1.1 only (security level 0 lets it): the server answers with an alert.
  await assert.rejects(
    openTls({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    (error) => /ALERT_PROTOCOL_VERSION|tlsv1 alert protocol version/i.test(`${error.code} ${error.message}`));
});

test('a client that never finishes its handshake is dropped after request_read_timeout_s and counted', async () => {
  const before = await tlsHandshakeFailures();
  const silent = await RawConnection.open(stack.port);  // TCP, and then no ClientHello
  try {
    assert.equal(await silent.closedWithin(400), false, 'dropped before the handshake time was up');
    assert.equal(await silent.closedWithin(2500), true, 'a silent client holds its connection');
  } finally {
    silent.close();
  }
  assert.equal(await tlsHandshakeFailures(), before + 1);
});

test('a plain HTTP request on the HTTPS port is answered 400 in plain HTTP, then closed', async () => {
  const plain = await RawConnection.open(stack.port);
  try {
    await plain.request('GET', '/health/liveliness');
    const response = await plain.readResponse();
    assert.equal(response.status, 400);
    assert.match(response.json().error.message, /speaks HTTPS/);
    assert.equal(await plain.closedWithin(3000), true);
  } finally {
    plain.close();
  }
});

test('over TLS, the body limit, the read timeout and max_connections hold', async () => {
  const big = await openTls();
  try {
    await big.request('POST', '/v1/chat/completions', {
      headers: { ...kAuth, 'content-type': 'application/json' },
      body: { model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] },
    });
    assert.equal((await big.readResponse()).status, 413);
  } finally {
    big.close();
  }

  const slow = await openTls();
  try {
    await slow.send('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n');  // and then nothing
    assert.equal(await slow.closedWithin(400), false);
    assert.equal(await slow.closedWithin(2500), true, 'a half-sent request holds the connection');
  } finally {
    slow.close();
  }

  const held = [];
  try {
    for (let i = 0; i < 4; ++i) {
      const connection = await openTls();
      held.push(connection);
      await connection.request('GET', '/health/liveliness');
      assert.equal((await connection.readResponse()).status, 200);
    }
    const extra = await openTls();
    try {
      const response = await extra.readResponse();
      assert.equal(response.status, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.match(response.json().error.message, /too many connections open \(limit 4 per worker\)/);
      assert.equal(await extra.closedWithin(3000), true);
    } finally {
      extra.close();
    }
  } finally {
    for (const connection of held) connection.close();
  }
});

test('a certificate or key the server cannot use stops it at startup with a clear error', () => {
  const other = makeServerCertificate(dir, 'other');
  const start = (certFile, keyFile) => spawnSync(kLlmuxBin, [
    '--model', 'openai/gpt-test', '--host', '127.0.0.1', '--port', '0',
    '--ssl_certfile_path', certFile, '--ssl_keyfile_path', keyFile,
  ], { encoding: 'utf8', timeout: 10_000 });
  const cases = [
    [certificate.certFile, other.keyFile, /the private key in .*other-key\.pem does not belong to the certificate/],
    [join(dir, 'missing.pem'), certificate.keyFile, /cannot use the certificate file .*missing\.pem \(No such file/],
    [certificate.certFile, join(dir, 'missing.pem'), /cannot use the private key file .*missing\.pem/],
    [certificate.keyFile, certificate.keyFile, /cannot use the certificate file/],
  ];
  for (const [certFile, keyFile, message] of cases) {
    const result = start(certFile, keyFile);
    assert.equal(result.status, 1, `${certFile} / ${keyFile}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});
