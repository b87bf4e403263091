// The master key is accepted from every header LiteLLM reads it from; a missing or wrong key is
// a 401 in OpenAI's invalid_api_key shape on every model route, and never reaches the upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kMasterKey } from '../support/stack.mjs';
import { expectError, assertStillServing } from '../support/assertions.mjs';
import { RawConnection } from '../support/network.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

const keyHeaders = (key) => ({
  'Authorization: Bearer': { Authorization: `Bearer ${key}` },
  'api-key': { 'api-key': key },
  'x-api-key': { 'x-api-key': key },
  'x-goog-api-key': { 'x-goog-api-key': key },
  'x-litellm-api-key': { 'x-litellm-api-key': key },
  'x-litellm-api-key: Bearer': { 'x-litellm-api-key': `Bearer ${key}` },
});

const k401 = { type: 'invalid_request_error', param: null, code: 'invalid_api_key' };

for (const [form, headers] of Object.entries(keyHeaders(kMasterKey))) {
  test(`the master key in ${form} is accepted`, async () => {
    const models = await fetch(`${stack.url}/v1/models`, { headers });
    assert.equal(models.status, 200, await models.clone().text());
    await models.arrayBuffer();
    const chat = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello }, { auth: headers });
    assert.equal(chat.status, 200, await chat.clone().text());
    assert.equal((await chat.json()).object, 'chat.completion');
  });
}

for (const [form, headers] of Object.entries(keyHeaders('sk-not-the-master-key'))) {
  test(`a wrong key in ${form} is 401 invalid_api_key`, async () => {
    const before = stack.mock.requests.length;
    const chat = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello }, { auth: headers });
    await expectError(chat, 401, k401, form);
    assert.equal(stack.mock.requests.length, before, 'a rejected request must not reach the upstream');
  });
}

test('no key is 401 invalid_api_key on every model route', async () => {
  const routes = [
    ['GET', '/v1/models'], ['GET', '/models'], ['GET', '/v1/models/gpt-test'],
    ['POST', '/v1/chat/completions', { model: 'gpt-test', messages: kHello }],
    ['POST', '/chat/completions', { model: 'gpt-test', messages: kHello }],
    ['POST', '/v1/completions', { model: 'instruct', prompt: 'x' }],
    ['POST', '/v1/embeddings', { model: 'embedder', input: 'x' }],
    ['POST', '/v1/moderations', { model: 'moderator', input: 'x' }],
    ['POST', '/openai/deployments/gpt-test/chat/completions', { messages: kHello }],
  ];
  const before = stack.mock.requests.length;
  for (const [method, path, body] of routes) {
    const response = await fetch(stack.url + path, {
      method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body),
    });
    await expectError(response, 401, k401, `${method} ${path}`);
  }
  assert.equal(stack.mock.requests.length, before, 'nothing unauthenticated reached the upstream');
});

test('after a 401 the same connection and a new one still serve', async () => {
  const connection = await RawConnection.open(stack.port);
  await connection.request('POST', '/v1/chat/completions', {
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer wrong' },
    body: { model: 'gpt-test', messages: kHello },
  });
  const response = await connection.readResponse();
  assert.equal(response.status, 401);
  await assertStillServing(stack.port, { connection });
  connection.close();
});
