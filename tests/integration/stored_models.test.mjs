// Models managed through the API with general_settings.store_model_in_db (docs/MODELS.md):
// /model/new, /model/update, PATCH /model/{id}/update and /model/delete change what the gateway
// serves at once, on SQLite and PostgreSQL, and the models outlive a restart; the config's models
// stay read-only; only the master key may manage them; no answer or log line holds a model's key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { admin, chatWith, describeOnEachEngine, generateKey } from '../support/store.mjs';
import { kMasterKey } from '../support/stack.mjs';

const kStoredKey = 'sk-stored-model-secret-4Hq9Tz';

// The model's litellm_params as the database holds them, read with the engine's own client.
async function storedParams(env, id) {
  const sql = `SELECT litellm_params FROM llmux_models WHERE model_id = '${id}'`;
  const [command, args] = env.engine.name === 'sqlite'
    ? ['sqlite3', [env.database.url, sql]]
    : ['psql', ['-At', '-d', env.database.url, '-c', sql]];
  const { stdout } = await promisify(execFile)(command, args);
  return JSON.parse(stdout);
}

describeOnEachEngine('models kept in the database', { store_model_in_db: true }, (env) => {
  let added;

  test('a model added through /model/new is answered by its upstream at once', async () => {
    const mockBase = `${env.stack.mock.url}/v1`;
    const response = await admin(env.stack.url, 'POST', '/model/new', {
      model_name: 'db-model',
      litellm_params: { model: 'openai/gpt-4o-upstream', api_base: mockBase, api_key: kStoredKey },
      model_info: { access_groups: ['beta'] },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    added = response.body;
    assert.ok(added.model_id);
    assert.equal(added.model_name, 'db-model');
    assert.equal(added.litellm_params.api_base, mockBase);
    assert.ok(!JSON.stringify(added).includes(kStoredKey));

    env.stack.mock.reset();
    const chat = await chatWith(env.stack.url, kMasterKey, 'db-model');
    assert.equal(chat.status, 200, await chat.clone().text());
    assert.equal(env.stack.mock.requests.length, 1);
    assert.equal(env.stack.mock.requests[0].headers.authorization, `Bearer ${kStoredKey}`);

    // The database holds the key encrypted as LiteLLM encrypts it (a secretbox under SHA-256 of
    // the master key, LITELLM_SALT_KEY being unset): never in plain text.
    const stored = await storedParams(env, added.model_id);
    assert.ok(!JSON.stringify(stored).includes(kStoredKey));
    assert.notEqual(stored.api_key, kStoredKey);
    assert.match(stored.api_key, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(stored.api_key, 'base64').length, 24 + 16 + kStoredKey.length);

    const models = await admin(env.stack.url, 'GET', '/v1/models');
    assert.ok(models.body.data.some((model) => model.id === 'db-model'));
    const info = await admin(env.stack.url, 'GET', '/model/info');
    const entry = info.body.data.find((model) => model.model_info.id === added.model_id);
    assert.equal(entry.model_name, 'db-model');
    assert.deepEqual(entry.model_info.access_groups, ['beta']);
    assert.ok(!JSON.stringify(info.body).includes(kStoredKey));
    const group = await admin(env.stack.url, 'GET', '/model_group/info?model_group=db-model');
    assert.equal(group.body.data.length, 1);
  });

  test('bad models are 400s in OpenAI\'s error shape', async () => {
    for (const body of [
      { litellm_params: { model: 'openai/x', api_base: 'http://127.0.0.1:9' } },
      { model_name: 'm', litellm_params: { model: 'nosuch/x' } },
      { model_name: 'm', litellm_params: { model: 'openai/x', api_base: 'not a url' } },
      { model_name: 'm', litellm_params: { model: 'openai/x', api_base: 'http://127.0.0.1:9' }, model_info: { id: added.model_id } },
    ]) {
      const response = await admin(env.stack.url, 'POST', '/model/new', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.type, 'invalid_request_error');
      assert.equal(typeof response.body.error.message, 'string');
    }
  });

  test('the config\'s models are read-only', async () => {
    const update = await admin(env.stack.url, 'POST', '/model/update',
      { model_info: { id: 'deployment-priced' }, litellm_params: { rpm: 1 } });
    assert.equal(update.status, 400);
    assert.match(update.body.error.message, /Model in config/);
    const removed = await admin(env.stack.url, 'POST', '/model/delete', { id: 'deployment-priced' });
    assert.equal(removed.status, 400);
    assert.equal(removed.body.error.message, 'Model with id=deployment-priced not found in db');
  });

  test('only the master key manages models', async () => {
    const { key } = await generateKey(env.stack.url);
    for (const [path, body] of [
      ['/model/new', { model_name: 'x', litellm_params: { model: 'openai/x', api_base: 'http://127.0.0.1:9' } }],
      ['/model/update', { model_info: { id: added.model_id }, litellm_params: { rpm: 1 } }],
      ['/model/delete', { id: added.model_id }],
    ]) {
      const response = await fetch(env.stack.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 401, path);
    }
    const anonymous = await fetch(env.stack.url + '/model/new', { method: 'POST', body: '{}' });
    assert.equal(anonymous.status, 401);
  });

  test('an updated api_base takes the next call; the model survives a restart', async () => {
    const other = await startMockUpstream();
    try {
      const update = await admin(env.stack.url, 'PATCH', `/model/${added.model_id}/update`,
        { litellm_params: { api_base: `${other.url}/v1` } });
      assert.equal(update.status, 200, JSON.stringify(update.body));
      assert.equal(update.body.litellm_params.api_base, `${other.url}/v1`);
      env.stack.mock.reset();
      const chat = await chatWith(env.stack.url, kMasterKey, 'db-model');
      assert.equal(chat.status, 200);
      assert.equal(env.stack.mock.requests.length, 0);
      assert.equal(other.requests.length, 1);
      assert.equal(other.requests[0].headers.authorization, `Bearer ${kStoredKey}`);

      const first = env.stack;
      await first.stop();
      assert.ok(!first.gateway.stderr().includes(kStoredKey));
      env.stack = await env.start();
      const again = await chatWith(env.stack.url, kMasterKey, 'db-model');
      assert.equal(again.status, 200);
      assert.equal(other.requests.length, 2);
      assert.ok(!env.stack.gateway.stderr().includes(kStoredKey));
    } finally {
      await other.close();
    }
  });

  test('a deleted model is a model-not-found at once', async () => {
    const removed = await admin(env.stack.url, 'POST', '/model/delete', { id: added.model_id });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body, { message: `Model: ${added.model_id} deleted successfully` });
    const chat = await chatWith(env.stack.url, kMasterKey, 'db-model');
    assert.equal(chat.status, 400);
    assert.equal((await chat.json()).error.code, 'model_not_found');
    const again = await admin(env.stack.url, 'POST', '/model/delete', { id: added.model_id });
    assert.equal(again.status, 400);
  });
});
