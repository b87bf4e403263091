// litellm_settings.max_end_user_budget (docs/KEYS.md): the budget of every end user without one
// of their own, on one instance with its SQLite store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { expectError } from '../support/assertions.mjs';
import { kMasterKey, startStack } from '../support/stack.mjs';
import { admin, chatWith, generateKey, kCallCost, pricedModels } from '../support/store.mjs';

let stack;

before(async () => {
  stack = await startStack({ extraModelsFor: pricedModels, litellmSettings: { max_end_user_budget: 1.5 * kCallCost } });
});

after(async () => {
  await stack?.stop();
});

const money = (usd) => String(Number(usd.toPrecision(10)));

test('an end user without a budget of their own is held to max_end_user_budget', async () => {
  const key = await generateKey(stack.url);
  const created = await admin(stack.url, 'POST', '/customer/new', { user_id: 'no-budget' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal((await chatWith(stack.url, key.key, 'priced', { user: 'no-budget' })).status, 200);
  assert.equal((await chatWith(stack.url, key.key, 'priced', {}, { 'x-litellm-customer-id': 'no-budget' })).status, 200);
  await expectError(await chatWith(stack.url, key.key, 'priced', { user: 'no-budget' }), 400, {
    type: 'budget_exceeded',
    message: `ExceededBudget: End User=no-budget over budget. Spend=${money(2 * kCallCost)}, Budget=${money(1.5 * kCallCost)}`,
  });
  // Calls without an end user, or for another one, are not held back by it.
  assert.equal((await chatWith(stack.url, key.key, 'priced')).status, 200);
  assert.equal((await chatWith(stack.url, key.key, 'priced', { user: 'someone-else' })).status, 200);
});

test('an end user\'s own budget wins over max_end_user_budget', async () => {
  const created = await admin(stack.url, 'POST', '/customer/new', { user_id: 'own-budget', max_budget: 100 });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  for (let i = 0; i < 3; ++i) {
    const response = await chatWith(stack.url, kMasterKey, 'priced', { user: 'own-budget' });
    assert.equal(response.status, 200);
  }
});
