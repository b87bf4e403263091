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
// `ready(stack)`, if given, is awaited before the first test (a file's own root-level `before`
// may run alongside this one, so it cannot wait on the stack).
export function useSdkStack(options, ready) {
  const handle = { stack: undefined, openai: undefined, client: undefined };
  before(async () => {
    const started = await startSdkStack(options);
    handle.stack = started.stack;
    handle.client = started.client;
    handle.openai = started.client();
    await ready?.(started.stack);
  });
  after(() => handle.stack?.stop());
  return handle;
}
