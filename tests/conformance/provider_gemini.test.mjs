// The provider conformance suite against Gemini's own dialect (Google AI Studio): the openai SDK
// must see what it sees from OpenAI, translated from the recorded Gemini answers.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { geminiExpectations } from './provider_expectations.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

providerConformance({
  provider: 'gemini',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `gemini/${model}`, api_base: mockUrl, api_key: kUpstreamKey });
    return {
      chat: params('gemini-2.5-flash'),
      ...scriptedDeployments(params),
      embedder: params('text-embedding-004'),
    };
  },
  expect: geminiExpectations,
});
