// Azure OpenAI (/openai/deployments/{deployment}/chat/completions|completions|embeddings
// ?api-version=…): OpenAI's bodies with Azure's additions (prompt_filter_results, a first stream
// chunk without choices, content-filter errors), Azure's auth (`api-key`, or an Entra ID bearer
// token) and Azure's error bodies. The deployment name scripts the behaviour (behaviours.mjs),
// plus `mock-content-filter` (the prompt is blocked: 400) and `mock-content-filter-stream` (the
// answer stops with finish_reason content_filter). The Responses API (/openai/responses and the v1
// API's /openai/v1/responses, the deployment in the body's model) answers as OpenAI's does
// (responses.mjs).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { behaviourFor } from '../behaviours.mjs';
import {
  readFixture, sseEvents, fixtureStreamEvents, eventData, legacyCompletion, legacyCompletionEvents,
  slowStreamEvents, embeddingsResponse,
} from '../bodies.mjs';
import { answer } from './answer.mjs';
import { answerResponses } from './openai.mjs';

const kAzureDir = fileURLToPath(new URL('../../fixtures/wire/azure/', import.meta.url));

export function readAzureFixture(name) {
  return readFileSync(kAzureDir + name, 'utf8');
}

const kRoute = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;
// The Responses API: the deployment is the body's model.
const kResponsesRoute = /^\/openai(?:\/v1)?\/responses$/;

// Azure's error envelope: a string code (often the status itself), no type.
export function azureErrorBody(status) {
  return { error: { code: String(status), message: `mock azure says ${status}: the scripted failure for this deployment` } };
}

const kUnauthorized = {
  error: {
    code: '401',
    message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};

// Azure opens every chat stream with a chunk that has no choices, only the prompt's filter results.
const kPromptFilterEvent = sseEvents(readAzureFixture('chat_completion_stream.synthetic.sse'))[0];

function withoutUsage(events, includeUsage) {
  return includeUsage ? events : events.filter((event) => {
    if (!event.startsWith('data: {')) return true;
    const chunk = JSON.parse(eventData(event));
    return !(chunk.choices?.length === 0 && chunk.usage);
  });
}

function streamEventsFor(operation, behaviour, deployment, body) {
  const includeUsage = body.stream_options?.include_usage === true;
  if (operation === 'completions') return legacyCompletionEvents(deployment, includeUsage);
  if (behaviour.kind === 'stream-slow') return [kPromptFilterEvent, ...slowStreamEvents(deployment, behaviour.events, includeUsage)];
  if (behaviour.kind === 'tool-call') return [kPromptFilterEvent, ...fixtureStreamEvents('chat_completion_stream_tool_calls.sse', includeUsage)];
  const fixture = deployment === 'mock-content-filter-stream'
    ? 'chat_completion_stream_content_filter.synthetic.sse' : 'chat_completion_stream.synthetic.sse';
  return withoutUsage(sseEvents(readAzureFixture(fixture)), includeUsage);
}

function jsonBodyFor(operation, behaviour, deployment, body) {
  if (operation === 'completions') return legacyCompletion(deployment);
  if (operation === 'embeddings') return embeddingsResponse({ ...body, model: deployment });
  if (behaviour.kind === 'tool-call') return readFixture('chat_completion_tool_calls.json');
  return readAzureFixture('chat_completion.synthetic.json');
}

export const azure = {
  name: 'azure',
  route(method, url) {
    if (method === 'POST' && kResponsesRoute.test(url.pathname)) return { operation: 'responses' };
    const match = kRoute.exec(url.pathname);
    return method === 'POST' && match ? { deployment: decodeURIComponent(match[1]), operation: match[2] } : null;
  },
  respond(exchange, { route, url, headers, body }) {
    const keyed = typeof headers['api-key'] === 'string' && headers['api-key'] !== '';
    if (!keyed && !/^Bearer \S+$/.test(headers.authorization ?? '')) return exchange.json(401, kUnauthorized);
    if (!url.searchParams.get('api-version')) {
      return exchange.json(404, { error: { code: '404', message: 'Resource not found' } });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return exchange.json(400, { error: { code: 'BadRequest', message: 'Invalid JSON body.', param: null, type: null } });
    }
    const { operation } = route;
    const deployment = operation === 'responses' ? body.model : route.deployment;
    if (deployment === 'mock-content-filter') {
      return exchange.json(400, readAzureFixture('error_400_content_filter.json'));
    }
    const behaviour = behaviourFor(deployment, exchange.callNumber(deployment));
    if (operation === 'responses') return answerResponses(exchange, behaviour, body, (status) => ({ status, body: azureErrorBody(status) }));
    return answer(exchange, behaviour, {
      stream: body.stream === true,
      bodies: {
        error: (status) => ({ status, body: azureErrorBody(status) }),
        json: () => jsonBodyFor(operation, behaviour, deployment, body),
        events: () => streamEventsFor(operation, behaviour, deployment, body),
      },
    });
  },
};
