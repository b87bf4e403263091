// models.list() and models.retrieve() through the SDK, including an id with a '/' in it (which
// the SDK sends percent-encoded).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSdkStack } from '../support/sdk.mjs';

let stack;
let openai;
before(async () => {
  const started = await startSdkStack();
  stack = started.stack;
  openai = started.client();
});
after(() => stack?.stop());

test('models.list() pages through every model_name once', async () => {
  const ids = [];
  for await (const model of openai.models.list()) {
    assert.equal(model.object, 'model');
    ids.push(model.id);
  }
  const expected = [...new Set(stack.config.model_list.map((entry) => entry.model_name))];
  assert.deepEqual(ids.sort(), expected.sort());
});

test('models.retrieve() finds a model by id', async () => {
  const model = await openai.models.retrieve('gpt-test');
  assert.equal(model.id, 'gpt-test');
  assert.equal(model.object, 'model');
  assert.equal(typeof model.owned_by, 'string');
});

test('models.retrieve() of an id containing "/" works', async () => {
  const model = await openai.models.retrieve('org/team-model');
  assert.equal(model.id, 'org/team-model');
});
