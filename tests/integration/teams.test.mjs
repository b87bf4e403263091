// Teams on both engines: /team/* routes (admin only), and a team's models, budget and limits
// applying to every key of the team.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { expectError } from '../support/assertions.mjs';
import { admin, chatWith, describeOnEachEngine, generateKey, inRoomyMinute, kCallCost } from '../support/store.mjs';

describeOnEachEngine('teams', { proxy_batch_write_at: 0.5 }, (env) => {
  test('a team key with a budget: team models, team budget across its keys, team info', async () => {
    const created = await admin(env.stack.url, 'POST', '/team/new', {
      team_alias: 'search', models: ['priced', 'gpt-test'], max_budget: kCallCost * 1.5, budget_duration: '30d',
      members_with_roles: [{ user_id: 'alice', role: 'admin' }],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const teamId = created.body.team_id;
    assert.ok(teamId);
    assert.deepEqual(created.body.members_with_roles, [{ user_id: 'alice', role: 'admin' }]);
    const first = await generateKey(env.stack.url, { team_id: teamId });
    const second = await generateKey(env.stack.url, { team_id: teamId, models: ['priced', 'tools'] });

    await expectError(await chatWith(env.stack.url, first.key, 'tools'), 401, { type: 'team_model_access_denied' });
    await expectError(await chatWith(env.stack.url, second.key, 'tools'), 401, { type: 'team_model_access_denied' },
      'the key allows tools, its team does not');
    assert.equal((await chatWith(env.stack.url, first.key, 'priced')).status, 200);
    assert.equal((await chatWith(env.stack.url, second.key, 'priced')).status, 200);
    // The team has spent 2 calls > 1.5: both keys are refused.
    for (const key of [first, second]) {
      await expectError(await chatWith(env.stack.url, key.key, 'priced'), 400, { type: 'budget_exceeded', message: /Team=/ });
    }
    // Unlike a key's own budget, a team's holds on every route, as LiteLLM's.
    await expectError(await fetch(`${env.stack.url}/model/info`, { headers: { Authorization: `Bearer ${first.key}` } }),
      400, { type: 'budget_exceeded', message: /Team=/ });
    const info = await admin(env.stack.url, 'GET', `/team/info?team_id=${teamId}`);
    assert.equal(info.status, 200);
    assert.ok(Math.abs(info.body.team_info.spend - 2 * kCallCost) < 1e-9);
    assert.deepEqual(new Set(info.body.keys), new Set([first.token, second.token]));
    // Raising the team's budget lets its keys call again.
    const raised = await admin(env.stack.url, 'POST', '/team/update', { team_id: teamId, max_budget: 100 });
    assert.equal(raised.status, 200);
    assert.equal((await chatWith(env.stack.url, first.key, 'priced')).status, 200);
  });

  test('team limits count all of its keys together', async () => {
    await inRoomyMinute();
    const team = (await admin(env.stack.url, 'POST', '/team/new', { rpm_limit: 2 })).body;
    const a = await generateKey(env.stack.url, { team_id: team.team_id });
    const b = await generateKey(env.stack.url, { team_id: team.team_id });
    assert.equal((await chatWith(env.stack.url, a.key, 'priced')).status, 200);
    assert.equal((await chatWith(env.stack.url, b.key, 'priced')).status, 200);
    const refused = await chatWith(env.stack.url, a.key, 'priced');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await expectError(refused, 429, { message: /rate limit type = team\. .*current rpm: 2, rpm limit: 2/ });
  });

  test('members, block, list, delete', async () => {
    const team = (await admin(env.stack.url, 'POST', '/team/new', { team_id: `t-${env.engine.name}`, team_alias: "o'brien" })).body;
    assert.equal(team.team_id, `t-${env.engine.name}`);
    assert.equal((await admin(env.stack.url, 'POST', '/team/new', { team_id: `t-${env.engine.name}` })).status, 400);
    const added = await admin(env.stack.url, 'POST', '/team/member_add', { team_id: team.team_id, member: [{ user_id: 'bob' }, { user_id: 'eve', role: 'admin' }] });
    assert.deepEqual(added.body.members_with_roles, [{ user_id: 'bob', role: 'user' }, { user_id: 'eve', role: 'admin' }]);
    const removed = await admin(env.stack.url, 'POST', '/team/member_delete', { team_id: team.team_id, user_id: 'bob' });
    assert.deepEqual(removed.body.members_with_roles, [{ user_id: 'eve', role: 'admin' }]);
    assert.equal((await admin(env.stack.url, 'POST', '/team/member_delete', { team_id: team.team_id, user_id: 'bob' })).status, 404);
    assert.equal((await admin(env.stack.url, 'POST', '/team/member_add', { team_id: team.team_id, member: { role: 'user' } })).status, 400);

    const key = await generateKey(env.stack.url, { team_id: team.team_id });
    assert.equal((await admin(env.stack.url, 'POST', '/team/block', { team_id: team.team_id })).body.blocked, true);
    await expectError(await chatWith(env.stack.url, key.key, 'priced'), 401, { message: /Team is blocked/ });
    assert.equal((await admin(env.stack.url, 'POST', '/team/unblock', { team_id: team.team_id })).body.blocked, false);
    assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);

    const listed = await admin(env.stack.url, 'GET', '/team/list');
    assert.ok(listed.body.some((entry) => entry.team_alias === "o'brien"));
    assert.deepEqual((await admin(env.stack.url, 'POST', '/team/delete', { team_ids: [team.team_id] })).body, { deleted_teams: [team.team_id] });
    assert.equal((await admin(env.stack.url, 'GET', `/team/info?team_id=${team.team_id}`)).status, 404);
    // A key whose team is gone keeps working under its own rules.
    assert.equal((await chatWith(env.stack.url, key.key, 'priced')).status, 200);
  });

  test('a key of a team, or of one of its members, reads the team\'s /team/info; another key is LiteLLM\'s 403', async () => {
    const team = (await admin(env.stack.url, 'POST', '/team/new', {
      team_alias: `readers-${env.engine.name}`, members_with_roles: [{ user_id: `member-${env.engine.name}`, role: 'user' }],
    })).body;
    const teamKey = await generateKey(env.stack.url, { team_id: team.team_id });
    const memberKey = await generateKey(env.stack.url, { user_id: `member-${env.engine.name}` });
    const otherKey = await generateKey(env.stack.url, { user_id: `outsider-${env.engine.name}` });
    const read = (key) => fetch(`${env.stack.url}/team/info?team_id=${team.team_id}`, { headers: { Authorization: `Bearer ${key.key}` } });
    for (const key of [teamKey, memberKey]) {
      const response = await read(key);
      assert.equal(response.status, 200, await response.clone().text());
      const info = await response.json();
      assert.equal(info.team_id, team.team_id);
      assert.equal(info.team_info.team_alias, `readers-${env.engine.name}`);
      assert.deepEqual(info.keys, [teamKey.token]);
    }
    await expectError(await read(otherKey), 403, {
      type: 'auth_error', code: '403', message: `User=outsider-${env.engine.name} not authorized to access this team=${team.team_id}`,
    });
    const unknown = await fetch(`${env.stack.url}/team/info?team_id=nobody`, { headers: { Authorization: `Bearer ${otherKey.key}` } });
    await expectError(unknown, 404, { param: 'team_id' });
  });

  test('a virtual key is refused on every team route but /team/info', async () => {
    const key = await generateKey(env.stack.url);
    const routes = [['POST', '/team/new'], ['POST', '/team/update'], ['POST', '/team/delete'], ['GET', '/team/list'],
      ['POST', '/team/member_add'], ['POST', '/team/member_delete'],
      ['POST', '/team/block'], ['POST', '/team/unblock']];
    for (const [method, path] of routes) {
      const response = await fetch(env.stack.url + path, {
        method, headers: { Authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ team_id: 'x' }) : undefined,
      });
      await expectError(response, 401, { type: 'auth_error' }, `${method} ${path}`);
    }
  });
});
