// models.list() and models.retrieve() through the SDK, including an id with a '/' in it (which
// the SDK sends percent-encoded).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { useSdkStack } from '../support/sdk.mjs';

const sdk = useSdkStack();

test('models.list() pages through every model_name once', async () => {
  const ids = [];
  for await (const model of sdk.openai.models.list()) {
    assert.equal(model.object, 'model');
    ids.push(model.id);
  }
  const expected = [...new Set(sdk.stack.config.model_list.map((entry) => entry.model_name))];
  assert.deepEqual(ids.sort(), expected.sort());
});

test('models.retrieve() finds a model by id', async () => {
  const model = await sdk.openai.models.retrieve('gpt-test');
  assert.equal(model.id, 'gpt-test');
  assert.equal(model.object, 'model');
  assert.equal(typeof model.owned_by, 'string');
});

test('models.retrieve() of an id containing "/" works', async () => {
  const model = await sdk.openai.models.retrieve('org/team-model');
  assert.equal(model.id, 'org/team-model');
});
