// Embeddings through the SDK: by default it asks for base64 and decodes float32 itself, so the
// gateway must encode; with encoding_format "float" the numbers come through as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { useSdkStack } from '../support/sdk.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';

const sdk = useSdkStack();

test('the SDK default (base64 on the wire) yields the mock floats at float32 precision', async () => {
  const inputs = ['The food was delicious', 'and the waiter was friendly'];
  const before = sdk.stack.mock.requests.length;
  const response = await sdk.openai.embeddings.create({ model: 'embedder', input: inputs });
  assert.equal(response.model, 'embedder');
  assert.equal(response.data.length, 2);
  for (const [i, item] of response.data.entries()) {
    assert.ok(Array.isArray(item.embedding), 'the SDK returns number arrays');
    assert.deepEqual(item.embedding, embeddingFor(inputs[i]).map(Math.fround));
  }
  assert.equal(sdk.stack.mock.requests.length, before + 1);
});

test('encoding_format "float" yields the mock floats (bit-exactness is an integration test)', async () => {
  const response = await sdk.openai.embeddings.create({ model: 'embedder', input: 'hello world', encoding_format: 'float', dimensions: 12 });
  const expected = embeddingFor('hello world', 12);
  assert.equal(response.data[0].embedding.length, expected.length);
  response.data[0].embedding.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= 1e-15, `[${i}] ${value} vs ${expected[i]}`));
  assert.equal(response.usage.total_tokens, 2);
});

test('moderations', async () => {
  const response = await sdk.openai.moderations.create({ model: 'moderator', input: ['I want to kill them.', 'Have a nice day'] });
  assert.equal(response.results.length, 2);
  assert.equal(response.results[0].flagged, true);
  assert.equal(response.results[0].categories.violence, true);
  assert.equal(response.results[1].flagged, false);
  assert.equal(response.results[1].category_applied_input_types.violence[0], 'text');
});
