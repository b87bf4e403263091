// The official Anthropic SDK talks to llmux's /v1/messages as it would to Anthropic, with an
// OpenAI-compatible, an Anthropic, a Bedrock (Converse and InvokeModel) and a Vertex AI Claude
// deployment behind it: messages.create, messages.stream (the event sequence), a tool_use /
// tool_result round trip, countTokens, and errors in Anthropic's shape. The Anthropic deployment,
// Claude on Bedrock's InvokeModel and Claude on Vertex AI are sent the client's call as it is and
// their answers passed back; the others (Bedrock's converse/ route included) are sent it as a chat
// completion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

import { startStack, kAuth, kMasterKey, modelEntry, kUpstreamKey, postJson } from '../support/stack.mjs';
import { eventually } from '../support/assertions.mjs';
import { fixtureStreamText, readFixture, sseEvents } from '../mock_upstream/bodies.mjs';
import { kInputPrice, kOutputPrice } from '../support/store.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';
import { kBedrockCredentials, kConverseText, invokedEventJson } from '../mock_upstream/dialects/bedrock.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForPublishedTokens } from '../support/vertex.mjs';

const kBedrockAuth = (mockUrl) => ({
  aws_bedrock_runtime_endpoint: mockUrl,
  aws_region_name: 'us-east-1',
  aws_access_key_id: kBedrockCredentials.long.accessKeyId,
  aws_secret_access_key: kBedrockCredentials.long.secretAccessKey,
});
const kPriced = { input_cost_per_token: kInputPrice, output_cost_per_token: kOutputPrice };

let stack;
let client;
before(async () => {
  stack = await startStack({
    extraModelsFor: (mockUrl) => [
      {
        model_name: 'claude',
        litellm_params: { model: 'anthropic/claude-made-up-for-tests', api_base: mockUrl, api_key: kUpstreamKey },
        model_info: { id: 'deployment-claude' },
      },
      {
        model_name: 'claude-thinking',
        litellm_params: { model: 'anthropic/mock-thinking', api_base: mockUrl, api_key: kUpstreamKey },
        model_info: { id: 'deployment-claude-thinking' },
      },
      {
        model_name: 'claude-tools',
        litellm_params: { model: 'anthropic/mock-tool-call', api_base: mockUrl, api_key: kUpstreamKey },
        model_info: { id: 'deployment-claude-tools' },
      },
      {
        model_name: 'claude-bedrock',
        litellm_params: {
          model: 'bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0',
          aws_bedrock_runtime_endpoint: mockUrl,
          aws_region_name: 'us-east-1',
          aws_access_key_id: kBedrockCredentials.long.accessKeyId,
          aws_secret_access_key: kBedrockCredentials.long.secretAccessKey,
        },
        model_info: { id: 'deployment-claude-bedrock' },
      },
      {
        model_name: 'claude-priced',
        litellm_params: {
          model: 'anthropic/claude-priced-upstream', api_base: mockUrl, api_key: kUpstreamKey,
          input_cost_per_token: kInputPrice, output_cost_per_token: kOutputPrice,
          extra_headers: { 'anthropic-beta': 'deployment-beta-1' },
        },
        model_info: { id: 'deployment-claude-priced' },
      },
      {
        model_name: 'claude-failing',
        litellm_params: { model: 'anthropic/mock-error-500', api_base: mockUrl, api_key: kUpstreamKey },
        model_info: { id: 'deployment-claude-failing' },
      },
      // Claude on Bedrock's InvokeModel and on Vertex AI: passed through too.
      {
        model_name: 'claude-on-bedrock',
        litellm_params: {
          model: 'bedrock/us.anthropic.claude-priced-v1:0', ...kBedrockAuth(mockUrl), ...kPriced,
          extra_headers: { 'anthropic-beta': 'deployment-beta-1,advanced-tool-use-2025-11-20' },
        },
        model_info: { id: 'deployment-claude-on-bedrock' },
      },
      {
        model_name: 'claude-on-bedrock-thinking',
        litellm_params: { model: 'bedrock/invoke/anthropic.claude-mock-thinking', ...kBedrockAuth(mockUrl) },
      },
      {
        model_name: 'claude-on-bedrock-tools',
        litellm_params: { model: 'bedrock/anthropic.claude-mock-tool-call', ...kBedrockAuth(mockUrl) },
      },
      {
        model_name: 'claude-on-bedrock-failing',
        litellm_params: { model: 'bedrock/us.anthropic.claude-mock-error-500', ...kBedrockAuth(mockUrl) },
      },
      ...(() => {
        const account = makeServiceAccount({ tokenUri: `${mockUrl}/token` });
        return [
          {
            model_name: 'claude-on-vertex',
            litellm_params: vertexParams(mockUrl, account, 'claude-priced@20250929', {
              ...kPriced, extra_headers: { 'anthropic-beta': 'deployment-beta-1' },
            }),
            model_info: { id: 'deployment-claude-on-vertex' },
          },
          { model_name: 'claude-on-vertex-thinking', litellm_params: vertexParams(mockUrl, account, 'claude-mock-thinking') },
          { model_name: 'claude-on-vertex-tools', litellm_params: vertexParams(mockUrl, account, 'claude-mock-tool-call') },
        ];
      })(),
      modelEntry('overloaded', 'mock-error-529', `${mockUrl}/v1`),
      // A group that fails, and one it falls back to: the router works for this dialect too.
      modelEntry('failing', 'mock-error-500', `${mockUrl}/v1`),
    ],
  });
  client = new Anthropic({ apiKey: kMasterKey, baseURL: stack.url, maxRetries: 0, timeout: 10_000 });
  // The Vertex deployments share one service account, so one token.
  await waitForPublishedTokens(stack.gateway, 1);
});
after(() => stack?.stop());

const kHello = [{ role: 'user', content: 'Say hello.' }];

function upstreamSince(count) {
  return stack.mock.requests.slice(count);
}

test('messages.create against an OpenAI-compatible deployment: text, stop reason, usage, headers', async () => {
  const before = stack.mock.requests.length;
  const { data: message, response } = await client.messages.create({
    model: 'gpt-test', max_tokens: 100, system: 'Be brief.', messages: kHello,
    temperature: 0.2, stop_sequences: ['END'], metadata: { user_id: 'end-user-7' },
  }).withResponse();
  const fixture = JSON.parse(readFixture('chat_completion.json'));
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.match(message.id, /^msg_/);
  assert.deepEqual(message.content, [{ type: 'text', text: fixture.choices[0].message.content }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, fixture.usage.prompt_tokens);
  assert.equal(message.usage.output_tokens, fixture.usage.completion_tokens);
  assert.equal(response.headers.get('x-litellm-model-id'), 'deployment-gpt-test');

  const [upstream] = upstreamSince(before);
  assert.equal(upstream.path, '/v1/chat/completions');
  assert.deepEqual(upstream.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello.' },
  ]);
  assert.equal(upstream.body.max_tokens, 100);
  assert.equal(upstream.body.temperature, 0.2);
  assert.deepEqual(upstream.body.stop, ['END']);
  assert.equal(upstream.body.user, 'end-user-7');
});

test('messages.create against an Anthropic deployment: the answer as Anthropic sent it', async () => {
  const before = stack.mock.requests.length;
  const message = await client.messages.create({ model: 'claude', max_tokens: 100, messages: kHello });
  assert.deepEqual(message, JSON.parse(readAnthropicFixture('message.json')));
  const [upstream] = upstreamSince(before);
  assert.equal(upstream.path, '/v1/messages');
  assert.deepEqual(upstream.body, { model: 'claude-made-up-for-tests', max_tokens: 100, messages: kHello });
});

// What a chat completion cannot carry: a cached system block, a thinking budget, a document with
// citations, top_k, and the client's beta header.
const kNativeOnly = {
  model: 'claude-priced',
  max_tokens: 3000,
  top_k: 7,
  system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
  thinking: { type: 'enabled', budget_tokens: 1500 },
  messages: [{
    role: 'user',
    content: [
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The sky is blue.' }, citations: { enabled: true } },
      { type: 'text', text: 'What colour is the sky?' },
    ],
  }],
  metadata: { user_id: 'end-user-9' },
};

function assertPassedThrough(upstream, { stream, userId = 'end-user-9', version }) {
  const { model, ...rest } = kNativeOnly;
  assert.equal(upstream.path, '/v1/messages');
  assert.deepEqual(upstream.body, {
    model: 'claude-priced-upstream', ...rest, metadata: { user_id: userId }, ...(stream ? { stream: true } : {}),
  });
  assert.equal(upstream.headers['anthropic-beta'], 'deployment-beta-1,made-up-beta-2026');
  assert.equal(upstream.headers['anthropic-version'], version, 'the client\'s');
  assert.equal(upstream.headers['x-api-key'], kUpstreamKey);
}

const costOf = (usage) => usage.input_tokens * kInputPrice + usage.output_tokens * kOutputPrice;
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

test('an Anthropic deployment is sent the client\'s body and anthropic-beta unchanged; the call is priced', async () => {
  const before = stack.mock.requests.length;
  const { data: message, response } = await client.messages.create(
    { ...kNativeOnly, fallbacks: ['gpt-test'], num_retries: 0 },
    { headers: { 'anthropic-beta': 'made-up-beta-2026', 'anthropic-version': '2023-06-01' } },
  ).withResponse();
  const fixture = JSON.parse(readAnthropicFixture('message.json'));
  assert.deepEqual(message, fixture);
  const [upstream] = upstreamSince(before);
  assertPassedThrough(upstream, { stream: false, version: '2023-06-01' });
  assert.equal(response.headers.get('x-litellm-model-id'), 'deployment-claude-priced');
  assert.ok(close(Number(response.headers.get('x-litellm-response-cost')), costOf(fixture.usage)));
});

// The spend and tokens /metrics has counted for a priced deployment.
async function pricedSeries(modelId = 'deployment-claude-priced') {
  const lines = (await (await fetch(`${stack.url}/metrics`, { headers: kAuth })).text()).split('\n');
  const sum = (name) => lines.filter((line) => line.startsWith(`${name}{`) && line.includes(`model_id="${modelId}"`))
    .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
  return {
    spend: sum('litellm_spend_metric_total'),
    input: sum('litellm_input_tokens_metric_total'),
    output: sum('litellm_output_tokens_metric_total'),
  };
}

test('a streamed call to an Anthropic deployment: the body unchanged, Anthropic\'s events as they came', async () => {
  const before = stack.mock.requests.length;
  const spentBefore = await pricedSeries();
  const response = await postJson(stack.url, '/v1/messages', {
    ...kNativeOnly, stream: true, metadata: { user_id: 'end-user-streamed' }, mock_response: 'not for the upstream',
  },
    { auth: { 'x-api-key': kMasterKey }, headers: { 'anthropic-beta': 'made-up-beta-2026', 'anthropic-version': '2099-12-31' } });
  assert.equal(response.status, 200);
  const text = await response.text();
  // Each event's data is the upstream's, byte for byte (the recording's odd spacing included).
  const dataOf = (sse) => sseEvents(sse).map((event) => event.split('\n').find((line) => line.startsWith('data: ')));
  const recorded = readAnthropicFixture('message_stream.sse');
  assert.deepEqual(dataOf(text), dataOf(recorded));
  const [upstream] = upstreamSince(before);
  assertPassedThrough(upstream, { stream: true, userId: 'end-user-streamed', version: '2099-12-31' });
  // Its usage is read from message_start and message_delta: the call is priced and counted
  // (once the client has the stream: awaited).
  const events = dataOf(recorded).map((line) => JSON.parse(line.slice(6)));
  const usage = {
    input_tokens: events[0].message.usage.input_tokens,
    output_tokens: events.findLast((event) => event.type === 'message_delta').usage.output_tokens,
  };
  const after = await eventually(async () => {
    const now = await pricedSeries();
    return close(now.spend - spentBefore.spend, costOf(usage)) && now;
  }, { what: 'the streamed call\'s spend' });
  assert.equal(after.input - spentBefore.input, usage.input_tokens);
  assert.equal(after.output - spentBefore.output, usage.output_tokens);
});

test('an Anthropic deployment that fails falls back to an OpenAI one, whose answer is translated', async () => {
  const before = stack.mock.requests.length;
  const { data: message, response } = await client.messages.create({
    model: 'claude-failing', max_tokens: 10, messages: kHello, fallbacks: ['gpt-test'],
  }).withResponse();
  const fixture = JSON.parse(readFixture('chat_completion.json'));
  assert.deepEqual(message.content, [{ type: 'text', text: fixture.choices[0].message.content }]);
  assert.equal(response.headers.get('x-litellm-model-group'), 'gpt-test');
  assert.deepEqual(upstreamSince(before).map((request) => request.path), ['/v1/messages', '/v1/chat/completions']);
});

test('messages.stream: Anthropic\'s event sequence, the text and usage of the chat stream', async () => {
  const stream = client.messages.stream({ model: 'gpt-test', max_tokens: 100, messages: kHello });
  const types = [];
  stream.on('streamEvent', (event) => types.push(event.type));
  const message = await stream.finalMessage();
  // The SDK passes over ping events (the raw stream's test below sees it).
  assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
  assert.ok(types.filter((type) => type === 'content_block_delta').length > 3);
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.deepEqual(message.content, [{ type: 'text', text: fixtureStreamText('chat_completion_stream.sse') }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 14);
  assert.equal(message.usage.output_tokens, 30);
});

test('the raw stream: event lines naming each JSON type, a ping after message_start', async () => {
  // Claude Code's ?beta=true is the same route.
  const response = await postJson(stack.url, '/v1/messages?beta=true', { model: 'gpt-test', max_tokens: 10, stream: true, messages: kHello },
    { auth: { 'x-api-key': kMasterKey } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const events = (await response.text()).split('\n\n').filter(Boolean).map((block) => {
    const [eventLine, dataLine] = block.split('\n');
    return { event: eventLine.replace(/^event: /, ''), data: JSON.parse(dataLine.replace(/^data: /, '')) };
  });
  assert.ok(events.every(({ event, data }) => event === data.type));
  assert.deepEqual(events.slice(0, 3).map(({ event }) => event), ['message_start', 'ping', 'content_block_start']);
  assert.equal(events.at(-1).event, 'message_stop');
});

test('messages.stream against an Anthropic deployment', async () => {
  const message = await client.messages.stream({ model: 'claude', max_tokens: 100, messages: kHello }).finalMessage();
  assert.equal(message.content.length, 1);
  assert.equal(message.content[0].type, 'text');
  assert.ok(message.content[0].text.length > 0);
  assert.equal(message.stop_reason, 'end_turn');
  assert.ok(message.usage.output_tokens > 0);
});

test('thinking: the budget reaches an Anthropic deployment as sent, its thinking streams back with its signature', async () => {
  const before = stack.mock.requests.length;
  const stream = client.messages.stream({
    model: 'claude-thinking', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 },
    messages: [{ role: 'user', content: 'What is 27 * 453?' }],
  });
  const deltas = [];
  stream.on('streamEvent', (event) => {
    if (event.type === 'content_block_delta') deltas.push(event.delta.type);
  });
  const message = await stream.finalMessage();
  assert.deepEqual(message.content.map((block) => block.type), ['thinking', 'text']);
  assert.equal(message.content[0].thinking, 'Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3');
  assert.equal(message.content[1].text, '27 * 453 = 12,231');
  assert.ok(deltas.includes('thinking_delta') && deltas.includes('text_delta'));
  assert.match(message.content[0].signature, /^EqQBCgIYAhIM/);
  assert.deepEqual(upstreamSince(before)[0].body.thinking, { type: 'enabled', budget_tokens: 2000 });
});

test('messages.create and messages.stream against a Bedrock deployment', async () => {
  const before = stack.mock.requests.length;
  const message = await client.messages.create({ model: 'claude-bedrock', max_tokens: 100, messages: kHello });
  assert.deepEqual(message.content, [{ type: 'text', text: kConverseText.output.message.content[0].text }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, kConverseText.usage.inputTokens);
  assert.equal(message.usage.output_tokens, kConverseText.usage.outputTokens);
  assert.match(upstreamSince(before)[0].path, /\/converse$/);
  const streamed = await client.messages.stream({ model: 'claude-bedrock', max_tokens: 100, messages: kHello }).finalMessage();
  assert.deepEqual(streamed.content, [{ type: 'text', text: 'Hello world' }]);
  assert.equal(streamed.usage.output_tokens, 3);
});

const kWeatherTool = {
  name: 'get_current_weather',
  description: 'The weather in a place',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

// Claude on Bedrock (InvokeModel) and on Vertex AI (rawPredict): where the call goes, how the
// upstream names the API version and takes the betas, and what its stream's events carry.
const kClouds = [
  {
    name: 'Bedrock',
    group: 'claude-on-bedrock',
    modelId: 'deployment-claude-on-bedrock',
    path: (stream) => `/model/us.anthropic.claude-priced-v1%3A0/${stream ? 'invoke-with-response-stream' : 'invoke'}`,
    // InvokeModel: the version and the betas Bedrock takes in the body, in Bedrock's names (the
    // made-up ones left out), no `stream` (the path says it), and no cache_control ttl for a model
    // that does not name Claude 4.5 or later.
    body: (rest) => ({
      anthropic_version: 'bedrock-2023-05-31',
      ...rest,
      system: rest.system.map(({ cache_control: { ttl, ...control }, ...block }) => ({ ...block, cache_control: control })),
      anthropic_beta: ['tool-search-tool-2025-10-19'],
    }),
    assertHeaders: (upstream) => {
      assert.equal(upstream.signature, 'valid');
      assert.equal(upstream.headers['anthropic-beta'], undefined);
    },
    eventData: (sseEvent) => invokedEventJson(sseEvent),
  },
  {
    name: 'Vertex AI',
    group: 'claude-on-vertex',
    modelId: 'deployment-claude-on-vertex',
    path: (stream) => `/v1/projects/llmux-test-project/locations/europe-west4/publishers/anthropic/models/claude-priced@20250929:${stream ? 'streamRawPredict' : 'rawPredict'}`,
    body: (rest, stream) => ({ anthropic_version: 'vertex-2023-10-16', ...rest, ...(stream ? { stream: true } : {}) }),
    assertHeaders: (upstream) => {
      assert.equal(upstream.headers['anthropic-beta'], 'deployment-beta-1,made-up-beta-2026');
      assert.equal(upstream.headers['anthropic-version'], undefined, 'the version is the body\'s');
      assert.match(upstream.headers.authorization, /^Bearer /);
    },
    eventData: (sseEvent) => sseEvent.split('\n').find((line) => line.startsWith('data: ')).slice('data: '.length),
  },
];

for (const cloud of kClouds) {
  const { model, ...rest } = kNativeOnly;

  test(`Claude on ${cloud.name} is sent the client's body as it is (cache_control, thinking, citations, top_k, betas); the answer is passed back and priced`, async () => {
    const before = stack.mock.requests.length;
    const { data: message, response } = await client.messages.create(
      { ...kNativeOnly, model: cloud.group, fallbacks: ['gpt-test'], num_retries: 0 },
      { headers: { 'anthropic-beta': 'made-up-beta-2026', 'anthropic-version': '2023-06-01' } },
    ).withResponse();
    const fixture = JSON.parse(readAnthropicFixture('message.json'));
    assert.deepEqual(message, fixture);
    const [upstream] = upstreamSince(before);
    assert.equal(upstream.path, cloud.path(false));
    assert.deepEqual(upstream.body, cloud.body({ ...rest, metadata: { user_id: 'end-user-9' } }, false));
    cloud.assertHeaders(upstream);
    assert.equal(response.headers.get('x-litellm-model-id'), cloud.modelId);
    assert.ok(close(Number(response.headers.get('x-litellm-response-cost')), costOf(fixture.usage)));
  });

  test(`a streamed call to Claude on ${cloud.name}: Anthropic's events, each named and passed on as the upstream sent it; the call is priced`, async () => {
    const before = stack.mock.requests.length;
    const spentBefore = await pricedSeries(cloud.modelId);
    const response = await postJson(stack.url, '/v1/messages', { ...kNativeOnly, model: cloud.group, stream: true },
      { auth: { 'x-api-key': kMasterKey }, headers: { 'anthropic-beta': 'made-up-beta-2026' } });
    assert.equal(response.status, 200);
    const events = sseEvents(await response.text()).map((block) => {
      const [eventLine, dataLine] = block.trimEnd().split('\n');
      return { event: eventLine.replace(/^event: /, ''), data: dataLine.replace(/^data: /, '') };
    });
    const recorded = sseEvents(readAnthropicFixture('message_stream.sse'));
    assert.deepEqual(events.map(({ data }) => data), recorded.map(cloud.eventData));
    assert.ok(events.every(({ event, data }) => event === JSON.parse(data).type));
    const [upstream] = upstreamSince(before);
    assert.equal(upstream.path, cloud.path(true));
    assert.deepEqual(upstream.body, cloud.body({ ...rest }, true));
    const parsed = recorded.map((event) => JSON.parse(cloud.eventData(event)));
    const usage = {
      input_tokens: parsed[0].message.usage.input_tokens,
      output_tokens: parsed.findLast((event) => event.type === 'message_delta').usage.output_tokens,
    };
    await eventually(async () => close((await pricedSeries(cloud.modelId)).spend - spentBefore.spend, costOf(usage)),
      { what: `the streamed ${cloud.name} call's spend` });
  });

  test(`thinking on ${cloud.name}: the signature streams back, and reaches the upstream unchanged in the next turn`, async () => {
    const question = { role: 'user', content: 'What is 27 * 453?' };
    const first = await client.messages.stream({
      model: `${cloud.group}-thinking`, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: [question],
    }).finalMessage();
    assert.deepEqual(first.content.map((block) => block.type), ['thinking', 'text']);
    assert.match(first.content[0].signature, /^EqQBCgIYAhIM/);
    const before = stack.mock.requests.length;
    const conversation = [question, { role: 'assistant', content: first.content }, { role: 'user', content: 'And 28 * 453?' }];
    await client.messages.create({
      model: `${cloud.group}-thinking`, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: conversation,
    });
    const [upstream] = upstreamSince(before);
    assert.deepEqual(upstream.body.messages, conversation);
    assert.deepEqual(upstream.body.thinking, { type: 'enabled', budget_tokens: 2000 });
  });

  test(`the tool_result round trip against Claude on ${cloud.name}`, async () => {
    const tool = { ...kWeatherTool, name: 'get_weather', cache_control: { type: 'ephemeral' } };
    const first = await client.messages.create({
      model: `${cloud.group}-tools`, max_tokens: 100, tools: [tool], messages: [{ role: 'user', content: 'Paris and London?' }],
    });
    assert.equal(first.stop_reason, 'tool_use');
    const calls = first.content.filter((block) => block.type === 'tool_use');
    const expected = JSON.parse(readAnthropicFixture('message_tool_use.synthetic.json')).content.filter((block) => block.type === 'tool_use');
    assert.deepEqual(calls, expected);
    const conversation = [
      { role: 'user', content: 'Paris and London?' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: calls.map((call, index) => ({ type: 'tool_result', tool_use_id: call.id, content: `${20 + index}C` })) },
    ];
    const before = stack.mock.requests.length;
    await client.messages.create({ model: `${cloud.group}-tools`, max_tokens: 100, tools: [tool], messages: conversation });
    const [upstream] = upstreamSince(before);
    assert.deepEqual(upstream.body.messages, conversation, 'passed through as the client sent it');
    assert.deepEqual(upstream.body.tools, [tool]);
  });

  test(`countTokens for Claude on ${cloud.name} is answered without calling it`, async () => {
    const before = stack.mock.requests.length;
    const counted = await client.messages.countTokens({ model: cloud.group, messages: kHello });
    assert.ok(counted.input_tokens > 0);
    assert.equal(stack.mock.requests.length, before);
  });
}

// What a chat completion cannot carry (a server tool, images and documents by file id) is no
// refusal for a Claude deployment: the call is routed before it is translated.
const kServerToolCall = {
  max_tokens: 100,
  tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }, kWeatherTool],
  messages: [{
    role: 'user',
    content: [
      { type: 'text', text: 'What is in these, and what does the web say?' },
      { type: 'image', source: { type: 'file', file_id: 'file-made-up-1' } },
      { type: 'document', source: { type: 'file', file_id: 'file-made-up-2' } },
    ],
  }],
};

test('server tools and files by id reach Claude on Anthropic, Bedrock and Vertex AI whole; a translated deployment refuses them without an upstream call', async () => {
  for (const group of ['claude', 'claude-on-bedrock', 'claude-on-vertex']) {
    const before = stack.mock.requests.length;
    const message = await client.messages.create(
      { ...kServerToolCall, model: group }, { headers: { 'anthropic-beta': 'files-api-2025-04-14' } });
    assert.deepEqual(message, JSON.parse(readAnthropicFixture('message.json')), group);
    const [upstream] = upstreamSince(before);
    assert.deepEqual(upstream.body.tools, kServerToolCall.tools, group);
    assert.deepEqual(upstream.body.messages, kServerToolCall.messages, group);
  }
  const before = stack.mock.requests.length;
  const refused = await anthropicError(client.messages.create({ ...kServerToolCall, model: 'gpt-test' }));
  assert.equal(refused.status, 400);
  assert.equal(refused.error.error.type, 'invalid_request_error');
  assert.match(refused.error.error.message, /An image given by file id cannot be sent to a deployment that does not speak Anthropic's Messages API/);
  const toolRefused = await anthropicError(client.messages.create({ ...kServerToolCall, messages: kHello, model: 'gpt-test' }));
  assert.match(toolRefused.error.error.message, /The server tool 'web_search_20250305'/);
  assert.equal(stack.mock.requests.length, before, 'no upstream call');
  // count_tokens estimates such a call (without what the chat form leaves out).
  const counted = await client.messages.countTokens({ ...kServerToolCall, max_tokens: undefined, model: 'claude' });
  assert.ok(counted.input_tokens > 0);
});

test('a failing Claude on Bedrock falls back to an OpenAI deployment (translated), and an OpenAI one to Claude on Vertex (passed through)', async () => {
  let before = stack.mock.requests.length;
  const { data: translated, response } = await client.messages.create({
    model: 'claude-on-bedrock-failing', max_tokens: 10, messages: kHello, fallbacks: ['gpt-test'],
  }).withResponse();
  const fixture = JSON.parse(readFixture('chat_completion.json'));
  assert.deepEqual(translated.content, [{ type: 'text', text: fixture.choices[0].message.content }]);
  assert.equal(response.headers.get('x-litellm-model-group'), 'gpt-test');
  assert.deepEqual(upstreamSince(before).map((request) => request.path),
    ['/model/us.anthropic.claude-mock-error-500/invoke', '/v1/chat/completions']);

  before = stack.mock.requests.length;
  const passed = await client.messages.create({ model: 'failing', max_tokens: 10, messages: kHello, fallbacks: ['claude-on-vertex'] });
  assert.deepEqual(passed, JSON.parse(readAnthropicFixture('message.json')));
  const paths = upstreamSince(before).map((request) => request.path);
  assert.equal(paths[0], '/v1/chat/completions');
  assert.equal(paths[1], kClouds[1].path(false));
});


test('tool use: a tool_use block from a chat tool call, and the tool_result round trip', async () => {
  const first = await client.messages.create({
    model: 'tools', max_tokens: 100, tools: [kWeatherTool], tool_choice: { type: 'any' },
    messages: [{ role: 'user', content: 'Weather in Boston?' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  const toolUse = first.content.find((block) => block.type === 'tool_use');
  assert.deepEqual({ id: toolUse.id, name: toolUse.name, input: toolUse.input },
    { id: 'call_abc123', name: 'get_current_weather', input: { location: 'Boston, MA' } });

  const before = stack.mock.requests.length;
  const second = await client.messages.create({
    model: 'gpt-test', max_tokens: 100, tools: [kWeatherTool],
    messages: [
      { role: 'user', content: 'Weather in Boston?' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '22C and sunny' }] },
    ],
  });
  assert.equal(second.stop_reason, 'end_turn');
  const [upstream] = upstreamSince(before);
  assert.deepEqual(upstream.body.messages.slice(1), [
    {
      role: 'assistant', content: null,
      tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Boston, MA"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_abc123', content: '22C and sunny' },
  ]);
  assert.equal(upstream.body.tools[0].function.name, 'get_current_weather');
  assert.deepEqual(upstream.body.tools[0].function.parameters, kWeatherTool.input_schema);
});

test('the tool_result round trip against an Anthropic and a Bedrock deployment', async () => {
  const kGetWeather = { ...kWeatherTool, name: 'get_weather' };
  const first = await client.messages.create({
    model: 'claude-tools', max_tokens: 100, tools: [kGetWeather], messages: [{ role: 'user', content: 'Paris and London?' }],
  });
  const calls = first.content.filter((block) => block.type === 'tool_use');
  assert.equal(calls.length, 2);
  const conversation = [
    { role: 'user', content: 'Paris and London?' },
    { role: 'assistant', content: first.content },
    { role: 'user', content: calls.map((call, index) => ({ type: 'tool_result', tool_use_id: call.id, content: `${20 + index}C` })) },
  ];

  let before = stack.mock.requests.length;
  const answer = await client.messages.create({ model: 'claude', max_tokens: 100, tools: [kGetWeather], messages: conversation });
  assert.equal(answer.stop_reason, 'end_turn');
  const [anthropic] = upstreamSince(before);
  assert.deepEqual(anthropic.body.messages, conversation, 'passed through as the client sent it');

  before = stack.mock.requests.length;
  await client.messages.create({ model: 'claude-bedrock', max_tokens: 100, tools: [kGetWeather], messages: conversation });
  const [bedrock] = upstreamSince(before);
  const blocks = bedrock.body.messages.flatMap((message) => message.content);
  assert.deepEqual(blocks.filter((block) => block.toolUse).map(({ toolUse }) => [toolUse.toolUseId, toolUse.input]),
    calls.map(({ id, input }) => [id, input]));
  assert.deepEqual(blocks.filter((block) => block.toolResult).map(({ toolResult }) => toolResult.toolUseId),
    calls.map(({ id }) => id));
});

test('a streamed tool call: tool_use blocks built from input_json_delta events', async () => {
  const stream = client.messages.stream({
    model: 'tools', max_tokens: 100, tools: [kWeatherTool], messages: [{ role: 'user', content: 'Weather?' }],
  });
  const deltas = [];
  stream.on('streamEvent', (event) => {
    if (event.type === 'content_block_delta') deltas.push(event.delta.type);
  });
  const message = await stream.finalMessage();
  assert.ok(deltas.length > 2 && deltas.every((type) => type === 'input_json_delta'));
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual(message.content.map((block) => [block.type, block.id, block.name, block.input]), [
    ['tool_use', 'call_JMW1whyEaYG438VE1OIflxA2', 'GetWeatherArgs', { city: 'Edinburgh', country: 'GB', units: 'c' }],
    ['tool_use', 'call_DNYTawLBoN8fj3KN6qU9N1Ou', 'get_stock_price', { ticker: 'AAPL', exchange: 'NASDAQ' }],
  ]);
});

test('an Anthropic deployment\'s tool_use comes back as a tool_use block', async () => {
  const message = await client.messages.create({
    model: 'claude-tools', max_tokens: 100, tools: [kWeatherTool], messages: [{ role: 'user', content: 'Weather?' }],
  });
  const fixture = JSON.parse(readAnthropicFixture('message_tool_use.synthetic.json'));
  const expected = fixture.content.filter((block) => block.type === 'tool_use');
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual(message.content.filter((block) => block.type === 'tool_use')
    .map(({ id, name, input }) => ({ id, name, input })), expected.map(({ id, name, input }) => ({ id, name, input })));
});

test('countTokens answers an estimate without calling an upstream', async () => {
  const before = stack.mock.requests.length;
  const short = await client.messages.countTokens({ model: 'gpt-test', messages: kHello });
  const long = await client.messages.countTokens({
    model: 'gpt-test', system: 'You answer questions about the weather in great detail.',
    messages: [{ role: 'user', content: 'What will the weather be like in Edinburgh next week, day by day?' }],
  });
  assert.ok(short.input_tokens > 0);
  assert.ok(long.input_tokens > short.input_tokens);
  assert.equal(stack.mock.requests.length, before);
});

async function anthropicError(promise) {
  const error = await promise.then(() => assert.fail('expected an error'), (caught) => caught);
  assert.ok(error instanceof Anthropic.APIError, String(error));
  return error;
}

test('bad input is a 400 in Anthropic\'s error shape', async () => {
  const error = await anthropicError(client.messages.create({ model: 'gpt-test', messages: kHello }));
  assert.ok(error instanceof Anthropic.BadRequestError);
  assert.equal(error.error.type, 'error');
  assert.equal(error.error.error.type, 'invalid_request_error');
  assert.match(error.error.error.message, /max_tokens/);
});

test('a wrong key is a 401 authentication_error; a refused count_tokens too', async () => {
  const stranger = new Anthropic({ apiKey: 'sk-not-a-key', baseURL: stack.url, maxRetries: 0 });
  const error = await anthropicError(stranger.messages.create({ model: 'gpt-test', max_tokens: 10, messages: kHello }));
  assert.ok(error instanceof Anthropic.AuthenticationError);
  assert.equal(error.error.error.type, 'authentication_error');
  const counting = await anthropicError(stranger.messages.countTokens({ model: 'gpt-test', messages: kHello }));
  assert.equal(counting.status, 401);
  assert.equal(counting.error.error.type, 'authentication_error');
});

test('upstream failures keep their status in Anthropic\'s shape: 429, 529 overloaded, an unknown model', async () => {
  const limited = await anthropicError(client.messages.create({ model: 'rate-limited', max_tokens: 10, messages: kHello }));
  assert.ok(limited instanceof Anthropic.RateLimitError);
  assert.equal(limited.error.error.type, 'rate_limit_error');
  assert.equal(limited.headers.get('retry-after'), '7');
  const overloaded = await anthropicError(client.messages.create({ model: 'overloaded', max_tokens: 10, messages: kHello }));
  assert.ok(overloaded instanceof Anthropic.OverloadedError);
  assert.equal(overloaded.error.error.type, 'overloaded_error');
  const unknown = await anthropicError(client.messages.create({ model: 'no-such-model', max_tokens: 10, messages: kHello }));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.error.error.type, 'invalid_request_error');
  assert.match(unknown.error.error.message, /no-such-model/);
});

test('a fallback named in the body serves the call when its group fails', async () => {
  const { data: message, response } = await client.messages.create({
    model: 'failing', max_tokens: 10, messages: kHello, fallbacks: ['gpt-test'],
  }).withResponse();
  assert.equal(message.content[0].type, 'text');
  assert.equal(response.headers.get('x-litellm-model-group'), 'gpt-test');
  assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '1');
});

test('a stream refused before it started is an ordinary error in Anthropic\'s shape', async () => {
  const refused = await anthropicError(client.messages.stream({ model: 'rate-limited', max_tokens: 10, messages: kHello }).finalMessage());
  assert.ok(refused instanceof Anthropic.RateLimitError);
  assert.equal(refused.error.error.type, 'rate_limit_error');
});

test('a stream that breaks after it started ends with Anthropic\'s error event', async () => {
  const stream = client.messages.stream({ model: 'cut-stream', max_tokens: 10, messages: kHello });
  const texts = [];
  stream.on('text', (text) => texts.push(text));
  const error = await stream.finalMessage().then(() => assert.fail('expected an error'), (caught) => caught);
  assert.ok(error instanceof Anthropic.APIError, String(error));
  assert.equal(error.error.type, 'error');
  assert.equal(error.error.error.type, 'api_error');
  assert.ok(texts.length > 0, 'text arrived before the error');
});
