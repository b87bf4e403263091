// The router under injected faults: each test runs a fresh gateway (so cooldowns start clean)
// against the scripted mock upstream, and asserts the exact sequence of upstream attempts and
// what the client got. Upstream names are "<behaviour>@<tag>": the tag tells deployments apart.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { kMasterKey, kUpstreamKey, metricValue, postJson, kHello } from '../support/stack.mjs';
import { eventually, expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';

let mock;
let gateway;
before(async () => { mock = await startMockUpstream(); });
after(() => mock?.close());
beforeEach(() => mock.reset());

async function withGateway({ models, router_settings, litellm_settings, general_settings }, body) {
  gateway = await startGateway({
    config: {
      model_list: models,
      router_settings,
      litellm_settings,
      general_settings: { master_key: kMasterKey, ...general_settings },
    },
  });
  try {
    await body();
  } finally {
    const exit = await gateway.stop();
    assert.equal(exit.code, 0, `gateway exited with ${JSON.stringify(exit)}:\n${gateway.stderr()}`);
  }
}

function deployment(group, upstream, params = {}, modelInfo = {}) {
  return {
    model_name: group,
    litellm_params: { model: `openai/${upstream}`, api_base: `${mock.url}/v1`, api_key: kUpstreamKey, ...params },
    model_info: { id: upstream, ...modelInfo },
  };
}

const chat = (model, extra = {}, headers = {}) =>
  postJson(gateway.url, '/v1/chat/completions', { model, messages: kHello, ...extra }, { headers });
const attempts = () => mock.requests.map((request) => request.body.model);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('retries go to another deployment of the group first, without waiting', async () => {
  const models = [deployment('g', 'mock-error-500@a', { order: 1 }), deployment('g', 'plain@b', { order: 2 })];
  await withGateway({ models, router_settings: { num_retries: 1 } }, async () => {
    const started = Date.now();
    const response = await chat('g');
    assert.equal(response.status, 200);
    assert.equal((await response.json()).model, 'g');
    assert.deepEqual(attempts(), ['mock-error-500@a', 'plain@b']);
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '1');
    assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '0');
    assert.equal(response.headers.get('x-litellm-model-id'), 'plain@b');
    assert.ok(Date.now() - started < 400, `took ${Date.now() - started} ms`);
    // The access log is flushed every 50 ms: wait for the line.
    await eventually(() => gateway.stderr().split('\n')
      .some((line) => line.includes('"type":"access"') && /"deployment":"plain@b".*"retries":1/.test(line)),
    { what: 'the access line of the retried call' });
  });
});

test('retries on the same deployment back off exponentially with jitter', async () => {
  await withGateway({ models: [deployment('g', 'mock-fail-first-2@a')], litellm_settings: { num_retries: 2 } }, async () => {
    const response = await chat('g');
    assert.equal(response.status, 200);
    assert.deepEqual(attempts(), ['mock-fail-first-2@a', 'mock-fail-first-2@a', 'mock-fail-first-2@a']);
    const [first, second, third] = mock.requests.map((request) => request.receivedAt);
    assert.ok(second - first >= 370 && second - first < 700, `first backoff ${second - first} ms (0.5 s, jitter ≤ 25 %)`);
    assert.ok(third - second >= 740 && third - second < 1200, `second backoff ${third - second} ms (1 s, jitter ≤ 25 %)`);
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '2');
  });
});

test('num_retries from the body and from x-litellm-num-retries; 0 means one attempt', async () => {
  await withGateway({ models: [deployment('g', 'mock-fail-first-1@a')], router_settings: { num_retries: 0 } }, async () => {
    await expectError(await chat('g'), 500);
    assert.equal(mock.requests.length, 1);
    mock.reset();
    assert.equal((await chat('g', { num_retries: 1 })).status, 200);
    assert.equal(mock.requests.length, 2);
    mock.reset();
    assert.equal((await chat('g', {}, { 'x-litellm-num-retries': '1' })).status, 200);
    assert.equal(mock.requests.length, 2);
    await expectError(await chat('g', { num_retries: 'many' }), 400, { param: 'num_retries' });
  });
});

test('retry-after from the upstream is honoured before retrying the same deployment', async () => {
  await withGateway({ models: [deployment('g', 'mock-fail-first-1-429-retry-after-1@a')], router_settings: { num_retries: 1 } }, async () => {
    const response = await chat('g');
    assert.equal(response.status, 200);
    const [first, second] = mock.requests.map((request) => request.receivedAt);
    assert.ok(second - first >= 990 && second - first < 1500, `waited ${second - first} ms`);
  });
});

test('a retry that would have to wait past the timeout is not made: the 429 and its retry-after reach the client', async () => {
  const models = [deployment('g', 'mock-error-429-retry-after-7@a', { timeout: 2 })];
  await withGateway({ models, router_settings: { num_retries: 3 } }, async () => {
    const started = Date.now();
    const response = await chat('g');
    await expectError(response, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.equal(mock.requests.length, 1);
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
  });
});

test('400s are not retried; retry_policy can say otherwise per error class', async () => {
  const models = [deployment('g', 'mock-error-400@a'), deployment('limited', 'mock-error-429@b')];
  const router_settings = { num_retries: 2, retry_policy: { BadRequestErrorRetries: 1, RateLimitErrorRetries: 0 } };
  await withGateway({ models, router_settings: { num_retries: 2 } }, async () => {
    await expectError(await chat('g'), 400);
    assert.equal(mock.requests.length, 1);
  });
  mock.reset();
  await withGateway({ models, router_settings }, async () => {
    await expectError(await chat('g'), 400);
    assert.equal(mock.requests.length, 2);
    mock.reset();
    await expectError(await chat('limited'), 429);
    assert.equal(mock.requests.length, 1);
  });
});

test('a 429 cools its deployment for cooldown_time: skipped, then back', async () => {
  const models = [deployment('g', 'mock-error-429@a', { order: 1 }), deployment('g', 'plain@b', { order: 2 })];
  await withGateway({ models, router_settings: { cooldown_time: 1 } }, async () => {
    await expectError(await chat('g'), 429);
    assert.equal((await chat('g')).status, 200);
    assert.equal((await chat('g')).status, 200);
    assert.deepEqual(attempts(), ['mock-error-429@a', 'plain@b', 'plain@b']);
    await sleep(1100);  // what is tested: cooldown_time (1 s) passing
    await expectError(await chat('g'), 429);
    assert.equal(attempts().at(-1), 'mock-error-429@a');
  });
});

test('5xx cool a deployment only past allowed_fails in a minute; disable_cooldowns turns it off', async () => {
  const models = [deployment('g', 'mock-error-500@a', { order: 1 }), deployment('g', 'plain@b', { order: 2 })];
  await withGateway({ models, router_settings: { allowed_fails: 1 } }, async () => {
    await expectError(await chat('g'), 500);
    await expectError(await chat('g'), 500);
    assert.equal((await chat('g')).status, 200);
    assert.deepEqual(attempts(), ['mock-error-500@a', 'mock-error-500@a', 'plain@b']);
  });
  mock.reset();
  await withGateway({ models, router_settings: { allowed_fails: 0, disable_cooldowns: true } }, async () => {
    for (let i = 0; i < 3; ++i) await expectError(await chat('g'), 500);
    assert.equal(mock.requests.length, 3);
  });
});

test('a group whose every deployment is cooling answers 429 "No deployments available" with retry-after', async () => {
  const models = [deployment('g', 'mock-error-429@a'), deployment('g', 'mock-error-429@b')];
  await withGateway({ models, router_settings: { num_retries: 1, cooldown_time: 5 } }, async () => {
    await expectError(await chat('g'), 429);
    assert.deepEqual(new Set(attempts()), new Set(['mock-error-429@a', 'mock-error-429@b']));
    const response = await chat('g');
    await expectError(response, 429, {}, 'cold group');
    assert.equal(mock.requests.length, 2, 'no upstream call while the group is cooling');
    assert.equal(response.headers.get('retry-after'), '5');
  });
});

test('fallbacks: the fallback group serves and the response model names it', async () => {
  const models = [deployment('primary', 'mock-error-500@p'), deployment('backup', 'plain@backup'), deployment('spare', 'plain@spare')];
  await withGateway({ models, router_settings: { fallbacks: [{ primary: ['backup'] }] } }, async () => {
    const response = await chat('primary');
    assert.equal(response.status, 200);
    assert.equal((await response.json()).model, 'backup');
    assert.deepEqual(attempts(), ['mock-error-500@p', 'plain@backup']);
    assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '1');
    assert.equal(response.headers.get('x-litellm-model-group'), 'backup');
    mock.reset();
    // The client's own list replaces the configured one; disable_fallbacks turns both off.
    assert.equal((await (await chat('primary', { fallbacks: ['spare'] })).json()).model, 'spare');
    assert.deepEqual(attempts(), ['mock-error-500@p', 'plain@spare']);
    mock.reset();
    await expectError(await chat('primary', { disable_fallbacks: true }), 500);
    assert.deepEqual(attempts(), ['mock-error-500@p']);
  });
});

test('default_fallbacks and max_fallbacks', async () => {
  const models = [
    deployment('primary', 'mock-error-500@p'), deployment('f1', 'mock-error-503@f1'),
    deployment('f2', 'mock-error-500@f2'), deployment('f3', 'plain@f3'),
  ];
  await withGateway({ models, router_settings: { default_fallbacks: ['f1', 'f2', 'f3'], max_fallbacks: 2 } }, async () => {
    await expectError(await chat('primary'), 500);
    assert.deepEqual(attempts(), ['mock-error-500@p', 'mock-error-503@f1', 'mock-error-500@f2']);
    assert.equal(mock.requests.length, 3);
  });
});

test('context_window_fallbacks and content_policy_fallbacks take their own errors only', async () => {
  const models = [
    deployment('small', 'mock-context-window-exceeded'), deployment('strict', 'mock-content-policy'),
    deployment('big', 'plain@big'), deployment('lenient', 'plain@lenient'), deployment('general', 'plain@general'),
  ];
  const litellm_settings = {
    context_window_fallbacks: [{ small: ['big'] }],
    content_policy_fallbacks: [{ strict: ['lenient'] }],
    fallbacks: [{ small: ['general'] }, { strict: ['general'] }],
  };
  await withGateway({ models, litellm_settings }, async () => {
    assert.equal((await (await chat('small')).json()).model, 'big');
    assert.equal((await (await chat('strict')).json()).model, 'lenient');
    assert.deepEqual(attempts(), ['mock-context-window-exceeded', 'plain@big', 'mock-content-policy', 'plain@lenient']);
  });
  mock.reset();
  await withGateway({ models, litellm_settings: { fallbacks: [{ small: ['general'] }] } }, async () => {
    await expectError(await chat('small'), 400, { code: 'context_length_exceeded' });
    assert.deepEqual(attempts(), ['mock-context-window-exceeded']);
  });
});

test('enable_pre_call_checks skips deployments whose max_input_tokens the prompt exceeds', async () => {
  const longPrompt = [{ role: 'user', content: 'word '.repeat(400) }];  // about 500 tokens
  const models = [
    deployment('g', 'plain@small', { order: 1 }, { max_input_tokens: 100 }),
    deployment('g', 'plain@large', { order: 2 }, { max_input_tokens: 100000 }),
  ];
  await withGateway({ models, router_settings: { enable_pre_call_checks: true } }, async () => {
    assert.equal((await chat('g', { messages: longPrompt })).status, 200);
    assert.equal((await chat('g')).status, 200);
    assert.deepEqual(attempts(), ['plain@large', 'plain@small']);
  });
});

test('timeouts: the deployment timeout is 408, a client timeout is 408 sooner and does not cool', async () => {
  const models = [
    deployment('g', 'mock-slow-first-byte-3000@a', { timeout: 0.5, order: 1 }),
    deployment('g', 'plain@b', { order: 2 }),
  ];
  await withGateway({ models, router_settings: { cooldown_time: 30 } }, async () => {
    let started = Date.now();
    await expectError(await chat('g', { timeout: 0.2 }), 408);
    assert.ok(Date.now() - started < 450, `client timeout took ${Date.now() - started} ms`);
    await expectError(await chat('g', {}, { 'x-litellm-timeout': '0.2' }), 408);
    assert.deepEqual(attempts(), ['mock-slow-first-byte-3000@a', 'mock-slow-first-byte-3000@a'], 'not cooled');
    started = Date.now();
    await expectError(await chat('g'), 408);
    const took = Date.now() - started;
    assert.ok(took >= 450 && took < 900, `deployment timeout took ${took} ms`);
    assert.equal((await chat('g')).status, 200, 'its own timeout cooled it');
    assert.equal(attempts().at(-1), 'plain@b');
  });
});

test('the timeout bounds the whole request, retries included', async () => {
  const models = [deployment('g', 'mock-slow-first-byte-3000@a', { timeout: 0.6 })];
  await withGateway({ models, router_settings: { num_retries: 5 } }, async () => {
    const started = Date.now();
    await expectError(await chat('g'), 408);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });
});

test('garbage from the upstream and a reset before the headers are retried on the next deployment', async () => {
  const models = [
    deployment('g', 'mock-garbage@a', { order: 1 }),
    deployment('g', 'mock-reset-before-headers@b', { order: 2 }),
    deployment('g', 'plain@c', { order: 3 }),
  ];
  await withGateway({ models, router_settings: { num_retries: 2 } }, async () => {
    const response = await chat('g');
    assert.equal(response.status, 200);
    assert.equal((await response.json()).object, 'chat.completion');
    const routerAttempts = attempts().filter((name, i, all) => name !== all[i - 1]);  // see the stream test
    assert.deepEqual(routerAttempts, ['mock-garbage@a', 'mock-reset-before-headers@b', 'plain@c']);
  });
});

test('streams: a failure before the first byte is retried; the client gets one clean stream', async () => {
  const models = [deployment('g', 'mock-error-500@a', { order: 1 }), deployment('g', 'mock-reset-before-headers@b', { order: 2 }), deployment('g', 'plain@c', { order: 3 })];
  await withGateway({ models, router_settings: { num_retries: 2 } }, async () => {
    const response = await chat('g', { stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '2');
    const { done, broken, chunks } = await readSse(response);
    assert.equal(broken, null);
    assert.equal(done, true);
    assert.ok(chunks.every((chunk) => chunk.model === 'g'));
    // A reset on a reused keep-alive connection is resent once by the upstream pool itself (the
    // connection may simply have gone stale), so b can be seen twice in a row: one router attempt.
    const routerAttempts = attempts().filter((name, i, all) => name !== all[i - 1]);
    assert.deepEqual(routerAttempts, ['mock-error-500@a', 'mock-reset-before-headers@b', 'plain@c']);
  });
});

test('streams: never retried once a byte reached the client (cut, or stalled past stream timeout)', async () => {
  const models = [
    deployment('cut', 'mock-stream-cut-after-3@a'), deployment('cut', 'plain@b'),
    deployment('stall', 'mock-stall-after-2@c', { timeout: 0.5 }),
  ];
  await withGateway({ models, router_settings: { num_retries: 3 }, litellm_settings: { fallbacks: [{ stall: ['cut'] }] } }, async () => {
    for (let i = 0; i < 4; ++i) {
      mock.reset();
      const { chunks, done, payloads } = await readSse(await chat('cut', { stream: true }));
      if (attempts()[0] === 'plain@b') continue;  // the shuffle picked the healthy one first
      assert.equal(done, false);
      assert.ok(payloads.at(-1).includes('"error"'), 'the failure ends the stream in band');
      assert.ok(chunks.length >= 3);
      assert.deepEqual(attempts(), ['mock-stream-cut-after-3@a']);
    }
    mock.reset();
    const started = Date.now();
    const { payloads, done } = await readSse(await chat('stall', { stream: true }));
    const took = Date.now() - started;
    assert.equal(done, false);
    assert.ok(payloads.at(-1).includes('"error"'));
    assert.ok(took >= 450 && took < 1200, `stall ended after ${took} ms`);
    assert.deepEqual(attempts(), ['mock-stall-after-2@c'], 'no retry, no fallback');
  });
});

test('stream_timeout bounds the wait for the first chunk', async () => {
  const models = [deployment('g', 'mock-slow-first-byte-2000@a', { stream_timeout: 0.3, timeout: 10 })];
  await withGateway({ models }, async () => {
    let started = Date.now();
    await expectError(await chat('g', { stream: true }), 408);
    assert.ok(Date.now() - started < 700, `took ${Date.now() - started} ms`);
    started = Date.now();
    await expectError(await chat('g', { stream: true }, { 'x-litellm-stream-timeout': '0.1' }), 408);
    assert.ok(Date.now() - started < 450, `took ${Date.now() - started} ms`);
  });
});

test('latency-based-routing sends traffic to the fastest deployment once both are measured', async () => {
  const models = [deployment('g', 'mock-slow-first-byte-150@slow'), deployment('g', 'plain@fast')];
  await withGateway({ models, router_settings: { routing_strategy: 'latency-based-routing' } }, async () => {
    for (let i = 0; i < 2; ++i) assert.equal((await chat('g')).status, 200);
    assert.deepEqual(new Set(attempts()), new Set(['mock-slow-first-byte-150@slow', 'plain@fast']), 'each measured once');
    mock.reset();
    for (let i = 0; i < 10; ++i) assert.equal((await chat('g')).status, 200);
    assert.deepEqual(new Set(attempts()), new Set(['plain@fast']));
  });
});

test('latency-based-routing compares streams by their time to the first chunk', async () => {
  // early: first chunk at once, then 3 × 120 ms; late: first byte after 150 ms, then quick.
  const models = [deployment('g', 'mock-stream-slow-120-3@early'), deployment('g', 'mock-slow-first-byte-150@late')];
  // The gateway reports a call just after the client has its [DONE]; the measurement has landed
  // once the call is no longer in flight, before the next request (on another connection) is routed.
  const streamOnce = async () => {
    assert.equal((await readSse(await chat('g', { stream: true }))).done, true);
    await eventually(async () => await metricValue(gateway.url, 'llmux_in_flight_requests') === 0,
      { what: 'the stream reported' });
  };
  await withGateway({ models, router_settings: { routing_strategy: 'latency-based-routing' } }, async () => {
    for (let i = 0; i < 2; ++i) await streamOnce();
    assert.equal(new Set(attempts()).size, 2, `each measured once: ${attempts()}`);
    mock.reset();
    for (let i = 0; i < 5; ++i) await streamOnce();
    assert.deepEqual(new Set(attempts()), new Set(['mock-stream-slow-120-3@early']));
  });
});

test('least-busy sends a new request to the deployment with fewer calls in flight', async () => {
  const models = [deployment('g', 'mock-slow-first-byte-400@x'), deployment('g', 'mock-slow-first-byte-400@y')];
  await withGateway({ models, router_settings: { routing_strategy: 'least-busy' } }, async () => {
    for (let round = 0; round < 3; ++round) {
      mock.reset();
      const first = chat('g');
      await mock.waitFor(() => mock.requests.length === 1);
      const second = chat('g');
      await mock.waitFor(() => mock.requests.length === 2);
      assert.equal(new Set(attempts()).size, 2, `both went to ${attempts()[0]}`);
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
    }
  });
});

test('usage-based-routing never sends a deployment past its rpm', async () => {
  const models = [deployment('g', 'plain@a', { rpm: 2 }), deployment('g', 'plain@b', { rpm: 3 })];
  await withGateway({ models, router_settings: { routing_strategy: 'usage-based-routing' } }, async () => {
    for (let i = 0; i < 5; ++i) assert.equal((await chat('g')).status, 200);
    const counts = attempts().reduce((acc, name) => ({ ...acc, [name]: (acc[name] ?? 0) + 1 }), {});
    assert.deepEqual(counts, { 'plain@a': 2, 'plain@b': 3 });
    await expectError(await chat('g'), 429);
    assert.equal(mock.requests.length, 5);
  });
});

test('wildcard entries and model_group_alias', async () => {
  const models = [
    { model_name: 'openai/*', litellm_params: { model: 'openai/*', api_base: `${mock.url}/v1`, api_key: kUpstreamKey } },
    deployment('real-name', 'plain@aliased'),
  ];
  await withGateway({ models, router_settings: { model_group_alias: { nickname: 'real-name' } } }, async () => {
    const response = await chat('openai/gpt-anything');
    assert.equal(response.status, 200);
    assert.equal((await response.json()).model, 'openai/gpt-anything');
    assert.equal((await chat('nickname')).status, 200);
    assert.deepEqual(attempts(), ['gpt-anything', 'plain@aliased']);
    await expectError(await chat('anthropic/claude'), 400, { code: 'model_not_found' });
  });
});

test('client-side credentials: refused by default, allowed per deployment (api_base by regex) or globally', async () => {
  const other = await startMockUpstream();
  try {
    const models = [
      deployment('keyed', 'plain@keyed', { configurable_clientside_auth_params: ['api_key'] }),
      deployment('based', 'plain@based', { configurable_clientside_auth_params: [{ api_base: '^http://127\\.0\\.0\\.1:\\d+/v1$' }] }),
      deployment('closed', 'plain@closed'),
    ];
    // The mock upstreams listen on loopback, which a client may reach only when the operator lists it.
    await withGateway({ models, general_settings: { allowed_client_api_base_hosts: ['127.0.0.1'] } }, async () => {
      await expectError(await chat('closed', { api_key: 'sk-client-key' }), 401, { type: 'auth_error', param: 'api_key' });
      await expectError(await chat('closed', { metadata: JSON.stringify({ api_base: other.url }) }), 401, { type: 'auth_error', param: 'api_base' });
      await expectError(await chat('keyed', { api_base: `${other.url}/v1` }), 401, { type: 'auth_error', param: 'api_base' });
      await expectError(await chat('based', { base_url: 'http://attacker.example/v1' }), 401, { type: 'auth_error', param: 'base_url' });
      await expectError(await chat('based', { user_config: { model_list: [] } }), 401, { type: 'auth_error', param: 'user_config' });
      assert.equal(mock.requests.length + other.requests.length, 0, 'nothing refused reached an upstream');

      assert.equal((await chat('keyed', { api_key: 'sk-client-key' })).status, 200);
      assert.equal(mock.requests.at(-1).headers.authorization, 'Bearer sk-client-key');
      // Sent where the client says, but never with the deployment's key: without a key of the
      // client's own, the mock answers its 401.
      await expectError(await chat('based', { api_base: `${other.url}/v1` }), 401);
      assert.equal(other.requests.length, 1);
      assert.equal(other.requests[0].headers.authorization, undefined);
      // The next request without them uses the operator's own again.
      assert.equal((await chat('keyed')).status, 200);
      assert.equal(mock.requests.at(-1).headers.authorization, `Bearer ${kUpstreamKey}`);
    });
  } finally {
    await other.close();
  }
});

test('user_config: a router of the request\'s own, with its model_list, num_retries and fallbacks', async () => {
  const other = await startMockUpstream();
  try {
    const userConfig = {
      model_list: [
        { model_name: 'mine', litellm_params: { model: 'openai/mock-fail-first-1@u', api_base: `${other.url}/v1`, api_key: 'sk-user-key' } },
        { model_name: 'mine-broken', litellm_params: { model: 'openai/mock-error-500@u2', api_base: `${other.url}/v1`, api_key: 'sk-user-key' } },
      ],
      num_retries: 1,
      fallbacks: [{ 'mine-broken': ['mine'] }],
    };
    gateway = await startGateway({
      config: {
        model_list: [deployment('g', 'plain@operator')],
        general_settings: { master_key: kMasterKey, allow_client_side_credentials: true, allowed_client_api_base_hosts: ['127.0.0.1'] },
      },
    });
    try {
      const response = await chat('mine', { user_config: userConfig });
      assert.equal(response.status, 200);
      assert.equal((await response.json()).model, 'mine');
      assert.deepEqual(other.requests.map((r) => r.body.model), ['mock-fail-first-1@u', 'mock-fail-first-1@u']);
      assert.ok(other.requests.every((r) => r.headers.authorization === 'Bearer sk-user-key'));
      other.reset();  // also restarts the fail-first counter: the fallback group uses its retry too
      assert.equal((await (await chat('mine-broken', { user_config: userConfig })).json()).model, 'mine');
      assert.deepEqual(other.requests.map((r) => r.body.model),
        ['mock-error-500@u2', 'mock-error-500@u2', 'mock-fail-first-1@u', 'mock-fail-first-1@u']);
      // Its models are its own: the operator's are not reachable through it, nor its through the operator's.
      await expectError(await chat('g', { user_config: userConfig }), 400, { code: 'model_not_found' });
      await expectError(await chat('mine'), 400, { code: 'model_not_found' });
      await expectError(await chat('mine', { user_config: { model_list: [{ model_name: 'mine', litellm_params: { model: 'openai/x', api_key: 'os.environ/PATH' } }] } }), 400, { param: 'user_config' });
      await expectError(await chat('mine', { user_config: { model_list: [{ model_name: 'mine', litellm_params: { timeout: 'soon' } }] } }), 400, { param: 'user_config' });
      assert.equal(mock.requests.length, 0);
    } finally {
      const exit = await gateway.stop();
      assert.equal(exit.code, 0, gateway.stderr());
    }
  } finally {
    await other.close();
  }
});
