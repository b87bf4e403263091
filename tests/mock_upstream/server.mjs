// An OpenAI-compatible upstream for the gateway's integration and conformance tests: it replays
// the recorded fixtures, lets the upstream model name script failures and timing
// (behaviours.mjs), and records every request and every response the client abandoned.
//
// In-process: `const mock = await startMockUpstream()` → { port, url, requests, aborted,
// reset(), waitFor(predicate), close() }. Standalone: `node server.mjs [--port N]` prints
// `listening <port>`. Either way `GET /__mock/requests` returns { requests, aborted } and
// `DELETE /__mock/requests` forgets them.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { behaviourFor } from './behaviours.mjs';
import {
  readFixture, fixtureStreamEvents, errorBody, legacyCompletion, legacyCompletionEvents,
  slowStreamEvents, embeddingsResponse, moderationResponse,
} from './bodies.mjs';

const kRoutes = new Set(['/chat/completions', '/completions', '/embeddings', '/moderations']);
const kPieceDelayMs = 2;

// Cuts a body into byte pieces of 1..400 bytes from a fixed seed, so splits land mid-line and
// mid-UTF-8 character, the same way on every run.
function* pieces(bytes) {
  let seed = 0x9e3779b9;
  for (let offset = 0; offset < bytes.length;) {
    seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) >>> 0;
    const size = 1 + (seed % 400);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

class Exchange {
  constructor(record, res) {
    this.record = record;
    this.res = res;
    this.cut = false;
  }

  get gone() {
    return this.res.destroyed;
  }

  json(status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-request-id': `req_mock_${this.record.id}`,
      ...headers,
    });
    this.res.end(text);
  }

  startStream() {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': `req_mock_${this.record.id}`,
    });
  }

  write(bytes) {
    return new Promise((resolve) => this.res.write(bytes, () => resolve()));
  }

  // Writes the events as one byte stream cut into pieces, with a short pause between pieces.
  async streamInPieces(events) {
    this.startStream();
    for (const piece of pieces(Buffer.from(events.join('')))) {
      if (this.gone) return;
      await this.write(piece);
      await sleep(kPieceDelayMs);
    }
    this.record.eventsWritten = events.length;
    this.res.end();
  }

  // Writes one whole event every intervalMs; stops as soon as the client goes away.
  async streamSlowly(events, intervalMs) {
    this.startStream();
    for (const event of events) {
      if (this.gone) return;
      await this.write(event);
      this.record.eventsWritten += 1;
      await sleep(intervalMs);
    }
    if (!this.gone) this.res.end();
  }

  // Writes the first n events, then destroys the socket as an upstream that died would.
  async streamThenCut(events, afterEvents) {
    this.startStream();
    for (const event of events.slice(0, afterEvents)) {
      await this.write(event);
      this.record.eventsWritten += 1;
      await sleep(kPieceDelayMs);
    }
    this.dropConnection();
  }

  dropConnection() {
    this.cut = true;
    this.res.socket?.destroy();
  }
}

function streamEventsFor(route, behaviour, body) {
  const includeUsage = body.stream_options?.include_usage === true;
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
    default:
      return readFixture(behaviour.kind === 'tool-call' ? 'chat_completion_tool_calls.json' : 'chat_completion.json');
  }
}

async function respond(exchange, route, body) {
  const behaviour = behaviourFor(body.model);
  switch (behaviour.kind) {
    case 'error': {
      const headers = behaviour.retryAfter === undefined ? {} : { 'retry-after': String(behaviour.retryAfter) };
      return exchange.json(behaviour.status, errorBody(behaviour.status), headers);
    }
    case 'garbage':
      return exchange.json(200, '<html><body>502 Bad Gateway (definitely not JSON)</body></html>');
    case 'slow-first-byte':
      await sleep(behaviour.delayMs);
      if (exchange.gone) return undefined;
      break;
    default:
      break;
  }
  if (body.stream !== true) {
    if (behaviour.kind === 'stream-cut') return exchange.dropConnection();
    return exchange.json(200, jsonBodyFor(route, behaviour, body));
  }
  const events = streamEventsFor(route, behaviour, body);
  if (behaviour.kind === 'stream-cut') return exchange.streamThenCut(events, behaviour.afterEvents);
  if (behaviour.kind === 'stream-slow') return exchange.streamSlowly(events, behaviour.intervalMs);
  return exchange.streamInPieces(events);
}

export async function startMockUpstream({ port = 0 } = {}) {
  const requests = [];
  const aborted = [];

  function snapshot() {
    return { requests, aborted };
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://mock');

    if (url.pathname === '/__mock/requests') {
      if (req.method === 'DELETE') {
        requests.length = 0;
        aborted.length = 0;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(snapshot()));
    }

    let body = null;
    try {
      body = rawBody === '' ? null : JSON.parse(rawBody);
    } catch {
      body = null;
    }
    const record = {
      id: requests.length + 1,
      method: req.method,
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body,
      rawBody,
      receivedAt: Date.now(),
      endedAt: null,
      outcome: 'pending',
      eventsWritten: 0,
    };
    requests.push(record);
    const exchange = new Exchange(record, res);
    res.on('close', () => {
      record.endedAt = Date.now();
      if (exchange.cut) {
        record.outcome = 'cut';
      } else if (res.writableFinished) {
        record.outcome = 'finished';
      } else {
        record.outcome = 'aborted';
        aborted.push({
          requestId: record.id, path: record.path, model: body?.model ?? null,
          eventsWritten: record.eventsWritten, receivedAt: record.receivedAt, abortedAt: record.endedAt,
        });
      }
    });

    const route = url.pathname.replace(/^\/v1(?=\/)/, '');
    if (req.method !== 'POST' || !kRoutes.has(route)) {
      return exchange.json(404, { error: { message: `mock upstream has no route ${req.method} ${url.pathname}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    }
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      return exchange.json(401, readFixture('error_401_invalid_api_key.json'));
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return exchange.json(400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    }
    return respond(exchange, route, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      // A bug in the mock: make it loud in the test output, and answer if still possible.
      console.error('mock upstream failed:', error);
      if (!res.headersSent) res.writeHead(599).end(String(error));
      else res.destroy();
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const boundPort = server.address().port;

  return {
    port: boundPort,
    url: `http://127.0.0.1:${boundPort}`,
    requests,
    aborted,
    reset() {
      requests.length = 0;
      aborted.length = 0;
    },
    // Resolves with the first request record that satisfies predicate, polling every few ms.
    async waitFor(predicate, { timeoutMs = 5000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`mock upstream: no request matched within ${timeoutMs} ms; saw ${JSON.stringify(requests.map((r) => ({ id: r.id, path: r.path, model: r.body?.model, outcome: r.outcome })))}`);
        }
        await sleep(5);
      }
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const portFlag = process.argv.indexOf('--port');
  const mock = await startMockUpstream({ port: portFlag > 0 ? Number(process.argv[portFlag + 1]) : 0 });
  console.log(`listening ${mock.port}`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => mock.close().then(() => process.exit(0)));
  }
}
