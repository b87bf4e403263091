// OpenAI's API (/v1/chat/completions, /completions, /embeddings, /moderations): the recorded
// fixtures, replayed; /v1/responses: the same answers in the Responses API's format
// (responses.mjs).
// Dialect-only scripts, a misbehaving upstream that echoes the credentials it received:
//   mock-echo-auth            401 whose message quotes the Authorization header
//   mock-echo-auth-in-stream  a stream: one content event, then an in-band error quoting it
import { behaviourFor } from '../behaviours.mjs';
import {
  readFixture, fixtureStreamEvents, errorBody, legacyCompletion, legacyCompletionEvents,
  slowStreamEvents, embeddingsResponse, moderationResponse,
} from '../bodies.mjs';
import { answer } from './answer.mjs';
import { responsesBody, responsesEvents, responsesScript } from './responses.mjs';

const kRoutes = new Set(['/chat/completions', '/completions', '/embeddings', '/moderations', '/responses']);

function streamEventsFor(route, behaviour, body) {
  const includeUsage = body.stream_options?.include_usage === true && behaviour.kind !== 'no-usage';
  if (route === '/completions') return legacyCompletionEvents(body.model, includeUsage);
  if (behaviour.kind === 'stream-slow') return slowStreamEvents(body.model, behaviour.events, includeUsage);
  const fixture = behaviour.kind === 'tool-call'
    ? 'chat_completion_stream_tool_calls.sse' : 'chat_completion_stream.sse';
  return fixtureStreamEvents(fixture, includeUsage);
}

function jsonBodyFor(route, behaviour, body) {
  switch (route) {
    case '/completions': return legacyCompletion(body.model);
    case '/embeddings': return embeddingsResponse(body);
    case '/moderations': return moderationResponse(body);
    default: {
      const recorded = readFixture(behaviour.kind === 'tool-call' ? 'chat_completion_tool_calls.json' : 'chat_completion.json');
      if (behaviour.kind !== 'no-usage') return recorded;
      const { usage, ...withoutUsage } = JSON.parse(recorded);
      return withoutUsage;
    }
  }
}

export const openai = {
  name: 'openai',
  route(method, url) {
    const route = url.pathname.replace(/^\/v1(?=\/)/, '');
    return method === 'POST' && kRoutes.has(route) ? route : null;
  },
  respond(exchange, { route, headers, body }) {
    if (!/^Bearer \S+$/.test(headers.authorization ?? '')) {
      return exchange.json(401, readFixture('error_401_invalid_api_key.json'));
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return exchange.json(400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    }
    const echoed = `Incorrect API key provided: ${headers.authorization} (you sent "Authorization: ${headers.authorization}")`;
    if (body.model === 'mock-echo-auth') {
      return exchange.json(401, { error: { message: echoed, type: 'invalid_request_error', param: headers.authorization, code: 'invalid_api_key' } });
    }
    if (body.model === 'mock-echo-auth-in-stream' && body.stream === true) {
      const [first] = fixtureStreamEvents('chat_completion_stream.sse', false);
      const error = `data: ${JSON.stringify({ error: { message: echoed, type: 'server_error', param: null, code: null } })}\n\n`;
      return exchange.streamInPieces([first, error], 'text/event-stream');
    }
    const behaviour = behaviourFor(body.model, exchange.callNumber(body.model));
    if (route === '/responses') return answerResponses(exchange, behaviour, body, (status, code) => ({ status, body: errorBody(status, code) }));
    return answer(exchange, behaviour, {
      stream: body.stream === true,
      bodies: {
        error: (status, code) => ({ status, body: errorBody(status, code) }),
        json: () => jsonBodyFor(route, behaviour, body),
        events: () => streamEventsFor(route, behaviour, body),
      },
    });
  },
};

// A Responses API call (OpenAI's and Azure's): the scripted faults as on the chat routes, the
// answers in this API's format. `error(status, code)`: the provider's error answer.
export function answerResponses(exchange, behaviour, body, error) {
  const n = exchange.record.id;
  const scripted = responsesScript(body, n);
  if (scripted?.json) return exchange.json(200, scripted.json);
  if (scripted?.events) return exchange.streamInPieces(scripted.events, 'text/event-stream');
  return answer(exchange, behaviour, {
    stream: body.stream === true,
    bodies: {
      error,
      json: () => responsesBody(body, behaviour.kind === 'tool-call', n),
      events: () => responsesEvents(body, behaviour, n),
    },
  });
}
