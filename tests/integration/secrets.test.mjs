// The master key and the upstream api_key appear in no log line and no response, whatever
// happened to the request; and the logs are JSON lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kMasterKey, kUpstreamKey, modelEntry } from '../support/stack.mjs';

test('secrets never reach stderr or a response body', async () => {
  // Debug verbosity, where a careless gateway would print its config or request headers.
  const stack = await startStack({ env: { LITELLM_LOG: 'DEBUG' }, litellmSettings: { set_verbose: true } });
  const bodies = [];
  const keep = async (response) => {
    bodies.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
  };
  let exit;
  try {
    const chat = (model, extra = {}, options = {}) =>
      postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, ...extra }, options);
    await keep(await chat('gpt-test'));
    await keep(await chat('gpt-test', { stream: true }));
    await keep(await chat('rate-limited'));
    await keep(await chat('broken', { stream: true }));
    await keep(await chat('unreachable'));
    await keep(await chat('slow-first-byte'));
    await keep(await chat('garbage'));
    await keep(await chat('cut-stream', { stream: true }));
    await keep(await chat('no-such-model'));
    await keep(await chat('gpt-test', {}, { auth: { Authorization: 'Bearer sk-wrong' } }));
    await keep(await chat('gpt-test', {}, { auth: {} }));
    await keep(await postJson(stack.url, '/v1/embeddings', { model: 'embedder', input: 'x' }));
    await keep(await fetch(`${stack.url}/v1/models`, { headers: { Authorization: `Bearer ${kMasterKey}` } }));
    await keep(await fetch(`${stack.url}/v1/models/gpt-test`, { headers: { Authorization: `Bearer ${kMasterKey}` } }));
    await keep(await fetch(`${stack.url}/health/readiness`));
    await keep(await fetch(`${stack.url}/health`));
  } finally {
    exit = await stack.stop();
  }
  const stderr = stack.gateway.stderr();
  for (const [name, secret] of [['master key', kMasterKey], ['upstream api_key', kUpstreamKey]]) {
    assert.ok(!stderr.includes(secret), `the ${name} is in the gateway's stderr`);
    assert.ok(!stack.gateway.stdout().includes(secret), `the ${name} is in the gateway's stdout`);
    for (const body of bodies) assert.ok(!body.includes(secret), `the ${name} is in a response: ${body}`);
  }
  assert.equal(exit.code, 0);

  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  assert.ok(lines.length > 0, 'the gateway logged nothing at all');
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `a log line is not JSON: ${line}`);
  }
});

test('an upstream that echoes the Authorization header it received never hands the key on', async () => {
  const stack = await startStack({
    extraModelsFor: (mockUrl) => [
      modelEntry('echo-auth', 'mock-echo-auth', `${mockUrl}/v1`),
      modelEntry('echo-auth-in-stream', 'mock-echo-auth-in-stream', `${mockUrl}/v1`),
    ],
  });
  const seen = [];
  try {
    const chat = (model, extra = {}) => postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, ...extra });
    for (const stream of [false, true]) {
      const refused = await chat('echo-auth', { stream });
      const text = await refused.text();
      seen.push(text);
      assert.equal(refused.status, 401, text);
      const { error } = JSON.parse(text);
      assert.match(error.message, /Incorrect API key provided: Bearer \[redacted\]/);
      assert.equal(error.param, 'Bearer [redacted]');
    }
    // The in-band error of a stream that had started.
    const streamed = await chat('echo-auth-in-stream', { stream: true });
    assert.equal(streamed.status, 200);
    const text = await streamed.text();
    seen.push(text);
    assert.match(text, /data: \{"error":\{"message":"Incorrect API key provided: Bearer \[redacted\]/);
    // The mock really was sent the key the gateway then kept from the client.
    assert.ok(stack.mock.requests.some((request) => request.headers.authorization === `Bearer ${kUpstreamKey}`));
  } finally {
    await stack.stop();
  }
  const stderr = stack.gateway.stderr();
  assert.match(stderr, /"error":"Incorrect API key provided: Bearer \[redacted\]/, 'the access log records the masked error');
  for (const [where, text] of [['stderr', stderr], ...seen.map((body, i) => [`response ${i}`, body])]) {
    assert.ok(!text.includes(kUpstreamKey), `the upstream key is in ${where}`);
    assert.ok(!text.includes(kMasterKey), `the master key is in ${where}`);
  }
});
