// The upstream model name scripts what the mock does (TensorZero's dummy-provider idea), so one
// mock serves every test case and a gateway config picks a case by naming its upstream model.

// Each pattern gets the match and the call number (1 for the first request naming this exact
// upstream model since the mock started or was reset), for behaviours that change over calls.
const kPatterns = [
  [/^mock-tool-call$/, () => ({ kind: 'tool-call' })],
  [/^mock-error-(\d{3})-retry-after-(\d+)$/, (m) => ({ kind: 'error', status: Number(m[1]), retryAfter: Number(m[2]) })],
  [/^mock-error-(\d{3})$/, (m) => ({ kind: 'error', status: Number(m[1]) })],
  // OpenAI's 400s that LiteLLM maps to ContextWindowExceededError / ContentPolicyViolationError.
  [/^mock-context-window-exceeded$/, () => ({ kind: 'error', status: 400, code: 'context_length_exceeded' })],
  [/^mock-content-policy$/, () => ({ kind: 'error', status: 400, code: 'content_policy_violation' })],
  [/^mock-slow-first-byte-(\d+)$/, (m) => ({ kind: 'slow-first-byte', delayMs: Number(m[1]) })],
  [/^mock-stream-cut-after-(\d+)$/, (m) => ({ kind: 'stream-cut', afterEvents: Number(m[1]) })],
  // Optional second number: how many content events (default 100).
  [/^mock-stream-slow-(\d+)(?:-(\d+))?$/,
    (m) => ({ kind: 'stream-slow', intervalMs: Number(m[1]), events: Number(m[2] ?? 100) })],
  [/^mock-garbage$/, () => ({ kind: 'garbage' })],
  // A plain answer whose head says x-ratelimit-remaining-requests: <r> and -tokens: <t>, less
  // the calls before this one (one request and 100 tokens each).
  [/^mock-ratelimit-remaining-(\d+)-(\d+)$/, (m, call) => ({
    kind: 'plain',
    headers: {
      'x-ratelimit-remaining-requests': String(Number(m[1]) - call + 1),
      'x-ratelimit-remaining-tokens': String(Number(m[2]) - 100 * (call - 1)),
    },
  })],
  // Fails the first <n> calls (500, or <status>, with retry-after: <s> if given), then answers.
  [/^mock-fail-first-(\d+)(?:-(\d{3}))?(?:-retry-after-(\d+))?$/,
    (m, call) => (call <= Number(m[1])
      ? { kind: 'error', status: Number(m[2] ?? 500), retryAfter: m[3] === undefined ? undefined : Number(m[3]) }
      : { kind: 'plain' })],
  // Fails <percent> of its calls with a 500, spread evenly (calls 1..100 fail the first <percent>
  // of every hundred, interleaved), so a load test knows the exact failure rate.
  [/^mock-flaky-(\d+)$/,
    (m, call) => ((call * Number(m[1])) % 100 < Number(m[1]) ? { kind: 'error', status: 500 } : { kind: 'plain' })],
  // Closes the connection before sending anything: a reset before the response headers.
  [/^mock-reset-before-headers$/, () => ({ kind: 'reset' })],
  // Streams <n> events, then sends nothing more and keeps the connection open.
  [/^mock-stall-after-(\d+)$/, (m) => ({ kind: 'stall', afterEvents: Number(m[1]) })],
  // A redirect (302, or the 3xx given) to the chat route of the same server, streamed or not.
  [/^mock-redirect(?:-(3\d\d))?$/, (m) => ({ kind: 'redirect', status: Number(m[1] ?? 302) })],
  // A server that never reports usage, even when stream_options asks for it.
  [/^mock-no-usage$/, () => ({ kind: 'no-usage' })],
  // An answer of <MiB> MiB: the usual one with whitespace inside its JSON, sent without a length;
  // streamed, the usual events with <MiB> MiB of comment (SSE) or blank (NDJSON) lines between them.
  [/^mock-huge-answer-(\d+)$/, (m) => ({ kind: 'huge-answer', bytes: Number(m[1]) * 1024 * 1024 })],
  // The first event of the stream (non-streamed: the answer) has <KiB> KiB of whitespace in its JSON.
  [/^mock-huge-event-(\d+)$/, (m) => ({ kind: 'huge-event', bytes: Number(m[1]) * 1024 })],
];

// "<behaviour>@<tag>": the tag only makes the name distinct (its own call counter, and a way to
// tell deployments apart in GET /__mock/requests).
function withoutTag(model) {
  const at = model.indexOf('@');
  return at < 0 ? model : model.slice(0, at);
}

// Returns the behaviour the upstream model name asks for; any other name is a plain, successful
// answer taken from the recorded fixtures.
export function behaviourFor(model, call = 1) {
  for (const [pattern, make] of kPatterns) {
    const match = typeof model === 'string' ? pattern.exec(withoutTag(model)) : null;
    if (match) return make(match, call);
  }
  return { kind: 'plain' };
}
