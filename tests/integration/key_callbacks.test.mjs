// Key- and team-level logging callbacks (LiteLLM's metadata.logging): a key's or team's langfuse
// (or langfuse_otel) callback receives that key's calls with its own credentials, in place of the
// config's; its secrets never come back from the admin routes nor reach the logs; a malformed
// list is a 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startStack, metricValue } from '../support/stack.mjs';
import { admin, chatWith, generateKey } from '../support/store.mjs';
import { startRecorder } from '../support/recorder.mjs';
import { startOtlpCollector } from '../support/otlp_collector.mjs';
import { metricReaches } from '../support/assertions.mjs';

const kGlobal = { publicKey: 'pk-lf-global', secretKey: 'sk-lf-global-secret-G5v' };
const kKeyProject = { publicKey: 'pk-lf-key', secretKey: 'sk-lf-key-secret-K8m' };
const kTeamProject = { publicKey: 'pk-lf-team', secretKey: 'sk-lf-team-secret-T3q' };

const basic = ({ publicKey, secretKey }) =>
  `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString('base64')}`;

function logging(recorder, project, extra = {}) {
  return [{
    callback_name: 'langfuse',
    callback_type: 'success_and_failure',
    callback_vars: {
      langfuse_public_key: project.publicKey, langfuse_secret_key: project.secretKey, langfuse_host: recorder.url,
    },
    ...extra,
  }];
}

// The call ids of the generations a recorder received, with the Authorization each came with.
function generations(recorder) {
  return recorder.requests.filter((r) => r.status < 300).flatMap((r) => JSON.parse(r.body).batch
    .filter((event) => event.type === 'generation-create')
    .map((event) => ({ id: event.body.id, authorization: r.headers.authorization })));
}
const carries = (recorder, callId) => generations(recorder).some((g) => g.id.endsWith(`_${callId}`));

test('a key\'s and a team\'s langfuse take their calls with their own credentials; secrets are masked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmux-key-callbacks-'));
  const global = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const keyProject = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const teamProject = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const stack = await startStack({
    dir,
    generalSettings: { database_url: join(dir, 'llmux.db') },
    litellmSettings: { success_callback: ['langfuse'], failure_callback: ['langfuse'] },
    env: {
      LANGFUSE_HOST: global.url, LANGFUSE_PUBLIC_KEY: kGlobal.publicKey, LANGFUSE_SECRET_KEY: kGlobal.secretKey,
      TEAM_LANGFUSE_SECRET: kTeamProject.secretKey,
    },
  });
  try {
    // The team's secret is an os.environ/ reference, read from llmux's environment.
    const teamLogging = logging(teamProject, { ...kTeamProject, secretKey: 'os.environ/TEAM_LANGFUSE_SECRET' });
    const team = await admin(stack.url, 'POST', '/team/new', { team_alias: 'observed', metadata: { logging: teamLogging } });
    assert.equal(team.status, 200, JSON.stringify(team.body));
    const own = await generateKey(stack.url, { metadata: { logging: logging(keyProject, kKeyProject), owner: 'a' } });
    const ofTeam = await generateKey(stack.url, { team_id: team.body.team_id });
    const plain = await generateKey(stack.url);

    const callIds = {};
    for (const [name, key] of [['own', own], ['ofTeam', ofTeam], ['plain', plain]]) {
      const response = await chatWith(stack.url, key.key, 'gpt-test');
      assert.equal(response.status, 200, await response.clone().text());
      callIds[name] = response.headers.get('x-litellm-call-id');
      await response.arrayBuffer();
    }
    await keyProject.until(() => carries(keyProject, callIds.own));
    await teamProject.until(() => carries(teamProject, callIds.ofTeam));
    await global.until(() => carries(global, callIds.plain));
    for (const g of generations(keyProject)) assert.equal(g.authorization, basic(kKeyProject));
    for (const g of generations(teamProject)) assert.equal(g.authorization, basic(kTeamProject));
    assert.deepEqual(generations(keyProject).map((g) => g.id.split('_').pop()), [callIds.own]);
    assert.deepEqual(generations(teamProject).map((g) => g.id.split('_').pop()), [callIds.ofTeam]);
    // The config's langfuse has the plain key's call only: the others went to their own projects.
    assert.deepEqual(generations(global).map((g) => g.id.split('_').pop()), [callIds.plain]);

    // Secrets are masked wherever the admin routes show metadata; hosts and references are not.
    const info = await admin(stack.url, 'GET', `/key/info?key=${own.key}`);
    assert.equal(info.status, 200);
    const shownVars = info.body.info.metadata.logging[0].callback_vars;
    assert.deepEqual(shownVars, {
      langfuse_public_key: '[redacted]', langfuse_secret_key: '[redacted]', langfuse_host: keyProject.url,
    });
    assert.equal(info.body.info.metadata.owner, 'a');
    const teamInfo = await admin(stack.url, 'GET', `/team/info?team_id=${team.body.team_id}`);
    assert.equal(teamInfo.status, 200);
    const teamText = JSON.stringify(teamInfo.body);
    assert.match(teamText, /os\.environ\/TEAM_LANGFUSE_SECRET/);
    const list = await admin(stack.url, 'GET', '/key/list?return_full_object=true');
    for (const text of [JSON.stringify(own), JSON.stringify(info.body), JSON.stringify(list.body), teamText,
      JSON.stringify(team.body), stack.gateway.stderr()]) {
      for (const secret of [kKeyProject.secretKey, kTeamProject.secretKey, kGlobal.secretKey]) {
        assert.equal(text.includes(secret), false, `a secret in ${text.slice(0, 80)}`);
      }
    }
    assert.equal(await metricValue(stack.url, 'litellm_callback_logging_failures_metric_total{callback_name="langfuse"}'), 0);
  } finally {
    await stack.stop();
    await Promise.all([global.close(), keyProject.close(), teamProject.close()]);
    await rm(dir, { recursive: true, force: true });
  }
});

test('without any callback in the config, a key\'s own langfuse still gets its calls; a malformed list is a 400', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmux-key-callbacks-'));
  const project = await startRecorder({ statuses: [207], body: { successes: [], errors: [] } });
  const stack = await startStack({ dir, generalSettings: { database_url: join(dir, 'llmux.db') } });
  try {
    const own = await generateKey(stack.url, {
      metadata: { logging: logging(project, kKeyProject, { callback_type: 'failure' }) } });
    const ok = await chatWith(stack.url, own.key, 'gpt-test');
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    const failed = await chatWith(stack.url, own.key, 'broken');
    assert.equal(failed.status, 500);
    const failedId = failed.headers.get('x-litellm-call-id');
    await failed.arrayBuffer();
    await project.until(() => carries(project, failedId));
    // callback_type "failure": the successful call is not sent.
    assert.deepEqual(generations(project).map((g) => g.id.split('_').pop()), [failedId]);

    const cases = [
      [{ logging: 'langfuse' }, /metadata\.logging must be a list/],
      [{ logging: [{ callback_name: 'datadog', callback_vars: {} }] }, /metadata\.logging\[0\]: callback_name must be "langfuse"/],
      [{ logging: [{ callback_name: 'langfuse', callback_vars: { langfuse_public_key: 'pk' } }] },
        /metadata\.logging\[0\]: callback_vars\.langfuse_secret_key is required/],
      [{ logging: [{ callback_name: 'langfuse', callback_type: 'always', callback_vars: {} }] },
        /callback_type must be success, failure or success_and_failure/],
      [{ logging: [{ callback_name: 'langfuse', callback_vars: {
        langfuse_public_key: 'pk', langfuse_secret_key: 'sk-lf-never-echoed-9', langfuse_host: 'ftp://x' } }] },
        /langfuse_host must be an http\(s\) URL/],
    ];
    for (const [metadata, message] of cases) {
      for (const path of ['/key/generate', '/team/new']) {
        const response = await admin(stack.url, 'POST', path, { metadata });
        assert.equal(response.status, 400, `${path} ${JSON.stringify(metadata)}`);
        assert.match(response.body.error.message, message);
        assert.equal(JSON.stringify(response.body).includes('sk-lf-never-echoed-9'), false);
      }
    }
  } finally {
    await stack.stop();
    await project.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a key\'s langfuse_otel takes its calls as OTLP spans to its own project, in place of the config\'s', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmux-key-callbacks-'));
  const kOtlpPath = '/api/public/otel/v1/traces';
  const global = await startOtlpCollector({ path: kOtlpPath });
  const keyProject = await startOtlpCollector({ path: kOtlpPath });
  const stack = await startStack({
    dir,
    generalSettings: { database_url: join(dir, 'llmux.db') },
    litellmSettings: { callbacks: ['langfuse_otel'] },
    env: { LANGFUSE_OTEL_HOST: global.url, LANGFUSE_PUBLIC_KEY: kGlobal.publicKey, LANGFUSE_SECRET_KEY: kGlobal.secretKey },
  });
  try {
    const own = await generateKey(stack.url, {
      metadata: { logging: [{ ...logging(keyProject, kKeyProject)[0], callback_name: 'langfuse_otel' }] } });
    const plain = await generateKey(stack.url);
    const callIds = {};
    for (const [name, key] of [['own', own], ['plain', plain]]) {
      const response = await chatWith(stack.url, key.key, 'gpt-test', { metadata: { generation_name: `call-of-${name}` } });
      assert.equal(response.status, 200, await response.clone().text());
      callIds[name] = response.headers.get('x-litellm-call-id');
      await response.arrayBuffer();
    }
    await keyProject.until((c) => c.spans().length === 1);
    await global.until((c) => c.spans().length === 1);
    const ids = (collector) => collector.spans().map((span) => span.attributes['gen_ai.request.id']);
    assert.deepEqual(ids(keyProject), [callIds.own]);
    assert.deepEqual(ids(global), [callIds.plain]);
    const [ownRequest] = keyProject.requests;
    assert.equal(ownRequest.problem, null);
    assert.equal(ownRequest.encoding, 'protobuf');
    assert.equal(ownRequest.headers.authorization, basic(kKeyProject));
    assert.equal(global.requests[0].headers.authorization, basic(kGlobal));
    const [span] = keyProject.spans();
    assert.equal(span.attributes['langfuse.generation.name'], 'call-of-own');  // Langfuse's attributes
    for (const request of [...keyProject.requests, ...global.requests]) {
      for (const secret of [own.key, plain.key, kKeyProject.secretKey, kGlobal.secretKey]) {
        assert.equal(request.bytes.includes(secret), false);
      }
    }
    const info = await admin(stack.url, 'GET', `/key/info?key=${own.key}`);
    assert.equal(info.body.info.metadata.logging[0].callback_vars.langfuse_secret_key, '[redacted]');
    const delivered = 'llmux_callback_payloads_delivered_total{callback_name="langfuse_otel"}';
    await metricReaches(stack.url, delivered, 2);
  } finally {
    await stack.stop();
    await Promise.all([global.close(), keyProject.close()]);
    await rm(dir, { recursive: true, force: true });
  }
});
