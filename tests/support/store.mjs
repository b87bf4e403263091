// Helpers for the keys-and-spend tests: each engine (SQLite file, PostgreSQL server started
// here) as a database_url, and the admin calls the tests make.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { after, before, describe } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from './assertions.mjs';
import { startPostgres } from './postgres.mjs';
import { kAuth, kHello, postJson, startStack } from './stack.mjs';

// Both engines; each test file runs its tests once per engine. An engine's database lives
// until close(), across gateway restarts.
export const kEngines = [
  {
    name: 'sqlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'llmux-sqlite-'));
      return { dir, url: join(dir, 'llmux.db'), close: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgresql',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'llmux-pgconfig-'));
      const server = await startPostgres();
      return {
        dir,
        url: server.url,
        server,
        async close() {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

// describe(`${title} on <engine>`) once per engine, each with a database and a gateway on it
// (with the priced models and `generalSettings`) made before its tests and removed after them.
// The tests reach them through `env`: env.stack, env.database, env.engine; env.start() starts
// another gateway on the same database (the caller stops the old one and sets env.stack).
export function describeOnEachEngine(title, generalSettings, body) {
  for (const engine of kEngines) {
    describe(`${title} on ${engine.name}`, () => {
      const env = {
        engine,
        database: undefined,
        stack: undefined,
        start: () => startStack({
          extraModelsFor: pricedModels,
          dir: env.database.dir,
          generalSettings: { database_url: env.database.url, ...generalSettings },
        }),
      };
      before(async () => {
        env.database = await engine.open();
        env.stack = await env.start();
      });
      after(async () => {
        await env.stack?.stop();
        await env.database?.close();
      });
      body(env);
    });
  }
}

// Prices that make every call's cost known: the mock's chat answer has 19 prompt and 10
// completion tokens.
export const kInputPrice = 0.0001;
export const kOutputPrice = 0.0002;
export const kCallCost = 19 * kInputPrice + 10 * kOutputPrice;

// A deployment `name` of the mock's `upstream` model at kInputPrice / kOutputPrice.
export function pricedDeployment(mockUrl, name, upstream) {
  return {
    model_name: name,
    litellm_params: {
      model: `openai/${upstream}`, api_base: `${mockUrl}/v1`, api_key: 'sk-upstream-priced',
      input_cost_per_token: kInputPrice, output_cost_per_token: kOutputPrice,
    },
    model_info: { id: `deployment-${name}` },
  };
}

export function pricedModels(mockUrl) {
  return [pricedDeployment(mockUrl, 'priced', 'gpt-4o-upstream'),
    pricedDeployment(mockUrl, 'priced-slow-stream', 'mock-stream-slow-50')];
}

// Every instance of a fleet knows `key` (made on one of them): /v1/models with it is 200.
export async function knownEverywhere(instances, key, timeoutMs) {
  for (const instance of instances) {
    await eventually(async () => {
      const response = await fetch(`${instance.url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      return response.status === 200;
    }, { timeoutMs, what: `the key on ${instance.url}` });
  }
}

// rpm and tpm count in one-minute windows aligned to the clock. A test that fills a window
// first waits, when fewer than `seconds` of the current minute are left, for the next one: a
// window rolling over half-way would let a call through that the test expects refused.
export async function inRoomyMinute(seconds = 20) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await sleep(left + 50);
}

export async function admin(url, method, path, body) {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...kAuth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: response.status, body: json, headers: response.headers };
}

// POST /key/generate as admin; asserts 200 and returns the body (with the plain `key`).
export async function generateKey(url, fields = {}) {
  const { status, body } = await admin(url, 'POST', '/key/generate', fields);
  assert.equal(status, 200, JSON.stringify(body));
  assert.match(body.key, /^sk-[A-Za-z0-9_-]{32}$/);
  return body;
}

export function chatWith(url, key, model = 'priced', extra = {}, headers = {}) {
  return postJson(url, '/v1/chat/completions', { model, messages: kHello, ...extra },
    { auth: { Authorization: `Bearer ${key}` }, headers });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The one polling helper, re-exported for the tests that take their helpers from here.
export { eventually } from './assertions.mjs';
