// Vertex AI (vertex_ai/…) beyond the conformance suites: the exact upstream requests (Vertex's
// URLs, the OAuth bearer, Gemini's and Claude-on-Vertex's bodies), the token exchange itself (a
// JWT the mock verifies with the service account's public key), token reuse, refresh before
// expiry, a token endpoint that is down or refuses the key, and secrets kept out of logs and
// errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';

import { startStack, postJson, kHello, kMasterKey } from '../support/stack.mjs';
import { startGateway } from '../support/gateway.mjs';
import { expectError, eventually } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';
import { readGeminiFixture } from '../mock_upstream/dialects/gemini.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import { failTokenRequests, issuedToken, issuedTokens } from '../mock_upstream/dialects/google_oauth.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForPublishedTokens, kVertexProject, kVertexLocation } from '../support/vertex.mjs';

const kShortLifetimeSeconds = 3;

let stack;
let account;       // tokens live an hour
let shortAccount;  // tokens live kShortLifetimeSeconds: refreshed during the test

function vertexModels(mockUrl) {
  account = makeServiceAccount({ tokenUri: `${mockUrl}/token` });
  shortAccount = makeServiceAccount({ tokenUri: `${mockUrl}/token`, expiresIn: kShortLifetimeSeconds, name: 'short' });
  const entry = (name, params) => ({ model_name: name, litellm_params: params });
  return [
    entry('v-gemini', vertexParams(mockUrl, account, 'gemini-2.5-flash')),
    entry('v-claude', vertexParams(mockUrl, account, 'claude-sonnet-4-5@20250929')),
    entry('v-short', vertexParams(mockUrl, shortAccount, 'gemini-2.5-flash')),
    entry('v-global', vertexParams(mockUrl, account, 'gemini-2.5-pro', { vertex_location: 'global' })),
    // The key file's JSON itself instead of its path, as LiteLLM also takes it.
    entry('v-inline', vertexParams(mockUrl, account, 'gemini-2.5-flash', { vertex_credentials: account.json })),
    entry('v-embed', vertexParams(mockUrl, account, 'text-embedding-005')),
  ];
}
const kServiceAccounts = 2;  // every deployment of one account shares its token

before(async () => {
  stack = await startStack({ extraModelsFor: vertexModels });
  await waitForPublishedTokens(stack.gateway, kServiceAccounts);
});
after(() => stack?.stop());

const tokenRequests = () => stack.mock.requests.filter((request) => request.dialect === 'google_oauth');
const bearerOf = (request) => /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];

async function call(body, { path = '/v1/chat/completions', gatewayUrl = stack.url } = {}) {
  const before = stack.mock.requests.length;
  const response = await postJson(gatewayUrl, path, body);
  const text = await response.text();
  const upstream = stack.mock.requests.slice(before).filter((request) => request.dialect === 'vertex');
  return { response, text, upstream: upstream.at(-1) };
}

const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

test('the token request is a jwt-bearer grant with an RS256 JWT of the service account', () => {
  const request = tokenRequests().find((record) => new URLSearchParams(record.rawBody).get('assertion')
    && decodeJwtPart(new URLSearchParams(record.rawBody).get('assertion').split('.')[1]).iss === account.clientEmail);
  assert.ok(request, 'llmux asked the mock for a token for the account');
  assert.equal(request.outcome, 'finished');
  assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
  const form = new URLSearchParams(request.rawBody);
  assert.deepEqual([...form.keys()].sort(), ['assertion', 'grant_type']);
  assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  const [header, claims] = form.get('assertion').split('.').slice(0, 2).map(decodeJwtPart);
  assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: account.keyFile.private_key_id });
  assert.deepEqual(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'scope']);
  assert.equal(claims.iss, account.clientEmail);
  assert.equal(claims.aud, `${stack.mock.url}/token`);
  assert.equal(claims.scope, 'https://www.googleapis.com/auth/cloud-platform');
  assert.equal(claims.exp - claims.iat, 3600);
  assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60, 'iat is now');
});

test('Gemini on Vertex: generateContent URL, the OAuth bearer, Gemini\'s body', async () => {
  const { response, text, upstream } = await call({ model: 'v-gemini', messages: kHello, temperature: 0.3 });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path,
    `/v1/projects/${kVertexProject}/locations/${kVertexLocation}/publishers/google/models/gemini-2.5-flash:generateContent`);
  assert.equal(upstream.query, '');
  assert.ok(issuedToken(bearerOf(upstream)), 'a valid token the mock issued');
  assert.equal(upstream.headers['x-goog-api-key'], undefined);
  assert.deepEqual(upstream.body, {
    contents: [{ role: 'user', parts: [{ text: kHello[0].content }] }],
    generationConfig: { temperature: 0.3 },
  });
  const answer = JSON.parse(readGeminiFixture('generate_content.json'));
  assert.equal(JSON.parse(text).choices[0].message.content, answer.candidates[0].content.parts[0].text);
});

test('Gemini on Vertex streams from streamGenerateContent?alt=sse; location global', async () => {
  const streamed = await call({ model: 'v-gemini', messages: kHello, stream: true });
  assert.equal(streamed.response.status, 200);
  assert.match(streamed.text, /data: \[DONE\]/);
  assert.equal(streamed.upstream.path,
    `/v1/projects/${kVertexProject}/locations/${kVertexLocation}/publishers/google/models/gemini-2.5-flash:streamGenerateContent`);
  assert.equal(streamed.upstream.query, '?alt=sse');

  const global = await call({ model: 'v-global', messages: kHello });
  assert.equal(global.response.status, 200, global.text);
  assert.equal(global.upstream.path,
    `/v1/projects/${kVertexProject}/locations/global/publishers/google/models/gemini-2.5-pro:generateContent`);
});

test('Claude on Vertex: rawPredict, no model and anthropic_version in the body, no Anthropic key headers', async () => {
  const { response, text, upstream } = await call({ model: 'v-claude', messages: kHello, max_tokens: 64 });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path,
    `/v1/projects/${kVertexProject}/locations/${kVertexLocation}/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`);
  assert.ok(issuedToken(bearerOf(upstream)));
  assert.equal(upstream.headers['x-api-key'], undefined);
  assert.equal(upstream.headers['anthropic-version'], undefined);
  assert.deepEqual(upstream.body, {
    anthropic_version: 'vertex-2023-10-16',
    messages: [{ role: 'user', content: [{ type: 'text', text: kHello[0].content }] }],
    max_tokens: 64,
  });
  const message = JSON.parse(readAnthropicFixture('message.json'));
  assert.equal(JSON.parse(text).choices[0].message.content, message.content[0].text);

  const response2 = await postJson(stack.url, '/v1/chat/completions', { model: 'v-claude', messages: kHello, stream: true });
  const { events, done } = await readSse(response2);
  assert.ok(done, 'the stream ends with [DONE]');
  assert.ok(events.length > 2);
  const streamed = stack.mock.requests.filter((request) => request.dialect === 'vertex').at(-1);
  assert.match(streamed.path, /\/publishers\/anthropic\/models\/claude-sonnet-4-5@20250929:streamRawPredict$/);
  assert.equal(streamed.body.stream, true);
});

test('inline key JSON works like a key file', async () => {
  const inline = await call({ model: 'v-inline', messages: kHello });
  assert.equal(inline.response.status, 200, inline.text);
  assert.ok(issuedToken(bearerOf(inline.upstream)));
});

test('embeddings go to the text-embedding model\'s predict, with Vertex\'s token counts', async () => {
  const { response, text, upstream } = await call(
    { model: 'v-embed', input: ['one two three', 'four'], dimensions: 4, encoding_format: 'float' }, { path: '/v1/embeddings' });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.path,
    `/v1/projects/${kVertexProject}/locations/${kVertexLocation}/publishers/google/models/text-embedding-005:predict`);
  assert.ok(issuedToken(bearerOf(upstream)));
  assert.deepEqual(upstream.body, { instances: [{ content: 'one two three' }, { content: 'four' }], parameters: { outputDimensionality: 4 } });
  const body = JSON.parse(text);
  assert.deepEqual(body.data.map((item) => item.embedding), [embeddingFor('one two three', 4), embeddingFor('four', 4)]);
  assert.deepEqual(body.usage, { prompt_tokens: 4, total_tokens: 4 });
  assert.equal(body.model, 'v-embed');
});

test('one token serves many requests and every deployment of the account: no token request per call', async () => {
  const tokenCallsBefore = tokenRequests().length;
  const first = await call({ model: 'v-gemini', messages: kHello });
  const second = await call({ model: 'v-gemini', messages: kHello });
  const claude = await call({ model: 'v-claude', messages: kHello });
  assert.equal(first.response.status, 200);
  assert.equal(second.response.status, 200);
  assert.equal(claude.response.status, 200);
  assert.equal(bearerOf(first.upstream), bearerOf(second.upstream));
  assert.equal(bearerOf(claude.upstream), bearerOf(first.upstream), 'deployments of one account share its token');
  assert.equal(tokenRequests().length, tokenCallsBefore, 'no token request on the request path');
  const forAccount = tokenRequests().filter((record) =>
    decodeJwtPart(new URLSearchParams(record.rawBody).get('assertion').split('.')[1]).iss === account.clientEmail);
  assert.equal(forAccount.length, 1, 'one token request for the five deployments of the account');
});

test('a token is refreshed before it expires, and the new one is used', async () => {
  const first = await call({ model: 'v-short', messages: kHello });
  assert.equal(first.response.status, 200, first.text);
  const oldToken = bearerOf(first.upstream);
  // Wait past the old token's lifetime: it must have been replaced in time.
  await new Promise((resolve) => setTimeout(resolve, kShortLifetimeSeconds * 1000 + 200));
  assert.equal(issuedToken(oldToken), null, 'the first token has expired at the mock');
  const second = await call({ model: 'v-short', messages: kHello });
  assert.equal(second.response.status, 200, second.text);
  const newToken = bearerOf(second.upstream);
  assert.notEqual(newToken, oldToken);
  assert.ok(issuedToken(newToken));
  assert.match(stack.gateway.stderr(), /vertex_ai deployment 'v-short' \(gemini-2\.5-flash\): OAuth access token refreshed, valid for 3 s/);
});

test('token endpoint down: a clear 503 naming the deployment, then recovery without a restart', async () => {
  failTokenRequests(503);
  const down = makeServiceAccount({ tokenUri: `${stack.mock.url}/token`, name: 'down' });
  const gateway = await startGateway({
    config: {
      model_list: [{ model_name: 'down-chat', litellm_params: vertexParams(stack.mock.url, down, 'gemini-2.5-flash') }],
      general_settings: { master_key: kMasterKey },
    },
  });
  try {
    await eventually(() => /down-chat.*cannot get an OAuth access token/.test(gateway.stderr()), { what: 'a logged failure' });
    const refused = await postJson(gateway.url, '/v1/chat/completions', { model: 'down-chat', messages: kHello });
    const body = await expectError(refused, 503, {
      message: /vertex_ai deployment 'down-chat' \(gemini-2\.5-flash\): no Google OAuth access token .* \(the token endpoint answered 503: temporarily_unavailable/,
    });
    assert.doesNotMatch(JSON.stringify(body), /PRIVATE KEY|ya29\./);

    failTokenRequests(null);
    // The refresher retries after 1 s, 2 s, …: the next retry finds the endpoint back.
    await eventually(async () => {
      const recovered = await postJson(gateway.url, '/v1/chat/completions', { model: 'down-chat', messages: kHello });
      await recovered.text();
      return recovered.status === 200;
    }, { intervalMs: 200, what: 'served once the token endpoint is back' });
    assert.match(gateway.stderr(), /retrying in/);
  } finally {
    failTokenRequests(null);
    const exit = await gateway.stop();
    assert.equal(exit.code, 0, gateway.stderr());
  }
});

test('a key the token endpoint refuses (wrong signature) is a 401 naming the deployment', async () => {
  // The trusted account's email with a key of its own: the mock checks the signature against the
  // trusted account's public key, and refuses it.
  const forger = makeServiceAccount({ tokenUri: `${stack.mock.url}/token`, name: 'forger', trust: false });
  writeFileSync(forger.path, JSON.stringify({ ...forger.keyFile, client_email: account.clientEmail }));
  const gateway = await startGateway({
    config: {
      model_list: [{ model_name: 'forged-chat', litellm_params: vertexParams(stack.mock.url, forger, 'gemini-2.5-flash') }],
      general_settings: { master_key: kMasterKey },
    },
  });
  try {
    await eventually(() => /forged-chat.*cannot get an OAuth access token/.test(gateway.stderr()), { what: 'a logged refusal' });
    const refused = await postJson(gateway.url, '/v1/chat/completions', { model: 'forged-chat', messages: kHello });
    const body = await expectError(refused, 401, { message: /forged-chat.*invalid_grant \(Invalid JWT Signature\.\)/ });
    assert.doesNotMatch(JSON.stringify(body), /PRIVATE KEY|ya29\./);
    assert.ok(!gateway.stderr().includes(forger.privateKeyPem.split('\n')[5]), 'no key material in the log');
  } finally {
    const exit = await gateway.stop();
    assert.equal(exit.code, 0, gateway.stderr());
  }
});

test('neither the private key nor any access token reaches the logs', () => {
  const logs = stack.gateway.stderr();
  assert.ok(logs.includes('OAuth access token refreshed'), 'the refresher logged');
  for (const pem of [account.privateKeyPem, shortAccount.privateKeyPem]) {
    const keyLine = pem.split('\n')[5];  // a line of the key's base64 body
    assert.ok(keyLine.length > 40);
    assert.ok(!logs.includes(keyLine), 'no private key material in the logs');
  }
  assert.ok(!logs.includes('PRIVATE KEY'));
  for (const token of issuedTokens()) assert.ok(!logs.includes(token), 'no access token in the logs');
});
