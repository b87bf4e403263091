// The official openai SDK's Responses API (client.responses) against llmux's /v1/responses, with
// an OpenAI and an Azure deployment behind it (the call passed through to their /responses) and
// an OpenAI-compatible (hosted_vllm) and an Anthropic deployment (sent the call as a chat
// completion): responses.create, streaming (the typed event sequence), responses.stream, function
// calling with the outputs sent back in `input` or after previous_response_id, retrieve and
// delete, fallbacks between the two paths, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { useSdkStack } from '../support/sdk.mjs';
import { kUpstreamKey } from '../support/stack.mjs';
import { fixtureStreamText, readFixture } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';
import { responsesBody, responsesEvents } from '../mock_upstream/dialects/responses.mjs';

const deployment = (name, model, apiBase) => ({
  model_name: name, litellm_params: { model, api_base: apiBase, api_key: kUpstreamKey }, model_info: { id: `deployment-${name}` },
});

// gpt-test and tools (the stack's) are openai/ deployments: passed through.
const sdk = useSdkStack({
  extraModelsFor: (mockUrl) => [
    deployment('claude', 'anthropic/claude-made-up-for-tests', mockUrl),
    deployment('compat', 'hosted_vllm/gpt-4o-upstream', `${mockUrl}/v1`),
    deployment('compat-tools', 'hosted_vllm/mock-tool-call', `${mockUrl}/v1`),
    deployment('compat-broken', 'hosted_vllm/mock-error-500', `${mockUrl}/v1`),
    deployment('azure-gpt', 'azure/gpt-4o-upstream', mockUrl),
    deployment('azure-tools', 'azure/mock-tool-call', mockUrl),
    deployment('failing-stream', 'openai/mock-responses-error-event', `${mockUrl}/v1`),
    deployment('failing', 'openai/mock-responses-failed', `${mockUrl}/v1`),
  ],
});

function upstreamSince(count) {
  return sdk.stack.mock.requests.slice(count);
}

test('responses.create with a string input: a message output item, usage, the settings echoed', async () => {
  const before = sdk.stack.mock.requests.length;
  const { data: response, response: raw } = await sdk.openai.responses.create({
    model: 'compat', input: 'Say hello.', instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.3,
  }).withResponse();
  const fixture = JSON.parse(readFixture('chat_completion.json'));
  assert.equal(response.object, 'response');
  assert.match(response.id, /^resp_/);
  assert.equal(response.status, 'completed');
  assert.equal(response.output_text, fixture.choices[0].message.content);
  assert.equal(response.output.length, 1);
  assert.equal(response.output[0].type, 'message');
  assert.equal(response.output[0].role, 'assistant');
  assert.equal(response.instructions, 'Be brief.');
  assert.equal(response.max_output_tokens, 50);
  assert.equal(response.usage.input_tokens, fixture.usage.prompt_tokens);
  assert.equal(response.usage.output_tokens, fixture.usage.completion_tokens);
  assert.equal(response.usage.total_tokens, fixture.usage.total_tokens);
  assert.equal(raw.headers.get('x-litellm-model-id'), 'deployment-compat');

  const [upstream] = upstreamSince(before);
  assert.equal(upstream.path, '/v1/chat/completions');
  assert.deepEqual(upstream.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello.' },
  ]);
  assert.equal(upstream.body.max_tokens, 50);
  assert.equal(upstream.body.temperature, 0.3);
});

test('responses.create against an Anthropic deployment', async () => {
  const before = sdk.stack.mock.requests.length;
  const response = await sdk.openai.responses.create({
    model: 'claude', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] }],
  });
  const fixture = JSON.parse(readAnthropicFixture('message.json'));
  assert.equal(response.status, 'completed');
  assert.equal(response.output_text, fixture.content[0].text);
  assert.equal(response.usage.input_tokens, fixture.usage.input_tokens);
  assert.equal(upstreamSince(before)[0].path, '/v1/messages');
});

test('a stream: the typed events in order, numbered, ending in response.completed', async () => {
  const stream = await sdk.openai.responses.create({ model: 'compat', input: 'Say hello.', stream: true });
  const events = [];
  for await (const event of stream) events.push(event);
  const types = events.map((event) => event.type);
  assert.deepEqual(types.slice(0, 4),
    ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.ok(types.filter((type) => type === 'response.output_text.delta').length > 3);
  assert.deepEqual(types.slice(-4),
    ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, index) => index));
  const text = fixtureStreamText('chat_completion_stream.sse');
  assert.equal(events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta).join(''), text);
  const completed = events.at(-1).response;
  assert.equal(completed.status, 'completed');
  assert.equal(completed.id, events[0].response.id);
  assert.equal(completed.output[0].content[0].text, text);
  assert.equal(completed.usage.input_tokens, 14);
  assert.equal(completed.usage.output_tokens, 30);
});

test('responses.stream assembles the final response, against an Anthropic deployment too', async () => {
  for (const model of ['gpt-test', 'azure-gpt', 'compat', 'claude']) {
    const stream = sdk.openai.responses.stream({ model, input: 'Say hello.' });
    const final = await stream.finalResponse();
    assert.equal(final.status, 'completed', model);
    assert.ok(final.output_text.length > 0, model);
    assert.ok(final.usage.output_tokens > 0, model);
  }
});

const kWeatherTool = {
  type: 'function', name: 'get_current_weather', description: 'The weather in a place',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

test('function calling: a function_call item, and its output sent back in the input', async () => {
  const input = [{ role: 'user', content: 'Weather in Boston?' }];
  const first = await sdk.openai.responses.create({ model: 'compat-tools', input, tools: [kWeatherTool], tool_choice: 'required' });
  const [call] = first.output;
  assert.equal(call.type, 'function_call');
  assert.equal(call.call_id, 'call_abc123');
  assert.equal(call.name, 'get_current_weather');
  assert.deepEqual(JSON.parse(call.arguments), { location: 'Boston, MA' });

  const before = sdk.stack.mock.requests.length;
  const second = await sdk.openai.responses.create({
    model: 'compat', tools: [kWeatherTool],
    input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: '22C and sunny' }],
  });
  assert.equal(second.status, 'completed');
  const [upstream] = upstreamSince(before);
  assert.deepEqual(upstream.body.messages.slice(1), [
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: call.arguments } }] },
    { role: 'tool', tool_call_id: 'call_abc123', content: '22C and sunny' },
  ]);
  assert.deepEqual(upstream.body.tools, [{ type: 'function', function: { name: 'get_current_weather', description: 'The weather in a place', parameters: kWeatherTool.parameters } }]);
});

test('streamed function calls: argument deltas, one function_call item per call', async () => {
  const stream = await sdk.openai.responses.create({ model: 'compat-tools', input: 'Weather?', tools: [kWeatherTool], stream: true });
  const events = [];
  for await (const event of stream) events.push(event);
  assert.ok(events.some((event) => event.type === 'response.function_call_arguments.delta'));
  const { output } = events.at(-1).response;
  assert.deepEqual(output.map((item) => [item.type, item.call_id, item.name, JSON.parse(item.arguments)]), [
    ['function_call', 'call_JMW1whyEaYG438VE1OIflxA2', 'GetWeatherArgs', { city: 'Edinburgh', country: 'GB', units: 'c' }],
    ['function_call', 'call_DNYTawLBoN8fj3KN6qU9N1Ou', 'get_stock_price', { ticker: 'AAPL', exchange: 'NASDAQ' }],
  ]);
});

test('text.format json_schema is sent as response_format', async () => {
  const before = sdk.stack.mock.requests.length;
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
  await sdk.openai.responses.create({
    model: 'compat', input: 'Answer.', text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } },
  });
  const [upstream] = upstreamSince(before);
  assert.deepEqual(upstream.body.response_format, { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } });
});

async function openaiError(promise) {
  const error = await promise.then(() => assert.fail('expected an error'), (caught) => caught);
  assert.ok(error instanceof OpenAI.APIError, String(error));
  return error;
}

test('bad input and an unknown previous_response_id are 400s in OpenAI\'s error shape', async () => {
  const missing = await openaiError(sdk.openai.responses.create({ model: 'gpt-test' }));
  assert.equal(missing.status, 400);
  assert.equal(missing.param, 'input');
  const previous = await openaiError(sdk.openai.responses.create({ model: 'gpt-test', input: 'Again.', previous_response_id: 'resp_123' }));
  assert.equal(previous.status, 400);
  assert.equal(previous.param, 'previous_response_id');
  assert.match(previous.message, /Previous response with id 'resp_123' not found/);
});

test('an upstream\'s 429 keeps its status', async () => {
  const error = await openaiError(sdk.openai.responses.create({ model: 'rate-limited', input: 'Hi.' }));
  assert.ok(error instanceof OpenAI.RateLimitError);
});

// ---- passed through: OpenAI and Azure deployments are sent the call to their /responses ----------

// The mock's answer with the client's settings, as the gateway hands it back.
function passedBack(upstream, settings) {
  return { ...responsesBody(upstream.body, false, upstream.id), ...settings };
}

test('passed through to OpenAI: the call as the client wrote it, the answer as OpenAI sent it', async () => {
  const before = sdk.stack.mock.requests.length;
  const call = {
    model: 'gpt-test', input: 'Say hello.', instructions: 'Be brief.', include: ['message.output_text.logprobs'],
    truncation: 'auto', max_output_tokens: 50, fallbacks: ['claude'], num_retries: 1,
  };
  const { data: response, response: raw } = await sdk.openai.responses.create(call).withResponse();
  const [upstream] = upstreamSince(before);
  assert.equal(upstream.path, '/v1/responses');
  assert.equal(upstream.headers.authorization, `Bearer ${kUpstreamKey}`);
  const { fallbacks, num_retries: retries, ...sent } = call;
  assert.deepEqual(upstream.body, { ...sent, model: 'gpt-4o-upstream', store: false },
    'the deployment\'s model, LiteLLM\'s fields removed, nothing stored upstream');
  const { output_text: text, ...answer } = response;
  assert.deepEqual(answer, passedBack(upstream, { store: true, previous_response_id: null }));
  assert.equal(text, JSON.parse(readFixture('chat_completion.json')).choices[0].message.content);
  assert.equal(raw.headers.get('x-litellm-model-id'), 'deployment-gpt-test');
});

test('passed through to Azure: its /openai/v1/responses with the api-key', async () => {
  const before = sdk.stack.mock.requests.length;
  const response = await sdk.openai.responses.create({ model: 'azure-gpt', input: 'Say hello.' });
  const [upstream] = upstreamSince(before);
  assert.equal(upstream.path, '/openai/v1/responses');
  assert.equal(new URLSearchParams(upstream.query).get('api-version'), 'preview');
  assert.equal(upstream.headers['api-key'], kUpstreamKey);
  assert.equal(upstream.body.model, 'gpt-4o-upstream');
  assert.equal(response.id, `resp_mock_${upstream.id}`);
  assert.equal(response.usage.input_tokens, 19);
});

test('a passed-through stream: the deployment\'s events, in order, its numbers kept', async () => {
  for (const model of ['gpt-test', 'azure-gpt']) {
    const before = sdk.stack.mock.requests.length;
    const stream = await sdk.openai.responses.create({ model, input: 'Say hello.', stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const [upstream] = upstreamSince(before);
    const expected = responsesEvents(upstream.body, { kind: 'plain' }, upstream.id)
      .map((event) => JSON.parse(event.slice(event.indexOf('data: ') + 6)));
    // The response objects carry the client's settings; every other byte is the deployment's.
    const withSettings = (event) => (event.response
      ? { ...event, response: { ...event.response, store: true, previous_response_id: null } } : event);
    assert.deepEqual(events, expected.map(withSettings), model);
    assert.equal(events.at(-1).type, 'response.completed');
  }
});

test('function calling with previous_response_id, passed through: the gateway sends the conversation', async () => {
  for (const [first_model, next_model] of [['tools', 'gpt-test'], ['azure-tools', 'azure-gpt'], ['tools', 'claude']]) {
    const first = await sdk.openai.responses.create({
      model: first_model, input: 'Weather in Boston?', tools: [kWeatherTool], tool_choice: 'required',
    });
    const [call] = first.output;
    assert.equal(call.type, 'function_call', first_model);
    assert.equal(call.call_id, 'call_abc123');
    assert.deepEqual(JSON.parse(call.arguments), { location: 'Boston, MA' });

    const before = sdk.stack.mock.requests.length;
    const second = await sdk.openai.responses.create({
      model: next_model, tools: [kWeatherTool], previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '22C and sunny' }],
    });
    assert.equal(second.status, 'completed');
    assert.equal(second.previous_response_id, first.id);
    const [upstream] = upstreamSince(before);
    if (next_model === 'claude') {
      // Continued on a translated deployment: the stored conversation as Anthropic messages.
      assert.equal(upstream.path, '/v1/messages');
      assert.deepEqual(upstream.body.messages.map((message) => message.role), ['user', 'assistant', 'user']);
      continue;
    }
    assert.equal(upstream.body.previous_response_id, undefined);
    assert.equal(upstream.body.store, false);
    const { id, status, ...callSent } = call;
    assert.deepEqual(upstream.body.input, [
      { type: 'message', role: 'user', content: 'Weather in Boston?' },
      callSent,
      { type: 'function_call_output', call_id: call.call_id, output: '22C and sunny' },
    ], 'stored items by their content, without ids');
  }
});

test('a passed-through response is retrieved and deleted like any other', async () => {
  const created = await sdk.openai.responses.create({ model: 'gpt-test', input: 'Keep this.' });
  const { output_text: text, ...retrieved } = await sdk.openai.responses.retrieve(created.id);
  const { output_text: createdText, ...answer } = created;
  assert.deepEqual(retrieved, answer);
  await sdk.openai.responses.delete(created.id);
  const gone = await openaiError(sdk.openai.responses.retrieve(created.id));
  assert.ok(gone instanceof OpenAI.NotFoundError);
});

test('what a chat completion cannot carry goes to a deployment that speaks the Responses API, else a 400', async () => {
  const call = (model) => ({
    model, input: 'What happened today?', tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'],
  });
  const before = sdk.stack.mock.requests.length;
  const passed = await sdk.openai.responses.create(call('gpt-test'));
  assert.equal(passed.status, 'completed');
  assert.deepEqual(upstreamSince(before)[0].body.tools, [{ type: 'web_search' }]);
  for (const model of ['claude', 'compat']) {
    const refused = await openaiError(sdk.openai.responses.create(call(model)));
    assert.equal(refused.status, 400, model);
    assert.equal(refused.param, 'tools');
    assert.match(refused.message, /'web_search' tool cannot be sent to a deployment that does not speak the Responses API/);
  }
  assert.equal(upstreamSince(before).length, 1, 'the refusals asked no upstream');
});

test('an item_reference to an item of the continued conversation is resolved by the gateway', async () => {
  const first = await sdk.openai.responses.create({ model: 'gpt-test', input: 'My name is Ada.' });
  const [message] = first.output;
  for (const model of ['gpt-test', 'claude']) {
    const before = sdk.stack.mock.requests.length;
    await sdk.openai.responses.create({
      model, previous_response_id: first.id,
      input: [{ type: 'item_reference', id: message.id }, { role: 'user', content: 'Repeat that.' }],
    });
    const [upstream] = upstreamSince(before);
    if (model === 'claude') {
      const answer = message.content[0].text;
      assert.equal(upstream.path, '/v1/messages');
      assert.equal(JSON.stringify(upstream.body.messages).split(answer).length - 1, 2, 'the answer, and the item referring to it');
      continue;
    }
    const { id, status, ...content } = message;
    assert.deepEqual(upstream.body.input.slice(-2), [content, { role: 'user', content: 'Repeat that.' }]);
  }
});

test('fallbacks cross the two paths both ways', async () => {
  let before = sdk.stack.mock.requests.length;
  const toTranslated = await sdk.openai.responses.create({ model: 'broken', input: 'Hi.', fallbacks: ['claude'] });
  assert.equal(toTranslated.output_text, JSON.parse(readAnthropicFixture('message.json')).content[0].text);
  let paths = upstreamSince(before).map((request) => request.path);
  assert.equal(paths[0], '/v1/responses');
  assert.equal(paths.at(-1), '/v1/messages');

  before = sdk.stack.mock.requests.length;
  const toPassed = await sdk.openai.responses.create({ model: 'compat-broken', input: 'Hi.', fallbacks: ['gpt-test'] });
  const passedTo = upstreamSince(before);
  assert.equal(toPassed.id, `resp_mock_${passedTo.at(-1).id}`);
  paths = passedTo.map((request) => request.path);
  assert.equal(paths[0], '/v1/chat/completions');
  assert.equal(paths.at(-1), '/v1/responses');
});

test('a failed response, or an error event before anything was sent, is a JSON error in OpenAI\'s shape', async () => {
  for (const [model, stream] of [['failing-stream', true], ['failing', false], ['failing', true]]) {
    const error = await openaiError(sdk.openai.responses.create({ model, input: 'Hi.', stream }));
    assert.equal(error.status, 500, model);
    assert.match(error.message, /the model failed to answer/);
  }
});
