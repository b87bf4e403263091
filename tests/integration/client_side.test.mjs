// What a client may choose per request, attacked: where the gateway calls (api_base, base_url,
// user_config), with which credentials, which files a user_config may name, and the knobs that
// must stay bounded (num_retries, timeout) or never be relayed (an upstream redirect).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { kMasterKey, kUpstreamKey, postJson, kHello } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { readSse } from '../support/sse.mjs';

let mock;   // the operator's upstream
let other;  // a server the client points the gateway at
before(async () => {
  mock = await startMockUpstream();
  other = await startMockUpstream();
});
after(async () => {
  await mock?.close();
  await other?.close();
});
beforeEach(() => {
  mock.reset();
  other.reset();
});

const kOrganization = 'org-operator-Q8m2';
const kOperatorHeader = ['X-Operator-Secret', 'hdr-operator-secret-4Tn7'];

function deployment(group, upstream, params = {}) {
  return {
    model_name: group,
    litellm_params: {
      model: `openai/${upstream}`, api_base: `${mock.url}/v1`, api_key: kUpstreamKey, organization: kOrganization,
      extra_headers: { [kOperatorHeader[0]]: kOperatorHeader[1] }, ...params,
    },
    model_info: { id: upstream },
  };
}

async function withGateway({ models = [deployment('g', 'plain@a')], general_settings = {}, router_settings } = {}, body) {
  const gateway = await startGateway({
    config: {
      model_list: models,
      router_settings,
      general_settings: { master_key: kMasterKey, allow_client_side_credentials: true, ...general_settings },
    },
  });
  try {
    await body(gateway);
  } finally {
    const exit = await gateway.stop();
    assert.equal(exit.code, 0, `gateway exited with ${JSON.stringify(exit)}:\n${gateway.stderr()}`);
  }
  return gateway.stderr();
}

const chatOn = (gateway) => (model, extra = {}, headers = {}) =>
  postJson(gateway.url, '/v1/chat/completions', { model, messages: kHello, ...extra }, { headers });

// Every header value the upstream saw, lower-cased names.
function assertNoOperatorCredential(request) {
  const text = JSON.stringify(request.headers);
  assert.ok(!text.includes(kUpstreamKey), `the deployment's key reached the client's server: ${text}`);
  assert.ok(!text.includes(kOrganization), `the deployment's organization reached the client's server: ${text}`);
  assert.ok(!text.includes(kOperatorHeader[1]), `the deployment's extra header reached the client's server: ${text}`);
}

// A TCP listener that only counts connections: proof that nothing was dialled at all.
async function startConnectionCounter() {
  const counter = { connections: 0 };
  const server = createServer((socket) => {
    counter.connections += 1;
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  counter.port = server.address().port;
  counter.close = () => new Promise((resolve) => server.close(resolve));
  return counter;
}

test('a client api_base or base_url is called with the client\'s key or none, never the deployment\'s', async () => {
  await withGateway({ general_settings: { allowed_client_api_base_hosts: ['127.0.0.1'] } }, async (gateway) => {
    const chat = chatOn(gateway);
    // No client key: nothing is sent, and the mock answers its 401 for a missing key.
    await expectError(await chat('g', { api_base: `${other.url}/v1` }), 401);
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined);
    assertNoOperatorCredential(other.requests[0]);

    const keyed = await chat('g', { base_url: `${other.url}/v1`, api_key: 'sk-client-own' });
    assert.equal(keyed.status, 200);
    assert.equal(other.requests[1].headers.authorization, 'Bearer sk-client-own');
    assertNoOperatorCredential(other.requests[1]);

    const streamed = await chat('g', { api_base: `${other.url}/v1`, api_key: 'sk-client-own', stream: true });
    assert.equal(streamed.status, 200);
    await readSse(streamed);
    assertNoOperatorCredential(other.requests[2]);
    assert.equal(mock.requests.length, 0);

    // Without api_base the deployment is itself again, with its own credentials.
    assert.equal((await chat('g')).status, 200);
    assert.equal(mock.requests[0].headers.authorization, `Bearer ${kUpstreamKey}`);
    assert.equal(mock.requests[0].headers['openai-organization'], kOrganization);
  });
});

test('a deployment that allows api_base by pattern is not called with its key either', async () => {
  const models = [deployment('based', 'plain@based', { configurable_clientside_auth_params: [{ api_base: '^http://127\\.0\\.0\\.1:\\d+/v1$' }] })];
  await withGateway({ models, general_settings: { allow_client_side_credentials: false, allowed_client_api_base_hosts: ['127.0.0.1'] } }, async (gateway) => {
    await expectError(await chatOn(gateway)('based', { api_base: `${other.url}/v1` }), 401);
    assert.equal(other.requests.length, 1);
    assertNoOperatorCredential(other.requests[0]);
  });
});

test('client destinations: loopback, private, metadata and their numeric spellings are refused, nothing dialled', async () => {
  const counter = await startConnectionCounter();
  try {
    const port = counter.port;
    const refused = [
      `http://127.0.0.1:${port}/v1`, `http://localhost:${port}/v1`, `http://127.1:${port}/v1`,
      `http://0x7f000001:${port}/v1`, `http://2130706433:${port}/v1`, `http://0177.0.0.1:${port}/v1`,
      `http://0.0.0.0:${port}/v1`, `http://[::1]:${port}/v1`, `http://[::ffff:127.0.0.1]:${port}/v1`,
      `http://[::ffff:7f00:1]:${port}/v1`, `https://127.0.0.1:${port}/v1`, 'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]/latest', 'http://10.0.0.1/v1', 'http://192.168.1.1/v1', 'http://172.16.0.1/v1',
      'http://100.64.0.1/v1', 'http://[fe80::1]/v1', 'http://[fc00::1]/v1', 'http://224.0.0.1/v1',
    ];
    // Two deployments, so that a refusal that cooled the first (the one every attempt picks)
    // would send the next call to the second.
    const models = [deployment('g', 'plain@a', { order: 1 }), deployment('g', 'plain@b', { order: 2 })];
    await withGateway({ models, router_settings: { allowed_fails: 0 } }, async (gateway) => {
      const chat = chatOn(gateway);
      for (const base of refused) {
        for (const field of ['api_base', 'base_url']) {
          const body = await expectError(await chat('g', { [field]: base, timeout: 3 }), 400,
            { param: field, code: 'destination_not_allowed', type: 'invalid_request_error' }, `${field} ${base}`);
          assert.match(body.error.message, /allowed_client_api_base_hosts/);
          assert.ok(!JSON.stringify(body).includes(kUpstreamKey));
        }
      }
      await expectError(await chat('g', { api_base: `http://127.0.0.1:${port}/v1`, stream: true }), 400,
        { param: 'api_base', code: 'destination_not_allowed' });
      // A user_config's model_list is the client's choice of destination too.
      const userConfig = { model_list: [{ model_name: 'mine', litellm_params: { model: 'openai/plain', api_base: `http://127.0.0.1:${port}/v1`, api_key: 'sk-u' } }] };
      await expectError(await chat('mine', { user_config: userConfig }), 400, { param: 'user_config', code: 'destination_not_allowed' });
      assert.equal(counter.connections, 0, 'a refused destination was dialled');
      assert.equal(mock.requests.length + other.requests.length, 0);
      // Nothing cooled: the first deployment still takes the call.
      const response = await chat('g');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-litellm-model-id'), 'plain@a');
      assert.deepEqual(mock.requests.map((request) => request.body.model), ['plain@a']);
      // That call left a kept-alive connection to the operator's loopback upstream: a client
      // naming the same origin does not get it.
      await expectError(await chat('g', { api_base: `${mock.url}/v1`, api_key: 'sk-client-own' }), 400,
        { param: 'api_base', code: 'destination_not_allowed' });
      assert.equal(mock.requests.length, 1);
    });
  } finally {
    await counter.close();
  }
});

test('client destinations the operator lists are allowed: names, addresses, ranges', async () => {
  const port = other.port;
  await withGateway({ general_settings: { allowed_client_api_base_hosts: ['localhost', '127.0.0.1'] } }, async (gateway) => {
    const chat = chatOn(gateway);
    for (const base of [`http://127.0.0.1:${port}/v1`, `http://localhost:${port}/v1`, `http://0x7f000001:${port}/v1`,
      `http://[::ffff:127.0.0.1]:${port}/v1`]) {
      assert.equal((await chat('g', { api_base: base, api_key: 'sk-client-own' })).status, 200, base);
    }
    assert.equal(other.requests.length, 4);
    await expectError(await chat('g', { api_base: `http://127.0.0.2:${port}/v1`, api_key: 'sk-client-own' }), 400,
      { code: 'destination_not_allowed' });
    assert.equal(other.requests.length, 4);
  });
  await withGateway({ general_settings: { allowed_client_api_base_hosts: ['127.0.0.0/8'] } }, async (gateway) => {
    assert.equal((await chatOn(gateway)('g', { api_base: `http://127.0.0.1:${port}/v1`, api_key: 'k' })).status, 200);
  });
  assert.equal(other.requests.length, 5);
});

test('a bad allowed_client_api_base_hosts entry stops the gateway at startup', async () => {
  await assert.rejects(
    startGateway({ config: { model_list: [deployment('g', 'plain@a')], general_settings: { allowed_client_api_base_hosts: ['10.0.0.0/33'] } } }),
    /allowed_client_api_base_hosts\[0\]: '10\.0\.0\.0\/33' is not a host name, an IP address or a CIDR range/);
});

test('a malformed or non-http(s) client api_base is a 400 naming the field, nothing called', async () => {
  await withGateway({ general_settings: { allowed_client_api_base_hosts: ['127.0.0.1'] } }, async (gateway) => {
    const chat = chatOn(gateway);
    for (const [field, base] of [
      ['api_base', `${other.url}/v1\r\nX-Injected: yes`], ['base_url', `${other.url}/v1\n`], ['api_base', `${other.url}/v 1`],
      ['api_base', 'file:///etc/passwd'], ['base_url', 'gopher://127.0.0.1:70/_x'], ['api_base', 'http:///v1'],
    ]) {
      await expectError(await chat('g', { [field]: base, api_key: 'k' }), 400, { param: field, type: 'invalid_request_error' }, JSON.stringify(base));
    }
    assert.equal(mock.requests.length + other.requests.length, 0);
  });
});

test('user_config cannot name a local file, and its error says nothing about one', async () => {
  await withGateway({}, async (gateway) => {
    const chat = chatOn(gateway);
    const messages = [];
    for (const path of ['/etc/passwd', '/etc/hostname', '/nonexistent/llmux-key.json', '/etc', '/proc/self/environ']) {
      const userConfig = { model_list: [{ model_name: 'v', litellm_params: { model: 'vertex_ai/gemini-2.0-flash', vertex_credentials: path, vertex_project: 'p' } }] };
      const body = await expectError(await chat('v', { user_config: userConfig }), 400, { param: 'user_config' }, path);
      messages.push(body.error.message);
      assert.ok(!body.error.message.includes(path), body.error.message);
      assert.doesNotMatch(body.error.message, /cannot read|not a JSON|private_key|client_email|root:/);
    }
    assert.equal(new Set(messages).size, 1, `the messages differ by file: ${messages.join(' | ')}`);
  });
});

test('a client may ask for retries only up to the operator\'s bound', async () => {
  await withGateway({ models: [deployment('g', 'mock-error-500@a', { timeout: 10 })], router_settings: { num_retries: 0 } }, async (gateway) => {
    const response = await chatOn(gateway)('g', {}, { 'x-litellm-num-retries': '100' });
    await expectError(response, 500);
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '3');
    assert.equal(mock.requests.length, 4);
  });
});

test('a huge client timeout is clamped, not an immediate 408; nonsense is a 400', async () => {
  await withGateway({}, async (gateway) => {
    const chat = chatOn(gateway);
    for (const extra of [{ timeout: 1e10 }, { timeout: 1e300 }, { stream_timeout: 1e18 }]) {
      assert.equal((await chat('g', extra)).status, 200, JSON.stringify(extra));
    }
    assert.equal((await chat('g', {}, { 'x-litellm-timeout': '99999999999999999999' })).status, 200);
    for (const extra of [{ timeout: -1 }, { timeout: 'NaN' }, { timeout: 'soon' }, { timeout: [] }]) {
      await expectError(await chat('g', extra), 400, { param: Object.keys(extra)[0] }, JSON.stringify(extra));
    }
    await expectError(await chat('g', {}, { 'x-litellm-timeout': 'inf' }), 400, { param: 'timeout' });
  });
});

test('an upstream redirect is a 502, never followed nor relayed, streamed or not', async () => {
  const models = [deployment('g', 'mock-redirect@a'), deployment('moved', 'mock-redirect-307@b')];
  await withGateway({ models }, async (gateway) => {
    const chat = chatOn(gateway);
    for (const [model, stream] of [['g', false], ['g', true], ['moved', false], ['moved', true]]) {
      const response = await chat(model, { stream });
      const body = await expectError(response, 502, { type: 'api_error' }, `${model} stream=${stream}`);
      assert.match(body.error.message, /answered with a redirect \(30[27]\)/);
      assert.equal(response.headers.get('location'), null);
    }
    assert.equal(mock.requests.length, 4, 'a redirect was followed');
  });
});
