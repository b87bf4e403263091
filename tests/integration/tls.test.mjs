// HTTPS upstreams: the gateway verifies the server's certificate against the system's trust
// store (OpenSSL honours SSL_CERT_FILE, so a test can name its own CA) and the host name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startGateway } from '../support/gateway.mjs';
import { kAuth, kHello, kMasterKey, modelEntry, postJson } from '../support/stack.mjs';
import { readFixture } from '../mock_upstream/bodies.mjs';

let dir;
const servers = [];
const seen = [];

// A throwaway self-signed certificate for `names` (SAN entries), written as <label>.pem.
function makeCertificate(label, names) {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${label}`,
    '-addext', `subjectAltName=${names}`,
    '-keyout', join(dir, `${label}-key.pem`), '-out', join(dir, `${label}.pem`),
  ], { stdio: 'ignore' });
  return join(dir, `${label}.pem`);
}

// An HTTPS OpenAI upstream on 127.0.0.1 presenting `label`'s certificate; resolves to its port.
async function startHttpsUpstream(label) {
  const server = createServer(
    { key: readFileSync(join(dir, `${label}-key.pem`)), cert: readFileSync(join(dir, `${label}.pem`)) },
    (request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        seen.push({ path: request.url, authorization: request.headers.authorization, body });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(readFixture('chat_completion.json'));
      });
    });
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

let localPort;
let otherNamePort;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmux-tls-'));
  makeCertificate('local', 'IP:127.0.0.1,DNS:localhost');
  makeCertificate('other', 'DNS:other.invalid');
  localPort = await startHttpsUpstream('local');
  otherNamePort = await startHttpsUpstream('other');
});

after(() => {
  for (const server of servers) server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(port) {
  return {
    model_list: [modelEntry('secure', 'gpt-4o-upstream', `https://127.0.0.1:${port}/v1`)],
    general_settings: { master_key: kMasterKey },
  };
}

test('a trusted certificate: the call goes through over TLS', async () => {
  const gateway = await startGateway({ config: config(localPort), env: { SSL_CERT_FILE: join(dir, 'local.pem') } });
  try {
    const before = seen.length;
    const response = await postJson(gateway.url, '/v1/chat/completions', { model: 'secure', messages: kHello }, { auth: kAuth });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.model, 'secure');
    assert.equal(seen.length, before + 1);
    assert.equal(seen.at(-1).path, '/v1/chat/completions');
    assert.match(seen.at(-1).authorization, /^Bearer sk-upstream/);
  } finally {
    await gateway.stop();
  }
});

// Starts a gateway with `env` in front of the upstream on `port` and expects the TLS handshake
// to be refused: a 502 naming it, and nothing sent to the server.
async function expectRefused(port, env, why) {
  const gateway = await startGateway({ config: config(port), env });
  try {
    const before = seen.length;
    const response = await postJson(gateway.url, '/v1/chat/completions', { model: 'secure', messages: kHello }, { auth: kAuth });
    const body = await response.json();
    assert.equal(response.status, 502, JSON.stringify(body));
    assert.match(body.error.message, /TLS handshake/);
    assert.equal(seen.length, before, `no request may reach ${why}`);
  } finally {
    await gateway.stop();
  }
}

test('a certificate the trust store does not know is refused: 502, nothing sent', async () => {
  // An empty trust file: the self-signed certificate cannot be verified.
  const empty = join(dir, 'empty.pem');
  execFileSync('touch', [empty]);
  await expectRefused(localPort, { SSL_CERT_FILE: empty, SSL_CERT_DIR: join(dir, 'no-such-dir') }, 'an unverified server');
});

test('a trusted certificate for another host name is refused', async () => {
  // Trusted (its own certificate is the trust store) but issued to other.invalid, not 127.0.0.1.
  await expectRefused(otherNamePort, { SSL_CERT_FILE: join(dir, 'other.pem') }, 'a server with the wrong name');
});
