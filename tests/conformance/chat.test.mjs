// The official openai SDK talks to llmux as it would to OpenAI: chat, streaming with usage, tool
// calls (assembled by the SDK's stream helper), legacy completions, and a stream that breaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from 'openai';

import { useSdkStack } from '../support/sdk.mjs';
import { fixtureStreamText, readFixture, kLegacyCompletionText } from '../mock_upstream/bodies.mjs';

const sdk = useSdkStack();

const messages = [{ role: 'user', content: 'Say hello.' }];

const kTools = [
  { type: 'function', function: { name: 'GetWeatherArgs', parameters: { type: 'object', properties: { city: { type: 'string' }, country: { type: 'string' }, units: { type: 'string' } } } } },
  { type: 'function', function: { name: 'get_stock_price', parameters: { type: 'object', properties: { ticker: { type: 'string' }, exchange: { type: 'string' } } } } },
];

const kExpectedCalls = [
  { id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'GB', units: 'c' } },
  { id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price', arguments: { ticker: 'AAPL', exchange: 'NASDAQ' } },
];

test('chat.completions.create returns the completion, with the request id exposed', async () => {
  const { data: completion, response } = await sdk.openai.chat.completions.create({ model: 'gpt-test', messages }).withResponse();
  const fixture = JSON.parse(readFixture('chat_completion.json'));
  assert.equal(completion.model, 'gpt-test');
  assert.equal(completion.choices[0].message.content, fixture.choices[0].message.content);
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.deepEqual(completion.usage, fixture.usage);
  assert.ok(completion._request_id, 'the SDK found an x-request-id');
  assert.equal(completion._request_id, response.headers.get('x-request-id'));
});

test('a stream with include_usage: for-await over chunks, joined content, final usage', async () => {
  const stream = await sdk.openai.chat.completions.create({
    model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length > 3);
  assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'gpt-test'));
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, fixtureStreamText('chat_completion_stream.sse'));
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.prompt_tokens, 14);
  assert.equal(last.usage.completion_tokens, 30);
  assert.equal(last.usage.total_tokens, 44);
});

test('the stream helper assembles two parallel streamed tool calls', async () => {
  const runner = sdk.openai.chat.completions.stream({
    model: 'tools', messages, tools: kTools, stream_options: { include_usage: true },
  });
  const deltas = [];
  runner.on('chunk', (chunk) => deltas.push(chunk));
  const completion = await runner.finalChatCompletion();
  assert.ok(deltas.length > 10, 'the helper saw the stream chunk by chunk');
  const [choice] = completion.choices;
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.deepEqual(choice.message.tool_calls.map((call) => ({
    id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments),
  })), kExpectedCalls);
  assert.equal(completion.usage.total_tokens, 209, 'the usage chunk of the recording');
});

test('tool calls in a non-streamed completion', async () => {
  const completion = await sdk.openai.chat.completions.create({ model: 'tools', messages, tools: kTools });
  const expected = JSON.parse(readFixture('chat_completion_tool_calls.json')).choices[0].message.tool_calls;
  assert.deepEqual(completion.choices[0].message.tool_calls, expected);
  assert.equal(completion.choices[0].finish_reason, 'tool_calls');
});

test('legacy completions, plain and streamed', async () => {
  const completion = await sdk.openai.completions.create({ model: 'instruct', prompt: 'Say this is a test' });
  assert.equal(completion.object, 'text_completion');
  assert.equal(completion.model, 'instruct');
  assert.equal(completion.choices[0].text, kLegacyCompletionText);
  const stream = await sdk.openai.completions.create({ model: 'instruct', prompt: 'Say this is a test', stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, kLegacyCompletionText);
});

test('mock_response models answer through the SDK too', async () => {
  const completion = await sdk.openai.chat.completions.create({ model: 'mocked', messages });
  assert.equal(completion.choices[0].message.content, 'This answer never left the gateway.');
});

test('an upstream that dies mid-stream surfaces as an APIError inside the for-await', async () => {
  const stream = await sdk.openai.chat.completions.create({ model: 'cut-stream', messages, stream: true });
  const seen = [];
  await assert.rejects(async () => {
    for await (const chunk of stream) seen.push(chunk);
  }, (error) => error instanceof APIError);
  assert.equal(seen.length, 3, 'the chunks before the break were delivered');
});
