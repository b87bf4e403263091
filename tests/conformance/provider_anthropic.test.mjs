// The provider conformance suite against Anthropic's Messages API: the same SDK calls as for an
// OpenAI deployment, answered by the mock's Anthropic dialect from the recorded fixtures.
import { providerConformance } from './provider_suite.mjs';
import { sseEvents } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture, anthropicError } from '../mock_upstream/dialects/anthropic.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const message = JSON.parse(readAnthropicFixture('message.json'));
const toolMessage = JSON.parse(readAnthropicFixture('message_tool_use.synthetic.json'));

// The events of a recorded stream, parsed from their data lines.
const streamData = (name) => sseEvents(readAnthropicFixture(name))
  .map((event) => JSON.parse(event.split('\n').find((line) => line.startsWith('data: ')).slice(6)));
const textStream = streamData('message_stream.sse');
const streamedText = textStream.filter((data) => data.delta?.type === 'text_delta').map((data) => data.delta.text).join('');
const finalUsage = textStream.find((data) => data.type === 'message_delta').usage;

// Anthropic's input_tokens leaves out cache reads and writes; prompt_tokens counts them all.
const usageOf = ({ input_tokens, output_tokens, cache_creation_input_tokens = 0, cache_read_input_tokens = 0 }) => {
  const prompt = input_tokens + cache_creation_input_tokens + cache_read_input_tokens;
  return { prompt_tokens: prompt, completion_tokens: output_tokens, total_tokens: prompt + output_tokens };
};

providerConformance({
  provider: 'anthropic',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `anthropic/${model}`, api_base: mockUrl, api_key: kUpstreamKey });
    return {
      chat: params('claude-upstream'),
      tools: params('mock-tool-call'),
      rateLimited: params('mock-error-429'),
      broken: params('mock-error-500'),
      cutStream: params('mock-stream-cut-after-3'),
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
