// LiteLLM's OpenTelemetry callback (`otel`): one span per call, exported over OTLP/HTTP as
// protobuf (LiteLLM's otlp_http) or JSON (http/json) to a collector started by the test
// (tests/support/otlp_collector.mjs, which decodes protobuf with protobufjs and the official
// definitions), configured from the environment as LiteLLM reads it; a call made with a W3C traceparent continues the caller's
// trace. A collector that fails is retried as OTLP asks, a partial success is counted, and one
// that is down costs the requests nothing. The upstream request carries the call's span as its
// traceparent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';

import { startStack, metricValue, postJson, kHello, kMasterKey, kUpstreamKey } from '../support/stack.mjs';
import { metricReaches } from '../support/assertions.mjs';
import { startOtlpCollector } from '../support/otlp_collector.mjs';
import { closedPort } from '../support/network.mjs';
import { kEngines, generateKey } from '../support/store.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const kCallerTrace = '0af7651916cd43dd8448eb211c80319c';
const kCallerSpan = 'b7ad6b7169203331';
const kOtelToken = 'otel-token-K2p9';
const delivered = 'llmux_callback_payloads_delivered_total{callback_name="otel"}';
const failures = 'litellm_callback_logging_failures_metric_total{callback_name="otel"}';

function otelEnv(endpoint, extra = {}) {
  return { OTEL_EXPORTER: 'otlp_http', OTEL_ENDPOINT: endpoint, ...extra };
}

// Nanoseconds since the epoch, as OTLP writes them, of a Date.now() reading.
const nanos = (millis) => BigInt(millis) * 1_000_000n;

// LiteLLM's HTTP exporter names, and the encoding each is sent in.
const kProtocols = [['otlp_http', 'protobuf'], ['http/json', 'json']];

for (const [protocol, encoding] of kProtocols) test(`otel exports one span per call over OTLP/HTTP (${protocol}: ${encoding}), a child of the caller's traceparent`, async () => {
  const collector = await startOtlpCollector();
  const database = await kEngines[0].open();
  const stack = await startStack({
    dir: database.dir,
    generalSettings: { database_url: database.url },
    litellmSettings: { callbacks: ['otel'] },
    env: otelEnv(collector.url, {
      OTEL_EXPORTER: protocol, OTEL_HEADERS: `Authorization=Bearer%20${kOtelToken}`, OTEL_SERVICE_NAME: 'llmux-test',
    }),
  });
  try {
    const key = await generateKey(stack.url, { key_alias: 'ci-key' });
    const before = Date.now();
    const ok = await postJson(stack.url, '/v1/chat/completions',
      { model: 'gpt-test', messages: kHello, temperature: 0.25, max_tokens: 20 },
      { auth: { Authorization: `Bearer ${key.key}` }, headers: { traceparent: `00-${kCallerTrace}-${kCallerSpan}-01` } });
    assert.equal(ok.status, 200);
    const okId = ok.headers.get('x-litellm-call-id');
    const okBody = await ok.json();
    const failed = await postJson(stack.url, '/v1/chat/completions', { model: 'broken', messages: kHello },
      { headers: { traceparent: 'not-a-traceparent' } });
    assert.equal(failed.status, 500);
    const failedId = failed.headers.get('x-litellm-call-id');
    await failed.text();

    await collector.until((c) => c.spans().length === 2);
    // The span ends when the gateway reports the call, which may be after the client read its
    // answer; it surely ends before it was exported. Date.now() truncates to the millisecond.
    const exported = Date.now() + 1;
    for (const request of collector.requests) {
      assert.equal(request.problem, null);
      assert.equal(request.encoding, encoding);
      assert.equal(request.path, '/v1/traces');
      assert.equal(request.headers.authorization, `Bearer ${kOtelToken}`);  // percent-decoded
    }
    const spans = collector.spans();
    const span = spans.find((s) => s.attributes['gen_ai.request.id'] === okId);
    assert.equal(span.traceId, kCallerTrace);
    assert.equal(span.parentSpanId, kCallerSpan);
    assert.equal(span.name, 'litellm_request');
    assert.equal(span.kind, 2);
    assert.deepEqual(span.status, { code: 1 });
    assert.ok(nanos(before) <= BigInt(span.startTimeUnixNano));
    assert.ok(BigInt(span.startTimeUnixNano) <= BigInt(span.endTimeUnixNano));
    assert.ok(BigInt(span.endTimeUnixNano) <= nanos(exported));
    assert.equal(span.scope, 'litellm');
    assert.equal(span.resource['service.name'], 'llmux-test');
    const attributes = span.attributes;
    assert.equal(attributes['gen_ai.request.model'], 'gpt-4o-upstream');
    assert.equal(attributes['gen_ai.system'], 'openai');
    assert.equal(attributes['llm.request.type'], 'acompletion');
    assert.equal(attributes['gen_ai.request.temperature'], 0.25);
    assert.equal(attributes['gen_ai.request.max_tokens'], 20);
    assert.equal(attributes['llm.is_streaming'], 'False');
    assert.equal(attributes['gen_ai.response.id'], okBody.id);
    assert.equal(attributes['gen_ai.usage.prompt_tokens'], okBody.usage.prompt_tokens);
    assert.equal(attributes['gen_ai.usage.completion_tokens'], okBody.usage.completion_tokens);
    assert.equal(attributes['gen_ai.usage.input_tokens'], okBody.usage.prompt_tokens);
    assert.equal(attributes['gen_ai.usage.output_tokens'], okBody.usage.completion_tokens);
    assert.equal(attributes['llm.usage.total_tokens'], okBody.usage.total_tokens);
    assert.equal(typeof attributes['gen_ai.cost.total_cost'], 'number');
    assert.equal(attributes['metadata.user_api_key_alias'], 'ci-key');
    assert.equal(attributes['metadata.user_api_key_hash'], sha256(key.key));
    assert.deepEqual(JSON.parse(attributes['gen_ai.input.messages']),
      [{ role: 'user', parts: [{ type: 'text', content: kHello[0].content }] }]);
    assert.equal(JSON.parse(attributes['gen_ai.output.messages'])[0].parts[0].content,
      okBody.choices[0].message.content);

    const failure = spans.find((s) => s.attributes['gen_ai.request.id'] === failedId);
    assert.equal(failure.parentSpanId, undefined);  // an invalid traceparent starts a new trace
    assert.notEqual(failure.traceId, kCallerTrace);
    assert.equal(failure.status.code, 2);
    assert.equal(failure.attributes['error.code'], '500');
    assert.equal(failure.attributes['error.type'], 'InternalServerError');
    assert.equal(failure.attributes['metadata.user_api_key_hash'], sha256(kMasterKey));

    // No key, and not the collector's own token, in what the collector received.
    for (const { bytes } of collector.requests) {
      for (const secret of [kMasterKey, kUpstreamKey, key.key, kOtelToken]) assert.equal(bytes.includes(secret), false);
    }
    await metricReaches(stack.url, delivered, 2);
    assert.equal(await metricValue(stack.url, failures), 0);
  } finally {
    await stack.stop();
    await collector.close();
    await database.close();
  }
});

test('the upstream request carries a traceparent naming the exported span as its parent, in the caller\'s trace or the call\'s own', async () => {
  const collector = await startOtlpCollector();
  const stack = await startStack({
    litellmSettings: { callbacks: ['otel'] }, env: otelEnv(collector.url, { OTEL_EXPORTER: 'http/json' }),
  });
  try {
    const calls = [
      { headers: { traceparent: `00-${kCallerTrace}-${kCallerSpan}-00` }, stream: false },
      { headers: {}, stream: true },
    ];
    const ids = [];
    for (const [i, { headers, stream }] of calls.entries()) {
      const response = await postJson(stack.url, '/v1/chat/completions',
        { model: 'gpt-test', messages: [{ role: 'user', content: `call ${i}` }], stream }, { headers });
      assert.equal(response.status, 200);
      await response.text();
      ids.push(response.headers.get('x-litellm-call-id'));
    }
    await collector.until((c) => c.spans().length === 2);
    const spans = ids.map((id) => collector.spans().find((s) => s.attributes['gen_ai.request.id'] === id));
    const upstream = calls.map((_, i) => stack.mock.requests.find((r) => r.body.messages[0].content === `call ${i}`));
    for (const [i, span] of spans.entries()) {
      const header = upstream[i].headers.traceparent;
      assert.match(header, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const [, traceId, parentId] = header.split('-');
      assert.equal(traceId, span.traceId);
      assert.equal(parentId, span.spanId);
    }
    assert.equal(spans[0].traceId, kCallerTrace);
    assert.equal(spans[0].parentSpanId, kCallerSpan);
    assert.notEqual(spans[1].traceId, kCallerTrace);
    assert.equal(spans[1].parentSpanId, undefined);
  } finally {
    await stack.stop();
    await collector.close();
  }
});

test('with turn_off_message_logging the spans carry no prompt or completion', async () => {
  const collector = await startOtlpCollector();
  const stack = await startStack({
    litellmSettings: { success_callback: ['otel'], turn_off_message_logging: true },
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
  });
  try {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    const body = await response.json();
    await collector.until((c) => c.spans().length === 1);
    const [span] = collector.spans();
    assert.equal(span.attributes['gen_ai.usage.prompt_tokens'], body.usage.prompt_tokens);
    assert.equal(span.attributes['gen_ai.input.messages'], undefined);
    assert.equal(span.attributes['gen_ai.output.messages'], undefined);
    assert.equal(collector.requests[0].body.includes(kHello[0].content), false);
    assert.equal(collector.requests[0].body.includes(body.choices[0].message.content), false);
  } finally {
    await stack.stop();
    await collector.close();
  }
});

for (const [protocol, encoding] of kProtocols) test(`a collector answering 503 is retried with the same body; a partial success is counted as failed (${encoding})`, async () => {
  const collector = await startOtlpCollector({ plan: [503, 'ok', 'partial'] });
  const stack = await startStack({
    litellmSettings: { callbacks: ['otel'] }, env: otelEnv(collector.url, { OTEL_EXPORTER: protocol }),
  });
  try {
    const first = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    assert.equal(first.status, 200);
    await first.json();
    await collector.until((c) => c.requests.length === 2);
    assert.equal(collector.requests[0].status, 503);
    assert.equal(collector.requests[1].encoding, encoding);
    assert.ok(collector.requests[1].bytes.equals(collector.requests[0].bytes));
    await metricReaches(stack.url, delivered, 1);

    const second = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    assert.equal(second.status, 200);
    await second.json();
    await collector.until((c) => c.requests.length === 3);
    assert.equal(collector.requests[2].answer, 'partial');
    await metricReaches(stack.url, failures, 1);
    assert.equal(await metricValue(stack.url, delivered), 1);
    assert.match(stack.gateway.stderr(), /callback otel: 1 spans rejected by the collector: spans too old/);
  } finally {
    await stack.stop();
    await collector.close();
  }
});

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is, over the generic endpoint', async () => {
  const collector = await startOtlpCollector({ path: '/custom/traces' });
  const stack = await startStack({
    litellmSettings: { callbacks: ['otel'] },
    env: {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    },
  });
  try {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    assert.equal(response.status, 200);
    await response.json();
    await collector.until((c) => c.spans().length === 1);
    assert.equal(collector.requests[0].problem, null);
    assert.equal(collector.requests[0].path, '/custom/traces');
  } finally {
    await stack.stop();
    await collector.close();
  }
});

test('a collector\'s Retry-After is waited before the retry', async () => {
  const collector = await startOtlpCollector({ plan: [{ status: 503, retryAfter: 2 }, 'ok'] });
  const stack = await startStack({ litellmSettings: { callbacks: ['otel'] }, env: otelEnv(collector.url) });
  try {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    assert.equal(response.status, 200);
    await response.json();
    await collector.until((c) => c.spans().length === 1);
    const [refused, accepted] = collector.requests;
    assert.equal(refused.status, 503);
    assert.equal(accepted.problem, null);
    // The backoff alone would retry after 250 ms.
    assert.ok(accepted.at - refused.at >= 2000, `retried after ${accepted.at - refused.at} ms`);
    await metricReaches(stack.url, delivered, 1);
  } finally {
    await stack.stop();
    await collector.close();
  }
});

test('OTEL_EXPORTER_OTLP_TIMEOUT bounds each POST to a collector that never answers', async () => {
  const connections = [];
  const silent = createServer((socket) => {  // reads the request, never answers
    connections.push(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const stack = await startStack({
    litellmSettings: { callbacks: ['otel'] },
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silent.address().port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '300' },
  });
  try {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    assert.equal(response.status, 200);
    await response.json();
    // Three attempts of 300 ms each, not of the default 10 s.
    await metricReaches(stack.url, failures, 1);
    assert.equal(connections.length, 3);
    assert.match(stack.gateway.stderr(), /callback otel: 1 payloads not delivered/);
  } finally {
    await stack.stop();
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a collector that is down costs the requests nothing: its spans are counted as failed', async () => {
  const stack = await startStack({
    litellmSettings: { callbacks: ['otel'] },
    env: otelEnv(`http://127.0.0.1:${await closedPort()}`),
  });
  try {
    for (let i = 0; i < 3; ++i) {
      const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
      assert.equal(response.status, 200);
      await response.json();
    }
    await metricReaches(stack.url, failures, 3);
    assert.match(stack.gateway.stderr(), /callback otel: \d+ payloads not delivered/);
  } finally {
    await stack.stop();
  }
});

test('OTLP over gRPC is refused at startup with a clear problem', async () => {
  let stack;
  try {
    stack = await startStack({
      litellmSettings: { callbacks: ['otel'] },
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    });
  } catch (error) {
    assert.match(error.message,
      /callback "otel": the OTLP exporter "grpc" is not supported; llmux exports OTLP over HTTP \(OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf or http\/json\)/);
    return;
  }
  await stack.stop();
  assert.fail('llmux started with OTEL_EXPORTER_OTLP_PROTOCOL=grpc');
});

test('langfuse_otel posts the otel spans to Langfuse\'s OTLP endpoint with Basic auth and Langfuse\'s attributes', async () => {
  const collector = await startOtlpCollector({ path: '/api/public/otel/v1/traces' });
  const kPublic = 'pk-lf-otel-public';
  const kSecret = 'sk-lf-otel-secret-W6n';
  const stack = await startStack({
    litellmSettings: { callbacks: ['langfuse_otel'] },
    env: {
      LANGFUSE_OTEL_HOST: `${collector.url}/`, LANGFUSE_HOST: `http://127.0.0.1:${await closedPort()}`,
      LANGFUSE_PUBLIC_KEY: kPublic, LANGFUSE_SECRET_KEY: kSecret, LANGFUSE_TRACING_ENVIRONMENT: 'staging',
    },
  });
  try {
    const metadata = {
      generation_name: 'triage', trace_id: 'trace-4-2', session_id: 'session-7', trace_user_id: 'user-9',
      tags: ['prod', 'beta'],
    };
    const ok = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello, metadata });
    assert.equal(ok.status, 200);
    const okId = ok.headers.get('x-litellm-call-id');
    const okBody = await ok.json();

    await collector.until((c) => c.spans().length === 1);
    const [request] = collector.requests;
    assert.equal(request.problem, null);
    assert.equal(request.encoding, 'protobuf');  // as LiteLLM's exporter sends it
    assert.equal(request.path, '/api/public/otel/v1/traces');  // LANGFUSE_OTEL_HOST wins over LANGFUSE_HOST
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${kPublic}:${kSecret}`).toString('base64')}`);
    assert.equal(request.bytes.includes(kSecret), false);
    const { attributes, name } = collector.spans()[0];
    assert.equal(name, 'triage');
    assert.equal(attributes['gen_ai.request.id'], okId);  // the otel callback's attributes, and Langfuse's:
    assert.equal(attributes['langfuse.generation.name'], 'triage');
    assert.equal(attributes['langfuse.trace.id'], 'trace42');  // without dashes, as Langfuse wants it
    assert.equal(attributes['session.id'], 'session-7');
    assert.equal(attributes['user.id'], 'user-9');
    assert.deepEqual(JSON.parse(attributes['langfuse.trace.tags']), ['prod', 'beta']);
    assert.equal(attributes['langfuse.environment'], 'staging');
    assert.deepEqual(JSON.parse(attributes['langfuse.observation.input']), kHello);
    assert.deepEqual(JSON.parse(attributes['langfuse.observation.output']),
      { role: 'assistant', content: okBody.choices[0].message.content });
    await metricReaches(stack.url, 'llmux_callback_payloads_delivered_total{callback_name="langfuse_otel"}', 1);
  } finally {
    await stack.stop();
    await collector.close();
  }
});
