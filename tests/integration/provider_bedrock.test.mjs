// Bedrock deployments end to end: the exact Converse request the gateway sends (signature checked
// by the mock), credentials from litellm_params, os.environ/, the AWS_* variables and a shared
// credentials file, Bedrock API keys, error mapping, an in-stream throttling exception, and
// secrets kept out of logs and answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startStack, postJson, kHello } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import { bedrockError, kBedrockApiKey, kBedrockCredentials, signatureProblem } from '../mock_upstream/dialects/bedrock.mjs';

const { long, temporary } = kBedrockCredentials;
const kHome = mkdtempSync(join(tmpdir(), 'llmux-bedrock-home-'));  // no ~/.aws/credentials here
const kCredentialsFile = join(kHome, 'credentials');
writeFileSync(kCredentialsFile, [
  '[default]', 'aws_access_key_id = AKIDNOTKNOWNTOTHEMOCK', 'aws_secret_access_key = not-the-secret', '',
  '[team]', `aws_access_key_id = ${temporary.accessKeyId}`, `aws_secret_access_key = ${temporary.secretAccessKey}`,
  `aws_session_token = ${temporary.sessionToken}`, '',
].join('\n'));

const kSecrets = [long.secretAccessKey, temporary.secretAccessKey, temporary.sessionToken, kBedrockApiKey, 'wrong-secret-Q7'];

let stack;
const bodies = [];  // every answer, searched for secrets at the end

const keys = (credentials) => ({
  aws_access_key_id: credentials.accessKeyId,
  aws_secret_access_key: credentials.secretAccessKey,
  ...(credentials.sessionToken ? { aws_session_token: credentials.sessionToken } : {}),
});

before(async () => {
  stack = await startStack({
    extraModelsFor: (mockUrl) => {
      const bedrock = (name, model, params = {}) => ({
        model_name: name,
        litellm_params: { model: `bedrock/${model}`, aws_bedrock_runtime_endpoint: mockUrl, ...params },
        model_info: { id: `deployment-${name}` },
      });
      const model = 'anthropic.claude-3-haiku-20240307-v1:0';
      return [
        bedrock('br-params', model, { aws_region_name: 'eu-central-1', ...keys(long), top_k: 40 }),
        bedrock('br-environ', `converse/${model}`, {
          aws_access_key_id: 'os.environ/BR_TEST_KEY_ID', aws_secret_access_key: 'os.environ/BR_TEST_SECRET',
        }),
        bedrock('br-env', model),  // AWS_* variables of the gateway's environment
        bedrock('br-profile', model, { aws_profile_name: 'team' }),
        bedrock('br-api-key', model, { api_key: kBedrockApiKey }),
        bedrock('br-arn', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku', keys(long)),
        bedrock('br-titan', 'amazon.titan-embed-text-v2:0', keys(long)),
        bedrock('br-wrong-secret', model, { aws_access_key_id: long.accessKeyId, aws_secret_access_key: 'wrong-secret-Q7' }),
        bedrock('br-error-400', 'mock-error-400', keys(long)),
        bedrock('br-error-403', 'mock-error-403', keys(long)),
        bedrock('br-error-404', 'mock-error-404', keys(long)),
        bedrock('br-error-424', 'mock-error-424', keys(long)),
        bedrock('br-error-429', 'mock-error-429', keys(long)),
        bedrock('br-error-503', 'mock-error-503', keys(long)),
        bedrock('br-garbage', 'mock-garbage', keys(long)),
        bedrock('br-paced', 'mock-stream-slow-5-3', keys(long)),
        bedrock('br-throttled-at-once', 'mock-stream-throttled-after-0', keys(long)),
        bedrock('br-throttled-later', 'mock-stream-throttled-after-3', keys(long)),
      ];
    },
    env: {
      BR_TEST_KEY_ID: long.accessKeyId, BR_TEST_SECRET: long.secretAccessKey,
      AWS_ACCESS_KEY_ID: temporary.accessKeyId, AWS_SECRET_ACCESS_KEY: temporary.secretAccessKey,
      AWS_SESSION_TOKEN: temporary.sessionToken, AWS_REGION: 'ap-southeast-2',
      AWS_SHARED_CREDENTIALS_FILE: kCredentialsFile, AWS_PROFILE: '', AWS_DEFAULT_REGION: '', AWS_REGION_NAME: '',
      AWS_BEARER_TOKEN_BEDROCK: '', AWS_BEDROCK_RUNTIME_ENDPOINT: '', HOME: kHome,
    },
  });
});

after(() => stack?.stop());

async function chat(model, extra = {}) {
  const response = await postJson(stack.url, '/v1/chat/completions', { model, messages: kHello, ...extra });
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, text, json: () => JSON.parse(text) };
}

const lastRequest = () => stack.mock.requests.at(-1);
const scopeRegion = (request) => /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(request.headers.authorization)?.[1];

test('the exact Converse request, signed over the Host the gateway sent', async () => {
  const answer = await chat('br-params', {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    tool_choice: 'auto', max_tokens: 100, temperature: 0.2, stop: 'END',
    // Converse has no `user`: dropped as the request asks; metadata is the gateway's own.
    user: 'someone', drop_params: true, metadata: { tags: ['x'] },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json().choices[0].message.content, 'Hello world');
  const request = lastRequest();
  assert.equal(request.dialect, 'bedrock');
  assert.equal(request.signature, 'valid');
  assert.equal(request.path, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
  assert.equal(request.headers.host, `127.0.0.1:${stack.mock.port}`);
  assert.equal(request.headers['content-type'], 'application/json');
  assert.match(request.headers['x-amz-date'], /^\d{8}T\d{6}Z$/);
  assert.equal(scopeRegion(request), 'eu-central-1');
  assert.match(request.headers.authorization,
    new RegExp(`^AWS4-HMAC-SHA256 Credential=${long.accessKeyId}/\\d{8}/eu-central-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$`));
  assert.equal(request.headers['x-amz-security-token'], undefined);
  assert.deepEqual(request.body, {
    system: [{ text: 'Be brief.' }],
    messages: [
      { role: 'user', content: [{ text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: '18C' }] } }] },
    ],
    inferenceConfig: { maxTokens: 100, temperature: 0.2, stopSequences: ['END'] },
    toolConfig: {
      tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }],
      toolChoice: { auto: {} },
    },
    additionalModelRequestFields: { top_k: 40 },
  });
  // The mock's verifier is an independent implementation: it must also refuse a changed body.
  assert.equal(signatureProblem({ method: 'POST', rawPath: request.path, headers: request.headers, rawBody: `${request.rawBody} ` })?.name,
    'InvalidSignatureException');
});

test('a streamed call goes to converse-stream and comes back as OpenAI chunks', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'br-arn', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /text\/event-stream/);
  const { chunks, done, broken } = await readSse(response);
  assert.equal(lastRequest().path,
    '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku/converse-stream');
  assert.equal(lastRequest().signature, 'valid');
  assert.ok(done && !broken, 'the stream ends with [DONE]');
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'Hello world');
  assert.ok(chunks.every((chunk) => chunk.model === 'br-arn'));
});

test('frames encoded by the mock (padded, one per write) stream through with their usage', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', {
    model: 'br-paced', messages: kHello, stream: true, stream_options: { include_usage: true },
  });
  assert.equal(response.status, 200);
  const { chunks, done } = await readSse(response);
  assert.ok(done);
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), 'tok0 tok1 tok2 ');
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  assert.ok(chunks.every((chunk) => !('p' in chunk) && !('p' in (chunk.choices[0]?.delta ?? {}))), 'padding is not relayed');
});

test('credentials from os.environ/, the AWS_* variables and a credentials file profile', async () => {
  for (const [model, credentials, region] of [
    ['br-environ', long, 'ap-southeast-2'],
    ['br-env', temporary, 'ap-southeast-2'],
    ['br-profile', temporary, 'ap-southeast-2'],
  ]) {
    const answer = await chat(model);
    assert.equal(answer.status, 200, `${model}: ${answer.text}`);
    const request = lastRequest();
    assert.equal(request.signature, 'valid', model);
    assert.ok(request.headers.authorization.includes(`Credential=${credentials.accessKeyId}/`), model);
    assert.equal(request.headers['x-amz-security-token'], credentials.sessionToken, model);
    assert.equal(scopeRegion(request), region, model);
  }
});

test('a Bedrock API key is sent as a bearer token, unsigned', async () => {
  const answer = await chat('br-api-key');
  assert.equal(answer.status, 200, answer.text);
  assert.equal(lastRequest().headers.authorization, `Bearer ${kBedrockApiKey}`);
  assert.equal(lastRequest().headers['x-amz-date'], undefined);
});

test('Titan embeddings go through InvokeModel, one text per call', async () => {
  const response = await postJson(stack.url, '/v1/embeddings', { model: 'br-titan', input: 'The food was delicious', dimensions: 4, encoding_format: 'float' });
  const text = await response.text();
  bodies.push(text);
  assert.equal(response.status, 200, text);
  const request = lastRequest();
  assert.equal(request.path, '/model/amazon.titan-embed-text-v2%3A0/invoke');
  assert.equal(request.signature, 'valid');
  assert.deepEqual(request.body, { inputText: 'The food was delicious', dimensions: 4 });
  const list = JSON.parse(text);
  assert.deepEqual(list.data, [{ object: 'embedding', index: 0, embedding: embeddingFor('The food was delicious', 4) }]);
  assert.deepEqual(list.usage, { prompt_tokens: 4, total_tokens: 4 });
  assert.equal(list.model, 'br-titan');
});

test('a wrong secret is a 401 from the signature check; Bedrock errors keep their status', async () => {
  const wrong = await chat('br-wrong-secret');
  assert.equal(wrong.status, 401, wrong.text);
  assert.equal(lastRequest().signature, 'rejected');
  assert.match(wrong.json().error.message, /signature we calculated does not match/);
  for (const [model, status] of [
    ['br-error-400', 400], ['br-error-403', 403], ['br-error-404', 404],
    ['br-error-424', 424], ['br-error-429', 429], ['br-error-503', 503],
  ]) {
    for (const stream of [false, true]) {
      const answer = await chat(model, { stream });
      assert.equal(answer.status, status, `${model} stream=${stream}: ${answer.text}`);
      assert.equal(answer.json().error.message, bedrockError(status).body.message, model);
    }
  }
  assert.equal(lastRequest().signature, 'valid');
});

test('an answer that is neither Converse JSON nor event-stream frames is a 502, streamed or not', async () => {
  for (const stream of [false, true]) {
    const answer = await chat('br-garbage', { stream });
    assert.equal(answer.status, 502, `stream=${stream}: ${answer.text}`);
    assert.match(answer.json().error.message, stream ? /malformed event-stream frame/ : /not a Converse response/);
  }
});

test('a throttling exception before any event is a 429; after some, an in-band error ends the stream', async () => {
  const early = await chat('br-throttled-at-once', { stream: true });
  assert.equal(early.status, 429, early.text);
  assert.equal(early.json().error.message, 'Too many requests, please wait before trying again.');

  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'br-throttled-later', messages: kHello, stream: true });
  assert.equal(response.status, 200);
  const { chunks, payloads, done } = await readSse(response);
  bodies.push(payloads.join('\n'));
  assert.ok(!done, 'no [DONE] after an error');
  const last = chunks.at(-1);
  assert.equal(last.error.message, 'Too many requests, please wait before trying again.');
  assert.equal(last.error.type, 'rate_limit_error');
  assert.equal(chunks.slice(0, -1).map((chunk) => chunk.choices[0].delta.content ?? '').join(''), 'Hello world');
});

test('no credentials at all is a 401 naming the deployment, not a secret', async () => {
  const bare = await startStack({
    extraModelsFor: (mockUrl) => [{
      model_name: 'br-bare',
      litellm_params: { model: 'bedrock/amazon.nova-lite-v1:0', aws_bedrock_runtime_endpoint: mockUrl },
    }],
    env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
      AWS_SHARED_CREDENTIALS_FILE: join(kHome, 'missing'), HOME: kHome, AWS_BEARER_TOKEN_BEDROCK: '' },
  });
  try {
    const response = await postJson(bare.url, '/v1/chat/completions', { model: 'br-bare', messages: kHello });
    assert.equal(response.status, 401);
    const { error } = await response.json();
    assert.match(error.message, /amazon\.nova-lite-v1:0/);
    assert.match(error.message, /no AWS credentials/);
    assert.equal(bare.mock.requests.length, 0, 'nothing was sent upstream');
  } finally {
    await bare.stop();
  }
});

test('no secret reaches a log line or an answer', async () => {
  const logs = stack.gateway.stderr() + stack.gateway.stdout();
  assert.ok(logs.includes('br-params'), 'the log has the calls');
  for (const secret of kSecrets) {
    assert.ok(!logs.includes(secret), 'a secret is in the gateway log');
    assert.ok(!bodies.some((body) => body.includes(secret)), 'a secret is in an answer');
  }
});
