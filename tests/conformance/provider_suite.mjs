// The conformance suite every provider passes: the official openai SDK makes the same calls
// through llmux to a mock of the provider's own API, and must see what it would see from OpenAI.
// Each provider's test file (provider_<name>.test.mjs) calls providerConformance once with its
// deployments and what its fixtures should come out as.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { APIError, InternalServerError, RateLimitError } from 'openai';

import { useSdkStack } from '../support/sdk.mjs';
import { kMasterKey } from '../support/stack.mjs';
import { rejection } from '../support/assertions.mjs';

const kMessages = [{ role: 'user', content: 'Say hello.' }];

// Tool definitions sent on every tool call; providers translate them to their own shape.
export const kTools = [
  { type: 'function', function: { name: 'GetWeatherArgs', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' }, country: { type: 'string' }, units: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_stock_price', description: 'A stock price', parameters: { type: 'object', properties: { ticker: { type: 'string' }, exchange: { type: 'string' } } } } },
];

// provider: the label in test names, and the mock dialect that must have answered (record.dialect).
// deployments(mockUrl) → litellm_params for each role:
//   chat        a plain answer (also streamed)
//   tools       answers with tool calls (streamed and not)
//   rateLimited answers 429;  broken answers 500;  cutStream dies after 3 stream events
//   embedder    (optional) embeddings
// expect: {
//   text, finishReason, usage            the non-streamed chat answer
//   streamText, streamUsage              the streamed one (usage in the include_usage chunk)
//   toolCalls: [{ name, arguments }]     in order, arguments parsed; ids must be non-empty
//   streamToolCalls?                     the same for the streamed answer (default: toolCalls)
//   embeddings?: (inputs) → number[][]   the vectors the mock returns for these inputs
//   errorMessages?: { 429, 500 }         the upstream messages the client must see
// }
// The Anthropic SDK's form of kTools, for /v1/messages.
const kAnthropicTools = kTools.map(({ function: tool }) => ({
  name: tool.name, description: tool.description, input_schema: tool.parameters,
}));

// The deployments every suite scripts alike: litellm_params made by `params` for the mock's
// scripted model ids (tools, rateLimited, broken, cutStream above), each after `prefix` where the
// dialect routes by one.
export const scriptedDeployments = (params, prefix = '') => ({
  tools: params(`${prefix}mock-tool-call`),
  rateLimited: params(`${prefix}mock-error-429`),
  broken: params(`${prefix}mock-error-500`),
  cutStream: params(`${prefix}mock-stream-cut-after-3`),
});

// `ready(stack)`: awaited once the gateway is up, before the first test.
// `passesResponsesThrough`: the provider's deployments are sent the Responses API's own call (OpenAI,
// Azure: tests/conformance/responses.test.mjs), so the translated Responses test is not for them.
export function providerConformance({ provider, dialect = provider, deployments, expect, ready, passesResponsesThrough = false }) {
  const models = (mockUrl) => Object.entries(deployments(mockUrl)).map(([role, params]) => ({
    model_name: `${provider}-${role}`,
    litellm_params: params,
    model_info: { id: `${provider}-${role}-deployment` },
  }));
  const sdk = useSdkStack({ extraModelsFor: models }, ready);
  const model = (role) => `${provider}-${role}`;
  const lastRequest = () => sdk.stack.mock.requests.at(-1);

  test(`${provider}: chat completion`, async () => {
    const completion = await sdk.openai.chat.completions.create({ model: model('chat'), messages: kMessages });
    assert.equal(lastRequest().dialect, dialect, 'served by the provider dialect of the mock');
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, model('chat'));
    assert.ok(completion.id, 'has an id');
    assert.equal(typeof completion.created, 'number');
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0].index, 0);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, expect.text);
    assert.equal(completion.choices[0].finish_reason, expect.finishReason);
    assert.deepEqual(
      { prompt_tokens: completion.usage.prompt_tokens, completion_tokens: completion.usage.completion_tokens, total_tokens: completion.usage.total_tokens },
      expect.usage);
  });

  test(`${provider}: stream with include_usage`, async () => {
    const stream = await sdk.openai.chat.completions.create({
      model: model('chat'), messages: kMessages, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(lastRequest().dialect, dialect);
    assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === model('chat')));
    assert.ok(chunks.every((chunk) => chunk.id === chunks[0].id), 'one id for the whole stream');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, expect.streamText);
    const finishes = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean);
    assert.deepEqual(finishes, [expect.finishReason], 'exactly one finish_reason');
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(
      { prompt_tokens: last.usage.prompt_tokens, completion_tokens: last.usage.completion_tokens, total_tokens: last.usage.total_tokens },
      expect.streamUsage);
  });

  test(`${provider}: stream without include_usage carries no usage chunk`, async () => {
    const stream = await sdk.openai.chat.completions.create({ model: model('chat'), messages: kMessages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 1);
    assert.ok(chunks.every((chunk) => chunk.choices.length === 1), 'every chunk has its choice');
    assert.equal(chunks.map((chunk) => chunk.choices[0].delta?.content ?? '').join(''), expect.streamText);
  });

  test(`${provider}: streamed tool calls assembled by the SDK's stream helper`, async () => {
    const runner = sdk.openai.chat.completions.stream({
      model: model('tools'), messages: kMessages, tools: kTools, stream_options: { include_usage: true },
    });
    const completion = await runner.finalChatCompletion();
    assert.equal(lastRequest().dialect, dialect);
    const [choice] = completion.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.ok(choice.message.tool_calls.every((call) => call.type === 'function' && call.id), 'typed, with ids');
    assert.deepEqual(choice.message.tool_calls.map((call) => ({
      name: call.function.name, arguments: JSON.parse(call.function.arguments),
    })), expect.streamToolCalls ?? expect.toolCalls);
  });

  test(`${provider}: tool calls in a non-streamed completion`, async () => {
    const completion = await sdk.openai.chat.completions.create({ model: model('tools'), messages: kMessages, tools: kTools });
    const [choice] = completion.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.ok(choice.message.tool_calls.every((call) => call.type === 'function' && call.id));
    assert.deepEqual(choice.message.tool_calls.map((call) => ({
      name: call.function.name, arguments: JSON.parse(call.function.arguments),
    })), expect.toolCalls);
  });

  test(`${provider}: upstream 429 is RateLimitError, 500 is InternalServerError, streamed or not`, async () => {
    for (const stream of [false, true]) {
      const limited = await rejection(sdk.openai.chat.completions.create({ model: model('rateLimited'), messages: kMessages, stream }), RateLimitError);
      assert.equal(limited.status, 429);
      if (expect.errorMessages?.[429]) assert.equal(limited.error?.message, expect.errorMessages[429]);
      const broken = await rejection(sdk.openai.chat.completions.create({ model: model('broken'), messages: kMessages, stream }), InternalServerError);
      assert.equal(broken.status, 500);
      if (expect.errorMessages?.[500]) assert.equal(broken.error?.message, expect.errorMessages[500]);
    }
    assert.equal(lastRequest().dialect, dialect);
  });

  test(`${provider}: a stream that dies mid-way is an APIError inside the for-await`, async () => {
    const stream = await sdk.openai.chat.completions.create({ model: model('cutStream'), messages: kMessages, stream: true });
    await assert.rejects(async () => {
      for await (const chunk of stream) void chunk;
    }, (error) => error instanceof APIError);
  });

  // The other client dialects reach every provider family: passed through where the deployment
  // speaks them, translated to a chat completion and back everywhere else.
  test(`${provider}: the Anthropic SDK's messages.create, messages.stream and a tool_use answer`, async () => {
    const anthropic = new Anthropic({ apiKey: kMasterKey, baseURL: sdk.stack.url, maxRetries: 0, timeout: 10_000 });
    const message = await anthropic.messages.create({ model: model('chat'), max_tokens: 100, messages: kMessages });
    assert.equal(lastRequest().dialect, dialect);
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.content.filter((block) => block.type === 'text').map((block) => block.text).join(''), expect.text);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0, 'usage counted');

    const stream = anthropic.messages.stream({ model: model('chat'), max_tokens: 100, messages: kMessages });
    assert.equal(await stream.finalText(), expect.streamText);
    assert.equal(lastRequest().dialect, dialect);

    const withTools = await anthropic.messages.create({
      model: model('tools'), max_tokens: 100, messages: kMessages, tools: kAnthropicTools,
    });
    assert.equal(withTools.stop_reason, 'tool_use');
    const uses = withTools.content.filter((block) => block.type === 'tool_use');
    assert.ok(uses.every((use) => use.id), 'each tool_use has an id');
    assert.deepEqual(uses.map((use) => ({ name: use.name, arguments: use.input })), expect.toolCalls);
  });

  if (!passesResponsesThrough) {
    test(`${provider}: the OpenAI SDK's responses.create, responses.stream and function calls`, async () => {
      const response = await sdk.openai.responses.create({ model: model('chat'), input: 'Say hello.' });
      assert.equal(lastRequest().dialect, dialect);
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, expect.text);
      assert.ok(response.usage.input_tokens > 0 && response.usage.output_tokens > 0, 'usage counted');

      const stream = sdk.openai.responses.stream({ model: model('chat'), input: 'Say hello.' });
      assert.equal((await stream.finalResponse()).output_text, expect.streamText);
      assert.equal(lastRequest().dialect, dialect);

      const withTools = await sdk.openai.responses.create({
        model: model('tools'), input: 'Say hello.',
        tools: kTools.map(({ function: tool }) => ({ type: 'function', ...tool })),
      });
      const calls = withTools.output.filter((item) => item.type === 'function_call');
      assert.ok(calls.every((call) => call.call_id), 'each function call has a call_id');
      assert.deepEqual(calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) })), expect.toolCalls);
    });
  }

  if (expect.embeddings) {
    test(`${provider}: embeddings (the SDK's default base64 and float)`, async () => {
      const inputs = ['The food was delicious', 'and the waiter was friendly'];
      const expected = expect.embeddings(inputs);
      const encoded = await sdk.openai.embeddings.create({ model: model('embedder'), input: inputs });
      assert.equal(lastRequest().dialect, dialect);
      assert.equal(encoded.model, model('embedder'));
      assert.deepEqual(encoded.data.map((item) => item.index), inputs.map((_, i) => i));
      assert.deepEqual(encoded.data.map((item) => item.embedding), expected.map((vector) => vector.map(Math.fround)));
      const floats = await sdk.openai.embeddings.create({ model: model('embedder'), input: inputs, encoding_format: 'float' });
      assert.deepEqual(floats.data.map((item) => item.embedding), expected);
      assert.equal(typeof floats.usage.prompt_tokens, 'number');
    });
  }
}
