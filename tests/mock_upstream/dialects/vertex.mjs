// Google Vertex AI: Gemini models at
// /v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
// (and :streamGenerateContent?alt=sse), text-embedding models at …:predict, Claude at …/publishers/anthropic/models/{model}:rawPredict
// (and :streamRawPredict). Every call needs `Authorization: Bearer <token>` with a token that
// google_oauth.mjs issued and that has not expired (else Google's 401). The answers are the
// Gemini and Anthropic dialects' own (answerGemini, answerMessages), with Vertex's body rules for
// Claude: no `model` (it is in the URL) and `anthropic_version: vertex-2023-10-16`. A gateway
// routes only `claude…` ids to Claude, so a scripted Claude id is `claude-<script>`
// (`claude-mock-error-429` behaves as `mock-error-429`).
import { behaviourFor } from '../behaviours.mjs';
import { embeddingFor } from '../bodies.mjs';
import { answer } from './answer.mjs';
import { answerGemini, geminiErrorBody } from './gemini.mjs';
import { answerMessages, bodyProblem } from './anthropic.mjs';
import { issuedToken } from './google_oauth.mjs';

const kPath = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|rawPredict|streamRawPredict)$/;
const kMethods = { google: ['generateContent', 'streamGenerateContent', 'predict'], anthropic: ['rawPredict', 'streamRawPredict'] };

export const kUnauthenticated = {
  error: {
    code: 401,
    message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    status: 'UNAUTHENTICATED',
  },
};

function invalidArgument(message) {
  return { error: { code: 400, message, status: 'INVALID_ARGUMENT' } };
}

// A text-embedding model's predict: one prediction per instance, with a token count (words here).
function predictEmbeddings(exchange, model, body) {
  if (!Array.isArray(body?.instances) || body.instances.some((instance) => typeof instance?.content !== 'string')) {
    return exchange.json(400, invalidArgument('instances[].content: a string is required'));
  }
  const dimensions = body.parameters?.outputDimensionality ?? 8;
  return answer(exchange, behaviourFor(model), {
    stream: false,
    bodies: {
      error: (status) => ({ status, body: geminiErrorBody(status) }),
      json: () => ({
        predictions: body.instances.map(({ content }) => ({
          embeddings: {
            statistics: { truncated: false, token_count: content.split(/\s+/).filter(Boolean).length },
            values: embeddingFor(content, dimensions),
          },
        })),
        metadata: { billableCharacterCount: body.instances.reduce((sum, { content }) => sum + content.length, 0) },
      }),
      events: () => [],
    },
  });
}

export const vertex = {
  name: 'vertex',
  route(method, url) {
    const match = kPath.exec(url.pathname);
    if (method !== 'POST' || !match) return null;
    const [, project, location, publisher, model, verb] = match;
    return { project, location, publisher, model: decodeURIComponent(model), method: verb };
  },
  respond(exchange, { route, url, headers, body }) {
    const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? '');
    if (!bearer || !issuedToken(bearer[1])) return exchange.json(401, kUnauthenticated);
    if (!kMethods[route.publisher].includes(route.method)) {
      return exchange.json(404, invalidArgument(`${route.method} is not a method of ${route.publisher} models`));
    }
    if (route.method === 'predict') return predictEmbeddings(exchange, route.model, body);
    if (route.publisher === 'google') return answerGemini(exchange, { model: route.model, method: route.method, url, body });
    const problem = bodyProblem(body);
    if (problem) return exchange.json(problem.status, problem.body);
    if (body.anthropic_version !== 'vertex-2023-10-16') {
      return exchange.json(400, invalidArgument('anthropic_version: must be vertex-2023-10-16'));
    }
    if ('model' in body) return exchange.json(400, invalidArgument('model: Extra inputs are not permitted'));
    if ((route.method === 'streamRawPredict') !== (body.stream === true)) {
      return exchange.json(400, invalidArgument('stream must be true exactly for streamRawPredict'));
    }
    return answerMessages(exchange, route.model.replace(/^claude-(?=mock-)/, ''), body);
  },
};
