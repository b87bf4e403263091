// The provider conformance suite against Claude on Vertex AI: Anthropic's Messages API reached at
// Vertex's rawPredict / streamRawPredict URLs with a service account's OAuth token, answered from
// the recorded Anthropic fixtures.

import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { anthropicExpectations } from './provider_expectations.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForPublishedTokens } from '../support/vertex.mjs';

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
      ...scriptedDeployments(params, 'claude-'),
    };
  },
  expect: anthropicExpectations,
  // Every deployment shares the one service account: one token serves them all.
  ready: (stack) => waitForPublishedTokens(stack.gateway, 1),
});
