// AWS Bedrock's runtime API: POST /model/{modelId}/converse, /converse-stream, /invoke (Titan
// and Cohere embeddings; Claude: Anthropic's Messages body) and /invoke-with-response-stream
// (Claude: each Anthropic event base64 in a `chunk` event, the last with Bedrock's
// amazon-bedrock-invocationMetrics). A Claude id scripts as Vertex's does:
// `us.anthropic.claude-mock-error-500` behaves as `mock-error-500`. Every request
// must carry a valid SigV4 signature (recomputed here with node:crypto, independently of the
// gateway's C++ signer) or a known Bedrock API key; answers are Converse JSON and
// application/vnd.amazon.eventstream frames (the synthetic fixtures in fixtures/wire/bedrock/,
// or frames encoded here). The model id in the path scripts the behaviour (behaviours.mjs), plus
// `mock-stream-throttled-after-<n>`: n events, then an in-stream throttlingException.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

import { behaviourFor } from '../behaviours.mjs';
import { embeddingFor } from '../bodies.mjs';
import { answer } from './answer.mjs';
import { answerMessages } from './anthropic.mjs';

// Test credentials the mock accepts: access key id → secret (and session token, if temporary).
export const kBedrockCredentials = {
  long: { accessKeyId: 'AKIDLLMUXTESTLONG', secretAccessKey: 'bedrock-test-secret/Long+Term-9f3k' },
  temporary: {
    accessKeyId: 'ASIALLMUXTESTTEMP', secretAccessKey: 'bedrock-test-secret/Temporary-2m8q',
    sessionToken: 'IQoJb3JpZ2luX2VjEBedrockTestSessionToken+/=',
  },
};
export const kBedrockApiKey = 'ABSKbedrock-test-api-key-7d1e';
const kMaxClockSkewMs = 5 * 60 * 1000;  // AWS refuses signatures older or newer than 5 minutes

const kFixtures = new URL('../../fixtures/wire/bedrock/', import.meta.url);

// ---- event-stream framing ---------------------------------------------------------------------

// One message with string headers (value type 7), both CRCs: others.md §4.5.
export function encodeFrame(headers, payload) {
  const headerBytes = Buffer.concat(Object.entries(headers).map(([name, value]) => {
    const nameBytes = Buffer.from(name);
    const valueBytes = Buffer.from(value);
    const head = Buffer.alloc(1 + nameBytes.length + 3);
    head.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(head, 1);
    head.writeUInt8(7, 1 + nameBytes.length);
    head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    return Buffer.concat([head, valueBytes]);
  }));
  const payloadBytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const total = 12 + headerBytes.length + payloadBytes.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headerBytes, payloadBytes, Buffer.alloc(4)]);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

// Live streams pad each payload with a `p` member of varying length (others.md §4.4); the
// frames built here do too, so clients are shown to ignore unknown members.
const kPadding = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const event = (type, payload) => encodeFrame(
  { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
  { ...payload, p: kPadding.slice(0, 1 + (JSON.stringify(payload).length % kPadding.length)) });

// A recorded stream cut into its frames (each one event), using the length prefixes.
function fixtureFrames(name) {
  const bytes = readFileSync(new URL(name, kFixtures));
  const frames = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return frames;
}

// ---- SigV4 verification -----------------------------------------------------------------------

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

// RFC 3986: everything but unreserved characters, as AWS encodes each path segment.
const uriEncode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const kInvalidSignature = {
  status: 403, name: 'InvalidSignatureException',
  message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};
const kUnknownKey = { status: 403, name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };

// null when the request is signed correctly, else the AWS error to answer with.
export function signatureProblem({ method, rawPath, headers, rawBody, now = Date.now(), known = Object.values(kBedrockCredentials) }) {
  const authorization = headers.authorization ?? '';
  if (authorization.startsWith('Bearer ')) {
    return authorization === `Bearer ${kBedrockApiKey}` ? null : { ...kUnknownKey, message: 'Invalid API Key format: Must start with pre-defined prefix' };
  }
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return { status: 403, name: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  const credentials = known.find((c) => c.accessKeyId === accessKeyId);
  if (!credentials) return kUnknownKey;
  const amzDate = headers['x-amz-date'] ?? '';
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(Math.abs(now - signedAt) <= kMaxClockSkewMs) || !amzDate.startsWith(date)) {
    return { status: 403, name: 'InvalidSignatureException', message: 'Signature expired or not yet current.' };
  }
  const names = signedHeaders.split(';');
  if (service !== 'bedrock' || !['host', 'x-amz-date'].every((name) => names.includes(name))) return kInvalidSignature;
  if (credentials.sessionToken !== undefined &&
      (headers['x-amz-security-token'] !== credentials.sessionToken || !names.includes('x-amz-security-token'))) {
    return kUnknownKey;
  }
  const canonicalPath = rawPath.split('/').map(uriEncode).join('/');
  const canonicalHeaders = names.map((name) => `${name}:${String(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [method, canonicalPath, '', canonicalHeaders, signedHeaders, sha256(rawBody)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), service), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? null : kInvalidSignature;
}

// ---- answers ----------------------------------------------------------------------------------

const kErrors = {
  400: ['ValidationException', 'Malformed input request, please reformat your input and try again.'],
  403: ['AccessDeniedException', 'You don\'t have access to the model with the specified model ID.'],
  404: ['ResourceNotFoundException', 'Could not resolve the foundation model from the provided model identifier.'],
  408: ['ModelTimeoutException', 'Model has timed out in processing the request.'],
  424: ['ModelErrorException', 'Received error from the model.'],
  429: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  500: ['InternalServerException', 'The server encountered an internal error while processing the request.'],
  503: ['ServiceUnavailableException', 'Bedrock is unable to process your request.'],
};

export function bedrockError(status) {
  const [name, message] = kErrors[status] ?? ['InternalServerException', `Mock Bedrock error ${status}.`];
  return { status, body: { message }, headers: { 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` } };
}

// Converse JSON matching the stream fixtures: the same text, tool call and usage.
export const kConverseText = {
  output: { message: { role: 'assistant', content: [{ text: 'Hello world' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
  metrics: { latencyMs: 250 },
};
export const kConverseToolUse = {
  output: { message: { role: 'assistant', content: [
    { text: 'Checking.' },
    { toolUse: { toolUseId: 'tooluse_abc123', name: 'get_weather', input: { city: 'Paris' } } },
  ] } },
  stopReason: 'tool_use',
  usage: { inputTokens: 40, outputTokens: 20, totalTokens: 60 },
  metrics: { latencyMs: 480 },
};

function slowFrames(count) {
  return [
    event('messageStart', { role: 'assistant' }),
    ...Array.from({ length: count }, (_, i) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: `tok${i} ` } })),
    event('contentBlockStop', { contentBlockIndex: 0 }),
    event('messageStop', { stopReason: 'end_turn' }),
    event('metadata', { usage: { inputTokens: 5, outputTokens: count, totalTokens: 5 + count }, metrics: { latencyMs: 1 } }),
  ];
}

function framesFor(behaviour) {
  if (behaviour.kind === 'stream-slow') return slowFrames(behaviour.events);
  const frames = fixtureFrames(behaviour.kind === 'tool-call'
    ? 'converse_stream_tool_use.synthetic.eventstream' : 'converse_stream_text.synthetic.eventstream');
  return behaviour.kind === 'no-usage' ? frames.slice(0, -1) : frames;
}

// InvokeModel for the embedding models: Titan embeds one text, Cohere a list (no token count).
function invokeBody(modelId, body) {
  if (modelId.includes('titan-embed')) {
    return { embedding: embeddingFor(body.inputText, body.dimensions ?? 8), inputTextTokenCount: body.inputText.split(/\s+/).length };
  }
  if (modelId.includes('cohere.embed')) {
    return { id: 'emb-mock', embeddings: body.texts.map((text) => embeddingFor(text)), texts: body.texts, response_type: 'embeddings_floats' };
  }
  return null;
}

// ---- Claude through InvokeModel: the Messages API ---------------------------------------------

// The fields InvokeModel takes for Claude, besides the required anthropic_version, max_tokens and
// messages: any other is Bedrock's 400.
const kInvokeMessagesFields = new Set([
  'anthropic_version', 'anthropic_beta', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature',
  'top_p', 'top_k', 'tools', 'tool_choice', 'thinking', 'metadata',
]);

function validationError(message) {
  return { status: 400, body: { message }, headers: { 'x-amzn-errortype': 'ValidationException' } };
}

function invokeMessagesProblem(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return validationError('Malformed input request: not a JSON object');
  if (body.anthropic_version !== 'bedrock-2023-05-31') return validationError('anthropic_version: must be bedrock-2023-05-31');
  const extra = Object.keys(body).filter((key) => !kInvokeMessagesFields.has(key));
  if (extra.length > 0) return validationError(`${extra[0]}: Extra inputs are not permitted`);
  if (typeof body.max_tokens !== 'number' || !Array.isArray(body.messages)) return validationError('max_tokens and messages are required');
  return null;
}

// What InvokeModelWithResponseStream carries for each Anthropic SSE event: the event's JSON (the
// last one with Bedrock's invocation metrics), as the chunk's base64 bytes decode to.
export function invokedEventJson(sseEvent) {
  const data = sseEvent.split('\n').find((line) => line.startsWith('data: ')).slice('data: '.length);
  const parsed = JSON.parse(data);
  if (parsed.type !== 'message_stop') return data;
  return JSON.stringify({
    ...parsed, 'amazon-bedrock-invocationMetrics': { inputTokenCount: 12, outputTokenCount: 3, invocationLatency: 250, firstByteLatency: 90 },
  });
}

const chunkFrame = (json) => encodeFrame(
  { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
  { bytes: Buffer.from(json).toString('base64') });

function answerInvokedMessages(exchange, route, body) {
  const problem = invokeMessagesProblem(body);
  if (problem) return exchange.json(problem.status, problem.body, problem.headers);
  return answerMessages(exchange, route.modelId.replace(/^(?:invoke\/)?(?:[a-z]+\.)?anthropic\.claude-(?=mock-)/, ''), body, {
    stream: route.stream,
    error: bedrockError,
    frame: (events) => events.map((event) => chunkFrame(invokedEventJson(event))),
    contentType: 'application/vnd.amazon.eventstream',
  });
}

const kRoute = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

export const bedrock = {
  name: 'bedrock',
  route(method, url) {
    const match = kRoute.exec(url.pathname);
    return method === 'POST' && match
      ? { modelId: decodeURIComponent(match[1]), operation: match[2], stream: match[2].endsWith('-stream') } : null;
  },
  respond(exchange, { route, url, headers }) {
    const { record } = exchange;
    record.model = route.modelId;
    const problem = signatureProblem({ method: record.method, rawPath: url.pathname, headers, rawBody: record.rawBody });
    if (problem) {
      record.signature = 'rejected';
      return exchange.json(problem.status, { message: problem.message }, { 'x-amzn-errortype': problem.name });
    }
    record.signature = 'valid';
    if (route.operation.startsWith('invoke') && route.modelId.includes('claude')) {
      return answerInvokedMessages(exchange, route, record.body);
    }
    const behaviour = behaviourFor(route.modelId, exchange.callNumber(route.modelId));
    if (route.operation === 'invoke') {
      const invoked = record.body === null ? null : invokeBody(route.modelId, record.body);
      if (invoked === null && behaviour.kind !== 'error') {
        return exchange.json(400, { message: 'Malformed input request, please reformat your input and try again.' },
          { 'x-amzn-errortype': 'ValidationException' });
      }
      return answer(exchange, behaviour, { stream: false, bodies: { error: bedrockError, json: () => invoked } });
    }
    if (record.body === null || typeof record.body !== 'object' || !Array.isArray(record.body.messages)) {
      return exchange.json(400, { message: 'Malformed input request, please reformat your input and try again.' },
        { 'x-amzn-errortype': 'ValidationException' });
    }
    const throttled = /^mock-stream-throttled-after-(\d+)$/.exec(route.modelId);
    if (throttled && route.stream) {
      const frames = fixtureFrames('converse_stream_text.synthetic.eventstream').slice(0, Number(throttled[1]));
      frames.push(...fixtureFrames('converse_stream_throttling.synthetic.eventstream'));
      return exchange.streamInPieces(frames, 'application/vnd.amazon.eventstream');
    }
    return answer(exchange, behaviour, {
      stream: route.stream,
      bodies: {
        error: bedrockError,
        json: () => (behaviour.kind === 'tool-call' ? kConverseToolUse : kConverseText),
        events: () => framesFor(behaviour),
        contentType: 'application/vnd.amazon.eventstream',
      },
    });
  },
};
