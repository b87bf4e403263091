// The conformance set-up: the usual stack, plus official openai SDK clients pointed at it.
import { before, after } from 'node:test';
import OpenAI from 'openai';

import { startStack, kMasterKey } from './stack.mjs';

export async function startSdkStack(options) {
  const stack = await startStack(options);
  return {
    stack,
    // No retries, so each error surfaces exactly as the gateway first answered.
    client: (overrides = {}) => new OpenAI({
      apiKey: kMasterKey, baseURL: `${stack.url}/v1`, maxRetries: 0, timeout: 10_000, ...overrides,
    }),
  };
}

// One stack for the calling test file: started before its first test, stopped after its last.
// The returned handle's `stack` and `openai` (a default client) are set once the tests run.
export function useSdkStack(options) {
  const handle = { stack: undefined, openai: undefined, client: undefined };
  before(async () => {
    const started = await startSdkStack(options);
    handle.stack = started.stack;
    handle.client = started.client;
    handle.openai = started.client();
  });
  after(() => handle.stack?.stop());
  return handle;
}
