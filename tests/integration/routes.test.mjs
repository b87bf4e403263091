// Routes: health probes, model listing, every model route with and without /v1, the Azure-style
// deployment routes, and 404/405 for what is not a route (admin routes included).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson, kAuth, kHello, kMasterKey } from '../support/stack.mjs';
import { expectError, assertStillServing } from '../support/assertions.mjs';
import { RawConnection } from '../support/network.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

const get = (path, headers = kAuth) => fetch(stack.url + path, { headers });

for (const path of ['/health', '/health/liveliness', '/health/readiness']) {
  test(`GET ${path} answers 200 without a key`, async () => {
    const response = await get(path, {});
    assert.equal(response.status, 200, await response.clone().text());
    await response.arrayBuffer();
  });
}

for (const prefix of ['/v1', '']) {
  test(`GET ${prefix}/models lists each model_name once`, async () => {
    const response = await get(`${prefix}/models`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.object, 'list');
    const ids = body.data.map((model) => model.id);
    const expected = [...new Set(stack.config.model_list.map((entry) => entry.model_name))];
    assert.deepEqual([...ids].sort(), [...expected].sort());
    for (const model of body.data) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(typeof model.owned_by, 'string');
    }
  });

  test(`GET ${prefix}/models/{id} finds a model, including ids with '/'`, async () => {
    for (const id of ['gpt-test', 'org/team-model']) {
      const response = await get(`${prefix}/models/${id}`);
      assert.equal(response.status, 200, `${id}: ${await response.clone().text()}`);
      const model = await response.json();
      assert.equal(model.id, id);
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(typeof model.owned_by, 'string');
    }
  });

  test(`GET ${prefix}/models/{id} of an unknown id is 404 model_not_found`, async () => {
    await expectError(await get(`${prefix}/models/no-such-model`), 404, { code: 'model_not_found' });
  });

  test(`POST ${prefix}/chat/completions, /completions, /embeddings, /moderations answer`, async () => {
    const cases = [
      ['/chat/completions', { model: 'gpt-test', messages: kHello }, 'chat.completion'],
      ['/completions', { model: 'instruct', prompt: 'Say this is a test' }, 'text_completion'],
      ['/embeddings', { model: 'embedder', input: 'hello', encoding_format: 'float' }, 'list'],
    ];
    for (const [path, body, object] of cases) {
      const response = await postJson(stack.url, prefix + path, body);
      assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
      assert.equal((await response.json()).object, object, path);
    }
    const moderation = await postJson(stack.url, `${prefix}/moderations`, { model: 'moderator', input: 'hello' });
    assert.equal(moderation.status, 200, await moderation.clone().text());
    assert.equal((await moderation.json()).results.length, 1);
  });
}

test('Azure-style /openai/deployments/{model}/… routes take the model from the path', async () => {
  const cases = [
    ['gpt-test', 'chat/completions', { messages: kHello }, '/v1/chat/completions', 'gpt-4o-upstream'],
    ['instruct', 'completions', { prompt: 'Say this is a test' }, '/v1/completions', 'gpt-3.5-turbo-instruct-mock'],
    ['embedder', 'embeddings', { input: 'hello', encoding_format: 'float' }, '/v1/embeddings', 'text-embedding-mock'],
  ];
  for (const [model, route, body, upstreamPath, upstreamModel] of cases) {
    const before = stack.mock.requests.length;
    const response = await postJson(stack.url, `/openai/deployments/${model}/${route}?api-version=2024-06-01`, body,
      { auth: { 'api-key': kMasterKey } });
    assert.equal(response.status, 200, `${route}: ${await response.clone().text()}`);
    const answer = await response.json();
    assert.equal(answer.model, model, `${route}: the response names the deployment`);
    const seen = stack.mock.requests.slice(before);
    assert.equal(seen.length, 1, route);
    assert.equal(seen[0].path, upstreamPath);
    assert.equal(seen[0].body.model, upstreamModel);
  }
});

test('an unknown route is 404 in the error shape, and the connection stays usable', async () => {
  const connection = await RawConnection.open(stack.port);
  await connection.request('GET', '/v1/no/such/route', { headers: kAuth });
  const response = await connection.readResponse();
  assert.equal(response.status, 404, response.text);
  assert.equal(typeof response.json().error.message, 'string');
  await assertStillServing(stack.port, { connection });
  connection.close();
});

test('a wrong method on a known route is 405, and the connection stays usable', async () => {
  for (const [method, path] of [['GET', '/v1/chat/completions'], ['DELETE', '/v1/embeddings'], ['POST', '/v1/models']]) {
    const connection = await RawConnection.open(stack.port);
    await connection.request(method, path, { headers: kAuth });
    const response = await connection.readResponse();
    assert.equal(response.status, 405, `${method} ${path}: ${response.text}`);
    assert.equal(typeof response.json().error.message, 'string');
    await assertStillServing(stack.port, { connection });
    connection.close();
  }
});

test('an admin route takes its one method and an unknown admin path is 404, before any key check', async () => {
  for (const [method, path] of [['GET', '/key/generate'], ['POST', '/key/info'], ['DELETE', '/team/new'],
    ['PUT', '/user/update'], ['POST', '/customer/info'], ['POST', '/spend/logs'], ['GET', '/key/sk-some-key/regenerate']]) {
    for (const headers of [kAuth, {}]) {
      const response = await fetch(stack.url + path, { method, headers });
      await expectError(response, 405, {}, `${method} ${path}`);
    }
  }
  for (const path of ['/key/nope', '/team/nope', '/v1/customer/nope', '/global/spend/nope', '/spend/nope']) {
    for (const headers of [kAuth, {}]) {
      const body = await expectError(await get(path, headers), 404, {}, path);
      assert.equal(body.error.message, `Unknown route: ${path.replace(/^\/v1/, '')}`);
    }
  }
  // A known route still checks the key first.
  await expectError(await get('/key/list', {}), 401, {}, 'no key');
  const listed = await get('/v1/key/list');
  assert.equal(listed.status, 200, await listed.clone().text());
  await listed.arrayBuffer();
});
