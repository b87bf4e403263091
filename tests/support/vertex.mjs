// The Vertex AI test set-up shared by the conformance and integration tests: litellm_params of a
// vertex_ai deployment reaching the mock, and a wait for the gateway's first OAuth tokens.
import { setTimeout as sleep } from 'node:timers/promises';

import { issuedTokens } from '../mock_upstream/dialects/google_oauth.mjs';

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
// are answered 503. Resolves once `count` tokens were issued (and had a moment to be published).
export async function waitForIssuedTokens(count, { timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (issuedTokens().length < count) {
    if (Date.now() > deadline) throw new Error(`only ${issuedTokens().length} of ${count} OAuth tokens were issued`);
    await sleep(10);
  }
  await sleep(50);
}
