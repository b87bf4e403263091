// The provider conformance suite against Claude on Vertex AI: Anthropic's Messages API reached at
// Vertex's rawPredict / streamRawPredict URLs with a service account's OAuth token, answered from
// the recorded Anthropic fixtures.
import { before } from 'node:test';

import { providerConformance } from './provider_suite.mjs';
import { sseEvents } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture, anthropicError } from '../mock_upstream/dialects/anthropic.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForIssuedTokens } from '../support/vertex.mjs';

const message = JSON.parse(readAnthropicFixture('message.json'));
const toolMessage = JSON.parse(readAnthropicFixture('message_tool_use.synthetic.json'));

const streamData = (name) => sseEvents(readAnthropicFixture(name))
  .map((event) => JSON.parse(event.split('\n').find((line) => line.startsWith('data: ')).slice(6)));
const textStream = streamData('message_stream.sse');
const streamedText = textStream.filter((data) => data.delta?.type === 'text_delta').map((data) => data.delta.text).join('');
const finalUsage = textStream.find((data) => data.type === 'message_delta').usage;

const usageOf = ({ input_tokens, output_tokens, cache_creation_input_tokens = 0, cache_read_input_tokens = 0 }) => {
  const prompt = input_tokens + cache_creation_input_tokens + cache_read_input_tokens;
  return { prompt_tokens: prompt, completion_tokens: output_tokens, total_tokens: prompt + output_tokens };
};

// Scripted ids carry a `claude-` prefix (llmux sends only claude ids to Anthropic's translation);
// the Vertex dialect scripts by what follows it.
providerConformance({
  provider: 'vertex-anthropic',
  dialect: 'vertex',
  deployments: (mockUrl) => {
    const account = makeServiceAccount({ tokenUri: `${mockUrl}/token` });
    const params = (model) => vertexParams(mockUrl, account, model);
    return {
      chat: params('claude-sonnet-4-5@20250929'),
      tools: params('claude-mock-tool-call'),
      rateLimited: params('claude-mock-error-429'),
      broken: params('claude-mock-error-500'),
      cutStream: params('claude-mock-stream-cut-after-3'),
    };
  },
  expect: {
    text: message.content[0].text,
    finishReason: 'stop',
    usage: usageOf(message.usage),
    streamText: streamedText,
    streamUsage: usageOf(finalUsage),
    toolCalls: toolMessage.content.filter((block) => block.type === 'tool_use')
      .map((block) => ({ name: block.name, arguments: block.input })),
    streamToolCalls: [{ name: 'get_weather', arguments: { location: 'Paris' } }],
    errorMessages: {
      429: JSON.parse(anthropicError(429).body).error.message,
      500: anthropicError(500).body.error.message,
    },
  },
});

before(() => waitForIssuedTokens(1));  // one service account: one token for every deployment
