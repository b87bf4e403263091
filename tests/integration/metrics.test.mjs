// GET /metrics: Prometheus text with the gateway's own counters, moved by real requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kHello } from '../support/stack.mjs';
import { eventually } from '../support/assertions.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

async function metrics() {
  const response = await fetch(`${stack.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/plain/);
  return response.text();
}

function value(text, series) {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  assert.ok(line, `no series ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

test('requests, streams, tokens and failures are counted', async () => {
  const before = await metrics();
  const ok = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
  const okBody = await ok.json();
  assert.equal(ok.status, 200);
  const failed = await postJson(stack.url, '/v1/chat/completions', { model: 'broken', messages: kHello });
  await failed.text();
  assert.equal(failed.status, 500);
  const stream = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello, stream: true });
  await stream.text();
  // The stream's handler may still be reading the upstream's last bytes for a moment after the
  // client has its whole answer, and counts the call when it ends: wait until none is in flight.
  await eventually(async () => value(await metrics(), 'llmux_in_flight_requests') === 0,
    { what: 'no request in flight' });
  const after = await metrics();

  const ok2xx = 'llmux_requests_total{endpoint="chat_completions",status="2xx"}';
  const failed5xx = 'llmux_requests_total{endpoint="chat_completions",status="5xx"}';
  assert.equal(value(after, ok2xx) - value(before, ok2xx), 2);
  assert.equal(value(after, failed5xx) - value(before, failed5xx), 1);
  assert.equal(value(after, 'llmux_streams_total') - value(before, 'llmux_streams_total'), 1);
  const prompt = 'llmux_tokens_total{kind="prompt"}';
  assert.ok(value(after, prompt) - value(before, prompt) >= okBody.usage.prompt_tokens);
});
