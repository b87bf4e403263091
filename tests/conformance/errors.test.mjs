// Each gateway error surfaces as the SDK's own error class, with the status and message intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APIConnectionError, APIConnectionTimeoutError, APIError, AuthenticationError, BadRequestError,
  InternalServerError, NotFoundError, RateLimitError,
} from 'openai';

import { useSdkStack } from '../support/sdk.mjs';
import { rejection } from '../support/assertions.mjs';
import { closedPort } from '../support/network.mjs';
import { errorBody } from '../mock_upstream/bodies.mjs';

const sdk = useSdkStack();
const client = (overrides) => sdk.client(overrides);

const messages = [{ role: 'user', content: 'Say hello.' }];
const chat = (openai, model, extra = {}) => openai.chat.completions.create({ model, messages, ...extra });

test('a wrong key is AuthenticationError (401) with code invalid_api_key', async () => {
  const error = await rejection(chat(client({ apiKey: 'sk-wrong' }), 'gpt-test'), AuthenticationError);
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_api_key');
  assert.equal(error.type, 'invalid_request_error');
  await rejection(client({ apiKey: 'sk-wrong' }).models.list(), AuthenticationError);
});

test('an unknown model is BadRequestError (400) with param "model"', async () => {
  const error = await rejection(chat(client(), 'no-such-model'), BadRequestError);
  assert.equal(error.status, 400);
  assert.equal(error.param, 'model');
});

test('empty messages are BadRequestError (400) with param "messages"', async () => {
  const error = await rejection(client().chat.completions.create({ model: 'gpt-test', messages: [] }), BadRequestError);
  assert.equal(error.param, 'messages');
});

test('models.retrieve of an unknown id is NotFoundError (404)', async () => {
  const error = await rejection(client().models.retrieve('no-such-model'), NotFoundError);
  assert.equal(error.status, 404);
  assert.equal(error.code, 'model_not_found');
});

test('an upstream 429 is RateLimitError with the upstream message', async () => {
  for (const stream of [false, true]) {
    const error = await rejection(chat(client(), 'rate-limited', { stream }), RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.error?.message, errorBody(429).error.message, `stream: ${stream}`);
  }
});

test('an upstream 500 is InternalServerError with the upstream message', async () => {
  const error = await rejection(chat(client(), 'broken'), InternalServerError);
  assert.equal(error.status, 500);
  assert.equal(error.error?.message, errorBody(500).error.message);
});

test('an unreachable upstream is an InternalServerError (502/503)', async () => {
  const error = await rejection(chat(client(), 'unreachable'), InternalServerError);
  assert.ok([502, 503].includes(error.status), `status ${error.status}`);
});

test('an upstream timeout is an APIError with status 408', async () => {
  const error = await rejection(chat(client(), 'slow-first-byte'), APIError);
  assert.equal(error.status, 408);
});

test('a gateway that is not there is APIConnectionError', async () => {
  const port = await closedPort();
  const error = await rejection(chat(client({ baseURL: `http://127.0.0.1:${port}/v1` }), 'gpt-test'), APIConnectionError);
  assert.ok(!(error instanceof APIConnectionTimeoutError));
});

test('a client timeout shorter than the answer is APIConnectionTimeoutError', async () => {
  // slow-first-byte holds the headers back for 3 s, past this 300 ms client timeout.
  await rejection(chat(client({ timeout: 300 }), 'slow-first-byte'), APIConnectionTimeoutError);
});
