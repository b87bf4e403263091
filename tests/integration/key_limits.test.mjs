// A key's rpm_limit, tpm_limit and max_parallel_requests, enforced in memory: 429 with LiteLLM's
// message and retry-after, and x-ratelimit-* headers on admitted calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { admin, chatWith, generateKey, inRoomyMinute, kEngines, pricedModels } from '../support/store.mjs';

let database;
let stack;
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({ extraModelsFor: pricedModels, generalSettings: { database_url: database.url } });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

test('rpm_limit: the call past the limit is 429 with retry-after; headers count down', async () => {
  await inRoomyMinute();
  const key = await generateKey(stack.url, { rpm_limit: 3 });
  for (const remaining of [2, 1, 0]) {
    const response = await chatWith(stack.url, key.key, 'priced');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), String(remaining));
    await response.arrayBuffer();
  }
  const before = stack.mock.requests.length;
  const refused = await chatWith(stack.url, key.key, 'priced');
  const retryAfter = Number(refused.headers.get('retry-after'));
  await expectError(refused, 429, { message: /Crossed TPM \/ RPM \/ Max Parallel Request Limit. current rpm: 3, rpm limit: 3/ });
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
  assert.equal(stack.mock.requests.length, before, 'a refused call never reaches the upstream');
  // Another key is not affected.
  const other = await generateKey(stack.url, { rpm_limit: 3 });
  assert.equal((await chatWith(stack.url, other.key, 'priced')).status, 200);
});

test('tpm_limit: tokens of finished calls count; past the limit the next call is 429', async () => {
  await inRoomyMinute();
  const key = await generateKey(stack.url, { tpm_limit: 30 });
  const first = await chatWith(stack.url, key.key, 'priced');  // 29 tokens
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '30');
  await first.arrayBuffer();
  const second = await chatWith(stack.url, key.key, 'priced');  // 29 < 30: admitted
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-ratelimit-remaining-tokens'), '1');
  await second.arrayBuffer();
  await expectError(await chatWith(stack.url, key.key, 'priced'), 429, { message: /current tpm: 58, tpm limit: 30/ });
});

test('tpm_limit: a call in flight holds back its prompt estimate and max_tokens until it ends', async () => {
  await inRoomyMinute();
  const key = await generateKey(stack.url, { tpm_limit: 1000 });
  // "Say hello." is 10 tokens by llmux's estimate: this call reserves 10 + 990.
  const slow = await chatWith(stack.url, key.key, 'priced-slow-stream', { stream: true, max_tokens: 990 });
  assert.equal(slow.status, 200);
  await expectError(await chatWith(stack.url, key.key, 'priced'), 429, { message: /current tpm: 1000, tpm limit: 1000/ });
  await slow.text();
  // Its real count (about 300: a hundred short events) replaced the reservation.
  const after = await chatWith(stack.url, key.key, 'priced');
  assert.equal(after.status, 200, await after.clone().text());
});

test('max_parallel_requests: a second call while one is in flight is 429; after it ends, admitted', async () => {
  const key = await generateKey(stack.url, { max_parallel_requests: 1 });
  const slow = await chatWith(stack.url, key.key, 'priced-slow-stream', { stream: true });
  assert.equal(slow.status, 200);
  const refused = await chatWith(stack.url, key.key, 'priced');
  await expectError(refused, 429, { message: /current max_parallel_requests: 1, max_parallel_requests: 1/ });
  await slow.text();
  const after = await chatWith(stack.url, key.key, 'priced');
  assert.equal(after.status, 200, await after.clone().text());
});

test('limits changed by /key/update apply at once', async () => {
  await inRoomyMinute();
  const key = await generateKey(stack.url, { rpm_limit: 1 });
  assert.equal((await chatWith(stack.url, key.key, 'priced')).status, 200);
  assert.equal((await chatWith(stack.url, key.key, 'priced')).status, 429);
  assert.equal((await admin(stack.url, 'POST', '/key/update', { key: key.key, rpm_limit: null })).status, 200);
  assert.equal((await chatWith(stack.url, key.key, 'priced')).status, 200);
});
