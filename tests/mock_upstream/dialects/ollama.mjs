// Ollama's native API (/api/chat, /api/generate, /api/embed): NDJSON streams (one JSON object per
// line, no [DONE]), `{"error": "…"}` error bodies, streaming unless `stream: false`. The bodies are
// the synthetic fixtures in tests/fixtures/wire/ollama/ (no recording exists; see its README).
// The upstream model name scripts the behaviour (behaviours.mjs), plus `mock-stream-error`
// (a mid-stream `{"error": …}` line after one content line). An Authorization header, when sent,
// must be a bearer token (Ollama behind a proxy, or Ollama's cloud).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { behaviourFor } from '../behaviours.mjs';
import { embeddingFor } from '../bodies.mjs';
import { answer } from './answer.mjs';

const kOllamaDir = fileURLToPath(new URL('../../fixtures/wire/ollama/', import.meta.url));

export function readOllamaFixture(name) {
  return readFileSync(kOllamaDir + name, 'utf8');
}

// The lines of an NDJSON fixture, each with its '\n' (one "event" for the shared fault handling).
export function ndjsonLines(text) {
  return text.split(/(?<=\n)/).filter((line) => line.trim() !== '');
}

// The text a client assembles from a fixture's stream.
export function ollamaStreamText(name) {
  return ndjsonLines(readOllamaFixture(name))
    .map((line) => JSON.parse(line))
    .map((object) => object.message?.content ?? object.response ?? '')
    .join('');
}

export function ollamaErrorBody(status) {
  return { error: `mock ollama says ${status}: the scripted failure for this model` };
}

function embedInputs(input) {
  return Array.isArray(input) ? input : [input];
}

const kRoutes = new Set(['/api/chat', '/api/generate', '/api/embed']);

function slowLines(route, model, count) {
  const line = (fields) => `${JSON.stringify({ model, created_at: '2024-07-22T20:33:28.123648Z', ...fields })}\n`;
  const piece = (text) => (route === '/api/chat' ? { message: { role: 'assistant', content: text } } : { response: text });
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(line({ ...piece(`tick ${i} `), done: false }));
  lines.push(line({ ...piece(''), done: true, done_reason: 'stop', prompt_eval_count: 3, eval_count: count }));
  return lines;
}

function streamLinesFor(route, behaviour, body) {
  if (behaviour.kind === 'stream-slow') return slowLines(route, body.model, behaviour.events);
  if (route === '/api/generate') return ndjsonLines(readOllamaFixture('generate_stream.synthetic.ndjson'));
  if (body.model === 'mock-stream-error') return ndjsonLines(readOllamaFixture('chat_stream_error.synthetic.ndjson'));
  return ndjsonLines(readOllamaFixture(behaviour.kind === 'tool-call'
    ? 'chat_stream_tool_calls.synthetic.ndjson' : 'chat_stream.synthetic.ndjson'));
}

function jsonBodyFor(route, behaviour, body) {
  if (route === '/api/embed') {
    const inputs = embedInputs(body.input);
    return { model: body.model, embeddings: inputs.map((input) => embeddingFor(input)), prompt_eval_count: inputs.length * 4 };
  }
  if (route === '/api/generate') return readOllamaFixture('generate.synthetic.json');
  return readOllamaFixture(behaviour.kind === 'tool-call' ? 'chat_tool_calls.synthetic.json' : 'chat.synthetic.json');
}

function invalid(body, route) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'invalid JSON body';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (route === '/api/chat' && !Array.isArray(body.messages)) return 'messages must be an array';
  if (route === '/api/generate' && typeof body.prompt !== 'string') return 'prompt must be a string';
  if (route === '/api/embed' && body.input === undefined) return 'input is required';
  return null;
}

export const ollama = {
  name: 'ollama',
  route(method, url) {
    return method === 'POST' && kRoutes.has(url.pathname) ? url.pathname : null;
  },
  respond(exchange, { route, headers, body }) {
    if (headers.authorization !== undefined && !/^Bearer \S+$/.test(headers.authorization)) {
      return exchange.json(401, { error: 'unauthorized' });
    }
    const problem = invalid(body, route);
    if (problem) return exchange.json(400, { error: problem });
    const behaviour = behaviourFor(body.model);
    return answer(exchange, behaviour, {
      stream: route !== '/api/embed' && body.stream !== false,  // Ollama streams by default
      bodies: {
        error: (status) => ({ status, body: ollamaErrorBody(status) }),
        json: () => jsonBodyFor(route, behaviour, body),
        events: () => streamLinesFor(route, behaviour, body),
        contentType: 'application/x-ndjson',
      },
    });
  },
};
