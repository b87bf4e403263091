// Load under injected faults (issue #5): one of three deployments fails half its requests; of
// 10,000 requests at least 99.9 % must succeed and none may wait past its timeout. Prints the
// figures. Runs in CTest under the label `load` (about 40 s on two cores: two runs of 10,000).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { kMasterKey, kUpstreamKey, kHello } from '../support/stack.mjs';

const kRequests = Number(process.env.LOAD_REQUESTS ?? 10_000);
const kConcurrency = 64;
const kTimeoutS = 5;
const kStreamShare = 0.2;  // every fifth request is streamed

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// With cooldowns the failing deployment is mostly benched; without them every third first
// attempt fails and the retries alone must carry the load.
for (const disableCooldowns of [false, true]) {
test(`${kRequests} requests, one deployment of three failing half its calls (disable_cooldowns: ${disableCooldowns})`, async () => {
  const mock = await startMockUpstream();
  const deployment = (upstream) => ({
    model_name: 'g',
    litellm_params: { model: `openai/${upstream}`, api_base: `${mock.url}/v1`, api_key: kUpstreamKey, timeout: kTimeoutS },
    model_info: { id: upstream },
  });
  const gateway = await startGateway({
    config: {
      model_list: [deployment('mock-flaky-50@bad'), deployment('plain@good1'), deployment('plain@good2')],
      router_settings: { num_retries: 2, disable_cooldowns: disableCooldowns },
      general_settings: { master_key: kMasterKey },
    },
    args: ['--num_workers', '2'],
  });
  const latencies = [];
  const statuses = new Map();
  let retries = 0;
  let pastTimeout = 0;
  let next = 0;
  const started = Date.now();
  try {
    const worker = async () => {
      while (next < kRequests) {
        const index = next++;
        const stream = index % Math.round(1 / kStreamShare) === 0;
        const begun = performance.now();
        let status;
        try {
          const response = await fetch(`${gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${kMasterKey}` },
            body: JSON.stringify({ model: 'g', messages: kHello, stream }),
          });
          const text = await response.text();
          status = response.status;
          // A stream that broke after its head is not a success even with status 200.
          if (stream && status === 200 && !text.includes('data: [DONE]')) status = 'broken-stream';
          retries += Number(response.headers.get('x-litellm-attempted-retries') ?? 0);
        } catch (error) {
          status = `fetch-error: ${error.cause?.code ?? error.message}`;
        }
        const took = performance.now() - begun;
        latencies.push(took);
        if (took > kTimeoutS * 1000) ++pastTimeout;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: kConcurrency }, worker));
  } finally {
    await gateway.stop();
    await mock.close();
  }
  const elapsedS = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const upstream = mock.requests.reduce((counts, r) => ({ ...counts, [r.body.model]: (counts[r.body.model] ?? 0) + 1 }), {});
  const ok = statuses.get(200) ?? 0;
  const figures = {
    requests: kRequests,
    succeeded: ok,
    success_rate: `${((100 * ok) / kRequests).toFixed(3)} %`,
    statuses: Object.fromEntries(statuses),
    retries,
    upstream_calls: upstream,
    past_timeout: pastTimeout,
    latency_ms: { p50: percentile(latencies, 50).toFixed(1), p99: percentile(latencies, 99).toFixed(1), max: latencies.at(-1).toFixed(1) },
    elapsed_s: elapsedS.toFixed(1),
    requests_per_s: Math.round(kRequests / elapsedS),
  };
  console.log(JSON.stringify(figures, null, 2));
  assert.ok(ok / kRequests >= 0.999, `success ${figures.success_rate}`);
  assert.equal(pastTimeout, 0);
  assert.ok((upstream['mock-flaky-50@bad'] ?? 0) > 0, 'the failing deployment was called');
});
}
