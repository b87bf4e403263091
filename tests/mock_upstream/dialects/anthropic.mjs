// Anthropic's Messages API (POST /v1/messages): the recorded fixtures in fixtures/wire/anthropic/
// replayed, with Anthropic's own error bodies and its header checks (x-api-key, anthropic-version).
// Besides the shared behaviours, two upstream model names script what only this API does:
//   mock-overloaded-after-<n>  streams <n> events of the recorded text stream, then the
//                              in-stream overloaded_error event (not streamed: a 529)
//   mock-thinking              the extended-thinking stream (synthetic, from Anthropic's docs)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { behaviourFor } from '../behaviours.mjs';
import { sseEvents } from '../bodies.mjs';
import { answer } from './answer.mjs';

const kFixturesDir = fileURLToPath(new URL('../../fixtures/wire/anthropic/', import.meta.url));

export function readAnthropicFixture(name) {
  return readFileSync(kFixturesDir + name, 'utf8');
}

const kErrorTypes = {
  400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error', 403: 'permission_error',
  404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error',
  504: 'timeout_error', 529: 'overloaded_error',
};

function errorOf(type, message) {
  return { type: 'error', error: { type, message }, request_id: 'req_mock_anthropic' };
}

// Anthropic's error answer for a status: the recorded 429, else the documented shape with a
// message that names the status (so a test can see it was relayed).
export function anthropicError(status) {
  if (status === 429) {
    return { status, body: readAnthropicFixture('error_429_rate_limit.json'), headers: { 'x-should-retry': 'true' } };
  }
  const type = kErrorTypes[status] ?? 'api_error';
  return { status, body: errorOf(type, `mock upstream says ${status}: the scripted failure for this model`) };
}

export const kOverloadedEvent = readAnthropicFixture('error_stream_overloaded.sse');

// A text stream of `count` deltas, for the paced behaviours.
function slowEvents(count) {
  const event = (data) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const events = [
    event({ type: 'message_start', message: { id: 'msg_mock_slow', type: 'message', role: 'assistant', model: 'mock', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }),
    event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (let i = 0; i < count; i++) {
    events.push(event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `tick ${i} ` } }));
  }
  events.push(
    event({ type: 'content_block_stop', index: 0 }),
    event({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: count } }),
    event({ type: 'message_stop' }),
  );
  return events;
}

function streamEventsFor(behaviour) {
  if (behaviour.kind === 'stream-slow') return slowEvents(behaviour.events);
  if (behaviour.kind === 'overloaded') {
    return [...sseEvents(readAnthropicFixture('message_stream.sse')).slice(0, behaviour.afterEvents), kOverloadedEvent];
  }
  const fixture = { 'tool-call': 'message_stream_tool_use.sse', thinking: 'message_stream_thinking.synthetic.sse' }[behaviour.kind];
  return sseEvents(readAnthropicFixture(fixture ?? 'message_stream.sse'));
}

function behaviourOf(model, call) {
  const overloaded = /^mock-overloaded-after-(\d+)$/.exec(model ?? '');
  if (overloaded) return { kind: 'overloaded', afterEvents: Number(overloaded[1]) };
  if (model === 'mock-thinking') return { kind: 'thinking' };
  return behaviourFor(model, call);
}

// What the real API refuses before it reads the messages.
function requestProblem(headers, body) {
  if (!headers['x-api-key']) return { status: 401, body: errorOf('authentication_error', 'invalid x-api-key') };
  if (!headers['anthropic-version']) {
    return { status: 400, body: errorOf('invalid_request_error', 'anthropic-version: header is required') };
  }
  return bodyProblem(body);
}

// What the Messages API refuses in the body, wherever it is served (also Vertex AI: vertex.mjs).
export function bodyProblem(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { status: 400, body: errorOf('invalid_request_error', 'There was an issue with the request body: not a JSON object') };
  }
  if (typeof body.max_tokens !== 'number') return { status: 400, body: errorOf('invalid_request_error', 'max_tokens: Field required') };
  if (!Array.isArray(body.messages)) return { status: 400, body: errorOf('invalid_request_error', 'messages: Field required') };
  if (body.messages.some((message) => message.role !== 'user' && message.role !== 'assistant')) {
    return { status: 400, body: errorOf('invalid_request_error', 'messages: roles must be user or assistant') };
  }
  return null;
}

// Answers a valid Messages call for `model` (Anthropic's body names it; Vertex's and Bedrock's
// URL do). Where the API is carried another way (Bedrock's InvokeModel), `wire` says how: whether
// it streams, its error answers, and its stream's framing of Anthropic's SSE events.
export function answerMessages(exchange, model, body, wire = {}) {
  const {
    stream = body.stream === true, error = anthropicError, frame = (events) => events,
    contentType = 'text/event-stream; charset=utf-8',
  } = wire;
  const behaviour = behaviourOf(model, exchange.callNumber(model));
  if (behaviour.kind === 'overloaded' && !stream) {
    const { status, body: errorBody } = error(529);
    return exchange.json(status, errorBody);
  }
  return answer(exchange, behaviour, {
    stream,
    bodies: {
      error,
      json: () => readAnthropicFixture(behaviour.kind === 'tool-call' ? 'message_tool_use.synthetic.json' : 'message.json'),
      events: () => frame(streamEventsFor(behaviour)),
      contentType,
    },
  });
}

export const anthropic = {
  name: 'anthropic',
  route(method, url) {
    return method === 'POST' && url.pathname === '/v1/messages' ? 'messages' : null;
  },
  respond(exchange, { headers, body }) {
    const problem = requestProblem(headers, body);
    if (problem) return exchange.json(problem.status, problem.body);
    return answerMessages(exchange, body.model, body);
  },
};
