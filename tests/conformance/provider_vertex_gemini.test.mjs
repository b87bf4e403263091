// The provider conformance suite against Gemini on Vertex AI: the same SDK calls as for an OpenAI
// deployment, sent to Vertex's generateContent URLs with an OAuth token that llmux obtained from
// the mock token endpoint with a service-account JWT, answered from the recorded Gemini fixtures.
import { before } from 'node:test';

import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { geminiExpectations } from './provider_expectations.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForIssuedTokens } from '../support/vertex.mjs';

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
});

// Registered after the suite's own set-up, so it runs once the gateway is up: every deployment
// shares the one service account, so one token serves them all.
before(() => waitForIssuedTokens(1));
