// LiteLLM's model access groups: a deployment's model_info.access_groups names groups; a key's or
// team's `models` naming one may call every model in it, and /v1/models, /model/info,
// /v2/model/info and /model_group/info list exactly what the key may call. Through the real
// binary, with keys in SQLite and the openai SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { startStack, kMasterKey } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { admin, chatWith, generateKey, kEngines } from '../support/store.mjs';

function models(mockUrl) {
  const model = (name, id, accessGroups, params = {}) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o-upstream', api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-grouped', ...params },
    model_info: { id, ...(accessGroups ? { access_groups: accessGroups } : {}) },
  });
  const priced = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };
  return [
    model('alpha', 'deployment-alpha', ['beta']),
    model('bravo', 'deployment-bravo-1', ['beta'], { rpm: 10, ...priced }),
    model('bravo', 'deployment-bravo-2', ['prod'], { rpm: 20, ...priced }),
    model('charlie', 'deployment-charlie'),
  ];
}

let database;
let stack;
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({ extraModelsFor: models, generalSettings: { database_url: database.url } });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

const clientFor = (key) => new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0, timeout: 10_000 });

async function getAs(key, path) {
  const response = await fetch(stack.url + path, { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}
const modelInfo = async (key, path = '/model/info') => (await getAs(key, path)).data;

test('a key whose models name an access group may call every model in it, and no other', async () => {
  const key = await generateKey(stack.url, { models: ['beta'] });
  const client = clientFor(key.key);
  for (const model of ['alpha', 'bravo']) {
    const answer = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.model, model);
  }
  await expectError(await chatWith(stack.url, key.key, 'charlie'), 401, {
    type: 'key_model_access_denied',
    param: 'model',
    message: 'key not allowed to access model. This key can only access models=[beta]. Tried to access charlie',
  });
  // An access group's name is not a model: asked for as one, it does not exist (as in LiteLLM).
  await expectError(await chatWith(stack.url, key.key, 'beta'), 400, { code: 'model_not_found' });
});

test('/v1/models and /model/info list what the key may call through its access group', async () => {
  const key = await generateKey(stack.url, { models: ['prod', 'charlie'] });
  const listed = [];
  for await (const model of clientFor(key.key).models.list()) listed.push(model.id);
  assert.deepEqual(listed.sort(), ['bravo', 'charlie']);

  for (const path of ['/model/info', '/v1/model/info']) {
    const info = await modelInfo(key.key, path);
    assert.deepEqual(info.map((d) => d.model_name).sort(), ['bravo', 'bravo', 'charlie'], path);
    const bravo = info.filter((d) => d.model_name === 'bravo');
    assert.deepEqual(bravo.map((d) => d.model_info.access_groups), [['beta'], ['prod']]);
    assert.equal(info.find((d) => d.model_name === 'charlie').model_info.access_groups, undefined);
    assert.ok(!JSON.stringify(info).includes('sk-upstream-grouped'), 'no upstream key');
  }
  const all = (await modelInfo(kMasterKey)).map((d) => d.model_name);
  for (const name of ['alpha', 'bravo', 'charlie']) assert.ok(all.includes(name), name);
});

test('a team whose models name an access group lets its keys call the group\'s models', async () => {
  const team = await admin(stack.url, 'POST', '/team/new', { models: ['prod'] });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const key = await generateKey(stack.url, { team_id: team.body.team_id });
  assert.equal((await chatWith(stack.url, key.key, 'bravo')).status, 200);
  await expectError(await chatWith(stack.url, key.key, 'alpha'), 401, {
    type: 'team_model_access_denied',
    message: 'team not allowed to access model. This team can only access models=[prod]. Tried to access alpha',
  });
  const teamKey = await generateKey(stack.url, { team_id: team.body.team_id, models: ['all-team-models'] });
  const listed = await (await fetch(`${stack.url}/v1/models`, { headers: { Authorization: `Bearer ${teamKey.key}` } })).json();
  assert.deepEqual(listed.data.map((model) => model.id), ['bravo']);
});

test('a client\'s fallbacks outside the key\'s access group are refused before any call', async () => {
  const key = await generateKey(stack.url, { models: ['beta'] });
  const calls = stack.mock.requests.length;
  await expectError(await chatWith(stack.url, key.key, 'alpha', { fallbacks: ['charlie'] }), 401,
    { type: 'key_model_access_denied', param: 'fallbacks', message: /Tried to access charlie/ });
  assert.equal(stack.mock.requests.length, calls);
  assert.equal((await chatWith(stack.url, key.key, 'alpha', { fallbacks: ['bravo'] })).status, 200);
});

test('/v2/model/info: the deployments the key may call, filtered and in pages', async () => {
  const key = await generateKey(stack.url, { models: ['beta'] });
  const mine = await getAs(key.key, '/v2/model/info');
  assert.deepEqual(mine.data.map((d) => d.model_info.id), ['deployment-alpha', 'deployment-bravo-1', 'deployment-bravo-2']);
  assert.deepEqual([mine.total_count, mine.current_page, mine.size, mine.total_pages], [3, 1, 50, 1]);

  const searched = await getAs(kMasterKey, '/v2/model/info?search=RAV&size=1&page=2');
  assert.deepEqual(searched.data.map((d) => d.model_info.id), ['deployment-bravo-2']);
  assert.deepEqual([searched.total_count, searched.current_page, searched.size, searched.total_pages], [2, 2, 1, 2]);
  assert.deepEqual((await getAs(kMasterKey, '/v2/model/info?modelId=deployment-charlie')).data.map((d) => d.model_name), ['charlie']);
  assert.deepEqual((await getAs(kMasterKey, '/v2/model/info?model=alpha')).data.map((d) => d.model_info.id), ['deployment-alpha']);
  assert.equal((await getAs(key.key, '/v2/model/info?model=charlie')).total_count, 0, 'not the key\'s to see');
  assert.ok(!JSON.stringify(await getAs(kMasterKey, '/v2/model/info')).includes('sk-upstream-grouped'));
  await expectError(await fetch(`${stack.url}/v2/model/info?page=0`, { headers: { Authorization: `Bearer ${kMasterKey}` } }), 400,
    { message: 'page and size must be at least 1' });
});

test('/model_group/info: one entry a group the key may call, with its providers, prices and summed rpm', async () => {
  const key = await generateKey(stack.url, { models: ['prod'] });
  const { data } = await getAs(key.key, '/model_group/info');
  assert.deepEqual(data, [{
    model_group: 'bravo', providers: ['openai'], tpm: null, rpm: 30, mode: 'chat',
    input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_input_tokens: null, max_output_tokens: null,
  }]);
  const one = await getAs(kMasterKey, '/model_group/info?model_group=charlie');
  assert.deepEqual(one.data.map((group) => [group.model_group, group.rpm]), [['charlie', null]]);
  await expectError(await fetch(`${stack.url}/model_group/info`), 401);
});
