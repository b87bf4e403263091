// The Vertex AI test set-up shared by the conformance and integration tests: litellm_params of a
// vertex_ai deployment reaching the mock, and a wait for the gateway's first OAuth tokens.
import { issuedTokens } from '../mock_upstream/dialects/google_oauth.mjs';
import { eventually } from './assertions.mjs';

export const kVertexProject = 'llmux-test-project';
export const kVertexLocation = 'europe-west4';

// `model` without the vertex_ai/ prefix; the service account's key file is given by path.
export function vertexParams(mockUrl, account, model, params = {}) {
  return {
    model: `vertex_ai/${model}`,
    api_base: mockUrl,
    vertex_project: kVertexProject,
    vertex_location: kVertexLocation,
    vertex_credentials: account.path,
    ...params,
  };
}

// The refresher fetches every deployment's token once the gateway starts; requests before that
// are answered 503. Resolves once `gateway` (startGateway's handle) has logged `count` tokens
// refreshed, which it does once each is published to its deployments.
export function waitForPublishedTokens(gateway, count, { timeoutMs = 10_000 } = {}) {
  return eventually(() => (gateway.stderr().match(/OAuth access token refreshed/g) ?? []).length >= count,
    { timeoutMs, what: `${count} OAuth tokens published (${issuedTokens().length} issued by the mock)` });
}
