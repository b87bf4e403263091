// The conformance set-up: the usual stack, plus official openai SDK clients pointed at it.
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
