// Azure OpenAI beyond the conformance suite: the exact upstream request (deployment URL,
// api-version, api-key or Entra token), Azure's content filter (errors and finish reasons), the
// api-version fallbacks, and the gateway's own Azure-style routes in front of an Azure upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kUpstreamKey } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';
import { readAzureFixture } from '../mock_upstream/dialects/azure.mjs';

const kAdToken = 'entra-token-Qm81-secret';

function azureModels(mockUrl) {
  const entry = (name, deployment, params = {}) => ({
    model_name: name,
    litellm_params: { model: `azure/${deployment}`, api_base: mockUrl, api_key: kUpstreamKey, ...params },
  });
  return [
    entry('az-chat', 'gpt-4o-prod', { api_version: '2024-10-21' }),
    entry('az-env-version', 'gpt-4o-prod'),
    entry('az-token', 'gpt-4o-prod', { api_version: '2024-10-21', azure_ad_token: kAdToken }),
    entry('az-filtered', 'mock-content-filter', { api_version: '2024-10-21' }),
    entry('az-filtered-stream', 'mock-content-filter-stream', { api_version: '2024-10-21' }),
    entry('az-missing', 'mock-error-404', { api_version: '2024-10-21' }),
  ];
}

let stack;
before(async () => {
  stack = await startStack({ extraModelsFor: azureModels, env: { AZURE_API_VERSION: '2024-06-01' } });
});
after(() => stack?.stop());

async function call(path, body) {
  const before = stack.mock.requests.length;
  const response = await postJson(stack.url, path, body);
  const text = await response.text();
  const upstream = stack.mock.requests.slice(before);
  assert.equal(upstream.length, 1, 'one upstream request');
  return { response, text, upstream: upstream[0] };
}

test('azure: deployment URL, api-version, api-key header and OpenAI body', async () => {
  const { response, text, upstream } = await call('/v1/chat/completions', {
    model: 'az-chat', messages: kHello, temperature: 0.3, metadata: { trace: 'x' },
  });
  assert.equal(response.status, 200, text);
  assert.equal(upstream.dialect, 'azure');
  assert.equal(upstream.path, '/openai/deployments/gpt-4o-prod/chat/completions');
  assert.equal(upstream.query, '?api-version=2024-10-21');
  assert.equal(upstream.headers['api-key'], kUpstreamKey);
  assert.equal(upstream.headers.authorization, undefined, 'the key is not also sent as a bearer token');
  assert.deepEqual(upstream.body, { model: 'gpt-4o-prod', messages: kHello, temperature: 0.3 });
  const body = JSON.parse(text);
  assert.equal(body.model, 'az-chat');
  assert.equal(body.choices[0].message.content, 'Hello! How can I assist you today?');
  assert.deepEqual(body.prompt_filter_results, JSON.parse(readAzureFixture('chat_completion.synthetic.json')).prompt_filter_results,
    'Azure annotations reach the client');
  assert.ok(body.choices[0].content_filter_results);
});

test('azure: api_version falls back to AZURE_API_VERSION', async () => {
  const { response, upstream } = await call('/v1/chat/completions', { model: 'az-env-version', messages: kHello });
  assert.equal(response.status, 200);
  assert.equal(upstream.query, '?api-version=2024-06-01');
});

test('azure: azure_ad_token is sent as a bearer token and never leaks', async () => {
  const { response, upstream } = await call('/v1/chat/completions', { model: 'az-token', messages: kHello });
  assert.equal(response.status, 200);
  assert.equal(upstream.headers.authorization, `Bearer ${kAdToken}`);
  assert.equal(upstream.headers['api-key'], undefined);
  assert.ok(!upstream.rawBody.includes(kAdToken), 'a provider setting is not a request field');
  assert.ok(!stack.gateway.stderr().includes(kAdToken), 'not in the logs');
});

test('azure: a prompt blocked by the content filter is a 400 content_policy_violation with Azure\'s detail', async () => {
  for (const stream of [false, true]) {
    const { response, text } = await call('/v1/chat/completions', { model: 'az-filtered', messages: kHello, stream });
    assert.equal(response.status, 400, text);
    const { error } = JSON.parse(text);
    assert.equal(error.code, 'content_policy_violation');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /content management policy/);
    assert.match(error.message, /"violence":\{"filtered":true,"severity":"medium"\}/);
  }
});

test('azure: the stream\'s prompt-filter chunk is absorbed and finish_reason content_filter passes through', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'az-filtered-stream', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.ok(chunks.every((chunk) => chunk.choices.length === 1 && chunk.id && chunk.model === 'az-filtered-stream'));
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'content_filter');
  assert.equal(chunks.at(-1).choices[0].content_filter_results.violence.filtered, true);
});

test('azure: Azure-style client routes reach the Azure deployment, embeddings and legacy completions too', async () => {
  const chat = await call('/openai/deployments/az-chat/chat/completions?api-version=2024-02-01', { messages: kHello });
  assert.equal(chat.response.status, 200, chat.text);
  assert.equal(chat.upstream.path, '/openai/deployments/gpt-4o-prod/chat/completions');
  assert.equal(chat.upstream.query, '?api-version=2024-10-21', 'the deployment\'s version, not the client\'s');
  const embed = await call('/v1/embeddings', { model: 'az-chat', input: 'hi', encoding_format: 'float' });
  assert.equal(embed.response.status, 200, embed.text);
  assert.equal(embed.upstream.path, '/openai/deployments/gpt-4o-prod/embeddings');
  assert.equal(JSON.parse(embed.text).model, 'az-chat');
  const legacy = await call('/v1/completions', { model: 'az-chat', prompt: 'Say this is a test' });
  assert.equal(legacy.response.status, 200, legacy.text);
  assert.equal(legacy.upstream.path, '/openai/deployments/gpt-4o-prod/completions');
});

test('azure: Azure error bodies keep their status and message', async () => {
  const { response, text } = await call('/v1/chat/completions', { model: 'az-missing', messages: kHello });
  assert.equal(response.status, 404);
  assert.match(JSON.parse(text).error.message, /mock azure says 404/);
});
