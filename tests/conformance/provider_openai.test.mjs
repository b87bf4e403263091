// The provider conformance suite against OpenAI's own dialect: the reference every other
// provider's results are held to.
import { providerConformance } from './provider_suite.mjs';
import { readFixture, fixtureStreamText, errorBody, embeddingFor } from '../mock_upstream/bodies.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const completion = JSON.parse(readFixture('chat_completion.json'));
const toolCompletion = JSON.parse(readFixture('chat_completion_tool_calls.json'));
const usageOf = ({ prompt_tokens, completion_tokens, total_tokens }) => ({ prompt_tokens, completion_tokens, total_tokens });

providerConformance({
  provider: 'openai',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `openai/${model}`, api_base: `${mockUrl}/v1`, api_key: kUpstreamKey });
    return {
      chat: params('gpt-4o-upstream'),
      tools: params('mock-tool-call'),
      rateLimited: params('mock-error-429'),
      broken: params('mock-error-500'),
      cutStream: params('mock-stream-cut-after-3'),
      embedder: params('text-embedding-mock'),
    };
  },
  expect: {
    text: completion.choices[0].message.content,
    finishReason: 'stop',
    usage: usageOf(completion.usage),
    streamText: fixtureStreamText('chat_completion_stream.sse'),
    streamUsage: { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44 },
    toolCalls: toolCompletion.choices[0].message.tool_calls.map((call) => ({
      name: call.function.name, arguments: JSON.parse(call.function.arguments),
    })),
    streamToolCalls: [
      { name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'GB', units: 'c' } },
      { name: 'get_stock_price', arguments: { ticker: 'AAPL', exchange: 'NASDAQ' } },
    ],
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: errorBody(429).error.message, 500: errorBody(500).error.message },
  },
});
