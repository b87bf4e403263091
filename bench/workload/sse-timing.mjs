// sse-timing.mjs — the client of the `paced` mode: CONNS keep-alive connections, each POSTing the
// streaming body again as soon as the previous stream ends, for SECONDS. For every stream it
// records when each SSE event arrived, and prints (milliseconds):
//   requests errors ttft_p50 ttft_p99 gap_p50 gap_p99 gap_max total_p50 total_p99
// ttft = request sent -> first event (the mock sends its role chunk at once, so this is what the
// proxy adds); gap = time between consecutive events among the first CHUNKS+1 (the mock spaces
// them INTERVAL_MS apart; a proxy that buffers shows up as gaps near 0 and near 2x).
// The connections start spread over one stream's length: started together, all streams would
// stay in step and every new request would queue behind CONNS others in this client.
// Usage: node sse-timing.mjs URL BODY_FILE CONNS SECONDS CHUNKS INTERVAL_MS [HEADER_LINES]
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [url, bodyFile, connsArg, secondsArg, chunksArg, intervalArg, headerLines = ''] = process.argv.slice(2);
const conns = Number(connsArg);
const deadline = performance.now() + Number(secondsArg) * 1000;
const chunks = Number(chunksArg);
const stagger = (chunks * Number(intervalArg)) / conns;
const body = readFileSync(bodyFile, 'utf8').trim();
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
for (const line of headerLines.split('\n')) {
  const colon = line.indexOf(':');
  if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
}
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });

const ttft = [], gaps = [], totals = [];
let requests = 0, errors = 0;

// One streamed request; resolves with the arrival time of each event, or rejects.
function stream() {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const arrivals = [];
    let tail = '';
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (text) => {
        const now = performance.now();
        // Events end with a blank line; count the ones this piece completes.
        const parts = (tail + text).replace(/\r\n/g, '\n').split('\n\n');
        tail = parts.pop();
        for (let i = 0; i < parts.length; ++i) arrivals.push(now);
      });
      res.on('end', () => resolve({ start, end: performance.now(), arrivals }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function connection(index) {
  await new Promise((r) => setTimeout(r, index * stagger));
  while (performance.now() < deadline) {
    try {
      const { start, end, arrivals } = await stream();
      ++requests;
      // role chunk + CHUNKS content chunks + finish + usage + [DONE]
      if (arrivals.length < chunks + 4) { ++errors; continue; }
      ttft.push(arrivals[0] - start);
      for (let i = 1; i <= chunks; ++i) gaps.push(arrivals[i] - arrivals[i - 1]);
      totals.push(end - start);
    } catch {
      ++requests;
      ++errors;
      await new Promise((r) => setTimeout(r, 10));  // do not spin on a refused connection
    }
  }
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

await Promise.all(Array.from({ length: conns }, (_, index) => connection(index)));
agent.destroy();
const ms = (v) => v.toFixed(3);
console.log(`requests=${requests} errors=${errors} ttft_p50=${ms(percentile(ttft, 0.5))} ` +
  `ttft_p99=${ms(percentile(ttft, 0.99))} gap_p50=${ms(percentile(gaps, 0.5))} ` +
  `gap_p99=${ms(percentile(gaps, 0.99))} gap_max=${ms(percentile(gaps, 1))} ` +
  `total_p50=${ms(percentile(totals, 0.5))} total_p99=${ms(percentile(totals, 0.99))}`);
