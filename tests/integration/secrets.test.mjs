// The master key and the upstream api_key appear in no log line and no response, whatever
// happened to the request; and the logs are JSON lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kMasterKey, kUpstreamKey } from '../support/stack.mjs';

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
