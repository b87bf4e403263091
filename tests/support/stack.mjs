// The usual test set-up: a mock upstream, and llmux configured with one model group per
// scripted mock behaviour. Tests name the client-side model to pick the behaviour they need.
import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from './gateway.mjs';
import { closedPort } from './network.mjs';

// Distinctive so a test can search logs and bodies for them.
export const kMasterKey = 'sk-llmux-master-7Q2bVw-test';
export const kUpstreamKey = 'sk-upstream-secret-Z9x4Lp-test';
export const kMockedAnswer = 'This answer never left the gateway.';
export const kExtraHeader = ['X-Llmux-Test-Team', 'integration-tier'];

export const kAuth = { Authorization: `Bearer ${kMasterKey}` };

export function modelEntry(modelName, upstreamModel, apiBase, params = {}, id = `deployment-${modelName}`) {
  return {
    model_name: modelName,
    litellm_params: { model: `openai/${upstreamModel}`, api_base: apiBase, api_key: kUpstreamKey, ...params },
    model_info: { id },
  };
}

// Client model name → upstream model name (which scripts the mock), plus litellm_params.
function standardModels(apiBase, deadBase) {
  return [
    modelEntry('gpt-test', 'gpt-4o-upstream', apiBase, {
      extra_headers: { [kExtraHeader[0]]: kExtraHeader[1] },
    }),
    modelEntry('tools', 'mock-tool-call', apiBase),
    modelEntry('rate-limited', 'mock-error-429-retry-after-7', apiBase),
    modelEntry('broken', 'mock-error-500', apiBase),
    modelEntry('slow-first-byte', 'mock-slow-first-byte-3000', apiBase, { timeout: 1, stream_timeout: 1 }),
    modelEntry('cut-stream', 'mock-stream-cut-after-3', apiBase),
    modelEntry('slow-stream', 'mock-stream-slow-50', apiBase),
    modelEntry('short-slow-stream', 'mock-stream-slow-50-30', apiBase),
    modelEntry('garbage', 'mock-garbage', apiBase),
    modelEntry('embedder', 'text-embedding-mock', apiBase),
    modelEntry('moderator', 'omni-moderation-mock', apiBase),
    modelEntry('instruct', 'gpt-3.5-turbo-instruct-mock', apiBase),
    modelEntry('unreachable', 'gpt-4o-upstream', deadBase),
    modelEntry('mocked', 'gpt-4o-upstream', deadBase, { mock_response: kMockedAnswer }),
    modelEntry('org/team-model', 'gpt-4o-upstream', apiBase),
    // Two deployments of one group: listed once by /v1/models.
    modelEntry('pair', 'gpt-4o-upstream', apiBase, {}, 'deployment-pair-a'),
    modelEntry('pair', 'gpt-4o-upstream', apiBase, {}, 'deployment-pair-b'),
  ];
}

// extraModelsFor(mockUrl): more model_list entries that need the mock's address (provider suites).
// extraConfig: more top-level blocks (callback_settings, …).
// args and https go to startGateway (HTTPS on the listener).
export async function startStack({ extraModels = [], extraModelsFor, generalSettings = {}, litellmSettings, routerSettings, extraConfig = {}, env, dir, args, https } = {}) {
  const mock = await startMockUpstream();
  const deadBase = `http://127.0.0.1:${await closedPort()}/v1`;
  const config = {
    model_list: [...standardModels(`${mock.url}/v1`, deadBase), ...extraModels, ...(extraModelsFor?.(mock.url) ?? [])],
    general_settings: { master_key: kMasterKey, drain_timeout_s: 10, ...generalSettings },
    litellm_settings: litellmSettings,
    router_settings: routerSettings,
    ...extraConfig,
  };
  let gateway;
  try {
    gateway = await startGateway({ config, env, dir, args, https });
  } catch (error) {
    await mock.close();
    throw error;
  }
  return {
    mock,
    gateway,
    config,
    url: gateway.url,
    port: gateway.port,
    // Stops both; a gateway that crashed (or exits non-zero on SIGTERM) fails the caller with
    // its stderr, so a crash is reported where it happened rather than as refused connections.
    async stop() {
      let exit;
      try {
        exit = await gateway.stop();
      } finally {
        await mock.close();
      }
      if (exit.code !== 0) {
        throw new Error(`llmux exited with code ${exit.code}, signal ${exit.signal}\n--- stderr (tail):\n${
          gateway.stderr().split('\n').slice(-30).join('\n')}`);
      }
      return exit;
    },
  };
}

// POSTs JSON with the master key in `auth` headers (Authorization: Bearer by default); returns
// the fetch Response.
export function postJson(url, path, body, { headers = {}, auth = kAuth, signal } = {}) {
  return fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

export const kHello = [{ role: 'user', content: 'Say hello.' }];

// One series of the gateway's GET /metrics (e.g. 'llmux_in_flight_requests' or
// 'llmux_requests_total{endpoint="chat_completions",status="2xx"}'): its number, or undefined
// when the series is not there.
export async function metricValue(url, series) {
  const text = await (await fetch(`${url}/metrics`, { headers: kAuth })).text();
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
