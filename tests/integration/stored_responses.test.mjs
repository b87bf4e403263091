// Stored responses of the Responses API, through the official openai SDK on SQLite and
// PostgreSQL: a response is kept (store defaults to true), retrieved, listed (input_items),
// continued with previous_response_id (its conversation and output sent ahead of the new input,
// its instructions not), deleted; streamed ones too; store: false keeps nothing; and a response
// is another key's business only: it cannot read, delete or continue it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { startStack, kMasterKey, kUpstreamKey } from '../support/stack.mjs';
import { generateKey, kEngines } from '../support/store.mjs';
import { readFixture } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture } from '../mock_upstream/dialects/anthropic.mjs';

const kAnswer = JSON.parse(readFixture('chat_completion.json')).choices[0].message.content;
const kWeatherTool = {
  type: 'function', name: 'get_current_weather', description: 'The weather in a place',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

async function apiError(promise) {
  const error = await promise.then(() => assert.fail('expected an error'), (caught) => caught);
  assert.ok(error instanceof OpenAI.APIError, String(error));
  return error;
}

for (const engine of kEngines) {
  describe(`stored responses on ${engine.name}`, () => {
    let database;
    let stack;
    const client = (apiKey = kMasterKey) =>
      new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const upstreamSince = (count) => stack.mock.requests.slice(count);

    before(async () => {
      database = await engine.open();
      stack = await startStack({
        dir: database.dir,
        generalSettings: { database_url: database.url },
        // gpt-test and tools are OpenAI deployments, passed the call through (the gateway still
        // keeps the conversation); compat is sent it as a chat completion, which shows the turns.
        extraModelsFor: (mockUrl) => [{
          model_name: 'claude',
          litellm_params: { model: 'anthropic/claude-made-up-for-tests', api_base: mockUrl, api_key: kUpstreamKey },
          model_info: { id: 'deployment-claude' },
        }, {
          model_name: 'compat',
          litellm_params: { model: 'hosted_vllm/gpt-4o-upstream', api_base: `${mockUrl}/v1`, api_key: kUpstreamKey },
          model_info: { id: 'deployment-compat' },
        }],
      });
    });
    after(async () => {
      await stack?.stop();
      await database?.close();
    });

    test('a response is stored by default: retrieve gives it back, input_items lists its input', async () => {
      const openai = client();
      const created = await openai.responses.create({ model: 'gpt-test', input: 'My name is Ada.' });
      assert.equal(created.store, true);
      const retrieved = await openai.responses.retrieve(created.id);
      assert.deepEqual(retrieved, created);
      assert.equal(retrieved.output_text, kAnswer);

      const items = await openai.responses.inputItems.list(created.id);
      assert.equal(items.data.length, 1);
      assert.equal(items.data[0].role, 'user');
      assert.equal(items.data[0].content, 'My name is Ada.');
      assert.match(items.data[0].id, /^msg_/);
    });

    test('previous_response_id: the earlier input and output go ahead of the new input, not its instructions', async () => {
      const openai = client();
      const first = await openai.responses.create({ model: 'compat', input: 'My name is Ada.', instructions: 'Be brief.' });
      const before = stack.mock.requests.length;
      const second = await openai.responses.create({
        model: 'compat', input: 'What is my name?', previous_response_id: first.id,
      });
      assert.equal(second.previous_response_id, first.id);
      assert.notEqual(second.id, first.id);
      const [upstream] = upstreamSince(before);
      assert.deepEqual(upstream.body.messages, [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: kAnswer },
        { role: 'user', content: 'What is my name?' },
      ]);

      // A chain: the third turn carries both earlier ones.
      const third_before = stack.mock.requests.length;
      await openai.responses.create({ model: 'compat', input: 'Thanks.', previous_response_id: second.id });
      assert.deepEqual(upstreamSince(third_before)[0].body.messages.map((message) => message.content), [
        'My name is Ada.', kAnswer, 'What is my name?', kAnswer, 'Thanks.',
      ]);
      const listed = await openai.responses.inputItems.list(second.id, { order: 'asc' });
      assert.deepEqual(listed.data.map((item) => item.content), ['My name is Ada.', first.output[0].content, 'What is my name?']);
      // Newest first by default; a page, then the page after its last item.
      const page = await fetch(`${stack.url}/v1/responses/${second.id}/input_items?limit=2`, {
        headers: { Authorization: `Bearer ${kMasterKey}` },
      }).then((response) => response.json());
      assert.deepEqual(page.data.map((item) => item.id), listed.data.map((item) => item.id).reverse().slice(0, 2));
      assert.equal(page.has_more, true);
      assert.equal(page.first_id, page.data[0].id);
      assert.equal(page.last_id, page.data[1].id);
      const rest = await fetch(`${stack.url}/v1/responses/${second.id}/input_items?limit=2&after=${page.last_id}`, {
        headers: { Authorization: `Bearer ${kMasterKey}` },
      }).then((response) => response.json());
      assert.deepEqual(rest.data.map((item) => item.id), [listed.data[0].id]);
      assert.equal(rest.has_more, false);
    });

    test('function calling with previous_response_id: only the output is sent back', async () => {
      const openai = client();
      const first = await openai.responses.create({
        model: 'tools', input: 'Weather in Boston?', tools: [kWeatherTool], tool_choice: 'required',
      });
      const [call] = first.output;
      assert.equal(call.type, 'function_call');
      const before = stack.mock.requests.length;
      const second = await openai.responses.create({
        model: 'compat', tools: [kWeatherTool], previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '22C and sunny' }],
      });
      assert.equal(second.status, 'completed');
      assert.deepEqual(upstreamSince(before)[0].body.messages, [
        { role: 'user', content: 'Weather in Boston?' },
        { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
        { role: 'tool', tool_call_id: call.call_id, content: '22C and sunny' },
      ]);
    });

    test('a streamed response is stored as response.completed carried it, and continues on an Anthropic deployment', async () => {
      const openai = client();
      const stream = await openai.responses.create({ model: 'gpt-test', input: 'Say hello.', stream: true });
      let completed;
      let text = '';
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      assert.ok(completed);
      // The SDK adds output_text to what it retrieves; the stream's last event has none.
      const { output_text: retrievedText, ...retrieved } = await openai.responses.retrieve(completed.id);
      assert.deepEqual(retrieved, completed);
      assert.equal(retrievedText, text);

      const before = stack.mock.requests.length;
      const next = await openai.responses.create({ model: 'claude', input: 'Again.', previous_response_id: completed.id });
      assert.equal(next.output_text, JSON.parse(readAnthropicFixture('message.json')).content[0].text);
      const [upstream] = upstreamSince(before);
      assert.equal(upstream.path, '/v1/messages');
      assert.deepEqual(upstream.body.messages.map((message) => message.role), ['user', 'assistant', 'user']);
      assert.deepEqual(await openai.responses.retrieve(next.id), next);
    });

    test('store: false keeps nothing', async () => {
      const openai = client();
      const kept = await openai.responses.create({ model: 'gpt-test', input: 'Keep this.' });
      assert.equal((await openai.responses.retrieve(kept.id)).id, kept.id);
      const created = await openai.responses.create({ model: 'gpt-test', input: 'Forget this.', store: false });
      assert.equal(created.store, false);
      const error = await apiError(openai.responses.retrieve(created.id));
      assert.equal(error.status, 404);
      const continued = await apiError(openai.responses.create({ model: 'gpt-test', input: 'And?', previous_response_id: created.id }));
      assert.equal(continued.status, 400);
      assert.equal(continued.param, 'previous_response_id');
    });

    test('delete: OpenAI\'s deleted object, then 404 everywhere', async () => {
      const openai = client();
      const created = await openai.responses.create({ model: 'gpt-test', input: 'Short-lived.' });
      const raw = await fetch(`${stack.url}/v1/responses/${created.id}`, {
        method: 'DELETE', headers: { Authorization: `Bearer ${kMasterKey}` },
      });
      assert.equal(raw.status, 200);
      assert.deepEqual(await raw.json(), { id: created.id, object: 'response', deleted: true });
      assert.ok((await apiError(openai.responses.retrieve(created.id))) instanceof OpenAI.NotFoundError);
      assert.ok((await apiError(openai.responses.delete(created.id))) instanceof OpenAI.NotFoundError);
      assert.ok((await apiError(openai.responses.inputItems.list(created.id))) instanceof OpenAI.NotFoundError);
    });

    test('another key can neither read, list, continue nor delete a key\'s response', async () => {
      const owner = client((await generateKey(stack.url)).key);
      const stranger = client((await generateKey(stack.url)).key);
      const created = await owner.responses.create({ model: 'gpt-test', input: 'Mine.' });

      assert.equal((await apiError(stranger.responses.retrieve(created.id))).status, 404);
      assert.equal((await apiError(stranger.responses.inputItems.list(created.id))).status, 404);
      assert.equal((await apiError(stranger.responses.delete(created.id))).status, 404);
      const continued = await apiError(stranger.responses.create({ model: 'gpt-test', input: 'Yours?', previous_response_id: created.id }));
      assert.equal(continued.status, 400);
      assert.match(continued.message, /not found/);
      // Nor can the master key: a response is its key's.
      assert.equal((await apiError(client().responses.retrieve(created.id))).status, 404);

      assert.deepEqual(await owner.responses.retrieve(created.id), created);
      await owner.responses.delete(created.id);
    });

    test('without a key, 401 in OpenAI\'s shape', async () => {
      const error = await apiError(client('sk-not-a-key').responses.retrieve('resp_anything'));
      assert.equal(error.status, 401);
    });
  });
}

describe('stored responses\' limits', () => {
  let database;
  let limited;
  let open;
  before(async () => {
    database = await kEngines[0].open();
    // About 2 KB: a response to a short input fits, one to a long input does not.
    limited = await startStack({
      dir: database.dir,
      generalSettings: { database_url: database.url, max_stored_response_size_mb: 0.002 },
    });
    // No master key and no database_url: no database, nothing stored.
    open = await startStack({ generalSettings: { master_key: '' } });
  });
  after(async () => {
    await limited?.stop();
    await open?.stop();
    await database?.close();
  });
  const client = (stack) => new OpenAI({ apiKey: kMasterKey, baseURL: `${stack.url}/v1`, maxRetries: 0 });

  test('a response larger than max_stored_response_size_mb is answered, not stored', async () => {
    const openai = client(limited);
    const small = await openai.responses.create({ model: 'gpt-test', input: 'Hello.' });
    assert.equal((await openai.responses.retrieve(small.id)).id, small.id);
    const large = await openai.responses.create({ model: 'gpt-test', input: 'Hello. '.repeat(400) });
    assert.equal(large.output_text, kAnswer);
    assert.equal((await apiError(openai.responses.retrieve(large.id))).status, 404);
  });

  test('without a database: store is false, previous_response_id a 400 that says why, retrieve a 404', async () => {
    const openai = client(open);
    const created = await openai.responses.create({ model: 'gpt-test', input: 'Hello.' });
    assert.equal(created.store, false);
    assert.equal((await apiError(openai.responses.retrieve(created.id))).status, 404);
    const continued = await apiError(openai.responses.create({ model: 'gpt-test', input: 'And?', previous_response_id: created.id }));
    assert.equal(continued.status, 400);
    assert.equal(continued.param, 'previous_response_id');
    assert.match(continued.message, /only with a database/);
  });
});
