// The semantic cache end to end (docs/CACHING.md, type redis-semantic): prompts embedded through
// the gateway's own embedding model group (the mock upstream's bag-of-words vectors, so that a
// paraphrase is near and an unrelated prompt is not), two gateways on one real redis-server
// sharing their entries, the bound on entries, the embedding model and Redis failing. Through the
// openai SDK; the mock upstream counts what reached a provider.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { startGateway } from '../support/gateway.mjs';
import { startRedis } from '../support/redis.mjs';
import { kMasterKey, metricValue, modelEntry, postJson } from '../support/stack.mjs';
import { admin, chatWith, eventually, generateKey } from '../support/store.mjs';

const chatCalls = (mock) => mock.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
const embeddingCalls = (mock) => mock.requests.filter((request) => request.path.endsWith('/embeddings')).length;

const sdk = (url) => new OpenAI({ apiKey: kMasterKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 10_000 });

// The answer and the similarity header of one chat call.
async function ask(url, content, extra = {}) {
  const { data, response } = await sdk(url).chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content }], ...extra,
  }).withResponse();
  return { answer: data, similarity: response.headers.get('x-litellm-semantic-similarity') };
}

function semanticConfig(mock, redis, { embedder = 'mock-bag-of-words', embedderParams = {}, cacheParams = {} } = {}) {
  return {
    model_list: [
      modelEntry('gpt-test', 'gpt-4o-upstream', `${mock.url}/v1`),
      modelEntry('embedder', embedder, `${mock.url}/v1`, embedderParams),
    ],
    general_settings: { master_key: kMasterKey },
    litellm_settings: {
      cache: true,
      cache_params: {
        type: 'redis-semantic', host: '127.0.0.1', port: redis.port, similarity_threshold: 0.8,
        redis_semantic_cache_embedding_model: 'embedder', ...cacheParams,
      },
    },
  };
}

describe('cache type redis-semantic, two gateways on one Redis', () => {
  let redis;
  let mock;
  let gateways = [];
  before(async () => {
    redis = await startRedis();
    mock = await startMockUpstream();
    const config = semanticConfig(mock, redis);
    gateways = [await startGateway({ config }), await startGateway({ config })];
  });
  after(async () => {
    // Each exits cleanly on SIGTERM, its feed's subscription and reads included.
    for (const gateway of gateways) assert.equal((await gateway.stop()).code, 0, gateway.stderr());
    await mock?.close();
    await redis?.stop();
  });

  test('a paraphrase is answered from the cache; an unrelated prompt or other parameters are not', async () => {
    const [a] = gateways;
    const before = chatCalls(mock);
    const embeddingsBefore = embeddingCalls(mock);
    const first = await ask(a.url, 'What is the capital city of France?');
    assert.equal(first.similarity, '0.0', 'a miss shows 0.0, as LiteLLM');
    const paraphrase = await ask(a.url, 'what is the capital of France');
    assert.equal(chatCalls(mock), before + 1, 'the paraphrase did not reach the upstream');
    assert.deepEqual(paraphrase.answer, first.answer);
    // Bag of words: 6 shared words of 7 and 6, cosine 6 / sqrt(42).
    assert.ok(Math.abs(Number(paraphrase.similarity) - 6 / Math.sqrt(42)) < 1e-4, paraphrase.similarity);
    assert.equal(embeddingCalls(mock), embeddingsBefore + 2, 'each prompt embedded once');
    const embedded = mock.requests.filter((request) => request.path.endsWith('/embeddings')).at(-1);
    assert.equal(embedded.body.model, 'mock-bag-of-words');
    assert.equal(embedded.body.input, 'what is the capital of France');

    const unrelated = await ask(a.url, 'Write a haiku about autumn leaves');
    assert.equal(unrelated.similarity, '0.0');
    assert.equal(chatCalls(mock), before + 2, 'an unrelated prompt went upstream');
    await ask(a.url, 'what is the capital of France', { temperature: 0.2 });
    assert.equal(chatCalls(mock), before + 3, 'other parameters went upstream');
    const notRead = await ask(a.url, 'what is the capital of France', { cache: { 'no-cache': true } });
    assert.equal(chatCalls(mock), before + 4, 'no-cache went upstream');
    assert.equal(notRead.similarity, null, 'no-cache: no lookup, no similarity');
  });

  test('a hit on a streamed request is replayed as a stream', async () => {
    const [a] = gateways;
    const stored = await ask(a.url, 'Name three primary colours please');
    const before = chatCalls(mock);
    let text = '';
    for await (const chunk of await sdk(a.url).chat.completions.create({
      model: 'gpt-test', messages: [{ role: 'user', content: 'please name three primary colours' }], stream: true,
    })) {
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(chatCalls(mock), before);
    assert.equal(text, stored.answer.choices[0].message.content);
  });

  test("the second gateway answers from the first one's entries", async () => {
    const [a, b] = gateways;
    await ask(a.url, 'How many legs does a spider have?');
    // B reads the entries A announced: wait until its index has as many as A's.
    await eventually(async () => await metricValue(b.url, 'llmux_cache_semantic_entries') ===
      await metricValue(a.url, 'llmux_cache_semantic_entries'), { what: "B indexing A's entries" });
    const before = chatCalls(mock);
    const hit = await ask(b.url, 'how many legs does a spider have');
    assert.equal(chatCalls(mock), before, 'B answered from what A stored');
    assert.ok(Number(hit.similarity) >= 0.8, hit.similarity);
    assert.equal(execFileSync('redis-cli', ['-p', String(redis.port), 'XLEN', 'llmux:cache:semantic'],
      { encoding: 'utf8' }).trim(), String(await metricValue(a.url, 'llmux_cache_semantic_entries')));
  });

  test('/cache/ping names the type and checks Redis; /cache/flushall on one gateway empties every gateway', async () => {
    const [a, b] = gateways;
    const ping = await (await fetch(`${a.url}/cache/ping`, { headers: { authorization: `Bearer ${kMasterKey}` } })).json();
    assert.equal(ping.cache_type, 'redis-semantic');
    assert.equal(ping.ping_response, true);
    assert.equal(JSON.parse(ping.litellm_cache_params).type, 'redis-semantic');
    await ask(a.url, 'Tell me a fact about octopuses');
    const flushed = await postJson(a.url, '/cache/flushall', {});
    assert.equal(flushed.status, 200, await flushed.clone().text());
    assert.ok((await flushed.json()).deleted > 0);
    await eventually(async () => await metricValue(b.url, 'llmux_cache_semantic_entries') === 0,
      { what: 'B emptied' });
    assert.equal(await metricValue(a.url, 'llmux_cache_semantic_entries'), 0);
    const before = chatCalls(mock);
    await ask(b.url, 'tell me a fact about octopuses');
    assert.equal(chatCalls(mock), before + 1);
  });

  test('Redis stopped: every call is still answered, lookups use the index, stores are skipped and counted', async () => {
    const [a] = gateways;
    const stored = await ask(a.url, 'Which planet is known as the red planet?');
    const errorsBefore = await metricValue(a.url, 'llmux_cache_redis_errors_total');
    await redis.stop();
    const hitsBefore = chatCalls(mock);
    const hit = await ask(a.url, 'which planet is known as the red planet');
    assert.equal(chatCalls(mock), hitsBefore, 'an indexed entry still answers');
    assert.deepEqual(hit.answer, stored.answer);
    const before = chatCalls(mock);
    await ask(a.url, 'What rhymes with orange?');
    await ask(a.url, 'what rhymes with orange');
    assert.equal(chatCalls(mock), before + 2, 'nothing stored while Redis is away');
    assert.ok(await metricValue(a.url, 'llmux_cache_redis_errors_total') > errorsBefore);
    assert.match(a.stderr(), /response cache: Redis did not answer/);
    await redis.start();
    // Back (a fresh, empty Redis): what B stores reaches A, whose subscription came back.
    const [, b] = gateways;
    const entriesBefore = await metricValue(a.url, 'llmux_cache_semantic_entries');
    await eventually(async () => {
      await ask(b.url, 'What is the boiling point of water at sea level?');
      return await metricValue(a.url, 'llmux_cache_semantic_entries') === entriesBefore + 1;
    }, { timeoutMs: 15_000, what: "A reading B's entry once Redis is back" });
    const hitsAfter = chatCalls(mock);
    await ask(a.url, 'what is the boiling point of water at sea level');
    assert.equal(chatCalls(mock), hitsAfter, "A answers from B's entry");
  });
});

describe('cache type redis-semantic: bounded, and its embedding model failing', () => {
  let redis;
  let mock;
  const gateways = [];
  before(async () => {
    redis = await startRedis();
    mock = await startMockUpstream();
  });
  after(async () => {
    // Each exits cleanly on SIGTERM, its feed's subscription and reads included.
    for (const gateway of gateways) assert.equal((await gateway.stop()).code, 0, gateway.stderr());
    await mock?.close();
    await redis?.stop();
  });

  test('semantic_max_entries bounds the index and the stream, the oldest leaving first', async () => {
    const gateway = await startGateway({ config: semanticConfig(mock, redis, { cacheParams: { semantic_max_entries: 3 } }) });
    gateways.push(gateway);
    const prompts = ['alpha bravo charlie', 'delta echo foxtrot', 'golf hotel india', 'juliet kilo lima', 'mike november oscar'];
    for (const prompt of prompts) await ask(gateway.url, prompt);
    assert.equal(await metricValue(gateway.url, 'llmux_cache_semantic_entries'), 3);
    assert.equal(execFileSync('redis-cli', ['-p', String(redis.port), 'XLEN', 'llmux:cache:semantic'],
      { encoding: 'utf8' }).trim(), '3');
    const before = chatCalls(mock);
    await ask(gateway.url, 'mike november oscar');
    assert.equal(chatCalls(mock), before, 'the newest is kept');
    await ask(gateway.url, 'alpha bravo charlie');
    assert.equal(chatCalls(mock), before + 1, 'the oldest is gone');
  });

  test('the embedding model failing: calls go upstream uncached, counted, logged once', async () => {
    const gateway = await startGateway({ config: semanticConfig(mock, redis, { embedder: 'mock-error-503' }) });
    gateways.push(gateway);
    const before = chatCalls(mock);
    for (let i = 0; i < 3; ++i) {
      const { answer, similarity } = await ask(gateway.url, 'the same prompt every time');
      assert.ok(answer.choices[0].message.content);
      assert.equal(similarity, '0.0', 'a miss, as LiteLLM when its embedding fails');
    }
    assert.equal(chatCalls(mock), before + 3);
    assert.equal(await metricValue(gateway.url, 'llmux_cache_embedding_errors_total'), 3);
    assert.equal(gateway.stderr().match(/semantic cache: the prompt was not embedded/g)?.length, 1);
  });
});

describe('cache type redis-semantic: the embedding is a call of its own, priced, spent and logged', () => {
  const kEmbeddingTokenPrice = 0.001;
  let redis;
  let mock;
  let gateway;
  let dir;
  before(async () => {
    redis = await startRedis();
    mock = await startMockUpstream();
    dir = await mkdtemp(join(tmpdir(), 'llmux-semantic-spend-'));
    const config = semanticConfig(mock, redis, { embedderParams: { input_cost_per_token: kEmbeddingTokenPrice } });
    config.general_settings = { ...config.general_settings, database_url: join(dir, 'llmux.db'), proxy_batch_write_at: 0.2 };
    gateway = await startGateway({ config, dir });
  });
  after(async () => {
    if (gateway) assert.equal((await gateway.stop()).code, 0, gateway.stderr());
    await mock?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a spend-log row of call_type aembedding per embedding, its cost charged to the caller's key alone (as LiteLLM)", async () => {
    const team = await admin(gateway.url, 'POST', '/team/new', {});
    assert.equal(team.status, 200, JSON.stringify(team.body));
    const { key, token } = await generateKey(gateway.url, { team_id: team.body.team_id });
    const ask = (content) => chatWith(gateway.url, key, 'gpt-test', { messages: [{ role: 'user', content }] });
    const embeddingsBefore = await metricValue(gateway.url, 'llmux_requests_total{endpoint="embeddings",status="2xx"}');
    const miss = await ask('How far away is the moon from the earth?');  // 9 words
    assert.equal(miss.status, 200, await miss.clone().text());
    assert.equal(miss.headers.get('x-litellm-semantic-similarity'), '0.0');
    await miss.arrayBuffer();
    const hit = await ask('how far is the moon from the earth');  // 8 words
    assert.equal(hit.status, 200);
    assert.notEqual(hit.headers.get('x-litellm-semantic-similarity'), '0.0', 'answered from the cache');
    assert.equal(Number(hit.headers.get('x-litellm-response-cost')), 0, 'the hit itself costs nothing');
    await hit.arrayBuffer();
    const embeddingCost = (9 + 8) * kEmbeddingTokenPrice;

    const rows = await eventually(async () => {
      const { body } = await admin(gateway.url, 'GET', `/spend/logs?api_key=${token}`);
      return Array.isArray(body) && body.length === 4 ? body : null;
    }, { what: 'two calls and their two embeddings in the spend log' });
    const embeddings = rows.filter((row) => row.call_type === 'aembedding');
    assert.equal(embeddings.length, 2, JSON.stringify(rows));
    assert.deepEqual(embeddings.map((row) => row.prompt_tokens).sort(), [8, 9]);
    for (const row of embeddings) {
      assert.equal(row.model_group, 'embedder');
      assert.equal(row.status, 'success');
      assert.ok(Math.abs(row.spend - row.prompt_tokens * kEmbeddingTokenPrice) < 1e-12, JSON.stringify(row));
      assert.ok(!row.team_id, 'LiteLLM charges the key alone: no team on the row');
    }
    const calls = rows.filter((row) => row.call_type === 'acompletion');
    assert.equal(calls.length, 2);
    assert.equal(new Set(rows.map((row) => row.request_id)).size, 4, 'each with an id of its own');

    const keyInfo = await admin(gateway.url, 'GET', `/key/info?key=${key}`);
    assert.ok(Math.abs(keyInfo.body.info.spend - embeddingCost) < 1e-12, JSON.stringify(keyInfo.body.info));
    const teamInfo = await admin(gateway.url, 'GET', `/team/info?team_id=${team.body.team_id}`);
    assert.equal(teamInfo.status, 200);
    assert.equal(teamInfo.body.team_info.spend, 0, "the team is not charged (LiteLLM's call carries the key alone)");
    assert.equal(await metricValue(gateway.url, 'llmux_requests_total{endpoint="embeddings",status="2xx"}'),
      embeddingsBefore + 2);
    await eventually(() => gateway.stderr().split('\n').filter((line) =>
      line.includes('"type":"access"') && line.includes('"semantic_cache_embedding":true')).length === 2,
    { what: 'two access-log lines for the embeddings' });
  });
});
