// Google AI Studio's Gemini API (POST /v1beta/models/{model}:{method}): the recorded fixtures of
// tests/fixtures/wire/gemini/ replayed with their CRLF SSE framing, Google's error bodies, and
// synthesized streams and embeddings where there is no recording. The model in the path scripts
// the behaviour (behaviours.mjs), plus Gemini's own cases: mock-prompt-blocked (promptFeedback
// SAFETY), mock-invalid-key (the 400 API_KEY_INVALID Google sends for a wrong key) and
// mock-stream-error (a streamed 503 error event after some text).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { behaviourFor } from '../behaviours.mjs';
import { embeddingFor, errorBody } from '../bodies.mjs';
import { answer } from './answer.mjs';

const kFixturesDir = fileURLToPath(new URL('../../fixtures/wire/gemini/', import.meta.url));
const kPath = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;

export function readGeminiFixture(name) {
  return readFileSync(kFixturesDir + name, 'utf8');
}

// A recorded SSE body split into its events, each with its blank line ("data: …\r\n\r\n").
export function geminiSseEvents(body) {
  return body.split(/(?<=\r\n\r\n)/).filter((event) => event.trim() !== '');
}

export function geminiEventData(event) {
  return JSON.parse(event.replace(/^data: /, ''));
}

// The text a client assembles from a recorded Gemini stream.
export function geminiStreamText(name) {
  return geminiSseEvents(readGeminiFixture(name))
    .map((event) => geminiEventData(event).candidates[0].content.parts.map((part) => part.text ?? '').join(''))
    .join('');
}

const kStatusNames = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
export const kRetryDelaySeconds = 23;

// Google's error body (google.rpc.Status). The message is the shared mock's, so a test can see it
// was relayed; 429 carries the RetryInfo Gemini sends with quota errors.
export function geminiErrorBody(status) {
  const body = { error: { code: status, message: errorBody(status).error.message, status: kStatusNames[status] ?? 'UNKNOWN' } };
  if (status === 429) {
    body.error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${kRetryDelaySeconds}s` }];
  }
  return body;
}

const kNoKeyBody = {
  error: { code: 403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", status: 'PERMISSION_DENIED' },
};

function sseEvent(value) {
  return `data: ${JSON.stringify(value)}\r\n\r\n`;
}

// A stream of `count` text events and a closing one, shaped like the recordings (cumulative usage).
export function syntheticStreamEvents(count) {
  const event = (parts, i, finishReason) => sseEvent({
    candidates: [{ content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: i, totalTokenCount: 3 + i },
    modelVersion: 'gemini-2.5-flash', responseId: 'mock-synthetic-stream',
  });
  const events = [];
  for (let i = 0; i < count; i++) events.push(event([{ text: `tick ${i} ` }], i + 1));
  events.push(event([{ text: '' }], count, 'STOP'));
  return events;
}

function streamEvents(behaviour, model) {
  if (model === 'mock-prompt-blocked') return [sseEvent(JSON.parse(readGeminiFixture('prompt_blocked.json')))];
  if (model === 'mock-stream-error') return geminiSseEvents(readGeminiFixture('stream_error_event.synthetic.sse'));
  if (behaviour.kind === 'tool-call') return geminiSseEvents(readGeminiFixture('stream_generate_content_function_call.sse'));
  if (behaviour.kind === 'stream-slow') return syntheticStreamEvents(behaviour.events);
  if (behaviour.kind === 'stream-cut') return syntheticStreamEvents(behaviour.afterEvents + 5);
  return geminiSseEvents(readGeminiFixture('stream_generate_content.sse'));
}

function jsonBody(method, behaviour, model, body) {
  if (method === 'batchEmbedContents') {
    return { embeddings: body.requests.map((request) => ({ values: embeddingFor(request.content.parts[0].text, request.outputDimensionality ?? 8) })) };
  }
  if (model === 'mock-prompt-blocked') return readGeminiFixture('prompt_blocked.json');
  // A unary answer has the shape of one stream event: the recorded call is reused whole.
  if (behaviour.kind === 'tool-call') return geminiEventData(geminiSseEvents(readGeminiFixture('stream_generate_content_function_call.sse'))[0]);
  return readGeminiFixture('generate_content.json');
}

function invalidArgument(message) {
  return { error: { code: 400, message, status: 'INVALID_ARGUMENT' } };
}

export const gemini = {
  name: 'gemini',
  route(method, url) {
    const match = kPath.exec(url.pathname);
    return method === 'POST' && match ? { model: decodeURIComponent(match[1]), method: match[2] } : null;
  },
  respond(exchange, { route, url, headers, body }) {
    if (!headers['x-goog-api-key']) return exchange.json(403, kNoKeyBody);
    if (route.model === 'mock-invalid-key') return exchange.json(400, readGeminiFixture('error_400_api_key_invalid.json'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return exchange.json(400, invalidArgument('Invalid JSON payload received.'));
    }
    if (route.method === 'batchEmbedContents' ? !Array.isArray(body.requests) : !Array.isArray(body.contents)) {
      return exchange.json(400, invalidArgument('* GenerateContentRequest.contents: contents is not specified'));
    }
    const stream = route.method === 'streamGenerateContent';
    if (stream && url.searchParams.get('alt') !== 'sse') {
      return exchange.json(400, invalidArgument('mock upstream: only alt=sse streams are replayed'));
    }
    const behaviour = behaviourFor(route.model);
    return answer(exchange, behaviour, {
      stream,
      bodies: {
        error: (status) => ({
          status,
          body: status === 400 ? readGeminiFixture('error_400_invalid_argument.json') : geminiErrorBody(status),
        }),
        json: () => jsonBody(route.method, behaviour, route.model, body),
        events: () => streamEvents(behaviour, route.model),
      },
    });
  },
};
