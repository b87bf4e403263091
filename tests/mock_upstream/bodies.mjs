// Response bodies the mock upstream sends: the recorded OpenAI fixtures as they are, plus
// synthesized bodies for the endpoints that have no recording (legacy completions, embeddings,
// moderations, errors). Exported so tests can compute what the mock answered.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const kFixturesDir = fileURLToPath(new URL('../fixtures/wire/openai/', import.meta.url));

export function readFixture(name) {
  return readFileSync(kFixturesDir + name, 'utf8');
}

// Splits a recorded SSE body into its events, each with its trailing blank line ("data: …\n\n").
export function sseEvents(body) {
  return body.split(/(?<=\n\n)/).filter((event) => event.trim() !== '');
}

// The data payload of an SSE event written by sseEvents or dataEvent.
export function eventData(event) {
  return event.replace(/^data: /, '').trimEnd();
}

export function dataEvent(value) {
  return `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;
}

export const kDone = 'data: [DONE]\n\n';

function isUsageEvent(event) {
  return event.startsWith('data: {') && JSON.parse(eventData(event)).choices?.length === 0;
}

// The recorded streams all end with a usage chunk; a real upstream sends it only when asked.
export function fixtureStreamEvents(name, includeUsage) {
  const events = sseEvents(readFixture(name));
  return includeUsage ? events : events.filter((event) => !isUsageEvent(event));
}

// The text a client assembles from the content deltas of a recorded chat stream.
export function fixtureStreamText(name) {
  return sseEvents(readFixture(name))
    .map(eventData)
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data).choices[0]?.delta?.content ?? '')
    .join('');
}

const kErrorShapes = {
  400: ['invalid_request_error', 'invalid_value'],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_denied', 'unsupported_country_region_territory'],
  404: ['invalid_request_error', 'model_not_found'],
  408: ['timeout', 'timeout'],
  429: ['requests', 'rate_limit_exceeded'],
  500: ['server_error', null],
  503: ['server_error', 'service_unavailable'],
};

// OpenAI's own wording for the 400s a router treats specially.
const kCodedErrors = {
  context_length_exceeded: ["This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.", 'messages'],
  content_policy_violation: ['Your request was rejected as a result of our safety system.', null],
};

// An OpenAI error body; the message names the status so a test can see it was relayed verbatim; a known `code` gives
// OpenAI's own message for it.
export function errorBody(status, code) {
  if (code !== undefined && kCodedErrors[code]) {
    const [message, param] = kCodedErrors[code];
    return { error: { message, type: 'invalid_request_error', param, code } };
  }
  const [type, shapeCode] = kErrorShapes[status] ?? ['api_error', null];
  return {
    error: {
      message: `mock upstream says ${status}: the scripted failure for this model`,
      type,
      param: null,
      code: shapeCode,
    },
  };
}

export const kLegacyCompletionText = '\n\nThis is indeed a test';

export function legacyCompletion(model) {
  return {
    id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
    object: 'text_completion',
    created: 1589478378,
    model,
    system_fingerprint: 'fp_44709d6fcb',
    choices: [{ text: kLegacyCompletionText, index: 0, logprobs: null, finish_reason: 'length' }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  };
}

// The legacy completion streamed: one chunk per word, a finish chunk, and the usage chunk when asked.
export function legacyCompletionEvents(model, includeUsage) {
  const base = { id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7', object: 'text_completion', created: 1589478378, model };
  const pieces = kLegacyCompletionText.split(/(?= )/);
  const events = pieces.map((text) =>
    dataEvent({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: null }] }));
  events.push(dataEvent({ ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }] }));
  if (includeUsage) {
    events.push(dataEvent({ ...base, choices: [], usage: legacyCompletion(model).usage }));
  }
  events.push(kDone);
  return events;
}

// A chat stream of `count` content events, for tests that need a stream that lasts a while.
export function slowStreamEvents(model, count, includeUsage) {
  const base = { id: 'chatcmpl-mock-slow', object: 'chat.completion.chunk', created: 1727346168, model };
  const chunk = (delta, finishReason = null) =>
    dataEvent({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  const events = [chunk({ role: 'assistant', content: '' })];
  for (let i = 0; i < count; i++) events.push(chunk({ content: `tick ${i} ` }));
  events.push(chunk({}, 'stop'));
  if (includeUsage) {
    events.push(dataEvent({
      ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: count, total_tokens: count + 3 },
    }));
  }
  events.push(kDone);
  return events;
}

function embeddingInputs(input) {
  if (!Array.isArray(input)) return [input];
  if (input.length > 0 && input.every((item) => typeof item === 'number')) return [input];
  return input;
}

// Deterministic pseudo-random vector for one input: FNV-1a of the input seeds an xorshift.
export function embeddingFor(input, dimensions = 8) {
  let seed = 0x811c9dc5;
  for (const ch of JSON.stringify(input)) {
    seed = Math.imul(seed ^ ch.codePointAt(0), 0x01000193) >>> 0;
  }
  const vector = [];
  for (let i = 0; i < dimensions; i++) {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    vector.push((seed / 0xffffffff) * 2 - 1);
  }
  return vector;
}

// A bag-of-words vector, for the semantic cache's tests: each word (lower case, letters and digits)
// adds 1 to the component its FNV-1a hash picks, so two texts sharing most words are near
// (cosine similarity of their word counts) and texts sharing none are about orthogonal.
export function bagOfWordsFor(input, dimensions = 256) {
  const vector = new Array(dimensions).fill(0);
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)) {
    let hash = 0x811c9dc5;
    for (const ch of word) hash = Math.imul(hash ^ ch.codePointAt(0), 0x01000193) >>> 0;
    vector[hash % dimensions] += 1;
  }
  return vector;
}

// Always float arrays, whatever encoding_format asked for: converting is the gateway's job.
// An upstream model named "mock-bag-of-words…" answers with bagOfWordsFor's vectors.
export function embeddingsResponse(body) {
  const embed = String(body.model ?? '').startsWith('mock-bag-of-words')
    ? (item) => bagOfWordsFor(item, body.dimensions ?? 256)
    : (item) => embeddingFor(item, body.dimensions ?? 8);
  const inputs = embeddingInputs(body.input);
  const tokens = inputs.reduce((sum, item) => sum + (typeof item === 'string' ? item.split(/\s+/).length : item.length), 0);
  return {
    object: 'list',
    data: inputs.map((item, index) => ({
      object: 'embedding', index, embedding: embed(item),
    })),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export const kModerationCategories = [
  'harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent',
  'self-harm', 'self-harm/intent', 'self-harm/instructions', 'sexual', 'sexual/minors', 'violence',
  'violence/graphic',
];

function moderationText(item) {
  return typeof item === 'string' ? item : item?.text ?? '';
}

// One result per input item; text mentioning "kill" is flagged for violence.
export function moderationResponse(body) {
  const items = Array.isArray(body.input) ? body.input : [body.input];
  const results = items.map((item) => {
    const violent = /\bkill\b/i.test(moderationText(item));
    const entries = (value) => Object.fromEntries(kModerationCategories.map((name) => [name, value(name)]));
    return {
      flagged: violent,
      categories: entries((name) => violent && name === 'violence'),
      category_scores: entries((name) => (violent && name === 'violence' ? 0.97 : 0.0001)),
      category_applied_input_types: entries(() => ['text']),
    };
  });
  return { id: 'modr-mock-0001', model: body.model ?? 'omni-moderation-latest', results };
}
