// Embeddings: floats pass through exactly; with encoding_format "base64" the gateway turns the
// upstream's floats into base64 of little-endian float32 (what the openai Node SDK asks for).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startStack, postJson } from '../support/stack.mjs';
import { embeddingFor, kModerationCategories } from '../mock_upstream/bodies.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(() => stack?.stop());

async function embed(body) {
  const response = await postJson(stack.url, '/v1/embeddings', { model: 'embedder', ...body });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text);
}

function decodeFloat32(base64) {
  const bytes = Buffer.from(base64, 'base64');
  assert.equal(bytes.length % 4, 0, 'base64 must hold whole float32 values');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

// Equal to within a few ulps: the shape tests below should not fail on float re-rounding, which
// the bit-exact test reports on its own.
function assertVectorsClose(actual, expected) {
  assert.equal(actual.length, expected.length);
  for (const [i, vector] of expected.entries()) {
    assert.equal(actual[i].length, vector.length, `vector ${i} length`);
    vector.forEach((value, j) => {
      assert.ok(Math.abs(actual[i][j] - value) <= 1e-15 * Math.max(1, Math.abs(value)), `[${i}][${j}]: ${actual[i][j]} vs ${value}`);
    });
  }
}

test('embedding floats pass through bit-exact (no re-rounding on the way)', async () => {
  const inputs = Array.from({ length: 20 }, (_, i) => `input number ${i}`);
  const body = await embed({ input: inputs, encoding_format: 'float', dimensions: 64 });
  assert.deepEqual(body.data.map((item) => item.embedding), inputs.map((input) => embeddingFor(input, 64)));
});

for (const encoding of ['float', undefined]) {
  test(`encoding_format ${encoding ?? 'absent'}: the upstream floats come back`, async () => {
    const body = await embed({ input: ['alpha', 'beta', 'gamma'], ...(encoding ? { encoding_format: encoding } : {}) });
    assert.equal(body.object, 'list');
    assert.equal(body.model, 'embedder');
    assert.deepEqual(body.data.map((item) => item.index), [0, 1, 2]);
    assert.deepEqual(body.data.map((item) => item.object), ['embedding', 'embedding', 'embedding']);
    assertVectorsClose(body.data.map((item) => item.embedding), ['alpha', 'beta', 'gamma'].map((input) => embeddingFor(input)));
    assert.deepEqual(body.usage, { prompt_tokens: 3, total_tokens: 3 });
  });
}

test('encoding_format base64: each vector is base64 of little-endian float32', async () => {
  const inputs = ['alpha', 'beta'];
  const body = await embed({ input: inputs, encoding_format: 'base64', dimensions: 16 });
  assert.equal(body.model, 'embedder');
  for (const [i, item] of body.data.entries()) {
    assert.equal(typeof item.embedding, 'string', 'base64 was asked for');
    assert.match(item.embedding, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.deepEqual(decodeFloat32(item.embedding), embeddingFor(inputs[i], 16).map(Math.fround));
  }
});

test('a single string and token-id inputs are embedded too', async () => {
  const single = await embed({ input: 'just one', encoding_format: 'float' });
  assertVectorsClose(single.data.map((item) => item.embedding), [embeddingFor('just one')]);
  const tokens = await embed({ input: [1212, 318, 257], encoding_format: 'float' });
  assertVectorsClose(tokens.data.map((item) => item.embedding), [embeddingFor([1212, 318, 257])]);
});

test('moderations return one 13-category result per input', async () => {
  const response = await postJson(stack.url, '/v1/moderations', { model: 'moderator', input: ['I will kill the process', 'good morning'] });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.results.length, 2);
  assert.deepEqual(body.results.map((result) => result.flagged), [true, false]);
  for (const result of body.results) {
    assert.deepEqual(Object.keys(result.categories).sort(), [...kModerationCategories].sort());
    assert.deepEqual(Object.keys(result.category_scores).sort(), [...kModerationCategories].sort());
  }
});
