// Logging callbacks: LiteLLM's generic_api webhook and Langfuse's ingestion API, each against a
// recorder of its wire format; a destination that is down or fails costs the requests nothing,
// is retried and counted; what is queued is delivered on SIGTERM; redact_user_api_key_info
// leaves the caller's key, team and user out of every destination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { startStack, metricValue, postJson, kHello, kMasterKey, kUpstreamKey } from '../support/stack.mjs';
import { metricReaches } from '../support/assertions.mjs';
import { startRecorder } from '../support/recorder.mjs';
import { closedPort } from '../support/network.mjs';
import { startOtlpCollector } from '../support/otlp_collector.mjs';
import { kEngines, admin, generateKey } from '../support/store.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const kLangfusePublic = 'pk-lf-test-public';
const kLangfuseSecret = 'sk-lf-test-secret-Q7w';
const kSinkToken = 'Bearer sink-token-R4t';

function langfuseEnv(recorder) {
  return { LANGFUSE_HOST: recorder.url, LANGFUSE_PUBLIC_KEY: kLangfusePublic, LANGFUSE_SECRET_KEY: kLangfuseSecret };
}

function genericSink(endpoint) {
  return { my_sink: { callback_type: 'generic_api', endpoint, headers: { Authorization: kSinkToken } } };
}

// Every payload the generic recorder received, by id.
function genericPayloads(recorder) {
  return new Map(recorder.requests.filter((r) => r.status === 200)
    .flatMap((r) => JSON.parse(r.body)).map((payload) => [payload.id, payload]));
}

function langfuseEvents(recorder) {
  return recorder.requests.filter((r) => r.status < 300).flatMap((r) => JSON.parse(r.body).batch);
}

test('generic_api and langfuse receive each call\'s payload in their wire format', async () => {
  const generic = await startRecorder();
  const langfuse = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const stack = await startStack({
    litellmSettings: {
      success_callback: ['langfuse'], failure_callback: ['langfuse'], callbacks: ['prometheus', 'my_sink'],
    },
    extraConfig: { callback_settings: genericSink(`${generic.url}/ingest`) },
    env: langfuseEnv(langfuse),
  });
  try {
    const metadata = { generation_name: 'triage', trace_id: 'trace-42', session_id: 'session-7', tags: ['prod', 'beta'] };
    const ok = await postJson(stack.url, '/v1/chat/completions',
      { model: 'gpt-test', messages: kHello, temperature: 0.25, user: 'customer-9', metadata });
    assert.equal(ok.status, 200);
    const okId = ok.headers.get('x-litellm-call-id');
    const okBody = await ok.json();
    const failed = await postJson(stack.url, '/v1/chat/completions', { model: 'broken', messages: kHello });
    assert.equal(failed.status, 500);
    const failedId = failed.headers.get('x-litellm-call-id');
    await failed.text();

    await generic.until(() => genericPayloads(generic).has(okId) && genericPayloads(generic).has(failedId));
    await langfuse.until(() => langfuseEvents(langfuse).filter((e) => e.type === 'generation-create').length >= 2);

    const request = generic.requests[0];
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/ingest');
    assert.equal(request.headers.authorization, kSinkToken);
    assert.match(request.headers['content-type'], /^application\/json/);
    const payloads = genericPayloads(generic);
    const success = payloads.get(okId);
    assert.equal(success.status, 'success');
    assert.equal(success.litellm_call_id, okId);
    assert.equal(success.call_type, 'acompletion');
    assert.equal(success.model_group, 'gpt-test');
    assert.equal(success.model, 'gpt-4o-upstream');
    assert.equal(success.model_id, 'deployment-gpt-test');
    assert.equal(success.custom_llm_provider, 'openai');
    assert.equal(success.trace_id, 'session-7');  // LiteLLM: metadata.session_id before trace_id
    assert.equal(success.prompt_tokens, okBody.usage.prompt_tokens);
    assert.equal(success.completion_tokens, okBody.usage.completion_tokens);
    assert.equal(success.total_tokens, okBody.usage.prompt_tokens + okBody.usage.completion_tokens);
    assert.ok(success.startTime <= success.endTime && success.endTime <= Date.now() / 1000 + 1);
    assert.equal(success.end_user, 'customer-9');
    assert.deepEqual(success.request_tags, ['prod', 'beta']);
    assert.deepEqual(success.messages, kHello);
    assert.equal(success.response.id, okBody.id);
    assert.deepEqual(success.model_parameters, { temperature: 0.25, user: 'customer-9' });
    assert.equal(success.metadata.user_api_key_hash, sha256(kMasterKey));
    assert.deepEqual(success.metadata.requester_metadata, metadata);
    assert.equal(success.error_information, null);
    assert.equal(success.hidden_params.litellm_model_name, 'openai/gpt-4o-upstream');
    const failure = payloads.get(failedId);
    assert.equal(failure.status, 'failure');
    assert.equal(failure.model_group, 'broken');
    assert.equal(failure.response_cost, 0);
    assert.equal(failure.error_information.error_code, '500');
    assert.equal(failure.error_information.error_class, 'InternalServerError');
    assert.equal(failure.error_information.llm_provider, 'openai');
    assert.ok(failure.error_str.length > 0);

    const ingestion = langfuse.requests[0];
    assert.equal(ingestion.path, '/api/public/ingestion');
    assert.equal(ingestion.headers.authorization,
      `Basic ${Buffer.from(`${kLangfusePublic}:${kLangfuseSecret}`).toString('base64')}`);
    const events = langfuseEvents(langfuse);
    for (const event of events) {
      assert.match(event.id, /^[0-9a-f-]{36}$/);
      assert.match(event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const trace = events.find((e) => e.type === 'trace-create' && e.body.id === 'trace-42').body;
    assert.equal(trace.sessionId, 'session-7');
    assert.equal(trace.userId, 'customer-9');
    assert.equal(trace.name, 'litellm-acompletion');
    assert.deepEqual(trace.tags, ['prod', 'beta']);
    const generation = events.find((e) => e.type === 'generation-create' && e.body.traceId === 'trace-42').body;
    assert.equal(generation.name, 'triage');
    assert.equal(generation.model, 'gpt-4o-upstream');
    assert.deepEqual(generation.input, { messages: kHello });
    assert.equal(generation.output.role, 'assistant');
    assert.deepEqual(generation.usage, {
      input: okBody.usage.prompt_tokens, output: okBody.usage.completion_tokens,
      total: okBody.usage.prompt_tokens + okBody.usage.completion_tokens, unit: 'TOKENS', totalCost: 0,
    });
    assert.deepEqual(generation.modelParameters, { temperature: 0.25, user: 'customer-9' });
    assert.equal(generation.level, 'DEFAULT');
    assert.match(generation.id, new RegExp(`^time-\\d\\d-\\d\\d-\\d\\d-\\d{6}_${okId}$`));
    const failedGeneration = events.find((e) => e.type === 'generation-create' && e.body.traceId === failedId).body;
    assert.equal(failedGeneration.level, 'ERROR');
    assert.equal(failedGeneration.statusMessage, failure.error_str);

    // Neither destination sees a key.
    for (const { body } of [...generic.requests, ...langfuse.requests]) {
      assert.equal(body.includes(kMasterKey), false);
      assert.equal(body.includes(kUpstreamKey), false);
      assert.equal(body.includes(kLangfuseSecret), false);
    }
    await metricReaches(stack.url, 'llmux_callback_payloads_delivered_total{callback_name="my_sink"}', 2);
    assert.equal(await metricValue(stack.url, 'litellm_callback_logging_failures_metric_total{callback_name="langfuse"}'), 0);
  } finally {
    await stack.stop();
    await generic.close();
    await langfuse.close();
  }
});

test('a destination that is down or fails costs the requests nothing: retried, then counted', async () => {
  const flaky = await startRecorder({ statuses: [500, 207], body: {} });
  const stack = await startStack({
    litellmSettings: { success_callback: ['langfuse'], callbacks: ['my_sink'] },
    extraConfig: { callback_settings: genericSink(`http://127.0.0.1:${await closedPort()}/ingest`) },
    env: langfuseEnv(flaky),
  });
  try {
    for (let i = 0; i < 3; ++i) {
      const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
      assert.equal(response.status, 200);
      await response.json();
    }
    // Langfuse answered 500 once: the same batch came again and was taken.
    const generations = () => langfuseEvents(flaky).filter((e) => e.type === 'generation-create').length;
    await flaky.until(() => generations() === 3);
    assert.equal(flaky.requests[0].status, 500);
    assert.equal(flaky.requests[1].body, flaky.requests[0].body);
    // The sink is down: after its attempts, its payloads are counted as failed.
    const failures = 'litellm_callback_logging_failures_metric_total{callback_name="my_sink"}';
    await metricReaches(stack.url, failures, 3);
    assert.match(stack.gateway.stderr(), /callback my_sink: \d+ payloads not delivered/);
    await metricReaches(stack.url, 'llmux_callback_payloads_delivered_total{callback_name="langfuse"}', 3);
  } finally {
    await stack.stop();
    await flaky.close();
  }
});

test('payloads still queued are delivered on SIGTERM', async () => {
  const generic = await startRecorder();
  const stack = await startStack({
    litellmSettings: { callbacks: ['my_sink'] },
    generalSettings: { callback_flush_interval_s: 600 },
    extraConfig: { callback_settings: genericSink(`${generic.url}/ingest`) },
  });
  let stopped = false;
  try {
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello });
    const id = response.headers.get('x-litellm-call-id');
    await response.json();
    assert.equal(generic.requests.length, 0);  // the next flush is ten minutes away
    await stack.stop();
    stopped = true;
    assert.deepEqual([...genericPayloads(generic).keys()], [id]);
  } finally {
    if (!stopped) await stack.stop();
    await generic.close();
  }
});

test('redact_user_api_key_info leaves the key, its alias, team and user out of generic_api, langfuse and otel', async () => {
  const generic = await startRecorder();
  const langfuse = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const collector = await startOtlpCollector();
  const database = await kEngines[0].open();
  const stack = await startStack({
    dir: database.dir,
    generalSettings: { database_url: database.url },
    litellmSettings: { callbacks: ['my_sink', 'langfuse', 'otel'], redact_user_api_key_info: true },
    extraConfig: { callback_settings: genericSink(`${generic.url}/ingest`) },
    env: { ...langfuseEnv(langfuse), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
  });
  try {
    const team = (await admin(stack.url, 'POST', '/team/new', { team_alias: 'redacted-team' })).body;
    const user = (await admin(stack.url, 'POST', '/user/new', {})).body;
    const key = await generateKey(stack.url, { key_alias: 'redacted-alias', team_id: team.team_id, user_id: user.user_id });
    const response = await postJson(stack.url, '/v1/chat/completions', { model: 'gpt-test', messages: kHello, user: 'customer-3' },
      { auth: { Authorization: `Bearer ${key.key}` } });
    assert.equal(response.status, 200);
    const id = response.headers.get('x-litellm-call-id');
    await response.json();

    await generic.until(() => genericPayloads(generic).has(id));
    await langfuse.until(() => langfuseEvents(langfuse).some((e) => e.type === 'generation-create'));
    await collector.until((c) => c.spans().length === 1);
    const { metadata, end_user: endUser } = genericPayloads(generic).get(id);
    assert.deepEqual(Object.keys(metadata).filter((name) => name.startsWith('user_api_key')), []);
    assert.ok('user_agent' in metadata);
    assert.equal(endUser, 'customer-3');  // LiteLLM redacts the metadata's user_api_key_* only
    const generation = langfuseEvents(langfuse).find((e) => e.type === 'generation-create').body;
    assert.equal(generation.name, 'litellm-acompletion');  // not litellm:<key alias>
    const [span] = collector.spans();
    assert.equal(span.attributes['gen_ai.request.id'], id);
    assert.deepEqual(Object.keys(span.attributes).filter((name) => name.startsWith('metadata.user_api_key')), []);
    const bodies = [...generic.requests, ...langfuse.requests].map((r) => r.body)
      .concat(collector.requests.map((r) => r.bytes.toString()));
    for (const body of bodies) {
      for (const known of [sha256(key.key), key.key, 'redacted-alias', team.team_id, user.user_id]) {
        assert.equal(body.includes(known), false, known);
      }
    }
  } finally {
    await stack.stop();
    await generic.close();
    await langfuse.close();
    await collector.close();
    await database.close();
  }
});
