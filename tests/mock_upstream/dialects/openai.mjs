// OpenAI's API (/v1/chat/completions, /completions, /embeddings, /moderations): the recorded
// fixtures, replayed.
import { behaviourFor } from '../behaviours.mjs';
import {
  readFixture, fixtureStreamEvents, errorBody, legacyCompletion, legacyCompletionEvents,
  slowStreamEvents, embeddingsResponse, moderationResponse,
} from '../bodies.mjs';
import { answer } from './answer.mjs';

const kRoutes = new Set(['/chat/completions', '/completions', '/embeddings', '/moderations']);

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
    const behaviour = behaviourFor(body.model);
    return answer(exchange, behaviour, {
      stream: body.stream === true,
      bodies: {
        error: (status) => ({ status, body: errorBody(status) }),
        json: () => jsonBodyFor(route, behaviour, body),
        events: () => streamEventsFor(route, behaviour, body),
      },
    });
  },
};
