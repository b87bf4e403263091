// Assertions shared by the integration tests: the OpenAI error shape, and "the gateway still
// serves" after a bad input, both on a new connection and on the one that carried the bad input.
import assert from 'node:assert/strict';

import { RawConnection } from './network.mjs';
import { kAuth, kHello, metricValue } from './stack.mjs';
import { scaled } from './time_scale.mjs';

// Checks {"error":{"message","type","param","code"}} and any of the given expectations.
export function assertErrorBody(body, { param, code, type, message } = {}, context = '') {
  const where = `${context} body: ${JSON.stringify(body)}`;
  assert.equal(typeof body?.error, 'object', `no error object;${where}`);
  const { error } = body;
  for (const field of ['message', 'type', 'param', 'code']) {
    assert.ok(field in error, `error.${field} missing;${where}`);
  }
  assert.equal(typeof error.message, 'string', `error.message is not a string;${where}`);
  assert.ok(error.message.length > 0, `error.message is empty;${where}`);
  assert.equal(typeof error.type, 'string', `error.type is not a string;${where}`);
  assert.ok(error.param === null || typeof error.param === 'string', `error.param;${where}`);
  assert.ok(error.code === null || typeof error.code === 'string', `error.code must be a string or null;${where}`);
  if (param !== undefined) assert.equal(error.param, param, `error.param;${where}`);
  if (code !== undefined) assert.equal(error.code, code, `error.code;${where}`);
  if (type !== undefined) assert.equal(error.type, type, `error.type;${where}`);
  if (message instanceof RegExp) assert.match(error.message, message, `error.message;${where}`);
  else if (message !== undefined) assert.equal(error.message, message, `error.message;${where}`);
}

// Reads a fetch Response, asserts its status (a number, or an array of allowed ones) and the
// error shape, and returns the parsed body.
export async function expectError(response, status, expectations = {}, context = '') {
  const text = await response.text();
  const allowed = [status].flat();
  assert.ok(allowed.includes(response.status),
    `${context} status ${response.status}, expected ${allowed.join(' or ')}; body: ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/, `${context} content-type`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${context} error body is not JSON: ${text}`);
  }
  assertErrorBody(body, expectations, context);
  return body;
}

export function goodChatRequest(connection) {
  return connection.request('POST', '/v1/chat/completions', {
    headers: { ...kAuth, 'Content-Type': 'application/json' },
    body: { model: 'gpt-test', messages: kHello },
  });
}

async function expectGoodChat(connection, context) {
  await goodChatRequest(connection);
  const response = await connection.readResponse();
  assert.equal(response.status, 200, `${context}: ${response.text}`);
  assert.equal(response.json().object, 'chat.completion', context);
}

// After a bad input: a good request works on `connection` (if it is still open and the protocol
// allows reuse) and on a brand-new connection.
export async function assertStillServing(port, { connection, sameConnection = true } = {}) {
  if (connection && sameConnection) {
    assert.equal(connection.closed, false, 'the gateway closed a connection it could have kept');
    await expectGoodChat(connection, 'good request on the same connection');
  }
  const fresh = await RawConnection.open(port);
  try {
    await expectGoodChat(fresh, 'good request on a new connection');
  } finally {
    fresh.close();
  }
}

// Resolves with the first truthy value of `condition()` (a function or an async function: its
// result is awaited), checking every `intervalMs`; fails after `timeoutMs`. For what happens
// asynchronously (the access log, a spend-log row, a metric): wait on it, never sleep.
export async function eventually(condition, { timeoutMs = scaled(8000), intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`${what} not met within ${timeoutMs} ms (last: ${value})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Awaits `promise`, which must reject with exactly `ErrorClass` (an openai SDK error class);
// returns the error.
export async function rejection(promise, ErrorClass) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${error?.constructor?.name}: ${error?.message}`);
    return error;
  }
  return assert.fail(`expected ${ErrorClass.name}, but the call succeeded`);
}

// A counter that moves a moment after what the test saw (a callback's batch is counted once its
// destination's answer is in): waits until the series is `expected`.
export function metricReaches(url, series, expected) {
  return eventually(async () => await metricValue(url, series) === expected,
    { timeoutMs: scaled(10_000), what: `${series} at ${expected}` });
}
