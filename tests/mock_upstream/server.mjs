// A mock of every upstream dialect (dialects/) for the integration and conformance tests: it replays
// the recorded fixtures, lets the upstream model name script failures and timing
// (behaviours.mjs), and records every request and every response the client abandoned.
//
// In-process: `const mock = await startMockUpstream()` → { port, url, requests, aborted,
// reset(), waitFor(predicate), openConnections(), close() }. Standalone: `node server.mjs [--port N]` prints
// `listening <port>`. Either way `GET /__mock/requests` returns { requests, aborted } and
// `DELETE /__mock/requests` forgets them; `GET /__mock/wait?model=M&event=received|aborted`
// answers once a request for model M arrived / its response was abandoned; `POST /__mock/trust`
// makes the token endpoint trust a service account (dialects/google_oauth.mjs).
import { createServer } from 'node:http';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { kDialects } from './dialects/index.mjs';
import { trustServiceAccount } from './dialects/google_oauth.mjs';

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

// One request being answered. Dialects write through it, so timing, cutting and recording work
// the same whichever wire format is spoken.
export class Exchange {
  constructor(record, res, calls) {
    this.record = record;
    this.res = res;
    this.cut = false;
    this.calls = calls;
  }

  // 1 for the first request naming `model` since the mock started or was reset, then 2, …
  callNumber(model) {
    const call = (this.calls.get(model) ?? 0) + 1;
    this.calls.set(model, call);
    return call;
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

  // contentType: text/event-stream (SSE), application/x-ndjson (Ollama), … as the dialect speaks.
  startStream(contentType = 'text/event-stream', headers = {}) {
    this.res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      'x-request-id': `req_mock_${this.record.id}`,
      ...headers,
    });
  }

  write(bytes) {
    return new Promise((resolve) => this.res.write(bytes, () => resolve()));
  }

  // Writes the events (strings, or Buffers for binary framing) as one byte stream cut into
  // pieces, with a short pause between pieces.
  async streamInPieces(events, contentType, headers = {}) {
    this.startStream(contentType, headers);
    for (const piece of pieces(Buffer.concat(events.map((event) => Buffer.from(event))))) {
      if (this.gone) return;
      await this.write(piece);
      await sleep(kPieceDelayMs);
    }
    this.record.eventsWritten = events.length;
    this.res.end();
  }

  // Writes a 200 answer without a length (chunked) from `pieces`, each once the one before has
  // gone out; stops as soon as the client goes away.
  async sendPieces(contentType, pieces, events = 0) {
    this.startStream(contentType);
    for (const piece of pieces) {
      if (this.gone) return;
      await this.write(piece);
    }
    this.record.eventsWritten = events;
    this.res.end();
  }

  // Writes one whole event every intervalMs; stops as soon as the client goes away.
  async streamSlowly(events, intervalMs, contentType) {
    this.startStream(contentType);
    for (const event of events) {
      if (this.gone) return;
      await this.write(event);
      this.record.eventsWritten += 1;
      await sleep(intervalMs);
    }
    if (!this.gone) this.res.end();
  }

  // Writes the first n events, then destroys the socket as an upstream that died would.
  async streamThenCut(events, afterEvents, contentType) {
    this.startStream(contentType);
    for (const event of events.slice(0, afterEvents)) {
      await this.write(event);
      this.record.eventsWritten += 1;
      await sleep(kPieceDelayMs);
    }
    this.dropConnection();
  }

  // Writes the first n events, then goes quiet with the connection open until the client leaves.
  async streamThenStall(events, afterEvents, contentType) {
    this.startStream(contentType);
    for (const event of events.slice(0, afterEvents)) {
      await this.write(event);
      this.record.eventsWritten += 1;
    }
  }

  dropConnection() {
    this.cut = true;
    this.res.socket?.destroy();
  }
}

export async function startMockUpstream({ port = 0 } = {}) {
  const requests = [];
  const aborted = [];
  let waiters = [];  // the pending GET /__mock/wait, woken by each request and each abandon
  function wake() {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  }
  const calls = new Map();  // upstream model → requests so far (behaviours that change over calls)

  function snapshot() {
    return { requests, aborted };
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://mock');

    // Answers once a request for `model` arrived (event=received) or its response was abandoned
    // by its client (event=aborted), at once if that already happened: tests wait on this instead
    // of polling.
    if (url.pathname === '/__mock/wait') {
      const model = url.searchParams.get('model');
      const list = url.searchParams.get('event') === 'aborted' ? aborted : requests;
      const seen = () => list.find((entry) => (entry.body?.model ?? entry.model) === model);
      while (!seen()) await new Promise((resolve) => waiters.push(resolve));
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(seen()));
    }

    // The token endpoint (POST /token) trusts a service account's key from now on, for a test
    // that runs the mock as a child process: { clientEmail, publicKeyPem, audience, expiresIn }.
    if (url.pathname === '/__mock/trust' && req.method === 'POST') {
      trustServiceAccount(JSON.parse(rawBody));
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }

    if (url.pathname === '/__mock/requests') {
      if (req.method === 'DELETE') {
        requests.length = 0;
        aborted.length = 0;
        calls.clear();
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
    wake();
    const exchange = new Exchange(record, res, calls);
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
        wake();
      }
    });

    // The first dialect that knows the method and path answers (dialects/index.mjs).
    for (const dialect of kDialects) {
      const route = dialect.route(req.method, url);
      if (route !== null) {
        record.dialect = dialect.name;
        return dialect.respond(exchange, { route, url, headers: req.headers, body });
      }
    }
    return exchange.json(404, { error: { message: `mock upstream has no route ${req.method} ${url.pathname}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
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
      calls.clear();
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
    // How many client connections are open (Node closes an idle keep-alive one after 5 s).
    openConnections() {
      return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
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
