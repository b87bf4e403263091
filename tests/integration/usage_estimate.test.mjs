// A server that never reports usage: llmux estimates it, for the client that asked for it and
// for the access log (docs/providers.md, "Usage when a provider reports none").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello, kUpstreamKey } from '../support/stack.mjs';
import { readSse } from '../support/sse.mjs';
import { eventually } from '../support/assertions.mjs';
import { fixtureStreamText } from '../mock_upstream/bodies.mjs';

let stack;
before(async () => {
  stack = await startStack({
    extraModelsFor: (mockUrl) => [{
      model_name: 'no-usage',
      litellm_params: { model: 'hosted_vllm/mock-no-usage', api_base: `${mockUrl}/v1`, api_key: kUpstreamKey },
    }],
  });
});
after(() => stack?.stop());

test('a stream with include_usage ends with an estimated usage chunk carrying the stream id', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', {
    model: 'no-usage', messages: kHello, stream: true, stream_options: { include_usage: true },
  });
  assert.equal(response.status, 200);
  const { done, chunks } = await readSse(response);
  assert.ok(done);
  const upstream = stack.mock.requests.at(-1);
  assert.equal(upstream.body.stream_options.include_usage, true, 'the client asked the upstream too');
  const usageChunk = chunks.at(-1);
  assert.deepEqual(usageChunk.choices, []);
  assert.equal(usageChunk.id, chunks[0].id);
  assert.equal(usageChunk.model, 'no-usage');
  const { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total } = usageChunk.usage;
  assert.equal(prompt, 10, '3 + 3 per message + "user" + "Say hello."');
  assert.ok(Math.abs(completion - 30) <= 3, `the recording says 30, estimated ${completion}`);
  assert.equal(total, prompt + completion);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, fixtureStreamText('chat_completion_stream.sse'));
});

test('a stream without include_usage gets no usage chunk, and the log marks the estimate', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'no-usage', messages: kHello, stream: true });
  const { done, chunks } = await readSse(response);
  assert.ok(done);
  assert.ok(chunks.every((chunk) => chunk.usage === undefined));
  await eventually(() => /"model":"no-usage".*"stream":true.*"usage_estimated":true/.test(stack.gateway.stderr()),
    { what: 'an access-log line with usage_estimated' });
});

test('a body without usage gets an estimated usage object', async () => {
  const response = await postJson(stack.url, '/v1/chat/completions', { model: 'no-usage', messages: kHello });
  const body = await response.json();
  assert.equal(response.status, 200);
  assert.deepEqual(Object.keys(body.usage), ['prompt_tokens', 'completion_tokens', 'total_tokens']);
  assert.equal(body.usage.completion_tokens, 9, '"Hello! How can I assist you today?"');
  assert.equal(body.model, 'no-usage');
});
