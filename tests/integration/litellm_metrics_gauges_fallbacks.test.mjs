// LiteLLM's fallback counters, budget gauges and remaining rate-limit gauges on GET /metrics,
// checked by promtool and sample by sample after known calls: a group that fails falls back to a
// healthy one or to one that fails too; keys and teams with a max_budget show what is left of it
// after their calls; a deployment shows the remaining limits its last answer's head gave.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { checkedMetrics, samples, total } from '../support/prometheus.mjs';
import { startStack } from '../support/stack.mjs';
import { admin, chatWith, generateKey, kCallCost, kEngines, pricedDeployment } from '../support/store.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function models(mockUrl) {
  const priced = (name, upstream) => pricedDeployment(mockUrl, name, upstream);
  return [
    priced('failing', 'mock-error-500'),
    priced('doomed', 'mock-error-503'),
    priced('also-failing', 'mock-error-500'),
    priced('backup', 'gpt-4o-upstream'),
    priced('limited', 'mock-ratelimit-remaining-500-90000'),
  ];
}

let database;
let stack;
before(async () => {
  database = await kEngines[0].open();
  stack = await startStack({
    extraModelsFor: models,
    generalSettings: { database_url: database.url },
    litellmSettings: { fallbacks: [{ failing: ['backup'] }, { doomed: ['also-failing'] }] },
  });
});
after(async () => {
  await stack?.stop();
  await database?.close();
});

async function chat(key, model, extra = {}) {
  const response = await chatWith(stack.url, key, model, extra);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

test('fallbacks are counted by the group asked for, the group fallen back to and the failure', async () => {
  const team = await admin(stack.url, 'POST', '/team/new', {});
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const key = await generateKey(stack.url, { key_alias: 'falls-back', team_id: team.body.team_id });
  for (const stream of [false, true]) {
    const answer = await chat(key.key, 'failing', { stream });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-litellm-model-group'), 'backup');
  }
  const doomed = await chat(key.key, 'doomed');
  assert.equal(doomed.status, 500, doomed.text);
  assert.equal(doomed.headers.get('x-litellm-attempted-fallbacks'), '1');
  // Two groups from the body: the first fails the call too, the second answers it.
  const twice = await chat(key.key, 'failing', { fallbacks: ['also-failing', 'backup'] });
  assert.equal(twice.status, 200, twice.text);
  assert.equal(twice.headers.get('x-litellm-attempted-fallbacks'), '2');
  // A call that needs no fallback counts none.
  assert.equal((await chat(key.key, 'backup')).status, 200);

  const text = await checkedMetrics(stack.url);
  const caller = {
    hashed_api_key: sha256(key.key), api_key_alias: 'falls-back', team: team.body.team_id,
    team_alias: 'None', model_id: 'None',
  };
  const fromFailing = {
    ...caller, requested_model: 'failing', exception_status: '500', exception_class: 'Openai.InternalServerError',
  };
  assert.deepEqual(samples(text, 'litellm_deployment_successful_fallbacks_total', caller), [
    { labels: { ...fromFailing, fallback_model: 'backup' }, value: 3 },
  ]);
  assert.deepEqual(samples(text, 'litellm_deployment_failed_fallbacks_total', caller).sort(
    (a, b) => a.labels.requested_model.localeCompare(b.labels.requested_model)), [
    {
      labels: {
        ...caller, requested_model: 'doomed', fallback_model: 'also-failing',
        exception_status: '503', exception_class: 'Openai.ServiceUnavailableError',
      },
      value: 1,
    },
    { labels: { ...fromFailing, fallback_model: 'also-failing' }, value: 1 },
  ]);
  assert.equal(total(text, 'litellm_deployment_successful_fallbacks_total', { requested_model: 'backup' }), 0);

  // The deployment counters count every upstream attempt: the failed ones a call fell back from
  // too, labelled with the group they served. The requests are counted once each.
  assert.equal(total(text, 'litellm_proxy_total_requests_metric_total', { hashed_api_key: sha256(key.key) }), 5);
  const attempts = (name, labels) => total(text, name, { hashed_api_key: sha256(key.key), ...labels });
  assert.equal(attempts('litellm_deployment_failure_responses_total',
    { model_id: 'deployment-failing', requested_model: 'failing', exception_status: '500' }), 3);
  assert.equal(attempts('litellm_deployment_total_requests_total', { model_id: 'deployment-failing' }), 3);
  assert.equal(attempts('litellm_deployment_failure_responses_total', {
    model_id: 'deployment-doomed', requested_model: 'doomed', exception_status: '503',
    exception_class: 'Openai.ServiceUnavailableError',
  }), 1);
  assert.equal(attempts('litellm_deployment_failure_responses_total',
    { model_id: 'deployment-also-failing', requested_model: 'also-failing' }), 2);
  assert.equal(attempts('litellm_deployment_success_responses_total', { model_id: 'deployment-backup' }), 4);
  assert.equal(attempts('litellm_deployment_total_requests_total', { model_id: 'deployment-backup' }), 4);
  assert.equal(total(text, 'litellm_deployment_state', { model_id: 'deployment-failing' }), 1);
});

test('budget gauges show the max_budget, what is left of it and the hours to its reset, for keys and teams that have one', async () => {
  const team = await admin(stack.url, 'POST', '/team/new', { max_budget: 10, team_alias: 'budget-team' });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const teamId = team.body.team_id;
  const budgeted = await generateKey(stack.url,
    { max_budget: 1, key_alias: 'budgeted', team_id: teamId, budget_duration: '1d' });
  const teammate = await generateKey(stack.url, { team_id: teamId });
  const unbudgetedTeam = await admin(stack.url, 'POST', '/team/new', {});
  const free = await generateKey(stack.url, { team_id: unbudgetedTeam.body.team_id });
  for (const key of [budgeted, budgeted, teammate, free]) {
    const answer = await chat(key.key, 'backup');
    assert.equal(answer.status, 200, answer.text);
  }
  // A failed call changes no gauge (LiteLLM sets them on a success).
  assert.equal((await chat(budgeted.key, 'also-failing')).status, 500);

  const text = await checkedMetrics(stack.url);
  const keyLabels = { api_key_alias: 'budgeted', hashed_api_key: sha256(budgeted.key) };
  const near = (actual, expected) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);
  const [keyLeft] = samples(text, 'litellm_remaining_api_key_budget_metric', keyLabels);
  near(keyLeft.value, 1 - 2 * kCallCost);
  assert.deepEqual(samples(text, 'litellm_api_key_max_budget_metric', keyLabels).map((s) => s.value), [1]);
  const [hours] = samples(text, 'litellm_api_key_budget_remaining_hours_metric', keyLabels);
  assert.ok(hours.value > 23 && hours.value <= 24, `hours to the key's reset: ${hours.value}`);
  const teamLabels = { team: teamId, team_alias: 'budget-team' };
  // The team's spend is its two keys' calls, the one not yet written to the database included.
  const [teamLeft] = samples(text, 'litellm_remaining_team_budget_metric', teamLabels);
  near(teamLeft.value, 10 - 3 * kCallCost);
  assert.deepEqual(samples(text, 'litellm_team_max_budget_metric', teamLabels).map((s) => s.value), [10]);
  // Without a budget_duration, no reset: no sample.
  assert.deepEqual(samples(text, 'litellm_team_budget_remaining_hours_metric'), []);
  // The team's alias labels its calls in every series.
  assert.equal(total(text, 'litellm_proxy_total_requests_metric_total', { ...teamLabels, status_code: '200' }), 3);
  // Without a max_budget: no sample.
  for (const name of ['litellm_remaining_api_key_budget_metric', 'litellm_api_key_max_budget_metric']) {
    assert.deepEqual(samples(text, name).map((s) => s.labels.hashed_api_key), [sha256(budgeted.key)], name);
  }
  for (const name of ['litellm_remaining_team_budget_metric', 'litellm_team_max_budget_metric']) {
    assert.deepEqual(samples(text, name).map((s) => s.labels.team), [teamId], name);
  }
});

test('a deployment\'s remaining requests and tokens are its last answer\'s x-ratelimit-remaining-* fields', async () => {
  const key = await generateKey(stack.url, { key_alias: 'limited-caller' });
  for (const stream of [false, true]) {
    const answer = await chat(key.key, 'limited', { stream });
    assert.equal(answer.status, 200, answer.text);
  }
  assert.equal((await chat(key.key, 'backup')).status, 200);

  const text = await checkedMetrics(stack.url);
  const labels = {
    api_base: `${stack.mock.url}/v1`, api_key_alias: 'limited-caller', api_provider: 'openai',
    hashed_api_key: sha256(key.key), litellm_model_name: 'openai/mock-ratelimit-remaining-500-90000',
    model_group: 'limited', model_id: 'deployment-limited',
  };
  // The mock counts one request and 100 tokens down per call: the second call's figures.
  assert.deepEqual(samples(text, 'litellm_remaining_requests', { model_id: 'deployment-limited' }),
    [{ labels, value: 499 }]);
  assert.deepEqual(samples(text, 'litellm_remaining_tokens', { model_id: 'deployment-limited' }),
    [{ labels, value: 89900 }]);
  // An answer without those fields leaves no sample.
  for (const name of ['litellm_remaining_requests', 'litellm_remaining_tokens']) {
    assert.deepEqual(samples(text, name, { model_id: 'deployment-backup' }), [], name);
  }
});
