// Virtual keys end to end, on SQLite and on a real PostgreSQL server: every /key/* route with
// LiteLLM's fields and errors, what a virtual key may and may not do, and SQL-injection text in
// every field coming back exactly as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { kHello } from '../support/stack.mjs';
import { expectError } from '../support/assertions.mjs';
import { admin, chatWith, describeOnEachEngine, generateKey, sleep } from '../support/store.mjs';

const kInjections = [
  "x'; DROP TABLE llmux_keys; --",
  "' OR '1'='1",
  'x"); DELETE FROM llmux_spend_logs; --',
  "Robert'); DROP TABLE llmux_teams;--\u00e9\u4e2d",
  '$1 ? %s \\ end',
];

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

describeOnEachEngine('virtual keys', { proxy_batch_write_at: 1 }, (env) => {
  test('a generated key is sk- + random, stored only as its SHA-256, and calls models', async () => {
    const created = await generateKey(env.stack.url, { key_alias: `alias-${env.engine.name}-1` });
    assert.equal(created.token, sha256(created.key));
    assert.equal(created.key_name, `sk-...${created.key.slice(-4)}`);
    const other = await generateKey(env.stack.url);
    assert.notEqual(other.key, created.key);
    const chat = await chatWith(env.stack.url, created.key, 'gpt-test');
    assert.equal(chat.status, 200, await chat.clone().text());
    await chat.arrayBuffer();
    if (env.engine.name === 'sqlite') {
      // The plain key appears nowhere in the database files.
      for (const suffix of ['', '-wal']) {
        const bytes = await readFile(env.database.url + suffix).catch(() => Buffer.alloc(0));
        assert.equal(bytes.includes(Buffer.from(created.key)), false, `plain key found in llmux.db${suffix}`);
      }
    }
  });

  test('a virtual key is refused on every management route, and may read only its own /key/info (another key\'s is LiteLLM\'s 403)', async () => {
    const own = await generateKey(env.stack.url);
    const other = await generateKey(env.stack.url);
    const routes = [
      ['POST', '/key/generate', {}],
      ['POST', '/key/update', { key: own.key, max_budget: 100 }],
      ['POST', '/key/delete', { keys: [other.key] }],
      ['GET', '/key/list'],
      ['POST', '/key/regenerate', { key: own.key }],
      ['POST', '/key/block', { key: other.key }],
      ['POST', '/key/unblock', { key: own.key }],
      ['GET', '/spend/logs'],
      ['GET', '/global/spend'],
      ['GET', '/global/spend/report'],
      ['GET', '/user/daily/activity?start_date=2026-01-01&end_date=2026-01-02'],
      ['GET', '/team/daily/activity?start_date=2026-01-01&end_date=2026-01-02'],
    ];
    for (const [method, path, body] of routes) {
      const response = await fetch(env.stack.url + path, {
        method,
        headers: { 'content-type': 'application/json', Authorization: `Bearer ${own.key}` },
        body: body && JSON.stringify(body),
      });
      await expectError(response, 401, { type: 'auth_error', message: /Only proxy admin/ }, `${method} ${path}`);
    }
    for (const named of [other.key, other.token]) {
      const response = await fetch(`${env.stack.url}/key/info?key=${named}`, { headers: { Authorization: `Bearer ${own.key}` } });
      await expectError(response, 403, { type: 'auth_error', code: '403', message: "user not allowed to access this key's info" });
    }
    for (const path of ['/key/info', `/key/info?key=${own.key}`]) {
      const info = await fetch(env.stack.url + path, { headers: { Authorization: `Bearer ${own.key}` } });
      assert.equal(info.status, 200, path);
      assert.equal((await info.json()).info.token, own.token);
    }
    // Nothing changed: the other key still works and is not blocked.
    const chat = await chatWith(env.stack.url, other.key, 'gpt-test');
    assert.equal(chat.status, 200);
    await chat.arrayBuffer();
  });

  test('allowed_cache_controls: a key sets only the cache controls listed (LiteLLM\'s 403), kept by /key/update and shown by /key/info', async () => {
    const created = await generateKey(env.stack.url, { allowed_cache_controls: ['no-cache', 'ttl'] });
    assert.deepEqual(created.allowed_cache_controls, ['no-cache', 'ttl']);
    const ask = (cache) => chatWith(env.stack.url, created.key, 'gpt-test', { cache });
    const allowed = await ask({ 'no-cache': true, ttl: 60 });
    assert.equal(allowed.status, 200, await allowed.clone().text());
    await allowed.arrayBuffer();
    await expectError(await ask({ 'no-cache': true, 'no-store': true }), 403, {
      type: 'permission_error',
      message: 'Not allowed to set no-store as a cache control. Contact admin to change permissions.',
    });
    const info = await admin(env.stack.url, 'GET', `/key/info?key=${created.key}`);
    assert.deepEqual(info.body.info.allowed_cache_controls, ['no-cache', 'ttl']);
    // Emptied: any control again (LiteLLM reads an empty list as no restriction).
    const updated = await admin(env.stack.url, 'POST', '/key/update', { key: created.key, allowed_cache_controls: [] });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const now = await ask({ 'no-store': true });
    assert.equal(now.status, 200, await now.clone().text());
    await now.arrayBuffer();
    const unrestricted = await generateKey(env.stack.url);
    assert.deepEqual(unrestricted.allowed_cache_controls, []);
    const malformed = await admin(env.stack.url, 'POST', '/key/generate', { allowed_cache_controls: 'no-cache' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.param, 'allowed_cache_controls');
  });

  test('models: exact names, provider/* and name-prefix wildcards; others are 401 key_model_access_denied', async () => {
    const exact = await generateKey(env.stack.url, { models: ['gpt-test'] });
    assert.equal((await chatWith(env.stack.url, exact.key, 'gpt-test')).status, 200);
    const denied = await chatWith(env.stack.url, exact.key, 'tools');
    await expectError(denied, 401, { type: 'key_model_access_denied', param: 'model', message: /Tried to access tools/ });

    const byPrefix = await generateKey(env.stack.url, { models: ['org/*'] });
    assert.equal((await chatWith(env.stack.url, byPrefix.key, 'org/team-model')).status, 200);
    await expectError(await chatWith(env.stack.url, byPrefix.key, 'gpt-test'), 401, { type: 'key_model_access_denied' });

    const byProvider = await generateKey(env.stack.url, { models: ['openai/*'] });
    assert.equal((await chatWith(env.stack.url, byProvider.key, 'tools')).status, 200);
    const other = await generateKey(env.stack.url, { models: ['anthropic/*'] });
    await expectError(await chatWith(env.stack.url, other.key, 'tools'), 401, { type: 'key_model_access_denied' });
  });

  test('/v1/models lists only the models a key may call', async () => {
    const key = await generateKey(env.stack.url, { models: ['gpt-test', 'org/*'] });
    const listed = await fetch(`${env.stack.url}/v1/models`, { headers: { Authorization: `Bearer ${key.key}` } });
    assert.deepEqual((await listed.json()).data.map((model) => model.id).sort(), ['gpt-test', 'org/team-model']);
    const all = await fetch(`${env.stack.url}/v1/models`, { headers: { Authorization: 'Bearer sk-llmux-master-7Q2bVw-test' } });
    assert.ok((await all.json()).data.length > 2);
  });

  test('/v1/models/{id} answers a model the key may not call as one that does not exist', async () => {
    const key = await generateKey(env.stack.url, { models: ['gpt-test'] });
    const auth = { Authorization: `Bearer ${key.key}` };
    const own = await fetch(`${env.stack.url}/v1/models/gpt-test`, { headers: auth });
    assert.equal(own.status, 200);
    assert.equal((await own.json()).id, 'gpt-test');
    const hidden = await expectError(await fetch(`${env.stack.url}/v1/models/tools`, { headers: auth }), 404, { param: 'model' });
    const missing = await expectError(await fetch(`${env.stack.url}/v1/models/no-such-model`, { headers: auth }), 404);
    assert.equal(hidden.error.message.replace('tools', 'X'), missing.error.message.replace('no-such-model', 'X'));
    const master = await fetch(`${env.stack.url}/v1/models/tools`, { headers: { Authorization: 'Bearer sk-llmux-master-7Q2bVw-test' } });
    assert.equal(master.status, 200);
  });

  test('aliases route a key\'s model name to a model group', async () => {
    const key = await generateKey(env.stack.url, { models: ['gpt-test'], aliases: { 'my-model': 'gpt-test' } });
    const chat = await chatWith(env.stack.url, key.key, 'my-model');
    assert.equal(chat.status, 200, await chat.clone().text());
    assert.equal(chat.headers.get('x-litellm-model-group'), 'gpt-test');
    await chat.arrayBuffer();
  });

  test('an expired key is 401 expired_key', async () => {
    const key = await generateKey(env.stack.url, { duration: '1s' });
    assert.ok(Date.parse(key.expires) > Date.now());
    assert.equal((await chatWith(env.stack.url, key.key, 'gpt-test')).status, 200);
    await sleep(1200);  // what is tested: the key's 1 s lifetime passing
    await expectError(await chatWith(env.stack.url, key.key, 'gpt-test'), 401, { type: 'expired_key', message: /Expired Key/ });
  });

  test('block and unblock take effect on the next request', async () => {
    const key = await generateKey(env.stack.url);
    const blocked = await admin(env.stack.url, 'POST', '/key/block', { key: key.key });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.blocked, true);
    await expectError(await chatWith(env.stack.url, key.key, 'gpt-test'), 401, { message: /Key is blocked/ });
    const unblocked = await admin(env.stack.url, 'POST', '/key/unblock', { key: key.token });
    assert.equal(unblocked.body.blocked, false);
    assert.equal((await chatWith(env.stack.url, key.key, 'gpt-test')).status, 200);
  });

  test('update changes fields (and clears them with null) at once', async () => {
    const key = await generateKey(env.stack.url, { models: ['gpt-test'], metadata: { team: 'a' }, max_budget: 5 });
    const updated = await admin(env.stack.url, 'POST', '/key/update', {
      key: key.key, models: ['tools'], metadata: { team: 'b' }, max_budget: null, tpm_limit: 1000,
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(updated.body.models, ['tools']);
    assert.deepEqual(updated.body.metadata, { team: 'b' });
    assert.equal(updated.body.max_budget, null);
    assert.equal(updated.body.tpm_limit, 1000);
    await expectError(await chatWith(env.stack.url, key.key, 'gpt-test'), 401, { type: 'key_model_access_denied' });
    assert.equal((await chatWith(env.stack.url, key.key, 'tools')).status, 200);
    const missing = await admin(env.stack.url, 'POST', '/key/update', { key: 'sk-no-such-key-123', max_budget: 1 });
    assert.equal(missing.status, 404);
  });

  test('delete by keys and by key_aliases; deleted keys are 401', async () => {
    const byKey = await generateKey(env.stack.url);
    const byAlias = await generateKey(env.stack.url, { key_alias: `delete-me-${env.engine.name}` });
    const deleted = await admin(env.stack.url, 'POST', '/key/delete', { keys: [byKey.key] });
    assert.deepEqual(deleted.body, { deleted_keys: [byKey.key] });
    const deletedAlias = await admin(env.stack.url, 'POST', '/key/delete', { key_aliases: [`delete-me-${env.engine.name}`] });
    assert.deepEqual(deletedAlias.body, { deleted_keys: [`delete-me-${env.engine.name}`] });
    for (const key of [byKey, byAlias]) {
      await expectError(await chatWith(env.stack.url, key.key, 'gpt-test'), 401, { code: 'invalid_api_key' });
    }
    assert.equal((await admin(env.stack.url, 'POST', '/key/delete', { keys: [byKey.key] })).status, 404);
  });

  test('regenerate replaces the key and keeps its settings', async () => {
    const key = await generateKey(env.stack.url, { key_alias: `regen-${env.engine.name}`, models: ['gpt-test'] });
    const fresh = await admin(env.stack.url, 'POST', '/key/regenerate', { key: key.key });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.notEqual(fresh.body.key, key.key);
    assert.equal(fresh.body.key_alias, `regen-${env.engine.name}`);
    assert.deepEqual(fresh.body.models, ['gpt-test']);
    await expectError(await chatWith(env.stack.url, key.key, 'gpt-test'), 401, { code: 'invalid_api_key' });
    assert.equal((await chatWith(env.stack.url, fresh.body.key, 'gpt-test')).status, 200);
  });

  test('list pages through keys with filters', async () => {
    const user = `list-user-${env.engine.name}`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await generateKey(env.stack.url, { user_id: user }));
    const page1 = await admin(env.stack.url, 'GET', `/key/list?user_id=${user}&size=2&page=1`);
    assert.equal(page1.status, 200);
    assert.equal(page1.body.total_count, 3);
    assert.equal(page1.body.total_pages, 2);
    assert.equal(page1.body.keys.length, 2);
    const page2 = await admin(env.stack.url, 'GET', `/key/list?user_id=${user}&size=2&page=2&return_full_object=true`);
    assert.equal(page2.body.keys.length, 1);
    assert.equal(page2.body.keys[0].user_id, user);
    const all = new Set([...page1.body.keys, page2.body.keys[0].token]);
    assert.deepEqual(all, new Set(made.map((key) => key.token)));
  });

  test('bad fields are 400 with the field as param; a duplicate alias is 400', async () => {
    for (const [field, value] of [['user_id', 'nul\0inside'], ['tags', ['nul\0']], ['max_budget', 'lots'], ['models', 'gpt-test'], ['duration', '5 weeks'],
      ['budget_duration', 'monthly'], ['tpm_limit', -1], ['metadata', [1]], ['blocked', 'yes']]) {
      const response = await admin(env.stack.url, 'POST', '/key/generate', { [field]: value });
      assert.equal(response.status, 400, `${field}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.param, field);
    }
    await generateKey(env.stack.url, { key_alias: `dup-${env.engine.name}` });
    const duplicate = await admin(env.stack.url, 'POST', '/key/generate', { key_alias: `dup-${env.engine.name}` });
    assert.equal(duplicate.status, 400);
    assert.equal(duplicate.body.error.param, 'key_alias');
    const notJson = await fetch(`${env.stack.url}/key/generate`, {
      method: 'POST', headers: { Authorization: 'Bearer sk-llmux-master-7Q2bVw-test' }, body: '{nope',
    });
    assert.equal(notJson.status, 400);
  });

  test('SQL-injection strings in every field are stored and returned exactly, and harm nothing', async () => {
    for (const text of kInjections) {
      const key = await generateKey(env.stack.url, {
        key_alias: `${text}-${Math.random()}`, user_id: text, team_id: text, models: [text, 'gpt-test'],
        tags: [text], metadata: { [text]: text }, aliases: { [text]: 'gpt-test' }, budget_duration: '30d',
      });
      assert.equal(key.user_id, text);
      assert.equal(key.team_id, text);
      assert.deepEqual(key.models, [text, 'gpt-test']);
      assert.deepEqual(key.tags, [text]);
      assert.deepEqual(key.metadata, { [text]: text });
      const info = await admin(env.stack.url, 'GET', `/key/info?key=${encodeURIComponent(key.key)}`);
      assert.equal(info.body.info.user_id, text);
      const listed = await admin(env.stack.url, 'GET', `/key/list?user_id=${encodeURIComponent(text)}&size=100`);
      assert.equal(listed.status, 200);
      assert.ok(listed.body.keys.includes(key.token));
      const chat = await chatWith(env.stack.url, key.key, text, { user: text, metadata: { tags: [text] } });
      assert.equal(chat.status, 200, await chat.clone().text());  // the alias leads to gpt-test
      await chat.arrayBuffer();
      // As filters they are plain values (200); as a key, no key (404); as a date, not a date (400).
      for (const [path, status] of [
        [`/spend/logs?user_id=${encodeURIComponent(text)}`, 200],
        [`/spend/logs?api_key=${encodeURIComponent(text)}`, 200],
        [`/key/info?key=${encodeURIComponent(text)}`, 404],
        [`/global/spend?start_date=${encodeURIComponent(text)}`, 400],
      ]) {
        const response = await admin(env.stack.url, 'GET', path);
        assert.equal(response.status, status, `${path}: ${JSON.stringify(response.body)}`);
      }
      const deleted = await admin(env.stack.url, 'POST', '/key/delete', { keys: [text], key_aliases: [text] });
      assert.equal(deleted.status, 404);
    }
    // Every table is still there and every key still works.
    const survivor = await generateKey(env.stack.url);
    assert.equal((await chatWith(env.stack.url, survivor.key, 'gpt-test')).status, 200);
    const listed = await admin(env.stack.url, 'GET', '/key/list?size=100');
    assert.ok(listed.body.total_count > kInjections.length);
    assert.equal((await admin(env.stack.url, 'GET', '/spend/logs')).status, 200);
  });

  test('the master key works everywhere and a wrong key on /key routes is 401', async () => {
    const response = await fetch(`${env.stack.url}/key/list`, { headers: { Authorization: 'Bearer sk-wrong' } });
    await expectError(response, 401, { code: 'invalid_api_key' });
    const chat = await fetch(`${env.stack.url}/v1/chat/completions`, {
      method: 'POST', headers: { Authorization: 'Bearer sk-llmux-master-7Q2bVw-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: kHello }),
    });
    assert.equal(chat.status, 200);
  });
});
