// The provider conformance suite against OpenAI's own dialect: the reference every other
// provider's results are held to.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { openaiToolAndEmbeddingExpectations, openaiUsage } from './provider_expectations.mjs';
import { readFixture, fixtureStreamText, errorBody } from '../mock_upstream/bodies.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const completion = JSON.parse(readFixture('chat_completion.json'));

providerConformance({
  passesResponsesThrough: true,
  provider: 'openai',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `openai/${model}`, api_base: `${mockUrl}/v1`, api_key: kUpstreamKey });
    return {
      chat: params('gpt-4o-upstream'),
      ...scriptedDeployments(params),
      embedder: params('text-embedding-mock'),
    };
  },
  expect: {
    text: completion.choices[0].message.content,
    finishReason: 'stop',
    usage: openaiUsage(completion.usage),
    streamText: fixtureStreamText('chat_completion_stream.sse'),
    streamUsage: { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44 },
    ...openaiToolAndEmbeddingExpectations,
    errorMessages: { 429: errorBody(429).error.message, 500: errorBody(500).error.message },
  },
});
