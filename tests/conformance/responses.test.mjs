// The official openai SDK's Responses API (client.responses) against llmux's /v1/responses, with
// an OpenAI-compatible and an Anthropic deployment behind it, each sent the call as a chat
// completion: responses.create, streaming (the typed event sequence), responses.stream, function
// calling with the outputs sent back in `input`, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { useSdkStack } from '../support/sdk.mjs';
import { kUpstreamKey } from '../support/stack.mjs';
import { fixtureStreamText, readFixture } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';

const sdk = useSdkStack({
  extraModelsFor: (mockUrl) => [{
    model_name: 'claude',
    litellm_params: { model: 'anthropic/claude-made-up-for-tests', api_base: mockUrl, api_key: kUpstreamKey },
    model_info: { id: 'deployment-claude' },
  }],
});

function upstreamSince(count) {
  return sdk.stack.mock.requests.slice(count);
}

test('responses.create with a string input: a message output item, usage, the settings echoed', async () => {
  const before = sdk.stack.mock.requests.length;
  const { data: response, response: raw } = await sdk.openai.responses.create({
    model: 'gpt-test', input: 'Say hello.', instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.3,
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
  assert.equal(raw.headers.get('x-litellm-model-id'), 'deployment-gpt-test');

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
  const stream = await sdk.openai.responses.create({ model: 'gpt-test', input: 'Say hello.', stream: true });
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
  for (const model of ['gpt-test', 'claude']) {
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
  const first = await sdk.openai.responses.create({ model: 'tools', input, tools: [kWeatherTool], tool_choice: 'required' });
  const [call] = first.output;
  assert.equal(call.type, 'function_call');
  assert.equal(call.call_id, 'call_abc123');
  assert.equal(call.name, 'get_current_weather');
  assert.deepEqual(JSON.parse(call.arguments), { location: 'Boston, MA' });

  const before = sdk.stack.mock.requests.length;
  const second = await sdk.openai.responses.create({
    model: 'gpt-test', tools: [kWeatherTool],
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
  const stream = await sdk.openai.responses.create({ model: 'tools', input: 'Weather?', tools: [kWeatherTool], stream: true });
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
    model: 'gpt-test', input: 'Answer.', text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } },
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
