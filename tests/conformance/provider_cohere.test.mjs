// The provider conformance suite against Cohere's v2 API (cohere_chat/ → /v2/chat, SSE events
// translated into OpenAI chunks; embeddings → /v2/embed): clients must see what OpenAI would give
// them.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import {
  readCohereFixture, cohereErrorBody, cohereStreamEvents, cohereStreamText,
} from '../mock_upstream/dialects/cohere.mjs';

const chat = JSON.parse(readCohereFixture('chat.synthetic.json'));
const toolChat = JSON.parse(readCohereFixture('chat_tool_call.synthetic.json'));
const streamEnd = cohereStreamEvents('chat_stream.synthetic.sse').at(-1).delta.usage.tokens;
const usageOf = (tokens) => ({
  prompt_tokens: tokens.input_tokens,
  completion_tokens: tokens.output_tokens,
  total_tokens: tokens.input_tokens + tokens.output_tokens,
});

// The calls a client assembles from the tool-call stream: names from tool-call-start, arguments
// from the tool-call-delta fragments ("{}" for a call that streamed none).
function streamedToolCalls() {
  const calls = [];
  for (const event of cohereStreamEvents('chat_stream_tool_call.synthetic.sse')) {
    if (event.type === 'tool-call-start') calls.push({ name: event.delta.message.tool_calls.function.name, text: '' });
    if (event.type === 'tool-call-delta') calls.at(-1).text += event.delta.message.tool_calls.function.arguments;
  }
  return calls.map(({ name, text }) => ({ name, arguments: JSON.parse(text || '{}') }));
}

providerConformance({
  provider: 'cohere',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `cohere_chat/${model}`, api_base: mockUrl, api_key: 'co-test-key' });
    return {
      chat: params('command-a-03-2025'),
      ...scriptedDeployments(params),
      embedder: { model: 'cohere/embed-english-v3.0', api_base: mockUrl, api_key: 'co-test-key' },
    };
  },
  expect: {
    text: chat.message.content[0].text,
    finishReason: 'stop',
    usage: usageOf(chat.usage.tokens),
    streamText: cohereStreamText('chat_stream.synthetic.sse'),
    streamUsage: usageOf(streamEnd),
    toolCalls: toolChat.message.tool_calls.map((call) => ({
      name: call.function.name, arguments: JSON.parse(call.function.arguments),
    })),
    streamToolCalls: streamedToolCalls(),
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: cohereErrorBody(429).message, 500: cohereErrorBody(500).message },
  },
});
