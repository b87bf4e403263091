// LiteLLM's alerts: general_settings.alerting: [slack] posts {"text": …} to SLACK_WEBHOOK_URL
// (here a recorder speaking Slack's incoming-webhook format) when a call fails at its deployment
// (llm_exceptions) or is slower than alerting_threshold (llm_too_slow), once a minute per
// deployment and type, without secrets; a webhook that is down costs only the alert. Budget
// alerts (budget_alerts) go to Slack and, as LiteLLM's WebhookEvent JSON, to WEBHOOK_URL
// (alerting: [webhook]), once per event and budget. A deployment the router cools down
// (cooldown_deployment) and spend the database does not take (db_exceptions) are alerted to
// Slack, once a minute for the whole process.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { startStack, postJson, modelEntry, kHello, kMasterKey, kUpstreamKey } from '../support/stack.mjs';
import { startRecorder } from '../support/recorder.mjs';
import { closedPort } from '../support/network.mjs';
import { eventually, metricReaches } from '../support/assertions.mjs';
import { admin, chatWith, generateKey, kCallCost, kEngines, pricedModels } from '../support/store.mjs';
import { postgresAvailable } from '../support/postgres.mjs';

const kWebhookPath = '/services/T000/B000/sk-slack-webhook-secret';

async function call(stack, model) {
  const response = await postJson(stack.url, '/v1/chat/completions', { model, messages: kHello });
  await response.arrayBuffer();
  return response.status;
}

function metric(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('Slack alerts', () => {
  let slack;
  let stack;
  before(async () => {
    slack = await startRecorder();
    stack = await startStack({
      generalSettings: { alerting: ['slack'], alerting_threshold: 1 },
      env: { SLACK_WEBHOOK_URL: `${slack.url}${kWebhookPath}` },
      // 1.5 s before its first byte: slower than the threshold, within the deployment's timeout.
      extraModelsFor: (mockUrl) => [{
        model_name: 'slowish',
        litellm_params: { model: 'openai/mock-slow-first-byte-1500', api_base: `${mockUrl}/v1`, api_key: kUpstreamKey },
        model_info: { id: 'deployment-slowish' },
      }],
    });
  });
  after(async () => {
    await stack?.stop();
    await slack?.close();
  });

  test('a failed call is an llm_exceptions alert in Slack\'s format, once a minute', async () => {
    assert.equal(await call(stack, 'broken'), 500);
    await slack.until((requests) => requests.length >= 1);
    const [alert] = slack.requests;
    assert.equal(alert.method, 'POST');
    assert.equal(alert.path, kWebhookPath);
    assert.match(alert.headers['content-type'], /^application\/json/);
    const { text, ...rest } = JSON.parse(alert.body);
    assert.deepEqual(rest, {});
    assert.match(text, /^Level: `High`\nTimestamp: `\d\d:\d\d:\d\d`\n\nMessage: LLM API call failed: `/);
    assert.match(text, /\n\nRequest Model: `broken`/);
    assert.match(text, /\n\nAPI Base: `http:\/\/127\.0\.0\.1:\d+\/v1`/);

    // The same deployment failing again within the minute is not alerted again; the next alert
    // the webhook receives is the slow call's.
    assert.equal(await call(stack, 'broken'), 500);
    assert.equal(await call(stack, 'slowish'), 200);
    await slack.until((requests) => requests.length >= 2);
    const second = JSON.parse(slack.requests[1].body).text;
    assert.match(second, /^Level: `Low`/);
    assert.match(second, /Message: Responses are slow - 1\.\d+s response time > Alerting threshold: 1\.0s/);
    assert.match(second, /Request Model: `slowish`/);

    for (const request of slack.requests) {
      assert.equal(request.body.includes(kUpstreamKey), false);
      assert.equal(request.body.includes(kMasterKey), false);
    }
    // Counted once the webhook's answer is back in llmux, a moment after the recorder has the alert.
    await metricReaches(stack.url, 'llmux_alerts_sent_total', 2);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.equal(metric(metrics, 'llmux_alerts_failed_total'), 0);
  });

  test('a fast successful call is not alerted', async () => {
    const before = slack.requests.length;
    assert.equal(await call(stack, 'gpt-test'), 200);
    // The alert of a later failure arrives; nothing came before it.
    assert.equal(await call(stack, 'unreachable'), 502);
    await slack.until((requests) => requests.length > before);
    assert.equal(slack.requests.length, before + 1);
    assert.match(JSON.parse(slack.requests[before].body).text, /Request Model: `unreachable`/);
  });
});

describe('Slack alerts with the webhook down', () => {
  let stack;
  before(async () => {
    stack = await startStack({
      generalSettings: { alerting: ['slack'] },
      env: { SLACK_WEBHOOK_URL: `http://127.0.0.1:${await closedPort()}${kWebhookPath}` },
    });
  });
  after(() => stack?.stop());

  test('the call is answered as usual; only the alert is lost, counted and warned about', async () => {
    assert.equal(await call(stack, 'broken'), 500);
    assert.equal(await call(stack, 'gpt-test'), 200);
    await eventually(() => /slack alert not delivered: the webhook could not be reached/.test(stack.gateway.stderr()),
      { timeoutMs: 10_000, what: 'the delivery warning' });
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.equal(metric(metrics, 'llmux_alerts_failed_total'), 1);
    assert.equal(metric(metrics, 'llmux_alerts_sent_total'), 0);
    assert.equal(stack.gateway.stderr().includes('sk-slack-webhook-secret'), false);
  });
});

describe('budget alerts', () => {
  let hooks;
  let stack;
  const slackPath = '/slack/sk-slack-webhook-secret';
  const webhookPath = '/budget-webhook';
  const received = (path) => hooks.requests.filter((request) => request.path === path);
  const events = () => received(webhookPath).map((request) => JSON.parse(request.body));
  before(async () => {
    hooks = await startRecorder();
    stack = await startStack({
      extraModelsFor: pricedModels,
      generalSettings: { alerting: ['slack', 'webhook'], alert_types: ['budget_alerts'] },
      env: { SLACK_WEBHOOK_URL: `${hooks.url}${slackPath}`, WEBHOOK_URL: `${hooks.url}${webhookPath}` },
    });
  });
  after(async () => {
    await stack?.stop();
    await hooks?.close();
  });

  test('a key nearly out of budget, then over it: one alert each, to Slack and as a WebhookEvent', async () => {
    // After one call 10 % of the budget is left (LiteLLM's 15 % threshold); the second crosses it.
    const maxBudget = kCallCost / 0.9;
    const key = await generateKey(stack.url, { max_budget: maxBudget, key_alias: 'nearly-spent' });
    assert.equal((await chatWith(stack.url, key.key)).status, 200);
    await hooks.until(() => events().length >= 1 && received(slackPath).length >= 1);
    assert.deepEqual(events()[0], {
      spend: events()[0].spend, max_budget: maxBudget, soft_budget: null, token: key.token,
      customer_id: null, user_id: null, team_id: null, team_alias: null, user_email: null,
      key_alias: 'nearly-spent', projected_exceeded_date: null, projected_spend: null,
      event_group: 'key', event: 'threshold_crossed', event_message: 'Key Budget: 15% Threshold Crossed',
    });
    assert.ok(Math.abs(events()[0].spend - kCallCost) < 1e-12, `spend ${events()[0].spend}`);
    const slackText = JSON.parse(received(slackPath)[0].body).text;
    assert.match(slackText, /^Level: `High`\nTimestamp: `\d\d:\d\d:\d\d`\n\nMessage: Key Budget: 15% Threshold Crossed\n\nSpend: `0\.0039\d*`\n\nKey Alias: `nearly-spent`$/);

    assert.equal((await chatWith(stack.url, key.key)).status, 200);
    await hooks.until(() => events().length >= 2);
    assert.equal(events()[1].event, 'budget_crossed');
    assert.equal(events()[1].event_message, `Key Budget: Budget Crossed\n Total Budget:\`${maxBudget}\``);
    // Over its budget the key is refused; a refused call costs nothing and alerts nothing.
    assert.equal((await chatWith(stack.url, key.key)).status, 400);

    for (const request of hooks.requests) {
      assert.equal(request.body.includes(key.key), false);
      assert.equal(request.body.includes(kMasterKey), false);
      assert.equal(request.body.includes('sk-slack-webhook-secret'), false);
    }
  });

  test('a soft budget crossed is alerted once, not at every call after it', async () => {
    const soft = await generateKey(stack.url, { soft_budget: kCallCost / 2, key_alias: 'soft' });
    assert.equal((await chatWith(stack.url, soft.key)).status, 200);
    assert.equal((await chatWith(stack.url, soft.key)).status, 200);
    // A later key's alert arrives after any second alert of the first key would have.
    const later = await generateKey(stack.url, { max_budget: kCallCost / 0.9, key_alias: 'later' });
    assert.equal((await chatWith(stack.url, later.key)).status, 200);
    await hooks.until(() => events().some((event) => event.key_alias === 'later'));
    const softEvents = events().filter((event) => event.key_alias === 'soft');
    assert.equal(softEvents.length, 1);
    assert.equal(softEvents[0].event, 'soft_budget_crossed');
    assert.equal(softEvents[0].event_message, `Key Budget: Total Soft Budget:\`${kCallCost / 2}\``);
    assert.equal(softEvents[0].soft_budget, kCallCost / 2);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.equal(metric(metrics, 'llmux_alerts_failed_total'), 0);
  });
});

// The Slack texts of the cooldown alerts among `requests`.
const cooldownTexts = (requests) => requests.map((request) => JSON.parse(request.body).text)
  .filter((text) => text.includes('Router: Cooling down Deployment:'));

function samplesOf(text, name) {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('cooldown_deployment alerts', () => {
  let slack;
  let stack;
  before(async () => {
    slack = await startRecorder();
    stack = await startStack({
      generalSettings: { alerting: ['slack'], alert_types: ['cooldown_deployment', 'llm_too_slow'], alerting_threshold: 1 },
      routerSettings: { cooldown_time: 1, num_retries: 0 },
      env: { SLACK_WEBHOOK_URL: `${slack.url}${kWebhookPath}` },
      // Each status cools its deployment at once; one group, so the router cools each in turn.
      extraModelsFor: (mockUrl) => [
        modelEntry('cooling', 'mock-error-429', `${mockUrl}/v1`, {}, 'deployment-cooling-429'),
        modelEntry('cooling', 'mock-error-401', `${mockUrl}/v1`, {}, 'deployment-cooling-401'),
        modelEntry('slowish', 'mock-slow-first-byte-1500', `${mockUrl}/v1`),
      ],
    });
  });
  after(async () => {
    await stack?.stop();
    await slack?.close();
  });

  test('each deployment the router cools down is one Slack alert in LiteLLM\'s words, then counted in Prometheus', async () => {
    // Called until both deployments were cooled (each failure cools its deployment at once).
    await eventually(async () => {
      await call(stack, 'cooling');
      return cooldownTexts(slack.requests).length >= 2;
    }, { timeoutMs: 15_000, what: 'two cooldown alerts' });
    const texts = cooldownTexts(slack.requests);
    const statuses = texts.map((text) => {
      const match = /^Level: `Low`\nTimestamp: `\d\d:\d\d:\d\d`\n\nMessage: Router: Cooling down Deployment:\nModel Name: `cooling`\nAPI Base: `http:\/\/127\.0\.0\.1:\d+\/v1`\nCooldown Time: `1\.0 seconds`\nException Status Code: `(\d+)`$/.exec(text);
      assert.ok(match, text);
      return match[1];
    });
    assert.deepEqual(statuses.sort(), ['401', '429']);
    for (const request of slack.requests) {
      assert.equal(request.body.includes(kUpstreamKey), false);
      assert.equal(request.body.includes(kMasterKey), false);
    }

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(promtool.status, 0, `promtool check metrics:\n${promtool.stdout}${promtool.stderr}`);
    const cooled = samplesOf(metrics, 'litellm_deployment_cooled_down_total');
    for (const [id, status, model] of [['deployment-cooling-429', '429', 'openai/mock-error-429'],
      ['deployment-cooling-401', '401', 'openai/mock-error-401']]) {
      const line = cooled.find((sample) => sample.includes(`model_id="${id}"`));
      assert.ok(line, `${id} in ${cooled.join('\n')}`);
      assert.match(line, new RegExp(`^litellm_deployment_cooled_down_total\\{api_base="http://127\\.0\\.0\\.1:\\d+/v1",api_provider="openai",exception_status="${status}",litellm_model_name="${model}",model_id="${id}"\\} \\d+$`));
    }
  });

  test('a deployment cooled again within the minute is not alerted again', async () => {
    const cooldowns = async () => samplesOf(await (await fetch(`${stack.url}/metrics`)).text(), 'litellm_deployment_cooled_down_total')
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    const before = await cooldowns();
    // The cooldowns (1 s) end; the deployments are called and cooled again.
    await eventually(async () => {
      await call(stack, 'cooling');
      return (await cooldowns()) >= before + 2;
    }, { timeoutMs: 15_000, what: 'the deployments cooled again' });
    // A slow call's alert arrives after any new cooldown alert would have.
    const sent = slack.requests.length;
    assert.equal(await call(stack, 'slowish'), 200);
    await slack.until((requests) => requests.length > sent);
    assert.match(JSON.parse(slack.requests[sent].body).text, /Responses are slow/);
    assert.equal(cooldownTexts(slack.requests).length, 2);
  });
});

describe('db_exceptions alerts', { skip: !postgresAvailable() && 'PostgreSQL is not installed' }, () => {
  const kDatabasePassword = 'sk-db-password-Q7r2x';
  let slack;
  let database;
  let stack;
  before(async () => {
    slack = await startRecorder();
    database = await kEngines.find((engine) => engine.name === 'postgresql').open();
    stack = await startStack({
      dir: database.dir,
      // The server trusts local connections: the password is never checked, only carried.
      generalSettings: {
        database_url: database.url.replace('postgresql://llmux@', `postgresql://llmux:${kDatabasePassword}@`),
        proxy_batch_write_at: 0.2,
        alerting: ['slack'],
        alert_types: ['db_exceptions'],
      },
      env: { SLACK_WEBHOOK_URL: `${slack.url}${kWebhookPath}` },
    });
  });
  after(async () => {
    await stack?.stop();
    await database?.close();
    await slack?.close();
  });

  test('spend the database cannot take is one Slack alert, without the database URL\'s secrets', async () => {
    await database.server.pause();
    try {
      assert.equal(await call(stack, 'gpt-test'), 200);
      await slack.until((requests) => requests.length >= 1, 20_000);
      assert.equal(await call(stack, 'gpt-test'), 200);
    } finally {
      await database.server.resume();
    }
    const [alert] = slack.requests;
    assert.equal(alert.path, kWebhookPath);
    const { text } = JSON.parse(alert.body);
    assert.match(text, /^Level: `High`\nTimestamp: `\d\d:\d\d:\d\d`\n\nMessage: DB read\/write call failed: spend of \d+ calls not written yet, will retry: \S/);
    for (const where of [alert.body, stack.gateway.stderr()]) {
      assert.equal(where.includes(kDatabasePassword), false);
      assert.equal(where.includes(kMasterKey), false);
    }
    // The calls were answered, and their spend lands once the database is back.
    await eventually(async () => {
      const { body } = await admin(stack.url, 'GET', '/spend/logs');
      return Array.isArray(body) && body.length >= 2;
    }, { timeoutMs: 20_000, what: 'the spend written after the database came back' });
    // One spell of the database being away: one alert.
    assert.equal(slack.requests.length, 1);
  });
});
