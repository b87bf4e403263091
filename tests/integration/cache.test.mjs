// The response cache end to end (docs/CACHING.md): litellm_settings.cache with type local and
// type redis on a real redis-server, the body's cache controls, streaming replay through the
// openai SDK, two gateways sharing one Redis, Redis stopped mid-run (no failed request), and a
// hit's cost, spend-log row and metrics. The mock upstream counts what reached a provider.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { expectError } from '../support/assertions.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue, modelEntry, postJson, startStack } from '../support/stack.mjs';
import { admin, chatWith, eventually, generateKey, kCallCost, kInputPrice, pricedModels, sleep } from '../support/store.mjs';

const upstreamCalls = (mock) => mock.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

function chat(url, content, extra = {}, headers = {}) {
  return postJson(url, '/v1/chat/completions',
    { model: 'gpt-test', messages: [{ role: 'user', content }], ...extra }, { headers });
}

async function answerOf(response) {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return { body: JSON.parse(text), key: response.headers.get('x-litellm-cache-key'), headers: response.headers };
}

const sdk = (url) => new OpenAI({ apiKey: kMasterKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 10_000 });

async function streamedText(stream) {
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, finish, usage };
}

// An embedding model with a known price per input token.
const pricedEmbedder = (mockUrl) => ({
  model_name: 'priced-embedder',
  litellm_params: {
    model: 'openai/text-embedding-mock', api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-priced',
    input_cost_per_token: kInputPrice,
  },
});

describe('cache type local', () => {
  let stack;
  before(async () => {
    stack = await startStack({
      extraModelsFor: (mockUrl) => [...pricedModels(mockUrl), pricedEmbedder(mockUrl)],
      generalSettings: { proxy_batch_write_at: 0.5 },
      litellmSettings: { cache: true, cache_params: { type: 'local', namespace: 'team' } },
    });
  });
  after(() => stack.stop());

  test('a repeated request is answered from the cache, with its key in a header', async () => {
    const before = upstreamCalls(stack.mock);
    const first = await answerOf(await chat(stack.url, 'repeat me'));
    const second = await answerOf(await chat(stack.url, 'repeat me', { user: 'someone-else', metadata: { a: 1 } }));
    assert.equal(upstreamCalls(stack.mock), before + 1, 'one call reached the upstream');
    assert.deepEqual(second.body, first.body);
    assert.match(first.key, /^team:[0-9a-f]{64}$/);
    assert.equal(second.key, first.key);
    const third = await answerOf(await chat(stack.url, 'repeat me', { temperature: 0.3 }));
    assert.notEqual(third.key, first.key, 'a field that changes the answer changes the key');
    assert.equal(upstreamCalls(stack.mock), before + 2);
  });

  test('a stream is replayed from a whole answer, and a whole answer from a stream (openai SDK)', async () => {
    const openai = sdk(stack.url);
    const before = upstreamCalls(stack.mock);
    const whole = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'whole first' }] });
    const replayed = await streamedText(await openai.chat.completions.create({
      model: 'gpt-test', messages: [{ role: 'user', content: 'whole first' }], stream: true,
      stream_options: { include_usage: true },
    }));
    assert.equal(upstreamCalls(stack.mock), before + 1);
    assert.equal(replayed.text, whole.choices[0].message.content);
    assert.equal(replayed.finish, whole.choices[0].finish_reason);
    assert.deepEqual(replayed.usage, whole.usage);

    const streamed = await streamedText(await openai.chat.completions.create({
      model: 'gpt-test', messages: [{ role: 'user', content: 'stream first' }], stream: true,
    }));
    const fromStream = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'stream first' }] });
    assert.equal(upstreamCalls(stack.mock), before + 2);
    assert.equal(fromStream.choices[0].message.content, streamed.text);
    assert.equal(fromStream.choices[0].finish_reason, streamed.finish);
  });

  test('per-request controls: no-cache, no-store, namespace, s-maxage, ttl', async () => {
    const before = upstreamCalls(stack.mock);
    await answerOf(await chat(stack.url, 'controls'));
    // no-cache: not read (goes upstream), still stored.
    await answerOf(await chat(stack.url, 'controls', { cache: { 'no-cache': true } }));
    assert.equal(upstreamCalls(stack.mock), before + 2);
    // no-store: a new prompt answered and not kept.
    await answerOf(await chat(stack.url, 'not kept', { cache: { 'no-store': true } }));
    await answerOf(await chat(stack.url, 'not kept'));
    assert.equal(upstreamCalls(stack.mock), before + 4);
    await answerOf(await chat(stack.url, 'not kept'));
    assert.equal(upstreamCalls(stack.mock), before + 4, 'the plain request stored it');
    // namespace: its own keys.
    const spaced = await answerOf(await chat(stack.url, 'controls', { cache: { namespace: 'other' } }));
    assert.match(spaced.key, /^other:/);
    assert.equal(upstreamCalls(stack.mock), before + 5);
    // s-maxage: an entry older than the request accepts is not an answer.
    // (The waits below are what is tested: an entry's age, not a synchronisation.)
    await answerOf(await chat(stack.url, 'aged'));
    await sleep(30);
    await answerOf(await chat(stack.url, 'aged', { cache: { 's-maxage': 60 } }));
    assert.equal(upstreamCalls(stack.mock), before + 6, 'young enough');
    await answerOf(await chat(stack.url, 'aged', { cache: { 's-maxage': 0.01 } }));
    assert.equal(upstreamCalls(stack.mock), before + 7, 'too old');
    // ttl: the entry is gone once it expires.
    await answerOf(await chat(stack.url, 'short-lived', { cache: { ttl: 0.5 } }));
    await answerOf(await chat(stack.url, 'short-lived'));
    assert.equal(upstreamCalls(stack.mock), before + 8, 'kept within its ttl');
    await sleep(600);
    await answerOf(await chat(stack.url, 'short-lived'));
    assert.equal(upstreamCalls(stack.mock), before + 9, 'gone after it');
  });

  test('embeddings are cached per input: a batch answers its inputs alone and reordered', async () => {
    const calls = () => stack.mock.requests.filter((request) => request.path.endsWith('/embeddings')).length;
    const embed = async (input) => answerOf(await postJson(stack.url, '/v1/embeddings', { model: 'embedder', input }));
    const before = calls();
    const batch = await embed(['alpha input', 'beta input']);
    const alone = await embed('beta input');
    const reordered = await embed(['beta input', 'alpha input']);
    assert.equal(calls(), before + 1, 'one upstream call for all three');
    assert.notDeepEqual(batch.body.data[0].embedding, batch.body.data[1].embedding);
    assert.deepEqual(alone.body.data[0].embedding, batch.body.data[1].embedding);
    assert.deepEqual(reordered.body.data.map((item) => item.embedding),
      [batch.body.data[1].embedding, batch.body.data[0].embedding]);
    assert.deepEqual(reordered.body.data.map((item) => item.index), [0, 1]);
    assert.equal(reordered.body.usage.prompt_tokens, batch.body.usage.prompt_tokens);
    assert.equal(reordered.body.model, batch.body.model);
  });

  test('embeddings with some inputs cached: only the others go upstream, the answer in order, usage and cost theirs', async () => {
    const embeddingRequests = () => stack.mock.requests.filter((request) => request.path.endsWith('/embeddings'));
    const embed = async (input) => {
      const response = await postJson(stack.url, '/v1/embeddings', { model: 'priced-embedder', input });
      return { ...(await answerOf(response)), cost: Number(response.headers.get('x-litellm-response-cost')) };
    };
    const first = await embed(['one cached input', 'two cached inputs']);
    const before = embeddingRequests().length;
    const mixed = await embed(['new input here', 'two cached inputs', 'one cached input', 'also new']);
    assert.equal(embeddingRequests().length, before + 1);
    assert.deepEqual(embeddingRequests().at(-1).body.input, ['new input here', 'also new'],
      'only the inputs the cache lacks, in order');
    const vectors = mixed.body.data.map((item) => item.embedding);
    assert.deepEqual(mixed.body.data.map((item) => item.index), [0, 1, 2, 3]);
    assert.deepEqual(vectors[1], first.body.data[1].embedding);
    assert.deepEqual(vectors[2], first.body.data[0].embedding);
    // The mock's usage is one token a word: 3 + 2 went upstream.
    assert.equal(mixed.body.usage.prompt_tokens, 5);
    assert.equal(mixed.body.usage.total_tokens, 5);
    assert.ok(Math.abs(mixed.cost - 5 * kInputPrice) < 1e-12, String(mixed.cost));
    // What went upstream was stored: all four now answer from the cache, each its own vector.
    const again = await embed(['also new', 'new input here']);
    assert.equal(embeddingRequests().length, before + 1);
    assert.deepEqual(again.body.data.map((item) => item.embedding), [vectors[3], vectors[0]]);
    assert.equal(again.cost, 0);
    // no-cache: nothing read, everything upstream.
    await answerOf(await postJson(stack.url, '/v1/embeddings',
      { model: 'priced-embedder', input: ['one cached input', 'also new'], cache: { 'no-cache': true } }));
    assert.deepEqual(embeddingRequests().at(-1).body.input, ['one cached input', 'also new']);
  });

  test('a Cache-Control header\'s s-maxage is the stored answer\'s ttl, as LiteLLM reads it', async () => {
    const before = upstreamCalls(stack.mock);
    // s-maxage=0: the answer lives 0 s, so the next request does not find it.
    await answerOf(await chat(stack.url, 'header lifetime', {}, { 'Cache-Control': 's-maxage=0' }));
    await answerOf(await chat(stack.url, 'header lifetime'));
    assert.equal(upstreamCalls(stack.mock), before + 2);
    await answerOf(await chat(stack.url, 'header lifetime'));
    assert.equal(upstreamCalls(stack.mock), before + 2, 'stored with the configured lifetime');
    // The body's own ttl wins over the header's.
    await answerOf(await chat(stack.url, 'body ttl wins', { cache: { ttl: 600 } }, { 'Cache-Control': 's-maxage=0' }));
    await answerOf(await chat(stack.url, 'body ttl wins'));
    assert.equal(upstreamCalls(stack.mock), before + 3);
    await expectError(await chat(stack.url, 'x', {}, { 'Cache-Control': 's-maxage=soon' }), 400);
  });

  test('a key\'s metadata.cache takes the place of its requests\' cache controls', async () => {
    const { key: noCache } = await generateKey(stack.url, { metadata: { cache: { 'no-cache': true } } });
    const { key: noStore } = await generateKey(stack.url, { metadata: { cache: { 'no-store': true } } });
    const ask = (key, content, extra = {}) =>
      chatWith(stack.url, key, 'gpt-test', { messages: [{ role: 'user', content }], ...extra });
    const before = upstreamCalls(stack.mock);
    await answerOf(await chat(stack.url, 'key level'));
    await answerOf(await ask(noCache, 'key level'));
    assert.equal(upstreamCalls(stack.mock), before + 2, 'the no-cache key is not answered from the cache');
    await answerOf(await ask(noStore, 'key level never kept', { cache: { ttl: 600 } }));
    await answerOf(await chat(stack.url, 'key level never kept'));
    assert.equal(upstreamCalls(stack.mock), before + 4, 'the no-store key\'s answer was not kept');
  });

  test('malformed controls are a 400 naming cache', async () => {
    await expectError(await chat(stack.url, 'x', { cache: { ttl: 'soon' } }), 400, { param: 'cache' });
    await expectError(await chat(stack.url, 'x', { cache: 'yes' }), 400, { param: 'cache' });
  });

  test('a hit costs nothing, is a cache_hit in the spend log, and is counted in /metrics', async () => {
    const { key } = await generateKey(stack.url);
    const hitsBefore = await metricValue(stack.url, 'llmux_cache_lookups_total{result="hit"}');
    const miss = await chatWith(stack.url, key, 'priced', { messages: [{ role: 'user', content: 'priced once' }] });
    assert.equal(miss.status, 200, await miss.clone().text());
    assert.equal(Number(miss.headers.get('x-litellm-response-cost')), kCallCost);
    const hit = await chatWith(stack.url, key, 'priced', { messages: [{ role: 'user', content: 'priced once' }] });
    assert.equal(hit.status, 200);
    assert.equal(Number(hit.headers.get('x-litellm-response-cost')), 0);
    assert.equal(Number(hit.headers.get('x-litellm-key-spend')), kCallCost, 'the hit added nothing');
    assert.equal(await metricValue(stack.url, 'llmux_cache_lookups_total{result="hit"}'), hitsBefore + 1);
    assert.ok(await metricValue(stack.url, 'llmux_cache_memory_entries') > 0);
    const logs = await eventually(async () => {
      const { body } = await admin(stack.url, 'GET', `/spend/logs?api_key=${key}`);
      return Array.isArray(body) && body.length === 2 ? body : null;
    }, { what: 'two spend-log rows' });
    const byHit = Object.fromEntries(logs.map((row) => [String(row.cache_hit), row]));
    assert.equal(byHit.True.spend, 0);
    assert.equal(byHit.False.spend, kCallCost);
    assert.equal(byHit.True.total_tokens, byHit.False.total_tokens, 'the stored answer\'s usage');
    const hitId = hit.headers.get('x-litellm-call-id');
    await eventually(() => stack.gateway.stderr().split('\n').some((line) =>
      line.includes('"type":"access"') && line.includes(hitId) && line.includes('"cache_hit":true')),
    { what: 'the access-log line of the hit' });
  });

  test('a hit counts towards the key\'s rpm_limit', async () => {
    const { key } = await generateKey(stack.url, { rpm_limit: 2 });
    const body = { messages: [{ role: 'user', content: 'rate limited hits' }] };
    assert.equal((await chatWith(stack.url, key, 'gpt-test', body)).status, 200);
    const hit = await chatWith(stack.url, key, 'gpt-test', body);
    assert.equal(hit.status, 200);
    assert.equal(hit.headers.get('x-ratelimit-remaining-requests'), '0');
    await expectError(await chatWith(stack.url, key, 'gpt-test', body), 429);
  });

  test('text completions are cached too', async () => {
    const completions = () => stack.mock.requests.filter((request) => request.path.endsWith('/v1/completions')).length;
    const before = completions();
    const ask = () => postJson(stack.url, '/v1/completions', { model: 'instruct', prompt: 'Once upon a time' });
    const first = await answerOf(await ask());
    const second = await answerOf(await ask());
    assert.equal(completions(), before + 1);
    assert.deepEqual(second.body, first.body);
    assert.equal(first.body.object, 'text_completion');
  });
});

// The admin routes' answers, with the master key unless another is given.
function cacheRoute(url, method, path, body, key = kMasterKey) {
  return fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function okJson(response) {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text);
}

describe('cache admin routes, type local', () => {
  let stack;
  before(async () => {
    stack = await startStack({ litellmSettings: { cache: true, cache_params: { type: 'local', namespace: 'team', ttl: 300 } } });
  });
  after(() => stack.stop());

  test('/cache/ping shows the configuration', async () => {
    const ping = await okJson(await cacheRoute(stack.url, 'GET', '/cache/ping'));
    assert.equal(ping.status, 'healthy');
    assert.equal(ping.cache_type, 'local');
    const params = JSON.parse(ping.litellm_cache_params);
    assert.equal(params.type, 'local');
    assert.equal(params.namespace, 'team');
    assert.equal(params.ttl, 300);
    assert.equal(params.mode, 'default_on');
    assert.ok(params.supported_call_types.includes('acompletion'));
    assert.equal(ping.ping_response, undefined, 'nothing to ping in memory');
  });

  test('/cache/delete takes entries out by their x-litellm-cache-key; /cache/flushall takes all', async () => {
    const before = upstreamCalls(stack.mock);
    const { key } = await answerOf(await chat(stack.url, 'to delete'));
    await answerOf(await chat(stack.url, 'to keep'));
    await answerOf(await chat(stack.url, 'to delete'));
    assert.equal(upstreamCalls(stack.mock), before + 2);
    assert.deepEqual(await okJson(await cacheRoute(stack.url, 'POST', '/cache/delete', { keys: [key, 'team:unknown'] })),
      { status: 'success', deleted: 1 });
    await answerOf(await chat(stack.url, 'to delete'));
    await answerOf(await chat(stack.url, 'to keep'));
    assert.equal(upstreamCalls(stack.mock), before + 3, 'only the deleted entry went upstream again');

    const flushed = await okJson(await cacheRoute(stack.url, 'POST', '/cache/flushall'));
    assert.equal(flushed.status, 'success');
    assert.equal(flushed.deleted, 2);
    await answerOf(await chat(stack.url, 'to keep'));
    assert.equal(upstreamCalls(stack.mock), before + 4);
  });

  test('the master key only; a malformed delete is a 400 naming keys', async () => {
    const { key } = await generateKey(stack.url);
    await expectError(await cacheRoute(stack.url, 'GET', '/cache/ping', undefined, key), 401);
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/flushall', undefined, key), 401);
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/delete', { keys: ['x'] }, key), 401);
    await expectError(await cacheRoute(stack.url, 'GET', '/cache/redis/info', undefined, key), 401);
    await expectError(await cacheRoute(stack.url, 'GET', '/cache/ping', undefined, 'sk-unknown'), 401);
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/delete', { keys: 'x' }), 400, { param: 'keys' });
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/delete', {}), 400, { param: 'keys' });
  });

  test('/cache/redis/info is a 503: the local type has no Redis', async () => {
    const body = await expectError(await cacheRoute(stack.url, 'GET', '/cache/redis/info'), 503);
    assert.match(body.error.message, /^Service Unhealthy \(cache type local/);
  });
});

describe('cache admin routes without a cache', () => {
  let stack;
  before(async () => { stack = await startStack(); });
  after(() => stack.stop());

  test('each is a 503', async () => {
    await expectError(await cacheRoute(stack.url, 'GET', '/cache/ping'), 503);
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/delete', { keys: ['x'] }), 503);
    await expectError(await cacheRoute(stack.url, 'POST', '/cache/flushall'), 503);
    await expectError(await cacheRoute(stack.url, 'GET', '/cache/redis/info'), 503);
  });
});

describe('cache_params.supported_call_types', () => {
  let stack;
  before(async () => {
    stack = await startStack({
      litellmSettings: { cache: true, cache_params: { type: 'local', supported_call_types: ['acompletion'] } },
    });
  });
  after(() => stack.stop());

  test('only the listed call types are cached', async () => {
    const embeddings = () => stack.mock.requests.filter((request) => request.path.endsWith('/embeddings')).length;
    const before = { chat: upstreamCalls(stack.mock), embeddings: embeddings() };
    const embed = () => postJson(stack.url, '/v1/embeddings', { model: 'embedder', input: 'not cached' });
    const first = await answerOf(await embed());
    await answerOf(await embed());
    assert.equal(embeddings(), before.embeddings + 2, 'aembedding is not listed');
    assert.equal(first.key, null, 'an answer of a call type not cached has no cache key');
    await answerOf(await chat(stack.url, 'listed'));
    await answerOf(await chat(stack.url, 'listed'));
    assert.equal(upstreamCalls(stack.mock), before.chat + 1, 'acompletion is');
  });
});

describe('cache mode default_off', () => {
  let stack;
  before(async () => {
    stack = await startStack({ litellmSettings: { cache: true, cache_params: { type: 'local', mode: 'default_off' } } });
  });
  after(() => stack.stop());

  test('only a request with use-cache is cached', async () => {
    const before = upstreamCalls(stack.mock);
    const plain = await answerOf(await chat(stack.url, 'opt in'));
    assert.equal(plain.key, null, 'not a cacheable request: no key');
    await answerOf(await chat(stack.url, 'opt in'));
    assert.equal(upstreamCalls(stack.mock), before + 2);
    await answerOf(await chat(stack.url, 'opt in', { cache: { 'use-cache': true } }));
    const hit = await answerOf(await chat(stack.url, 'opt in', { cache: { 'use-cache': true } }));
    assert.equal(upstreamCalls(stack.mock), before + 3);
    assert.match(hit.key, /^[0-9a-f]{64}$/);
  });
});

describe('cache type redis', () => {
  let redis;
  let mock;
  let gateways = [];
  before(async () => {
    redis = await startRedis();
    mock = await startMockUpstream();
    const config = {
      model_list: [modelEntry('gpt-test', 'gpt-4o-upstream', `${mock.url}/v1`)],
      general_settings: { master_key: kMasterKey },
      litellm_settings: { cache: true, cache_params: { type: 'redis', host: '127.0.0.1', port: redis.port, ttl: 600 } },
    };
    gateways = [await startGateway({ config }), await startGateway({ config })];
  });
  after(async () => {
    for (const gateway of gateways) await gateway.stop();
    await mock?.close();
    await redis?.stop();
  });

  test('two gateways on one Redis share entries, whole and streamed', async () => {
    const [a, b] = gateways;
    const before = upstreamCalls(mock);
    const stored = await answerOf(await chat(a.url, 'shared'));
    const hit = await answerOf(await chat(b.url, 'shared'));
    assert.equal(upstreamCalls(mock), before + 1, 'B answered from what A stored');
    assert.deepEqual(hit.body, stored.body);
    assert.equal(hit.key, stored.key);
    const replayed = await streamedText(await sdk(b.url).chat.completions.create({
      model: 'gpt-test', messages: [{ role: 'user', content: 'shared' }], stream: true,
    }));
    assert.equal(replayed.text, stored.body.choices[0].message.content);
    assert.equal(upstreamCalls(mock), before + 1);
  });

  test('Redis stopped mid-run: every request is still answered, uncached, and counted', async () => {
    const [a, b] = gateways;
    const errorsBefore = await metricValue(a.url, 'llmux_cache_redis_errors_total');
    await answerOf(await chat(a.url, 'outage'));
    await redis.stop();
    const before = upstreamCalls(mock);
    for (let i = 0; i < 3; ++i) {
      await answerOf(await chat(a.url, 'outage'));
      await answerOf(await chat(b.url, 'outage'));
    }
    assert.equal(upstreamCalls(mock), before + 6, 'each went upstream');
    assert.ok(await metricValue(a.url, 'llmux_cache_redis_errors_total') > errorsBefore);
    assert.match(a.stderr(), /response cache: Redis did not answer/);
    await redis.start();
    // Once Redis is back (after the client's reconnect backoff), entries are stored and shared
    // again, and that is logged.
    await eventually(async () => {
      const calls = upstreamCalls(mock);
      await answerOf(await chat(a.url, 'after the outage'));
      await answerOf(await chat(b.url, 'after the outage'));
      return upstreamCalls(mock) === calls + 1 || upstreamCalls(mock) === calls;
    }, { timeoutMs: 10_000, what: 'caching again after Redis came back' });
    assert.match(a.stderr(), /response cache: Redis answers again/);
  });
});

describe('cache admin routes, type redis (with a password)', () => {
  const password = 'cache-admin-secret-7f3a';
  let redis;
  let mock;
  let gateways = [];
  const cli = (...args) => execFileSync('redis-cli',
    ['-p', String(redis.port), '-a', password, '--no-auth-warning', ...args], { encoding: 'utf8' }).trim();
  before(async () => {
    redis = await startRedis();
    execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'requirepass', password]);
    mock = await startMockUpstream();
    const config = {
      model_list: [modelEntry('gpt-test', 'gpt-4o-upstream', `${mock.url}/v1`)],
      general_settings: { master_key: kMasterKey },
      litellm_settings: {
        cache: true,
        cache_params: { type: 'redis', host: '127.0.0.1', port: redis.port, password, namespace: 'ns' },
      },
    };
    gateways = [await startGateway({ config }), await startGateway({ config })];
  });
  after(async () => {
    for (const gateway of gateways) await gateway.stop();
    await mock?.close();
    await redis?.stop();
  });

  test('/cache/ping: Redis answered and took a write; where it is, never its password', async () => {
    const response = await cacheRoute(gateways[0].url, 'GET', '/cache/ping');
    const text = await response.clone().text();
    const ping = await okJson(response);
    assert.equal(ping.status, 'healthy');
    assert.equal(ping.cache_type, 'redis');
    assert.equal(ping.ping_response, true);
    assert.equal(ping.set_cache_response, 'success');
    assert.equal(ping.health_check_cache_params.redis_host, '127.0.0.1');
    assert.equal(ping.health_check_cache_params.redis_port, redis.port);
    assert.equal(ping.health_check_cache_params.redis_version, cli('INFO', 'server').match(/redis_version:(\S+)/)[1]);
    assert.equal(JSON.parse(ping.litellm_cache_params).namespace, 'ns');
    assert.ok(!text.includes(password), text);
  });

  test('/cache/redis/info: both gateways among the clients, INFO parsed, never the password', async () => {
    const response = await cacheRoute(gateways[0].url, 'GET', '/cache/redis/info');
    const text = await response.clone().text();
    const info = await okJson(response);
    assert.equal(info.num_clients, info.clients.length);
    // Each gateway has its cache connection open (the ping above, or this call, dialled it).
    await okJson(await cacheRoute(gateways[1].url, 'GET', '/cache/ping'));
    const again = await okJson(await cacheRoute(gateways[0].url, 'GET', '/cache/redis/info'));
    assert.ok(again.num_clients >= 2, JSON.stringify(again.clients));
    assert.ok(again.clients.every((client) => typeof client.addr === 'string' && typeof client.id === 'string'));
    assert.equal(info.info.redis_version, cli('INFO', 'server').match(/redis_version:(\S+)/)[1]);
    assert.equal(typeof info.info.tcp_port, 'number');
    assert.equal(info.info.tcp_port, redis.port);
    assert.ok(!text.includes(password), text);
  });

  test('/cache/delete on one gateway takes the entry from both; flushall leaves other keys alone', async () => {
    const [a, b] = gateways;
    const before = upstreamCalls(mock);
    const { key } = await answerOf(await chat(a.url, 'shared then deleted'));
    await answerOf(await chat(b.url, 'shared then deleted'));
    assert.equal(upstreamCalls(mock), before + 1);
    assert.deepEqual(await okJson(await cacheRoute(a.url, 'POST', '/cache/delete', { keys: [key] })),
      { status: 'success', deleted: 1 });
    await answerOf(await chat(b.url, 'shared then deleted'));
    assert.equal(upstreamCalls(mock), before + 2, 'B no longer finds it');

    cli('SET', 'not-the-caches', 'kept');
    const flushed = await okJson(await cacheRoute(b.url, 'POST', '/cache/flushall'));
    assert.equal(flushed.status, 'success');
    assert.ok(flushed.deleted >= 1);
    assert.equal(cli('--scan', '--pattern', 'llmux:cache:*'), '');
    assert.equal(cli('GET', 'not-the-caches'), 'kept');
    await answerOf(await chat(a.url, 'shared then deleted'));
    assert.equal(upstreamCalls(mock), before + 3);
  });

  test('Redis away: each route is a 503, ping\'s message in LiteLLM\'s form, no password', async () => {
    await redis.stop();
    const body = await expectError(await cacheRoute(gateways[0].url, 'GET', '/cache/ping'), 503);
    const details = JSON.parse(body.error.message);
    assert.match(details.message, /^Service Unhealthy \(/);
    assert.equal(details.health_check_cache_params.redis_port, redis.port);
    assert.equal(JSON.parse(JSON.stringify(details.litellm_cache_params)).type, 'redis');
    assert.ok(!JSON.stringify(body).includes(password));
    await expectError(await cacheRoute(gateways[0].url, 'POST', '/cache/delete', { keys: ['x'] }), 503);
    await expectError(await cacheRoute(gateways[0].url, 'POST', '/cache/flushall'), 503);
    await expectError(await cacheRoute(gateways[0].url, 'GET', '/cache/redis/info'), 503);
  });
});
