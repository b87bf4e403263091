// The provider conformance suite against Azure OpenAI's dialect (deployment URLs, api-key auth,
// Azure's stream opening chunk and error bodies): clients must see what OpenAI would give them.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { openaiToolAndEmbeddingExpectations, openaiUsage } from './provider_expectations.mjs';
import { readAzureFixture, azureErrorBody } from '../mock_upstream/dialects/azure.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const completion = JSON.parse(readAzureFixture('chat_completion.synthetic.json'));

providerConformance({
  passesResponsesThrough: true,
  provider: 'azure',
  deployments: (mockUrl) => {
    const params = (deployment) => ({ model: `azure/${deployment}`, api_base: mockUrl, api_key: kUpstreamKey, api_version: '2024-10-21' });
    return {
      chat: params('gpt-4o-prod'),
      ...scriptedDeployments(params),
      embedder: params('text-embedding-3-small-prod'),
    };
  },
  expect: {
    text: completion.choices[0].message.content,
    finishReason: 'stop',
    usage: openaiUsage(completion.usage),
    streamText: 'Hello! How can I help?',
    streamUsage: { prompt_tokens: 11, completion_tokens: 8, total_tokens: 19 },
    ...openaiToolAndEmbeddingExpectations,
    errorMessages: { 429: azureErrorBody(429).error.message, 500: azureErrorBody(500).error.message },
  },
});
