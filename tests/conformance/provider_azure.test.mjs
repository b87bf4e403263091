// The provider conformance suite against Azure OpenAI's dialect (deployment URLs, api-key auth,
// Azure's stream opening chunk and error bodies): clients must see what OpenAI would give them.
import { providerConformance } from './provider_suite.mjs';
import { readFixture, embeddingFor } from '../mock_upstream/bodies.mjs';
import { readAzureFixture, azureErrorBody } from '../mock_upstream/dialects/azure.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const completion = JSON.parse(readAzureFixture('chat_completion.synthetic.json'));
const toolCompletion = JSON.parse(readFixture('chat_completion_tool_calls.json'));
const usageOf = ({ prompt_tokens, completion_tokens, total_tokens }) => ({ prompt_tokens, completion_tokens, total_tokens });

providerConformance({
  provider: 'azure',
  deployments: (mockUrl) => {
    const params = (deployment) => ({ model: `azure/${deployment}`, api_base: mockUrl, api_key: kUpstreamKey, api_version: '2024-10-21' });
    return {
      chat: params('gpt-4o-prod'),
      tools: params('mock-tool-call'),
      rateLimited: params('mock-error-429'),
      broken: params('mock-error-500'),
      cutStream: params('mock-stream-cut-after-3'),
      embedder: params('text-embedding-3-small-prod'),
    };
  },
  expect: {
    text: completion.choices[0].message.content,
    finishReason: 'stop',
    usage: usageOf(completion.usage),
    streamText: 'Hello! How can I help?',
    streamUsage: { prompt_tokens: 11, completion_tokens: 8, total_tokens: 19 },
    toolCalls: toolCompletion.choices[0].message.tool_calls.map((call) => ({
      name: call.function.name, arguments: JSON.parse(call.function.arguments),
    })),
    streamToolCalls: [
      { name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'GB', units: 'c' } },
      { name: 'get_stock_price', arguments: { ticker: 'AAPL', exchange: 'NASDAQ' } },
    ],
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: azureErrorBody(429).error.message, 500: azureErrorBody(500).error.message },
  },
});
