// `llmux import-litellm`: a LiteLLM proxy's PostgreSQL (its tables as LiteLLM's Prisma schema
// names them, created here and filled with keys hashed as LiteLLM hashes them: SHA-256 of the
// key, hex) moves into llmux's store, SQLite or the same PostgreSQL database; then the official
// openai SDK calls llmux with the keys LiteLLM had issued.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI, { AuthenticationError, BadRequestError } from 'openai';

import { startMockUpstream } from '../mock_upstream/server.mjs';
import { kLlmuxBin } from '../support/gateway.mjs';
import { startPostgres } from '../support/postgres.mjs';
import { admin, kCallCost, pricedModels } from '../support/store.mjs';
import { rejection } from '../support/assertions.mjs';
import { kMasterKey, startStack } from '../support/stack.mjs';
import { toYaml } from '../support/yaml.mjs';

const run = promisify(execFile);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// The keys LiteLLM issued; clients hold these.
const kTeamKey = 'sk-litellm-team-key-4Fq9Zr';
const kLimitedKey = 'sk-litellm-limited-key-8Hn2Wd';
const kSpentKey = 'sk-litellm-spent-key-1Jx7Tc';
const kBlockedKey = 'sk-litellm-blocked-key-6Pm3Vb';
const kLegacyKey = 'sk-litellm-legacy-unhashed-2Ku5';
// A provider key LiteLLM kept, encrypted, with a model it stored in its database.
const kModelApiKey = 'sk-provider-key-of-a-litellm-db-model-9Vd';

// LiteLLM's tables (the columns of its Prisma schema that matter here, plus some that llmux
// does not model; its daily aggregate tables whole), as `prisma migrate` creates them: quoted
// mixed-case names, TEXT[] lists, JSONB maps, TIMESTAMP(3) times in UTC.
const kLitellmSchema = `
CREATE TABLE "LiteLLM_BudgetTable" (
  "budget_id" TEXT PRIMARY KEY, "max_budget" DOUBLE PRECISION, "soft_budget" DOUBLE PRECISION,
  "max_parallel_requests" INTEGER, "tpm_limit" BIGINT, "rpm_limit" BIGINT, "model_max_budget" JSONB,
  "budget_duration" TEXT, "budget_reset_at" TIMESTAMP(3),
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "created_by" TEXT NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_by" TEXT NOT NULL);
CREATE TABLE "LiteLLM_OrganizationTable" (
  "organization_id" TEXT PRIMARY KEY, "organization_alias" TEXT NOT NULL, "budget_id" TEXT NOT NULL,
  "metadata" JSONB NOT NULL DEFAULT '{}', "models" TEXT[], "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "created_by" TEXT NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_by" TEXT NOT NULL);
CREATE TABLE "LiteLLM_TeamTable" (
  "team_id" TEXT PRIMARY KEY, "team_alias" TEXT, "organization_id" TEXT, "admins" TEXT[], "members" TEXT[],
  "members_with_roles" JSONB NOT NULL DEFAULT '{}', "metadata" JSONB NOT NULL DEFAULT '{}',
  "max_budget" DOUBLE PRECISION, "soft_budget" DOUBLE PRECISION, "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
  "models" TEXT[], "max_parallel_requests" INTEGER, "tpm_limit" BIGINT, "rpm_limit" BIGINT,
  "budget_duration" TEXT, "budget_reset_at" TIMESTAMP(3), "blocked" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "model_spend" JSONB NOT NULL DEFAULT '{}', "model_max_budget" JSONB NOT NULL DEFAULT '{}');
CREATE TABLE "LiteLLM_UserTable" (
  "user_id" TEXT PRIMARY KEY, "user_alias" TEXT, "team_id" TEXT, "sso_user_id" TEXT, "organization_id" TEXT,
  "password" TEXT, "teams" TEXT[] DEFAULT ARRAY[]::TEXT[], "user_role" TEXT, "max_budget" DOUBLE PRECISION,
  "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "user_email" TEXT, "models" TEXT[],
  "metadata" JSONB NOT NULL DEFAULT '{}', "max_parallel_requests" INTEGER, "tpm_limit" BIGINT,
  "rpm_limit" BIGINT, "budget_duration" TEXT, "budget_reset_at" TIMESTAMP(3),
  "model_spend" JSONB NOT NULL DEFAULT '{}', "model_max_budget" JSONB NOT NULL DEFAULT '{}',
  "created_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, "updated_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE "LiteLLM_VerificationToken" (
  "token" TEXT PRIMARY KEY, "key_name" TEXT, "key_alias" TEXT,
  "soft_budget_cooldown" BOOLEAN NOT NULL DEFAULT false, "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
  "expires" TIMESTAMP(3), "models" TEXT[], "aliases" JSONB NOT NULL DEFAULT '{}',
  "config" JSONB NOT NULL DEFAULT '{}', "user_id" TEXT, "team_id" TEXT,
  "permissions" JSONB NOT NULL DEFAULT '{}', "max_parallel_requests" INTEGER,
  "metadata" JSONB NOT NULL DEFAULT '{}', "blocked" BOOLEAN, "tpm_limit" BIGINT, "rpm_limit" BIGINT,
  "max_budget" DOUBLE PRECISION, "budget_duration" TEXT, "budget_reset_at" TIMESTAMP(3),
  "allowed_cache_controls" TEXT[] DEFAULT ARRAY[]::TEXT[], "allowed_routes" TEXT[] DEFAULT ARRAY[]::TEXT[],
  "model_spend" JSONB NOT NULL DEFAULT '{}', "model_max_budget" JSONB NOT NULL DEFAULT '{}',
  "budget_id" TEXT, "organization_id" TEXT,
  "created_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, "created_by" TEXT,
  "updated_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, "updated_by" TEXT);
CREATE TABLE "LiteLLM_EndUserTable" (
  "user_id" TEXT PRIMARY KEY, "alias" TEXT, "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
  "allowed_model_region" TEXT, "default_model" TEXT, "budget_id" TEXT,
  "blocked" BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE "LiteLLM_ProxyModelTable" (
  "model_id" TEXT PRIMARY KEY, "model_name" TEXT NOT NULL, "litellm_params" JSONB NOT NULL,
  "model_info" JSONB, "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "created_by" TEXT NOT NULL,
  "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_by" TEXT NOT NULL);
${['LiteLLM_DailyUserSpend:user_id', 'LiteLLM_DailyTeamSpend:team_id', 'LiteLLM_DailyEndUserSpend:end_user_id',
  'LiteLLM_DailyTagSpend:tag', 'LiteLLM_DailyOrganizationSpend:organization_id'].map((entry) => {
  const [table, counted] = entry.split(':');
  return `CREATE TABLE "${table}" (
  "id" TEXT PRIMARY KEY DEFAULT md5(random()::TEXT), "${counted}" TEXT, "date" TEXT NOT NULL, "api_key" TEXT NOT NULL,
  "model" TEXT, "model_group" TEXT, "custom_llm_provider" TEXT, "mcp_namespaced_tool_name" TEXT, "endpoint" TEXT,
  "prompt_tokens" BIGINT NOT NULL DEFAULT 0, "completion_tokens" BIGINT NOT NULL DEFAULT 0,
  "cache_read_input_tokens" BIGINT NOT NULL DEFAULT 0, "cache_creation_input_tokens" BIGINT NOT NULL DEFAULT 0,
  "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "api_requests" BIGINT NOT NULL DEFAULT 0,
  "successful_requests" BIGINT NOT NULL DEFAULT 0, "failed_requests" BIGINT NOT NULL DEFAULT 0,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX "${table}_unique" ON "${table}"
  ("${counted}", "date", "api_key", "model", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint");`;
}).join('\n')}
CREATE TABLE "LiteLLM_SpendLogs" (
  "request_id" TEXT PRIMARY KEY, "call_type" TEXT NOT NULL, "api_key" TEXT NOT NULL DEFAULT '',
  "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "total_tokens" INTEGER NOT NULL DEFAULT 0,
  "prompt_tokens" INTEGER NOT NULL DEFAULT 0, "completion_tokens" INTEGER NOT NULL DEFAULT 0,
  "startTime" TIMESTAMP(3) NOT NULL, "endTime" TIMESTAMP(3) NOT NULL, "completionStartTime" TIMESTAMP(3),
  "model" TEXT NOT NULL DEFAULT '', "model_id" TEXT DEFAULT '', "model_group" TEXT DEFAULT '',
  "custom_llm_provider" TEXT DEFAULT '', "api_base" TEXT DEFAULT '', "user" TEXT DEFAULT '',
  "metadata" JSONB DEFAULT '{}', "cache_hit" TEXT DEFAULT '', "cache_key" TEXT DEFAULT '',
  "request_tags" JSONB DEFAULT '[]', "team_id" TEXT, "end_user" TEXT, "requester_ip_address" TEXT,
  "messages" JSONB DEFAULT '{}', "response" JSONB DEFAULT '{}', "session_id" TEXT, "status" TEXT);
`;

// LiteLLM's daily aggregates: the two logged calls of 2025-03-03, and four calls of 2025-02-10
// whose log rows its retention deleted (two rows a table that day: LiteLLM keeps the endpoint
// apart, llmux sums them).
const kDailyColumns = '("date", "api_key", "model", "model_group", "custom_llm_provider", "endpoint", '
  + '"prompt_tokens", "completion_tokens", "spend", "api_requests", "successful_requests", "failed_requests"';
const dailyRows = (table, counted, rows) => `INSERT INTO "${table}" ${kDailyColumns}, "${counted}") VALUES
  ${rows.map(([id, date, endpoint, prompt, completion, spend, requests, failed]) =>
    `('${date}', '${sha256(kTeamKey)}', 'gpt-4o', 'priced', 'openai', '${endpoint}', ${prompt}, ${completion}, ${spend}, `
    + `${requests}, ${requests - failed}, ${failed}, ${id === null ? 'NULL' : `'${id}'`})`).join(',\n  ')};`;
const kOlderDay = (id) => [[id, '2025-02-10', '/chat/completions', 300, 150, 3.0, 3, 0], [id, '2025-02-10', '/v1/responses', 100, 50, 1.0, 1, 1]];
const kLitellmDaily = [
  dailyRows('LiteLLM_DailyUserSpend', 'user_id', [['ada', '2025-03-03', '/chat/completions', 30, 15, 1.25, 2, 0], ...kOlderDay('ada')]),
  dailyRows('LiteLLM_DailyTeamSpend', 'team_id', [['team-research', '2025-03-03', '/chat/completions', 30, 15, 1.25, 2, 0], ...kOlderDay('team-research')]),
  dailyRows('LiteLLM_DailyEndUserSpend', 'end_user_id', [['customer-7', '2025-03-03', '/chat/completions', 20, 10, 0.75, 1, 0],
    [null, '2025-03-03', '/chat/completions', 10, 5, 0.5, 1, 0], ...kOlderDay(null)]),
  dailyRows('LiteLLM_DailyTagSpend', 'tag', [['project-x', '2025-03-03', '/chat/completions', 20, 10, 0.75, 1, 0]]),
  dailyRows('LiteLLM_DailyOrganizationSpend', 'organization_id', [['org-1', '2025-03-03', '/chat/completions', 30, 15, 1.25, 2, 0]]),
].join('\n');
// Rows of llmux's daily tables these make: user 2, team 2, end user 3 (the endpoints summed), tag 1.
const kDailyRowsImported = 8;

// What a LiteLLM proxy would have written: a team with a budget and two members, a user, keys
// as its UI and /key/generate make them, an end user with a budget row, two logged calls.
const kLitellmData = `
INSERT INTO "LiteLLM_BudgetTable" ("budget_id", "max_budget", "soft_budget", "created_by", "updated_by") VALUES
  ('budget-customer', 3.0, NULL, 'admin', 'admin'),
  ('budget-key-soft', NULL, 0.75, 'admin', 'admin'),
  ('budget-org', 100.0, NULL, 'admin', 'admin');
INSERT INTO "LiteLLM_OrganizationTable" ("organization_id", "organization_alias", "budget_id", "created_by", "updated_by")
  VALUES ('org-1', 'Research', 'budget-org', 'admin', 'admin');
INSERT INTO "LiteLLM_TeamTable" ("team_id", "team_alias", "organization_id", "members_with_roles", "max_budget", "spend", "models", "created_at")
  VALUES ('team-research', 'research', 'org-1',
    '[{"role": "admin", "user_id": "ada", "user_email": "ada@example.com"}, {"role": "user", "user_id": null, "user_email": "invited@example.com"}]',
    10.0, 1.5, ARRAY['priced'], '2025-03-01 10:00:00.250');
INSERT INTO "LiteLLM_UserTable" ("user_id", "user_role", "user_email", "max_budget", "spend", "models", "teams")
  VALUES ('ada', 'internal_user', 'ada@example.com', 20.0, 2.0, ARRAY[]::TEXT[], ARRAY['team-research']),
         ('old-timer', 'app_owner', NULL, NULL, 0.0, NULL, NULL);
INSERT INTO "LiteLLM_VerificationToken" ("token", "key_name", "key_alias", "spend", "models", "user_id", "team_id", "metadata", "max_budget", "budget_id", "expires", "created_at")
  VALUES ('${sha256(kTeamKey)}', 'sk-...Z4Fq', 'research-key', 1.25, ARRAY['all-team-models'], 'ada', 'team-research',
          '{"tags": ["project-x"]}', 5.0, 'budget-key-soft', '2099-01-01 00:00:00', '2025-03-02 08:30:00.125'),
         ('${sha256(kLimitedKey)}', 'sk-...2Wd0', 'limited-key', 0.0, ARRAY['priced-slow-stream'], NULL, NULL,
          '{}', NULL, NULL, NULL, '2025-03-02 08:31:00'),
         ('${sha256(kSpentKey)}', 'sk-...7Tc0', NULL, 2.0, ARRAY[]::TEXT[], NULL, NULL, '{}', 1.0, NULL, NULL, '2025-03-02 08:32:00'),
         ('${sha256(kBlockedKey)}', 'sk-...3Vb0', NULL, 0.0, NULL, NULL, NULL, '{}', NULL, NULL, NULL, '2025-03-02 08:33:00');
UPDATE "LiteLLM_VerificationToken" SET "blocked" = true WHERE "token" = '${sha256(kBlockedKey)}';
UPDATE "LiteLLM_VerificationToken" SET "allowed_cache_controls" = ARRAY['no-cache'] WHERE "token" = '${sha256(kTeamKey)}';
INSERT INTO "LiteLLM_VerificationToken" ("token", "key_name") VALUES ('${kLegacyKey}', NULL);
INSERT INTO "LiteLLM_EndUserTable" ("user_id", "alias", "spend", "budget_id") VALUES ('customer-7', 'Customer Seven', 0.5, 'budget-customer');
INSERT INTO "LiteLLM_SpendLogs" ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
    "startTime", "endTime", "model", "model_id", "model_group", "custom_llm_provider", "user", "team_id", "end_user",
    "metadata", "cache_hit", "request_tags", "status")
  VALUES ('chatcmpl-litellm-1', 'acompletion', '${sha256(kTeamKey)}', 0.75, 30, 20, 10,
          '2025-03-03 12:00:00.000', '2025-03-03 12:00:01.500', 'gpt-4o', 'deployment-priced', 'priced', 'openai',
          'ada', 'team-research', 'customer-7', '{"user_api_key_alias": "research-key"}', 'False', '["project-x"]', 'success'),
         ('chatcmpl-litellm-2', 'acompletion', '${sha256(kTeamKey)}', 0.5, 15, 10, 5,
          '2025-03-03 12:05:00.000', '2025-03-03 12:05:00.800', 'gpt-4o', 'deployment-priced', 'priced', 'openai',
          'ada', 'team-research', NULL, '{}', 'True', '[]', NULL);
${kLitellmDaily}
`;

async function psql(url, sql) {
  await run('psql', ['-v', 'ON_ERROR_STOP=1', '-q', '-d', url, '-c', sql]);
}

async function importLitellm(args) {
  const { stdout } = await run(kLlmuxBin, ['import-litellm', ...args]);
  return stdout;
}

function sdk(url, apiKey) {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 10_000 });
}

const chat = (client, model) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello.' }] });

// litellm_params as LiteLLM's /model/new stores them: each string encrypted under its master key
// (no LITELLM_SALT_KEY), here by tests/support/litellm_encrypt.py with libsodium itself.
async function encryptedAsLitellm(params, signingKey) {
  const script = new URL('../support/litellm_encrypt.py', import.meta.url).pathname;
  const child = execFile('python3', [script, signingKey]);
  child.stdin.end(JSON.stringify(params));
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  return out;
}

let litellm;
let modelUpstream;
before(async () => {
  litellm = await startPostgres();
  modelUpstream = await startMockUpstream();
  await psql(litellm.url, kLitellmSchema);
  await psql(litellm.url, kLitellmData);
  const params = await encryptedAsLitellm({
    model: 'openai/gpt-4o-upstream', api_base: `${modelUpstream.url}/v1`, api_key: kModelApiKey, rpm: 100,
  }, kMasterKey);
  await psql(litellm.url, `INSERT INTO "LiteLLM_ProxyModelTable"
    ("model_id", "model_name", "litellm_params", "model_info", "created_by", "updated_by") VALUES
    ('litellm-model-1', 'from-litellm-db', '${params}', '{"id": "litellm-model-1"}', 'admin', 'admin'),
    ('litellm-team-model', 'model_name_team-research_x', '${params}', '{"team_id": "team-research"}', 'admin', 'admin')`);
});
after(async () => {
  await litellm?.stop();
  await modelUpstream?.close();
});

// Into a SQLite file, and into the LiteLLM database itself (llmux's tables beside LiteLLM's).
const kDestinations = [
  { name: 'sqlite', url: (dir) => join(dir, 'llmux.db') },
  { name: 'the LiteLLM PostgreSQL database', url: () => litellm.url },
];

for (const destination of kDestinations) {
  describe(`import-litellm into ${destination.name}`, () => {
    let dir;
    let configPath;
    let stack;
    let firstRun;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'llmux-import-'));
      configPath = join(dir, 'import.yaml');
      await writeFile(configPath, toYaml({ model_list: [], general_settings: { database_url: destination.url(dir) } }));
      firstRun = await importLitellm(['--database_url', litellm.url, '--config', configPath, '--spend_logs']);
      stack = await startStack({
        extraModelsFor: pricedModels,
        dir,
        generalSettings: { database_url: destination.url(dir), proxy_batch_write_at: 0.3, store_model_in_db: true },
      });
    });
    after(async () => {
      await stack?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('the summary counts what was imported and says what was not', () => {
      assert.match(firstRun, /^keys: 4 imported, 0 already present, 1 skipped$/m);
      assert.match(firstRun, /^teams: 1 imported, 0 already present, 0 skipped$/m);
      assert.match(firstRun, /^users: 2 imported, 0 already present, 0 skipped$/m);
      assert.match(firstRun, /^end users: 1 imported, 0 already present, 0 skipped$/m);
      assert.match(firstRun, /^models: 1 imported, 0 already present, 1 skipped$/m);
      assert.match(firstRun, /^note: 1 team model\(s\) \(model_info.team_id\) not imported/m);
      assert.match(firstRun, new RegExp(`^daily spend: ${kDailyRowsImported} imported, 0 already present, 0 skipped$`, 'm'));
      assert.match(firstRun, /^note: 1 row\(s\) of LiteLLM_DailyOrganizationSpend not imported/m);
      assert.match(firstRun, /^spend logs: 2 imported, 0 already present, 0 skipped$/m);
      assert.match(firstRun, /^note: 1 key\(s\) stored unhashed .*skipped/m);
      assert.match(firstRun, /^note: 1 team member\(s\) without a user_id/m);
      assert.match(firstRun, /^note: 1 user\(s\) with no role or one of LiteLLM's older roles/m);
      assert.match(firstRun, /^note: 1 organisation\(s\) not imported/m);
      // The unhashed token is the key itself: never printed.
      assert.ok(!firstRun.includes(kLegacyKey));
    });

    test('keys LiteLLM issued call llmux through the openai SDK, with their models, budgets and blocks', async () => {
      const teamKey = sdk(stack.url, kTeamKey);
      const answer = await chat(teamKey, 'priced');
      assert.equal(answer.object, 'chat.completion');
      // all-team-models: the team's models decide (the team has only `priced`).
      const outsideTeam = await rejection(chat(teamKey, 'priced-slow-stream'), AuthenticationError);
      assert.equal(outsideTeam.status, 401);
      assert.equal((await chat(sdk(stack.url, kLimitedKey), 'priced-slow-stream')).object, 'chat.completion');
      await rejection(chat(sdk(stack.url, kLimitedKey), 'priced'), AuthenticationError);
      // Spent 2.0 of a 1.0 budget in LiteLLM: still over it in llmux.
      const over = await rejection(chat(sdk(stack.url, kSpentKey), 'priced'), BadRequestError);
      assert.equal(over.error?.type ?? over.type, 'budget_exceeded');
      await rejection(chat(sdk(stack.url, kBlockedKey), 'priced'), AuthenticationError);
      await rejection(chat(sdk(stack.url, kLegacyKey), 'priced'), AuthenticationError);
    });

    test('a model LiteLLM kept in its database is served with the key it encrypted', async () => {
      modelUpstream.reset();
      const answer = await chat(sdk(stack.url, kMasterKey), 'from-litellm-db');
      assert.equal(answer.object, 'chat.completion');
      assert.equal(modelUpstream.requests.length, 1);
      assert.equal(modelUpstream.requests[0].headers.authorization, `Bearer ${kModelApiKey}`);
      const info = await admin(stack.url, 'GET', '/model/info');
      assert.ok(info.body.data.some((model) => model.model_info.id === 'litellm-model-1'));
      assert.ok(!JSON.stringify(info.body).includes(kModelApiKey));
    });

    test('the admin API shows the imported records with LiteLLM\'s values', async () => {
      const key = await admin(stack.url, 'GET', `/key/info?key=${sha256(kTeamKey)}`);
      assert.equal(key.status, 200, JSON.stringify(key.body));
      assert.equal(key.body.info.key_alias, 'research-key');
      assert.equal(key.body.info.key_name, 'sk-...Z4Fq');
      assert.equal(key.body.info.team_id, 'team-research');
      assert.equal(key.body.info.user_id, 'ada');
      assert.equal(key.body.info.max_budget, 5);
      assert.equal(key.body.info.soft_budget, 0.75);
      assert.deepEqual(key.body.info.models, ['all-team-models']);
      assert.deepEqual(key.body.info.tags, ['project-x']);
      assert.deepEqual(key.body.info.allowed_cache_controls, ['no-cache']);
      assert.ok(key.body.info.spend >= 1.25, `spend ${key.body.info.spend}`);
      assert.equal(new Date(key.body.info.expires).toISOString(), '2099-01-01T00:00:00.000Z');

      const team = await admin(stack.url, 'GET', '/team/info?team_id=team-research');
      assert.equal(team.status, 200, JSON.stringify(team.body));
      assert.equal(team.body.team_info.team_alias, 'research');
      assert.equal(team.body.team_info.max_budget, 10);
      assert.deepEqual(team.body.team_info.models, ['priced']);
      assert.deepEqual(team.body.team_info.members_with_roles, [{ user_id: 'ada', role: 'admin' }]);

      const user = await admin(stack.url, 'GET', '/user/info?user_id=ada');
      assert.equal(user.body.user_info.user_email, 'ada@example.com');
      assert.equal(user.body.user_info.max_budget, 20);
      assert.equal((await admin(stack.url, 'GET', '/user/info?user_id=old-timer')).body.user_info.user_role, 'internal_user');

      const customer = await admin(stack.url, 'GET', '/customer/info?end_user_id=customer-7');
      assert.equal(customer.status, 200, JSON.stringify(customer.body));
      assert.equal(customer.body.alias, 'Customer Seven');
      assert.equal(customer.body.spend, 0.5);
      assert.equal(customer.body.max_budget ?? customer.body.litellm_budget_table?.max_budget, 3);

      const logs = await admin(stack.url, 'GET', '/spend/logs?request_id=chatcmpl-litellm-1');
      assert.equal(logs.body.length, 1);
      assert.equal(logs.body[0].spend, 0.75);
      assert.equal(logs.body[0].total_tokens, 30);
      assert.equal(logs.body[0].end_user, 'customer-7');
      assert.equal(new Date(logs.body[0].startTime).toISOString(), '2025-03-03T12:00:00.000Z');
    });

    test('LiteLLM\'s daily tables are imported: /global/spend and the daily routes count the days its log no longer has, once', async () => {
      const range = 'start_date=2025-02-01&end_date=2025-03-31';
      const total = await admin(stack.url, 'GET', `/global/spend?${range}`);
      assert.equal(total.status, 200, JSON.stringify(total.body));
      // 4.00 on 2025-02-10 (no log rows left) + 1.25 on 2025-03-03 (its two log rows, not summed again).
      assert.ok(Math.abs(total.body.spend - 5.25) < 1e-9, `spend ${total.body.spend}`);
      const activity = await admin(stack.url, 'GET', `/user/daily/activity?${range}&user_id=ada`);
      assert.equal(activity.status, 200, JSON.stringify(activity.body));
      const byDate = Object.fromEntries(activity.body.results.map((day) => [day.date, day.metrics]));
      assert.deepEqual(Object.keys(byDate).sort(), ['2025-02-10', '2025-03-03']);
      assert.equal(byDate['2025-02-10'].api_requests, 4);
      assert.equal(byDate['2025-02-10'].failed_requests, 1);
      assert.equal(byDate['2025-02-10'].prompt_tokens, 400);
      assert.ok(Math.abs(byDate['2025-02-10'].spend - 4) < 1e-9);
      assert.equal(byDate['2025-03-03'].api_requests, 2);
      const report = await admin(stack.url, 'GET', `/global/spend/report?${range}&group_by=customer`);
      const march = report.body.find((day) => day.group_by_day === '2025-03-03');
      assert.deepEqual(march.customers.map((c) => [c.customer, c.total_spend]), [[null, 0.5], ['customer-7', 0.75]]);
      const teams = await admin(stack.url, 'GET', `/team/daily/activity?${range}&team_ids=team-research`);
      assert.ok(Math.abs(teams.body.metadata.total_spend - 5.25) < 1e-9, JSON.stringify(teams.body.metadata));
    });

    test('a second import changes nothing: every record is already present, spend is not reset', async () => {
      const before = (await admin(stack.url, 'GET', `/key/info?key=${sha256(kTeamKey)}`)).body.info.spend;
      assert.ok(Math.abs(before - (1.25 + kCallCost)) < 1e-9, `spend ${before}`);
      const again = await importLitellm(['--database_url', litellm.url, '--config', configPath, '--spend_logs']);
      assert.match(again, /^keys: 0 imported, 4 already present, 1 skipped$/m);
      assert.match(again, /^teams: 0 imported, 1 already present/m);
      assert.match(again, /^users: 0 imported, 2 already present/m);
      assert.match(again, /^end users: 0 imported, 1 already present/m);
      assert.match(again, /^models: 0 imported, 1 already present, 1 skipped$/m);
      assert.match(again, new RegExp(`^daily spend: 0 imported, ${kDailyRowsImported} already present, 0 skipped$`, 'm'));
      assert.match(again, /^spend logs: 0 imported, 2 already present/m);
      assert.ok(Math.abs((await admin(stack.url, 'GET', '/global/spend?start_date=2025-02-01&end_date=2025-03-31')).body.spend - 5.25) < 1e-9);
      const info = await admin(stack.url, 'GET', `/key/info?key=${sha256(kTeamKey)}`);
      assert.equal(info.body.info.spend, before);
    });
  });
}

test('an older LiteLLM database: missing columns read as empty, missing tables are named', async () => {
  // The first schema LiteLLM's proxy had: keys with a handful of columns, no teams or budgets.
  await psql(litellm.url, 'CREATE DATABASE litellm_v1');
  const oldUrl = litellm.url.replace(/\/llmux$/, '/litellm_v1');
  await psql(oldUrl, `CREATE TABLE "LiteLLM_VerificationToken" ("token" TEXT PRIMARY KEY,
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "expires" TIMESTAMP(3), "models" TEXT[],
    "user_id" TEXT, "metadata" JSONB NOT NULL DEFAULT '{}');
    INSERT INTO "LiteLLM_VerificationToken" VALUES ('${sha256('sk-old-key-0')}', 0.25, NULL, ARRAY['priced'], 'bob', '{}')`);
  const dir = await mkdtemp(join(tmpdir(), 'llmux-import-old-'));
  try {
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, toYaml({ model_list: [] }));
    const summary = await importLitellm(['--database_url', oldUrl, '--config', configPath]);
    assert.match(summary, /into llmux's sqlite database/);
    assert.match(summary, /^keys: 1 imported, 0 already present, 0 skipped$/m);
    assert.match(summary, /^teams: 0 imported/m);
    for (const table of ['LiteLLM_TeamTable', 'LiteLLM_UserTable', 'LiteLLM_EndUserTable', 'LiteLLM_ProxyModelTable']) {
      assert.match(summary, new RegExp(`^note: no table "${table}" in this database`, 'm'));
    }
    assert.match(summary, /^note: no daily spend tables \(LiteLLM_DailyUserSpend, …\) in this database/m);
    assert.match(summary, /^note: spend logs not copied \(add --spend_logs/m);
    const stack = await startStack({ extraModelsFor: pricedModels, dir });
    try {
      const key = await admin(stack.url, 'GET', `/key/info?key=${sha256('sk-old-key-0')}`);
      assert.equal(key.body.info.key_name, 'sk-...');
      assert.equal(key.body.info.spend, 0.25);
      assert.equal(key.body.info.key_alias, null);
      assert.equal((await chat(sdk(stack.url, 'sk-old-key-0'), 'priced')).object, 'chat.completion');
    } finally {
      await stack.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('import-litellm refuses a database_url that is not PostgreSQL, and says why a connection failed', async () => {
  await assert.rejects(run(kLlmuxBin, ['import-litellm', '--database_url', 'sqlite:///tmp/x.db']), (error) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /import-litellm needs --database_url postgresql:\/\//);
    return true;
  });
  await assert.rejects(run(kLlmuxBin, ['import-litellm', '--database_url', 'postgresql://nobody:hunter2secret@127.0.0.1:1/none']),
    (error) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /cannot connect to PostgreSQL/);
      assert.ok(!error.stderr.includes('hunter2secret'));
      return true;
    });
});
