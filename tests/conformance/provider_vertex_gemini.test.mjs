// The provider conformance suite against Gemini on Vertex AI: the same SDK calls as for an OpenAI
// deployment, sent to Vertex's generateContent URLs with an OAuth token that llmux obtained from
// the mock token endpoint with a service-account JWT, answered from the recorded Gemini fixtures.

import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { geminiExpectations } from './provider_expectations.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForPublishedTokens } from '../support/vertex.mjs';

providerConformance({
  provider: 'vertex-gemini',
  dialect: 'vertex',
  deployments: (mockUrl) => {
    const account = makeServiceAccount({ tokenUri: `${mockUrl}/token` });
    const params = (model) => vertexParams(mockUrl, account, model);
    return {
      chat: params('gemini-2.5-flash'),
      ...scriptedDeployments(params),
      embedder: params('text-embedding-005'),
    };
  },
  expect: geminiExpectations,
  // Every deployment shares the one service account: one token serves them all.
  ready: (stack) => waitForPublishedTokens(stack.gateway, 1),
});
