// LiteLLM's deployment health checks: GET /health with the master key calls every deployment
// (a minimal call of its mode) and sorts them into healthy and unhealthy endpoints, without
// credentials; ?model= and ?model_id= narrow it; background_health_checks answers the last run
// without calling anything; a probe never holds up the calls the worker serves.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { closedPort } from '../support/network.mjs';
import { kAuth, kMasterKey, kUpstreamKey, kHello, postJson } from '../support/stack.mjs';
import { eventually } from '../support/assertions.mjs';

function deployment(modelName, upstreamModel, apiBase, id, modelInfo = {}) {
  return {
    model_name: modelName,
    litellm_params: { model: `openai/${upstreamModel}`, api_base: apiBase, api_key: kUpstreamKey },
    model_info: { id, ...modelInfo },
  };
}

function configFor(mockUrl, deadBase, generalSettings = {}) {
  const base = `${mockUrl}/v1`;
  return {
    model_list: [
      deployment('healthy', 'gpt-4o-upstream@probe', base, 'dep-healthy'),
      deployment('failing', 'mock-error-500', base, 'dep-failing'),
      deployment('embedder', 'text-embedding-mock', base, 'dep-embedder', { mode: 'embedding' }),
      deployment('unreachable', 'gpt-4o-upstream', deadBase, 'dep-unreachable'),
      deployment('slow', 'mock-slow-first-byte-3000', base, 'dep-slow', { health_check_timeout: 2 }),
      deployment('openai/*', '*', base, 'dep-wildcard', { health_check_model: 'openai/gpt-4o-upstream@wild' }),
    ],
    general_settings: { master_key: kMasterKey, ...generalSettings },
  };
}

const kHealthyIds = ['dep-embedder', 'dep-healthy', 'dep-wildcard'];
const kUnhealthyIds = ['dep-failing', 'dep-slow', 'dep-unreachable'];

const ids = (endpoints) => endpoints.map((endpoint) => endpoint.model_id).sort();

async function health(url, query = '', headers = kAuth) {
  const response = await fetch(`${url}/health${query}`, { headers });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

async function upstreamRequests(mock) {
  return (await (await fetch(`${mock.url}/__mock/requests`)).json()).requests;
}

describe('GET /health probing on demand', () => {
  let mock;
  let gateway;
  before(async () => {
    mock = await startMockUpstream();
    gateway = await startGateway({ config: configFor(mock.url, `http://127.0.0.1:${await closedPort()}/v1`) });
  });
  after(async () => {
    await gateway?.stop();
    await mock?.close();
  });

  test('with the master key every deployment is called and sorted by its answer', async () => {
    await fetch(`${mock.url}/__mock/requests`, { method: 'DELETE' });
    const { status, text, body } = await health(gateway.url);
    assert.equal(status, 200, text);
    assert.deepEqual(ids(body.healthy_endpoints), kHealthyIds);
    assert.deepEqual(ids(body.unhealthy_endpoints), kUnhealthyIds);
    assert.equal(body.healthy_count, 3);
    assert.equal(body.unhealthy_count, 3);

    const byId = Object.fromEntries([...body.healthy_endpoints, ...body.unhealthy_endpoints]
      .map((endpoint) => [endpoint.model_id, endpoint]));
    assert.equal(byId['dep-healthy'].model, 'openai/gpt-4o-upstream@probe');
    assert.equal(byId['dep-healthy'].api_base, `${mock.url}/v1`);
    assert.equal(byId['dep-healthy'].error, undefined);
    assert.equal(byId['dep-failing'].exception_status, 500);
    assert.match(byId['dep-failing'].error, /\S/);
    assert.equal(byId['dep-slow'].exception_status, 408);
    assert.equal(byId['dep-unreachable'].exception_status, 502, byId['dep-unreachable'].error);

    // The calls as LiteLLM makes them: a chat with max_tokens, an embedding for mode: embedding,
    // the wildcard as its health_check_model.
    const calls = await upstreamRequests(mock);
    const byModel = Object.fromEntries(calls.map((call) => [call.body?.model, call]));
    assert.equal(byModel['gpt-4o-upstream@probe'].path, '/v1/chat/completions');
    assert.equal(byModel['gpt-4o-upstream@probe'].body.max_tokens, 16);
    assert.equal(byModel['gpt-4o-upstream@probe'].body.messages.length, 1);
    assert.equal(byModel['text-embedding-mock'].path, '/v1/embeddings');
    assert.deepEqual(byModel['text-embedding-mock'].body.input, ['test from litellm']);
    assert.equal(byModel['gpt-4o-upstream@wild'].path, '/v1/chat/completions');
    assert.equal(byModel['mock-error-500'].headers.authorization, `Bearer ${kUpstreamKey}`);

    assert.equal(text.includes(kUpstreamKey), false);
    assert.equal(text.includes(kMasterKey), false);

    // Each verdict is its deployment's last outcome: litellm_deployment_state 1 when it failed.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    for (const [id, state] of [['dep-healthy', 0], ['dep-failing', 1], ['dep-unreachable', 1], ['dep-embedder', 0]]) {
      const line = metrics.split('\n').find((l) => l.startsWith('litellm_deployment_state{') && l.includes(`model_id="${id}"`));
      assert.ok(line, id);
      assert.equal(Number(line.split(' ').at(-1)), state, line);
    }
  });

  test('?model= names a group or a litellm_params.model; ?model_id= one deployment', async () => {
    const group = await health(gateway.url, '?model=failing');
    assert.deepEqual(ids(group.body.unhealthy_endpoints), ['dep-failing']);
    assert.equal(group.body.healthy_count, 0);

    const upstream = await health(gateway.url, `?model=${encodeURIComponent('openai/text-embedding-mock')}`);
    assert.deepEqual(ids(upstream.body.healthy_endpoints), ['dep-embedder']);
    assert.equal(upstream.body.unhealthy_count, 0);

    const one = await health(gateway.url, '?model_id=dep-healthy');
    assert.deepEqual(ids(one.body.healthy_endpoints), ['dep-healthy']);
    assert.equal(one.body.unhealthy_count, 0);

    const unknown = await health(gateway.url, '?model_id=dep-none');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /dep-none/);

    const nothing = await health(gateway.url, '?model=no-such-model');
    assert.deepEqual(nothing.body, { healthy_endpoints: [], unhealthy_endpoints: [], healthy_count: 0, unhealthy_count: 0 });
  });

  test('without a key it is the gateway\'s own state, calling nothing; a wrong key is a 401', async () => {
    await fetch(`${mock.url}/__mock/requests`, { method: 'DELETE' });
    const own = await health(gateway.url, '', {});
    assert.equal(own.status, 200);
    assert.equal(own.body.status, 'healthy');
    assert.equal(own.body.healthy_endpoints, undefined);
    assert.equal((await upstreamRequests(mock)).length, 0);

    const wrong = await health(gateway.url, '', { Authorization: 'Bearer sk-not-the-master-key' });
    assert.equal(wrong.status, 401);
    assert.equal((await upstreamRequests(mock)).length, 0);
  });

  test('a probe waiting on a slow deployment does not hold up a call on the same worker', async () => {
    const probing = health(gateway.url, '?model=slow');
    let probed = false;
    probing.then(() => { probed = true; });
    const response = await postJson(gateway.url, '/v1/chat/completions', { model: 'healthy', messages: kHello });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal(probed, false, 'the call waited for the probe');
    const { body } = await probing;
    assert.deepEqual(ids(body.unhealthy_endpoints), ['dep-slow']);
  });
});

describe('GET /health with background_health_checks', () => {
  let mock;
  let gateway;
  before(async () => {
    mock = await startMockUpstream();
    gateway = await startGateway({
      config: configFor(mock.url, `http://127.0.0.1:${await closedPort()}/v1`,
        { background_health_checks: true, health_check_interval: 3600 }),
    });
  });
  after(async () => {
    await gateway?.stop();
    await mock?.close();
  });

  test('answers the last background run, calling nothing itself', async () => {
    // The first run starts with the gateway, and says so on stderr when it ends.
    await eventually(() => /background health checks: 3 healthy, 3 unhealthy/.test(gateway.stderr()),
      { timeoutMs: 10_000, what: 'the first background run' });
    const last = await health(gateway.url);
    assert.equal(last.status, 200, last.text);
    assert.deepEqual(ids(last.body.healthy_endpoints), kHealthyIds);
    assert.deepEqual(ids(last.body.unhealthy_endpoints), kUnhealthyIds);

    const before = (await upstreamRequests(mock)).length;
    assert.equal(before, 5, 'one probe per deployment the mock serves');
    const again = await health(gateway.url, '?model=failing');
    assert.equal(again.text, last.text, 'the last run, whatever the query, as LiteLLM answers');
    assert.equal((await upstreamRequests(mock)).length, before);
  });
});
