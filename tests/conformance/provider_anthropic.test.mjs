// The provider conformance suite against Anthropic's Messages API: the same SDK calls as for an
// OpenAI deployment, answered by the mock's Anthropic dialect from the recorded fixtures.
import { providerConformance } from './provider_suite.mjs';
import { anthropicExpectations } from './provider_expectations.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

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
  expect: anthropicExpectations,
});
