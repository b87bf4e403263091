// The upstream model name scripts what the mock does (TensorZero's dummy-provider idea), so one
// mock serves every test case and a gateway config picks a case by naming its upstream model.

const kPatterns = [
  [/^mock-tool-call$/, () => ({ kind: 'tool-call' })],
  [/^mock-error-429-retry-after-(\d+)$/, (m) => ({ kind: 'error', status: 429, retryAfter: Number(m[1]) })],
  [/^mock-error-(\d{3})$/, (m) => ({ kind: 'error', status: Number(m[1]) })],
  [/^mock-slow-first-byte-(\d+)$/, (m) => ({ kind: 'slow-first-byte', delayMs: Number(m[1]) })],
  [/^mock-stream-cut-after-(\d+)$/, (m) => ({ kind: 'stream-cut', afterEvents: Number(m[1]) })],
  // Optional second number: how many content events (default 100).
  [/^mock-stream-slow-(\d+)(?:-(\d+))?$/,
    (m) => ({ kind: 'stream-slow', intervalMs: Number(m[1]), events: Number(m[2] ?? 100) })],
  [/^mock-garbage$/, () => ({ kind: 'garbage' })],
  // A server that never reports usage, even when stream_options asks for it.
  [/^mock-no-usage$/, () => ({ kind: 'no-usage' })],
];

// Returns the behaviour the upstream model name asks for; any other name is a plain, successful
// answer taken from the recorded fixtures.
export function behaviourFor(model) {
  for (const [pattern, make] of kPatterns) {
    const match = typeof model === 'string' ? pattern.exec(model) : null;
    if (match) return make(match);
  }
  return { kind: 'plain' };
}
