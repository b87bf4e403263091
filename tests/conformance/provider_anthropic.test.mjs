// The provider conformance suite against Anthropic's Messages API: the same SDK calls as for an
// OpenAI deployment, answered by the mock's Anthropic dialect from the recorded fixtures.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { anthropicExpectations } from './provider_expectations.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

providerConformance({
  provider: 'anthropic',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `anthropic/${model}`, api_base: mockUrl, api_key: kUpstreamKey });
    return {
      chat: params('claude-upstream'),
      ...scriptedDeployments(params),
    };
  },
  expect: anthropicExpectations,
});
