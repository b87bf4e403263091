// Raw HTTP/1.1 over node:net for tests that need exact bytes on the wire: oversized headers and
// bodies, several requests on one keep-alive connection, and checks that a port refuses.
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';

// Parses one HTTP/1.1 response at the start of buffer; returns null while it is incomplete.
// closed says the peer has finished sending (a body without length runs to the close).
function parseResponse(buffer, closed) {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const [statusLine, ...headerLines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const [, version, status, statusText] = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine) ?? [];
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let offset = headEnd + 4;
  let body;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', offset);
      if (lineEnd < 0) return null;
      const size = parseInt(buffer.subarray(offset, lineEnd).toString('latin1'), 16);
      if (buffer.length < lineEnd + 2 + size + 2) return null;
      parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (buffer.length < offset + length) return null;
    body = buffer.subarray(offset, offset + length);
    offset += length;
  } else if (Number(status) === 204 || Number(status) === 304) {
    body = Buffer.alloc(0);
  } else {
    if (!closed) return null;
    body = buffer.subarray(offset);
    offset = buffer.length;
  }
  const text = body.toString('utf8');
  return {
    response: {
      version, status: Number(status), statusText, headers, body, text,
      json: () => JSON.parse(text),
    },
    consumed: offset,
  };
}

// One client connection; responses are read in order, so several requests can share it.
export class RawConnection {
  // localAddress: the client's own address (another of 127.0.0.0/8 is another client).
  static async open(port, host = '127.0.0.1', { localAddress } = {}) {
    const socket = net.connect({ port, host, localAddress });
    await once(socket, 'connect');
    return new RawConnection(socket, port);
  }

  // Over TLS; `options` go to tls.connect (ca, minVersion, maxVersion, …).
  static async openTls(port, options = {}) {
    const socket = tls.connect({ port, host: '127.0.0.1', ...options });
    await once(socket, 'secureConnect');
    return new RawConnection(socket, port);
  }

  constructor(socket, port) {
    this.socket = socket;
    this.port = port;
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.wake = () => {};
    socket.on('data', (data) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake();
    });
    socket.on('end', () => { this.closed = true; this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', (error) => { this.error = error; this.closed = true; this.wake(); });
  }

  send(bytes) {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  // Builds an HTTP/1.1 request; a JSON-able body is serialized, and Content-Length is added.
  request(method, path, { headers = {}, body } = {}) {
    const payload = body === undefined ? null
      : Buffer.isBuffer(body) || typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
    const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${this.port}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (payload) lines.push(`Content-Length: ${payload.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    return this.send(payload ? Buffer.concat([head, payload]) : head);
  }

  // Waits until cond() returns something other than undefined, or the deadline passes.
  async waitFor(cond, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = cond();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw connection: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  readResponse({ timeoutMs = 5000 } = {}) {
    return this.waitFor(() => {
      const parsed = parseResponse(this.buffer, this.closed);
      if (parsed) {
        this.buffer = this.buffer.subarray(parsed.consumed);
        return parsed.response;
      }
      if (this.closed) {
        throw new Error(`connection closed before a full response (${this.buffer.length} bytes: ${
          JSON.stringify(this.buffer.toString('latin1').slice(0, 200))})${this.error ? `: ${this.error.message}` : ''}`);
      }
      return undefined;
    }, timeoutMs, 'a response');
  }

  // True if the peer closed the connection within timeoutMs.
  async closedWithin(timeoutMs) {
    try {
      await this.waitFor(() => (this.closed ? true : undefined), timeoutMs, 'close');
      return true;
    } catch {
      return false;
    }
  }

  close() {
    this.socket.destroy();
  }
}

// Sends exact bytes on a new connection and returns the first response.
export async function rawExchange(port, bytes, options) {
  const connection = await RawConnection.open(port);
  try {
    await connection.send(bytes).catch(() => {
      // The server may close mid-upload (e.g. a 413 before the body is read); its answer counts.
    });
    return await connection.readResponse(options);
  } finally {
    connection.close();
  }
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

// A loopback port with nothing listening on it (bound, then released).
export async function closedPort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}
