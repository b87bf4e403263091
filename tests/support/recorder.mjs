// A loopback HTTP server that records every request (method, path, headers, body) and answers
// with the statuses it is given: the destination of a logging callback or an alert, in tests.
import { createServer } from 'node:http';
import { scaled } from './time_scale.mjs';

// statuses: answered in turn, the last one repeated. body: the answer's JSON. respond, when given,
// decides each answer instead: respond(record, index) returns { status, body } (body: JSON, or a
// Buffer sent as it is with contentType; headers: more headers) and may add to the record (a mock
// of a documented wire format checks the request there). record.body is the request's text,
// record.bytes its bytes, record.at the time (Date.now()) it had arrived whole.
export async function startRecorder({ statuses = [200], body = {}, respond } = {}) {
  const requests = [];
  const waiters = [];
  let answered = 0;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const record = {
        method: request.method, path: request.url, headers: request.headers,
        bytes: Buffer.concat(chunks), at: Date.now(),
      };
      record.body = record.bytes.toString('utf8');
      const index = answered++;
      const answer = respond
        ? respond(record, index)
        : { status: statuses[Math.min(index, statuses.length - 1)], body };
      record.status = answer.status;
      requests.push(record);
      const binary = Buffer.isBuffer(answer.body);
      response.writeHead(answer.status, {
        'content-type': binary ? answer.contentType : 'application/json', ...answer.headers,
      });
      response.end(binary ? answer.body : JSON.stringify(answer.body));
      for (const waiter of [...waiters]) {
        if (waiter.done()) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    // Resolves once done(requests) holds (checked on every request); rejects after timeoutMs.
    until(done, timeoutMs = scaled(10_000)) {
      if (done(requests)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(
          `recorder ${url}: condition not met in ${timeoutMs} ms; got ${requests.length} requests`)), timeoutMs);
        waiters.push({ done: () => done(requests), resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
