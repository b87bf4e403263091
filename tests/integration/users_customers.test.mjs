// Users and end users ("customers") on both engines: /user/* and /customer/* (admin only), a
// user's budget over all of their keys, an end user's budget over every call made for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { expectError } from '../support/assertions.mjs';
import { admin, chatWith, describeOnEachEngine, eventually, generateKey, kCallCost } from '../support/store.mjs';

describeOnEachEngine('users and customers', { proxy_batch_write_at: 0.3 }, (env) => {
  test('a user\'s max_budget covers all of their keys; /user routes', async () => {
    const created = await admin(env.stack.url, 'POST', '/user/new', {
      user_id: `alice-${env.engine.name}`, user_email: 'alice@example.com', max_budget: kCallCost * 1.5,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.user_role, 'internal_user');
    assert.ok(created.body.key.startsWith('sk-'), 'LiteLLM issues the user a key');
    const userId = created.body.user_id;
    const a = await generateKey(env.stack.url, { user_id: userId });
    const b = await generateKey(env.stack.url, { user_id: userId });
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);
    assert.equal((await chatWith(env.stack.url, b.key, 'priced')).status, 200);
    await expectError(await chatWith(env.stack.url, a.key, 'priced'), 400, { type: 'budget_exceeded', message: /User=/ });
    const info = await admin(env.stack.url, 'GET', `/user/info?user_id=${userId}`);
    assert.ok(Math.abs(info.body.user_info.spend - 2 * kCallCost) < 1e-9);
    assert.deepEqual(new Set(info.body.keys), new Set([created.body.token, a.token, b.token]));
    // The database has it too, once flushed.
    await eventually(async () => {
      const rows = (await admin(env.stack.url, 'GET', `/spend/logs?user_id=${userId}`)).body;
      return rows.length === 2;
    }, { what: 'the user\'s rows' });
    const updated = await admin(env.stack.url, 'POST', '/user/update', { user_id: userId, max_budget: null });
    assert.equal(updated.body.max_budget, null);
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);
    assert.equal((await admin(env.stack.url, 'POST', '/user/new', { user_id: userId })).status, 400);
    assert.equal((await admin(env.stack.url, 'POST', '/user/new', { user_role: 'wizard' })).status, 400);
    assert.ok((await admin(env.stack.url, 'GET', '/user/list')).body.users.some((user) => user.user_id === userId));
    assert.deepEqual((await admin(env.stack.url, 'POST', '/user/delete', { user_ids: [userId] })).body, { deleted_users: [userId] });
    assert.equal((await admin(env.stack.url, 'GET', `/user/info?user_id=${userId}`)).status, 404);
  });

  test('an end user\'s budget applies to calls made for them, from `user` or x-litellm-customer-id', async () => {
    const id = `customer-${env.engine.name}`;
    const created = await admin(env.stack.url, 'POST', '/customer/new', { user_id: id, max_budget: kCallCost * 1.5 });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const key = await generateKey(env.stack.url);
    assert.equal((await chatWith(env.stack.url, key.key, 'priced', { user: id })).status, 200);
    assert.equal((await chatWith(env.stack.url, key.key, 'priced', {}, { 'x-litellm-customer-id': id })).status, 200);
    await expectError(await chatWith(env.stack.url, key.key, 'priced', { user: id }), 400,
      { type: 'budget_exceeded', message: /End User=/ });
    assert.equal((await chatWith(env.stack.url, key.key, 'priced', { user: 'someone-else' })).status, 200);
    const info = await admin(env.stack.url, 'GET', `/customer/info?end_user_id=${id}`);
    assert.ok(Math.abs(info.body.spend - 2 * kCallCost) < 1e-9);
    await admin(env.stack.url, 'POST', '/customer/update', { user_id: id, max_budget: 100 });
    assert.equal((await chatWith(env.stack.url, key.key, 'priced', { user: id })).status, 200);
    assert.equal((await admin(env.stack.url, 'POST', '/customer/block', { user_id: id })).body.blocked, true);
    await expectError(await chatWith(env.stack.url, key.key, 'priced', { user: id }), 400, { message: /Blocked end user/ });
    await admin(env.stack.url, 'POST', '/customer/unblock', { user_id: id });
    assert.equal((await chatWith(env.stack.url, key.key, 'priced', { user: id })).status, 200);
    assert.equal((await admin(env.stack.url, 'GET', '/customer/info?end_user_id=nobody')).status, 404);
    assert.deepEqual((await admin(env.stack.url, 'POST', '/customer/delete', { user_ids: [id] })).body, { deleted_users: [id] });
  });

  test('/user/new issues the user a key (unless auto_create_key is false) that reads its own /user/info, with the user\'s teams', async () => {
    const userId = `keyed-${env.engine.name}`;
    const created = await admin(env.stack.url, 'POST', '/user/new', { user_id: userId, models: ['priced'], key_alias: `keyed-${env.engine.name}` });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { key, token } = created.body;
    assert.ok(key.startsWith('sk-'));
    assert.equal(created.body.user_id, userId);
    assert.deepEqual(created.body.models, ['priced']);
    assert.equal(created.body.key_alias, `keyed-${env.engine.name}`);
    const keyInfo = (await admin(env.stack.url, 'GET', `/key/info?key=${key}`)).body.info;
    assert.equal(keyInfo.token, token);
    assert.equal(keyInfo.user_id, userId);
    assert.deepEqual(keyInfo.models, ['priced']);
    const answered = await chatWith(env.stack.url, key, 'priced');
    assert.equal(answered.status, 200, await answered.clone().text());
    await answered.arrayBuffer();
    await expectError(await chatWith(env.stack.url, key, 'gpt-test'), 401, { param: 'model' });

    const team = (await admin(env.stack.url, 'POST', '/team/new', {
      team_alias: `with-${userId}`, members_with_roles: [{ user_id: userId, role: 'admin' }],
    })).body;
    await admin(env.stack.url, 'POST', '/team/new', { team_alias: `without-${userId}` });
    const readAs = (caller, path) => fetch(env.stack.url + path, { headers: { Authorization: `Bearer ${caller}` } });
    for (const path of [`/user/info?user_id=${userId}`, '/user/info']) {
      const response = await readAs(key, path);
      assert.equal(response.status, 200, await response.clone().text());
      const info = await response.json();
      assert.equal(info.user_id, userId, path);
      assert.deepEqual(info.keys, [token], path);
      assert.deepEqual(info.teams.map((t) => [t.team_id, t.team_alias]), [[team.team_id, `with-${userId}`]], path);
      assert.deepEqual(info.teams[0].members_with_roles, [{ user_id: userId, role: 'admin' }]);
    }
    const bare = await admin(env.stack.url, 'POST', '/user/new', { user_id: `bare-${env.engine.name}`, auto_create_key: false });
    assert.equal(bare.status, 200, JSON.stringify(bare.body));
    assert.equal(bare.body.key, null);
    assert.equal((await admin(env.stack.url, 'GET', `/user/info?user_id=bare-${env.engine.name}`)).body.keys.length, 0);
    // Another user's key: LiteLLM's 403.
    const other = await admin(env.stack.url, 'POST', '/user/new', { user_id: `other-${env.engine.name}` });
    await expectError(await readAs(other.body.key, `/user/info?user_id=${userId}`), 403, {
      type: 'auth_error', code: '403',
      message: `key not allowed to access this user's info. user_id=${userId}, key's user_id=other-${env.engine.name}`,
    });
  });

  test('a virtual key is refused on every /user and /customer route but its own /user/info', async () => {
    const key = await generateKey(env.stack.url);
    for (const [method, path] of [['POST', '/user/new'], ['POST', '/user/update'],
      ['POST', '/user/delete'], ['GET', '/user/list'], ['POST', '/customer/new'], ['GET', '/customer/info?end_user_id=x'],
      ['POST', '/customer/update'], ['POST', '/customer/delete'], ['POST', '/customer/block'], ['POST', '/customer/unblock']]) {
      const response = await fetch(env.stack.url + path, {
        method, headers: { Authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ user_id: 'x' }) : undefined,
      });
      await expectError(response, 401, { type: 'auth_error' }, `${method} ${path}`);
    }
  });
});
