// Cohere's v2 API (POST /v2/chat, /v2/embed, /v2/rerank): the synthetic fixtures in
// tests/fixtures/wire/cohere/ (written from the documented format; see its README) replayed, with
// Cohere's `{"message": …}` error bodies and its bearer-key check. SSE streams name each event
// twice (`event:` line and the JSON's `type`) and end with message-end, no [DONE].
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { behaviourFor } from '../behaviours.mjs';
import { embeddingFor, sseEvents } from '../bodies.mjs';
import { answer } from './answer.mjs';

const kCohereDir = fileURLToPath(new URL('../../fixtures/wire/cohere/', import.meta.url));

export function readCohereFixture(name) {
  return readFileSync(kCohereDir + name, 'utf8');
}

export function cohereErrorBody(status) {
  return { message: `mock cohere says ${status}: the scripted failure for this model` };
}

// The JSON payloads of a fixture's stream events.
export function cohereStreamEvents(name) {
  return sseEvents(readCohereFixture(name)).map((event) => JSON.parse(event.split('\ndata: ')[1]));
}

// The text a client assembles from a fixture's stream.
export function cohereStreamText(name) {
  return cohereStreamEvents(name)
    .filter((event) => event.type === 'content-delta')
    .map((event) => event.delta.message.content.text)
    .join('');
}

function sseEvent(data) {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

// A text stream of `count` deltas, for the paced behaviours.
function slowEvents(count) {
  const events = [
    sseEvent({ id: 'mock-slow', type: 'message-start', delta: { message: { role: 'assistant', content: [] } } }),
    sseEvent({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } }),
  ];
  for (let i = 0; i < count; i++) {
    events.push(sseEvent({ type: 'content-delta', index: 0, delta: { message: { content: { text: `tick ${i} ` } } } }));
  }
  events.push(
    sseEvent({ type: 'content-end', index: 0 }),
    sseEvent({ type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: { tokens: { input_tokens: 3, output_tokens: count } } } }),
  );
  return events;
}

function embedAnswer(body) {
  return {
    id: 'mock-embed',
    embeddings: { float: body.texts.map((text) => embeddingFor(text)) },
    texts: body.texts,
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: body.texts.length * 4 } },
    response_type: 'embeddings_by_type',
  };
}

// What the real API refuses before it runs the model.
function bodyProblem(route, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'invalid request: body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'invalid request: model is required';
  if (route === '/v2/chat' && !Array.isArray(body.messages)) return 'invalid request: messages must be an array';
  if (route === '/v2/rerank' && (typeof body.query !== 'string' || !Array.isArray(body.documents))) {
    return 'invalid request: query and documents are required';
  }
  if (route === '/v2/embed') {
    if (!Array.isArray(body.texts)) return 'invalid request: texts must be an array';
    if (typeof body.input_type !== 'string') return 'invalid request: input_type is required for embed models v3 and higher';
  }
  return null;
}

const kRoutes = new Set(['/v2/chat', '/v2/embed', '/v2/rerank']);

export const cohere = {
  name: 'cohere',
  route(method, url) {
    return method === 'POST' && kRoutes.has(url.pathname) ? url.pathname : null;
  },
  respond(exchange, { route, headers, body }) {
    if (!/^bearer \S+$/i.test(headers.authorization ?? '')) return exchange.json(401, { message: 'no api key supplied' });
    const problem = bodyProblem(route, body);
    if (problem) return exchange.json(400, { message: problem });
    const behaviour = behaviourFor(body.model);
    const toolCall = behaviour.kind === 'tool-call';
    return answer(exchange, behaviour, {
      stream: route === '/v2/chat' && body.stream === true,
      bodies: {
        error: (status) => ({ status, body: cohereErrorBody(status) }),
        json: () => ({
          '/v2/embed': () => embedAnswer(body),
          '/v2/rerank': () => readCohereFixture('rerank.synthetic.json'),
        }[route] ?? (() => readCohereFixture(toolCall ? 'chat_tool_call.synthetic.json' : 'chat.synthetic.json')))(),
        events: () => (behaviour.kind === 'stream-slow'
          ? slowEvents(behaviour.events)
          : sseEvents(readCohereFixture(toolCall ? 'chat_stream_tool_call.synthetic.sse' : 'chat_stream.synthetic.sse'))),
      },
    });
  },
};
