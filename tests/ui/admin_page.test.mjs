// The admin page at /ui in a real browser (Debian's chromium, headless, through puppeteer-core),
// against a gateway with a SQLite database and data made through the page and the API: log in,
// every view, keys from creation to deletion, a call's spend in the usage chart and the logs,
// log out; the security headers, the session cookie, and no secret anywhere the browser keeps.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { kMasterKey, kUpstreamKey, modelEntry, startStack } from '../support/stack.mjs';
import { admin, chatWith, eventually, inRoomyMinute, pricedModels } from '../support/store.mjs';
import { expectError } from '../support/assertions.mjs';
import { launchBrowser, openPage, screenshot, viewShown } from '../support/browser.mjs';

const kUiHeader = { 'X-LLMux-UI': '1' };
const kSecretBase = 'http://ops:base-secret-pw@127.0.0.1:9/v1?token=base-secret-q';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// A gateway with a master key and a SQLite database in a temp dir, for one describe block.
function withGateway(extra = {}) {
  const env = {};
  before(async () => {
    env.dir = await mkdtemp(join(tmpdir(), 'llmux-ui-'));
    env.stack = await startStack({
      // Besides the priced models: a group of two where one deployment answers 429 (and cools
      // for a minute), and a deployment whose api base holds credentials (never called).
      extraModelsFor: (mockUrl) => [
        ...pricedModels(mockUrl),
        modelEntry('flaky', 'mock-error-429', `${mockUrl}/v1`, {}, 'flaky-429'),
        modelEntry('flaky', 'gpt-4o-upstream', `${mockUrl}/v1`, {}, 'flaky-ok'),
        modelEntry('masked-base', 'gpt-4o-upstream', kSecretBase, {}, 'masked-base'),
      ],
      routerSettings: { cooldown_time: 60 },
      dir: env.dir,
      generalSettings: { database_url: join(env.dir, 'llmux.db'), proxy_batch_write_at: 0.2, ...extra.generalSettings },
      env: extra.env,
    });
  });
  after(async () => {
    await env.stack?.stop();
    await rm(env.dir, { recursive: true, force: true });
  });
  return env;
}

async function logIn(page, url, password = kMasterKey) {
  await page.goto(`${url}/ui`);
  await page.waitForSelector('#login-form input[name=password]', { visible: true });
  await page.type('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
}

// The rows of a table as arrays of cell texts.
const rowsOf = (page, table) => page.$$eval(`${table} tbody tr`,
  (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));

// Clicks the button labelled `label` in the row whose first cell is `first`.
async function clickInRow(page, table, first, label) {
  const clicked = await page.$$eval(`${table} tbody tr`, (rows, first, label) => {
    const row = rows.find((r) => r.cells[0].textContent === first);
    const button = row && [...row.querySelectorAll('button')].find((b) => b.textContent === label);
    button?.click();
    return Boolean(button);
  }, first, label);
  assert.ok(clicked, `no ${label} button in the row of ${first}`);
}

async function confirmDialog(page) {
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-ok');
}

describe('the admin page with a master key', () => {
  const env = withGateway();

  test('every file of /ui has the security headers, and the whole page is under 300 KiB', async () => {
    let bytes = 0;
    for (const path of ['/ui', '/ui/app.js', '/ui/app.css', '/ui/icon.svg', '/ui/session']) {
      const response = await fetch(env.stack.url + path);
      assert.equal(response.status, 200, path);
      bytes += (await response.arrayBuffer()).byteLength;
      const csp = response.headers.get('content-security-policy');
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /script-src 'self';/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    }
    assert.ok(bytes < 300 * 1024, `${bytes} bytes`);
    const missing = await fetch(`${env.stack.url}/ui/nothing.js`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.message, 'No such file of the admin page.');
  });

  test('a wrong master key is refused and the login form stays', async () => {
    const { page, record, close } = await openPage(browser);
    try {
      await logIn(page, env.stack.url, 'sk-not-the-master-key');
      await page.waitForSelector('#error:not([hidden])');
      assert.equal(await page.$eval('#error', (e) => e.textContent), 'Wrong master key, or username and password.');
      assert.equal(await page.$eval('#login', (e) => e.hidden), false);
      assert.equal(await page.$eval('#nav', (e) => e.hidden), true);
      // The only error the browser printed is the refused login's 401.
      assert.deepEqual(record.errors.filter((e) => !/status of 401/.test(e)), []);
    } finally {
      await close();
    }
  });

  test('the session: an HttpOnly SameSite=Strict cookie, needed with the page header by the API, ended by logout', async () => {
    const noHeader = await fetch(`${env.stack.url}/ui/login`, { method: 'POST', body: JSON.stringify({ password: kMasterKey }) });
    await expectError(noHeader, 403, { message: 'Log in from the admin page (/ui).' });
    const login = await fetch(`${env.stack.url}/ui/login`, { method: 'POST', headers: kUiHeader, body: JSON.stringify({ password: kMasterKey }) });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie');
    assert.match(setCookie, /^llmux_ui_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    assert.ok(!setCookie.includes(kMasterKey));
    // Behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure; over plain HTTP it is not (above).
    const proxied = await fetch(`${env.stack.url}/ui/login`, { method: 'POST', headers: { ...kUiHeader, 'X-Forwarded-Proto': 'https' }, body: JSON.stringify({ password: kMasterKey }) });
    assert.match(proxied.headers.get('set-cookie'), /; HttpOnly; SameSite=Strict; Secure$/);
    const cookie = { Cookie: setCookie.split(';')[0] };
    const list = (headers) => fetch(`${env.stack.url}/key/list`, { headers });
    assert.equal((await list({ ...cookie, ...kUiHeader })).status, 200);
    // Without the cookie, or without the page's header (what a cross-site form could send), or
    // with a made-up session: refused.
    await expectError(await list(kUiHeader), 401);
    await expectError(await list(cookie), 401);
    await expectError(await list({ Cookie: `llmux_ui_session=${'0'.repeat(64)}`, ...kUiHeader }), 401);
    // A page of another origin cannot send the header: its CORS preflight is not granted.
    const preflight = await fetch(`${env.stack.url}/key/list`, { method: 'OPTIONS', headers: {
      Origin: 'http://127.0.0.1:1', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-llmux-ui' } });
    await preflight.arrayBuffer();
    assert.notEqual(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-headers'), null);
    const session = await (await fetch(`${env.stack.url}/ui/session`, { headers: cookie })).json();
    assert.deepEqual(session, { open: false, logged_in: true, database: true });
    const logout = await fetch(`${env.stack.url}/ui/logout`, { method: 'POST', headers: { ...cookie, ...kUiHeader } });
    assert.equal(logout.status, 200);
    assert.match(logout.headers.get('set-cookie'), /^llmux_ui_session=; Path=\/; Max-Age=0;/);
    await expectError(await list({ ...cookie, ...kUiHeader }), 401);
    const after = await (await fetch(`${env.stack.url}/ui/session`, { headers: cookie })).json();
    assert.equal(after.logged_in, false);
  });

  test('in the browser: log in, create a key, block it, call with it, see its spend and logs, regenerate, delete, log out', async (t) => {
    const downloads = await mkdtemp(join(tmpdir(), 'llmux-ui-downloads-'));
    const { page, record, close } = await openPage(browser, { downloadPath: downloads });
    try {
      const started = Date.now();
      await logIn(page, env.stack.url);
      await viewShown(page, 'keys');
      t.diagnostic(`login to the keys view drawn: ${Date.now() - started} ms`);
      // A logged-in browser opening the page: from navigation to the keys view drawn.
      const opened = Date.now();
      await page.goto(`${env.stack.url}/ui`);
      await viewShown(page, 'keys');
      t.diagnostic(`page opened to the keys view drawn: ${Date.now() - opened} ms`);
      assert.deepEqual(await rowsOf(page, '#keys-table'), [['Nothing yet.']]);

      // Create: the plain key is shown once, and the key is listed.
      await page.click('#view-keys summary');
      await page.type('#key-create input[name=key_alias]', 'browser-key');
      await page.type('#key-create input[name=models]', 'priced, gpt-test');
      await page.type('#key-create input[name=max_budget]', '5');
      await page.type('#key-create input[name=rpm_limit]', '100');
      await page.click('#key-create button[type=submit]');
      await page.waitForSelector('#new-key:not([hidden])');
      const plain = await page.$eval('#new-key-value', (e) => e.textContent);
      assert.match(plain, /^sk-[A-Za-z0-9_-]{32}$/);
      await page.waitForFunction(() => document.querySelector('#keys-table tbody tr td')?.textContent === 'browser-key');
      const [row] = await rowsOf(page, '#keys-table');
      assert.deepEqual(row.slice(0, 9), ['browser-key', `sk-...${plain.slice(-4)}`, '—', '—', 'priced, gpt-test',
        '$0.0000 / $5.0000', '100 rpm', '—', 'active']);
      await screenshot(page, 'keys');

      // Block: the key's calls are refused; unblock: they pass.
      await clickInRow(page, '#keys-table', 'browser-key', 'Block');
      await page.waitForFunction(() => document.querySelector('#keys-table tbody tr td:nth-child(9)')?.textContent === 'blocked');
      await expectError(await chatWith(env.stack.url, plain, 'priced'), 401, { message: /Key is blocked/ });
      await clickInRow(page, '#keys-table', 'browser-key', 'Unblock');
      await page.waitForFunction(() => document.querySelector('#keys-table tbody tr td:nth-child(9)')?.textContent === 'active');
      const call = await chatWith(env.stack.url, plain, 'priced');
      assert.equal(call.status, 200);
      const requestId = call.headers.get('x-litellm-call-id');
      await call.arrayBuffer();

      // Usage: the call's spend in the chart (split by model and by key) and the tops.
      await page.goto(`${env.stack.url}/ui#usage`);
      await viewShown(page, 'usage');
      await eventually(async () => {
        await page.reload();
        await viewShown(page, 'usage');
        return (await page.$$('#usage-chart rect[data-series="priced"]')).length === 1;
      }, { what: 'the call in the usage chart' });
      assert.deepEqual(await rowsOf(page, '#top-models'), [['priced', '$0.0039', '29', '1']]);
      assert.deepEqual(await rowsOf(page, '#top-keys'), [['browser-key', '$0.0039', '29', '1']]);
      assert.match(await page.$eval('#usage-total', (e) => e.textContent), /^Total \$0\.0039, 29 tokens, 1 requests$/);
      await screenshot(page, 'usage');
      // The numbers behind the chart, as CSV.
      await page.click('#usage-csv');
      const csv = await eventually(() => readFile(join(downloads, 'llmux-usage-by-model.csv'), 'utf8').catch(() => null),
        { what: 'the CSV download' });
      const [header, line, ...rest] = csv.trimEnd().split('\n');
      assert.equal(header, 'day,model,spend,total_tokens,requests');
      assert.deepEqual(rest, []);
      const [day, model, spend, tokens, requests] = line.split(',');
      assert.deepEqual([day, model, tokens, requests], [new Date().toISOString().slice(0, 10), 'priced', '29', '1']);
      assert.ok(Math.abs(Number(spend) - 0.0039) < 1e-12, spend);
      await page.select('#usage-form select[name=split]', 'api_key');
      const keySeries = await page.$$eval('#usage-chart rect', (rects) => rects.map((r) => r.dataset.series));
      assert.equal(keySeries.length, 1);
      assert.match(keySeries[0], /^[0-9a-f]{64}$/);
      assert.equal(await page.$eval('#usage-legend', (e) => e.textContent), 'browser-key');

      // Logs: the call's row, its details, and the key filter.
      await page.click('#nav a[data-view=logs]');
      await viewShown(page, 'logs');
      const logs = await rowsOf(page, '#logs-table');
      assert.equal(logs.length, 1);
      assert.deepEqual(logs[0].slice(1, 8), [requestId, 'priced', keySeries[0].slice(0, 12), '—', 'success', '29', '0.003900']);
      await page.click('#logs-table tbody tr');
      const detail = JSON.parse(await page.$eval('#log-detail', (e) => e.textContent));
      assert.equal(detail.request_id, requestId);
      assert.equal(detail.prompt_tokens, 19);
      await screenshot(page, 'logs');
      const logsShown = (ids) => page.waitForFunction((ids) => JSON.stringify([...document.querySelectorAll('#logs-table tbody tr')]
        .map((tr) => (tr.cells.length > 1 ? tr.cells[1].textContent : tr.cells[0].textContent))) === JSON.stringify(ids), {}, ids);
      await page.select('#logs-filter select[name=status]', 'failure');
      await page.click('#logs-filter button[type=submit]');
      await logsShown(['Nothing yet.']);
      await page.select('#logs-filter select[name=status]', 'success');
      await page.type('#logs-filter input[name=model]', 'priced');
      await page.click('#logs-filter button[type=submit]');
      await logsShown([requestId]);
      await page.$eval('#logs-filter input[name=model]', (input) => { input.value = 'gpt-test'; });
      await page.click('#logs-filter button[type=submit]');
      await logsShown(['Nothing yet.']);
      await page.$eval('#logs-filter input[name=model]', (input) => { input.value = ''; });
      await page.select('#logs-filter select[name=status]', '');
      await page.type('#logs-filter input[name=api_key]', '0'.repeat(64));
      await page.click('#logs-filter button[type=submit]');
      await page.waitForFunction(() => document.querySelector('#logs-table tbody td')?.textContent === 'Nothing yet.');
      await page.$eval('#logs-filter input[name=api_key]', (input) => { input.value = ''; });
      await page.type('#logs-filter input[name=api_key]', plain);
      await page.click('#logs-filter button[type=submit]');
      await page.waitForFunction((id) => document.querySelector('#logs-table tbody td:nth-child(2)')?.textContent === id, {}, requestId);

      // Regenerate (after a confirmation): a new key shown once; the old one refused.
      await page.click('#nav a[data-view=keys]');
      await page.waitForFunction(() => document.querySelector('#keys-table tbody tr td')?.textContent === 'browser-key');
      await clickInRow(page, '#keys-table', 'browser-key', 'Regenerate');
      await confirmDialog(page);
      await page.waitForFunction((old) => {
        const shown = document.querySelector('#new-key-value').textContent;
        return shown.startsWith('sk-') && shown !== old;
      }, {}, plain);
      const renewed = await page.$eval('#new-key-value', (e) => e.textContent);
      await expectError(await chatWith(env.stack.url, plain, 'priced'), 401);
      const renewedCall = await chatWith(env.stack.url, renewed, 'priced');
      assert.equal(renewedCall.status, 200);
      await renewedCall.arrayBuffer();
      await page.click('#new-key-close');
      assert.equal(await page.$eval('#new-key-value', (e) => e.textContent), '');

      // Delete, cancelled first, then confirmed.
      await clickInRow(page, '#keys-table', 'browser-key', 'Delete');
      await page.waitForSelector('#confirm[open]');
      await page.click('#confirm-cancel');
      assert.equal((await rowsOf(page, '#keys-table')).length, 1);
      await clickInRow(page, '#keys-table', 'browser-key', 'Delete');
      await confirmDialog(page);
      await page.waitForFunction(() => document.querySelector('#keys-table tbody td')?.textContent === 'Nothing yet.');
      await expectError(await chatWith(env.stack.url, renewed, 'priced'), 401);

      // No secret anywhere the browser keeps or sent: not the master key, not the shown keys
      // (gone from the page once closed).
      const kept = await page.evaluate(() => JSON.stringify({
        html: document.documentElement.outerHTML,
        cookie: document.cookie,
        local: { ...localStorage },
        session: { ...sessionStorage },
        url: location.href,
      }));
      for (const secret of [kMasterKey, renewed]) {
        assert.ok(!kept.includes(secret), 'a secret is in the page or its storage');
        assert.ok(!record.urls.some((url) => url.includes(secret)), 'a secret is in a URL');
      }
      assert.equal(JSON.parse(kept).cookie, '', 'the session cookie is readable by scripts');

      // Log out: the login form, and the API refuses the old session.
      await page.click('#logout');
      await page.waitForSelector('#login', { visible: true });
      const status = await page.evaluate(async () => (await fetch('/key/list', { headers: { 'X-LLMux-UI': '1' } })).status);
      assert.equal(status, 401);
      assert.deepEqual(record.errors.filter((e) => !/status of 401/.test(e)), []);
      assert.ok(!env.stack.gateway.stderr().includes(kMasterKey), 'the master key is in the log');
    } finally {
      await close();
      await rm(downloads, { recursive: true, force: true });
    }
  });

  test('in the browser: search keys, edit a key, a team and a user, add and remove a team member', async () => {
    for (const fields of [{ key_alias: 'alpha', max_budget: 3, rpm_limit: 10 }, { key_alias: 'beta' }]) {
      assert.equal((await admin(env.stack.url, 'POST', '/key/generate', fields)).status, 200);
    }
    assert.equal((await admin(env.stack.url, 'POST', '/team/new', { team_alias: 'research', team_id: 'team-research' })).status, 200);
    assert.equal((await admin(env.stack.url, 'POST', '/user/new', { user_id: 'lin', auto_create_key: false })).status, 200);
    const { page, record, close } = await openPage(browser);
    const firstCells = async (table) => (await rowsOf(page, table)).map((row) => row[0]);
    try {
      await logIn(page, env.stack.url);
      await viewShown(page, 'keys');
      assert.deepEqual((await firstCells('#keys-table')).sort(), ['alpha', 'beta']);
      await page.type('#key-search input[name=key_alias]', 'beta');
      await page.click('#key-search button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('#keys-table tbody tr').length === 1);
      assert.deepEqual(await firstCells('#keys-table'), ['beta']);
      await page.$eval('#key-search input[name=key_alias]', (input) => { input.value = ''; });
      await page.click('#key-search button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('#keys-table tbody tr').length === 2);

      // Edit: a new alias, the budget cleared, a tpm limit and a model list.
      await clickInRow(page, '#keys-table', 'alpha', 'Edit');
      await page.waitForSelector('#edit[open]');
      assert.equal(await page.$eval('#edit-form input[name=max_budget]', (input) => input.value), '3');
      const replace = async (name, value) => {
        await page.$eval(`#edit-form input[name=${name}]`, (input) => { input.value = ''; });
        if (value) await page.type(`#edit-form input[name=${name}]`, value);
      };
      await replace('key_alias', 'alpha-2');
      await replace('max_budget', '');
      await replace('tpm_limit', '500');
      await replace('models', 'priced');
      await page.click('#edit-save');
      await page.waitForFunction(() => [...document.querySelectorAll('#keys-table tbody tr td:first-child')].some((td) => td.textContent === 'alpha-2'));
      const edited = (await rowsOf(page, '#keys-table')).find((row) => row[0] === 'alpha-2');
      assert.deepEqual([edited[4], edited[5], edited[6]], ['priced', '$0.0000 / ∞', '10 rpm, 500 tpm']);
      const listed = await admin(env.stack.url, 'GET', '/key/list?return_full_object=true&key_alias=alpha-2');
      assert.equal(listed.body.keys[0].max_budget, null);
      assert.equal(listed.body.keys[0].tpm_limit, 500);

      // A team: a member added with a role, then removed; its budget edited.
      await page.click('#nav a[data-view=teams]');
      await viewShown(page, 'teams');
      await page.select('#member-add select[name=team_id]', 'team-research');
      await page.type('#member-add input[name=user_id]', 'grace');
      await page.select('#member-add select[name=role]', 'admin');
      await page.click('#member-add button[type=submit]');
      const membersOf = async () => (await rowsOf(page, '#teams-table')).find((row) => row[0] === 'research')[2];
      await page.waitForFunction(() => [...document.querySelectorAll('#teams-table .member')].some((m) => m.textContent.startsWith('grace (admin)')));
      assert.equal(await membersOf(), 'grace (admin)×');
      assert.deepEqual((await admin(env.stack.url, 'GET', '/team/info?team_id=team-research')).body.team_info.members_with_roles,
        [{ user_id: 'grace', role: 'admin' }]);
      await page.$$eval('#teams-table .member button', (buttons) => buttons.find((b) => b.parentElement.textContent.startsWith('grace'))?.click());
      await page.waitForFunction(() => ![...document.querySelectorAll('#teams-table .member')].some((m) => m.textContent.startsWith('grace')));
      assert.equal(await membersOf(), '—');
      await clickInRow(page, '#teams-table', 'research', 'Edit');
      await page.waitForSelector('#edit[open]');
      await replace('max_budget', '7');
      await page.click('#edit-save');
      await page.waitForFunction(() => [...document.querySelectorAll('#teams-table tbody tr')].some((tr) => tr.cells[0].textContent === 'research' && tr.cells[4].textContent === '$0.0000 / $7.0000'));

      // A user: email and budget edited.
      await page.click('#nav a[data-view=users]');
      await viewShown(page, 'users');
      await clickInRow(page, '#users-table', 'lin', 'Edit');
      await page.waitForSelector('#edit[open]');
      await replace('user_email', 'lin@example.com');
      await replace('max_budget', '2');
      await page.click('#edit-save');
      await page.waitForFunction(() => [...document.querySelectorAll('#users-table tbody tr')].some((tr) => tr.cells[0].textContent === 'lin' && tr.cells[1].textContent === 'lin@example.com'));
      const [lin] = (await rowsOf(page, '#users-table')).filter((row) => row[0] === 'lin');
      assert.equal(lin[4], '$0.0000 / $2.0000');
      assert.deepEqual(record.errors, []);
    } finally {
      await close();
    }
  });

  test('in the browser: the logs page by page after a request id', async () => {
    const key = await admin(env.stack.url, 'POST', '/key/generate', { key_alias: 'paged' });
    const ids = [];
    for (let i = 0; i < 12; ++i) {
      const response = await chatWith(env.stack.url, key.body.key, 'priced');
      await response.arrayBuffer();
      ids.push(response.headers.get('x-litellm-call-id'));
    }
    const newestFirst = [...ids].reverse();
    await eventually(async () => (await admin(env.stack.url, 'GET', `/spend/logs?api_key=${key.body.token}`)).body.length === 12,
      { what: 'twelve spend-log rows' });
    const { page, record, close } = await openPage(browser);
    try {
      await logIn(page, env.stack.url);
      await viewShown(page, 'keys');
      await page.click('#nav a[data-view=logs]');
      await viewShown(page, 'logs');
      await page.type('#logs-filter input[name=api_key]', key.body.token);
      await page.select('#logs-filter select[name=page_size]', '10');
      const shown = (expected) => page.waitForFunction((expected) => JSON.stringify(
        [...document.querySelectorAll('#logs-table tbody tr')].map((tr) => tr.cells[1].textContent)) === JSON.stringify(expected), {}, expected);
      const pager = () => page.$eval('#logs-pager', (box) => [box.children[0].disabled, box.children[1].textContent, box.children[2].disabled]);
      await page.click('#logs-filter button[type=submit]');
      await shown(newestFirst.slice(0, 10));
      assert.deepEqual(await pager(), [true, ' page 1 ', false]);
      await page.click('#logs-pager button:last-child');
      await shown(newestFirst.slice(10));
      assert.deepEqual(await pager(), [false, ' page 2 ', true]);
      await page.click('#logs-pager button:first-child');
      await shown(newestFirst.slice(0, 10));
      assert.deepEqual(record.errors, []);
    } finally {
      await close();
    }
  });

  test('/model/info: every deployment with its provider, api base without credentials, prices and health; a virtual key sees only what it may call', async () => {
    const info = await admin(env.stack.url, 'GET', '/model/info');
    assert.equal(info.status, 200);
    const byId = new Map(info.body.data.map((d) => [d.model_info.id, d]));
    const priced = byId.get('deployment-priced');
    assert.equal(priced.model_name, 'priced');
    assert.deepEqual(priced.litellm_params, { model: 'openai/gpt-4o-upstream', api_base: `${env.stack.mock.url}/v1` });
    assert.equal(priced.model_info.litellm_provider, 'openai');
    assert.equal(priced.model_info.input_cost_per_token, 0.0001);
    assert.equal(priced.model_info.output_cost_per_token, 0.0002);
    assert.deepEqual([priced.health.state, priced.health.cooling_seconds_left, priced.health.in_flight], ['healthy', 0, 0]);
    assert.equal(byId.get('masked-base').litellm_params.api_base, 'http://127.0.0.1:9/v1');
    const text = JSON.stringify(info.body);
    for (const secret of ['base-secret', kUpstreamKey, 'sk-upstream-priced']) assert.ok(!text.includes(secret), secret);
    assert.deepEqual(byId.get('deployment-pair-a').model_name, 'pair');
    await expectError(await fetch(`${env.stack.url}/model/info`), 401);
    // A virtual key sees the deployments of the models it may call, as in LiteLLM.
    const key = await admin(env.stack.url, 'POST', '/key/generate', { models: ['priced'] });
    const own = await fetch(`${env.stack.url}/model/info`, { headers: { Authorization: `Bearer ${key.body.key}` } });
    assert.equal(own.status, 200);
    assert.deepEqual((await own.json()).data.map((d) => d.model_info.id), ['deployment-priced']);
  });

  test('in the browser: teams, users and models', async () => {
    const { page, record, close } = await openPage(browser);
    try {
      await logIn(page, env.stack.url);
      await viewShown(page, 'keys');

      await page.click('#nav a[data-view=teams]');
      await viewShown(page, 'teams');
      await page.click('#view-teams summary');
      await page.type('#team-create input[name=team_alias]', 'platform');
      await page.type('#team-create input[name=max_budget]', '20');
      await page.type('#team-create input[name=models]', 'priced');
      await page.click('#team-create button[type=submit]');
      const rowWith = (table, first) => page.waitForFunction((table, first) =>
        [...document.querySelectorAll(`${table} tbody tr`)].some((tr) => tr.cells[0].textContent === first), {}, table, first);
      await rowWith('#teams-table', 'platform');
      const team = (await rowsOf(page, '#teams-table')).find((row) => row[0] === 'platform');
      assert.deepEqual([team[0], team[3], team[4], team[6]], ['platform', 'priced', '$0.0000 / $20.0000', 'active']);
      const teamId = team[1];
      const listed = await admin(env.stack.url, 'GET', '/team/list');
      assert.equal(listed.body.find((t) => t.team_alias === 'platform').team_id, teamId);
      await clickInRow(page, '#teams-table', 'platform', 'Block');
      await page.waitForFunction(() => [...document.querySelectorAll('#teams-table tbody tr')].some((tr) => tr.cells[0].textContent === 'platform' && tr.cells[6].textContent === 'blocked'));
      await screenshot(page, 'teams');

      await page.click('#nav a[data-view=users]');
      await viewShown(page, 'users');
      await page.click('#view-users summary');
      await page.type('#user-create input[name=user_id]', 'ada');
      await page.type('#user-create input[name=user_email]', 'ada@example.com');
      await page.click('#user-create button[type=submit]');
      await rowWith('#users-table', 'ada');
      const user = (await rowsOf(page, '#users-table')).find((row) => row[0] === 'ada');
      assert.deepEqual(user.slice(0, 4), ['ada', 'ada@example.com', 'internal_user', 'all']);
      assert.equal((await admin(env.stack.url, 'GET', '/key/list?user_id=ada')).body.total_count, 0,
        'the page issues no key with a user');
      await screenshot(page, 'users');
      await clickInRow(page, '#users-table', 'ada', 'Delete');
      await confirmDialog(page);
      await page.waitForFunction(() => ![...document.querySelectorAll('#users-table tbody tr')].some((tr) => tr.cells[0].textContent === 'ada'));
      assert.ok(!(await admin(env.stack.url, 'GET', '/user/list')).body.users.some((u) => u.user_id === 'ada'));

      // Models: calls to "flaky" until its 429 deployment cools (the router picks at random).
      const cooling = async () => (await admin(env.stack.url, 'GET', '/model/info')).body.data
        .find((d) => d.model_info.id === 'flaky-429').health.state === 'cooling_down';
      await eventually(async () => {
        await (await chatWith(env.stack.url, kMasterKey, 'flaky')).arrayBuffer();
        return cooling();
      }, { what: 'flaky-429 cooling down' });
      await page.click('#nav a[data-view=models]');
      await viewShown(page, 'models');
      const models = await rowsOf(page, '#models-table');
      const row = (id) => models.find((r) => r[1] === id);
      assert.deepEqual(row('deployment-priced').slice(0, 7),
        ['priced', 'deployment-priced', 'openai', 'openai/gpt-4o-upstream', `${env.stack.mock.url}/v1`, '$100.00 / $200.00', 'healthy']);
      assert.match(row('flaky-429')[6], /^cooling down \((5\d|60) s\)$/);
      assert.equal(row('flaky-ok')[6], 'healthy');
      // Failures: the one 429 that cooled flaky-429 (skipped from then on), none for the others.
      assert.equal(row('flaky-429')[9], '1');
      assert.equal(row('flaky-ok')[9], '0');
      assert.equal(row('deployment-priced')[9], '0');
      const info = (await admin(env.stack.url, 'GET', '/model/info')).body.data;
      assert.equal(info.find((d) => d.model_info.id === 'flaky-429').health.failures, 1);
      assert.equal(row('masked-base')[4], 'http://127.0.0.1:9/v1');
      assert.ok(!(await page.content()).includes('base-secret'));
      await screenshot(page, 'models');
      assert.deepEqual(record.errors, []);
    } finally {
      await close();
    }
  });
});

describe('the admin page with UI_USERNAME and UI_PASSWORD', () => {
  const env = withGateway({ env: { UI_USERNAME: 'operator', UI_PASSWORD: 'correct horse battery' } });

  test('the username and password log in; a wrong password or username does not', async () => {
    const login = (username, password) => fetch(`${env.stack.url}/ui/login`,
      { method: 'POST', headers: kUiHeader, body: JSON.stringify({ username, password }) });
    assert.equal((await login('operator', 'correct horse battery')).status, 200);
    await expectError(await login('operator', 'correct horse'), 401);
    await expectError(await login('admin', 'correct horse battery'), 401);
    // The master key still logs in.
    assert.equal((await login('', kMasterKey)).status, 200);
  });
});

// A login sent from `localAddress` (any of 127.0.0.0/8 is this machine): another client, or a
// proxy when `headers` carry X-Forwarded-For.
const loginFrom = (url, localAddress, password, headers = {}) => new Promise((resolve, reject) => {
  const sent = request(`${url}/ui/login`, { method: 'POST', headers: { ...kUiHeader, ...headers }, localAddress }, (answer) => {
    const chunks = [];
    answer.on('data', (chunk) => chunks.push(chunk));
    answer.on('end', () => resolve(new Response(Buffer.concat(chunks),
      { status: answer.statusCode, headers: { 'content-type': answer.headers['content-type'], 'retry-after': answer.headers['retry-after'] ?? '' } })));
  });
  sent.on('error', reject);
  sent.end(JSON.stringify({ password }));
});
const kTooManyLogins = { message: 'Too many failed logins this minute: try again in a minute.' };

describe('failed logins', () => {
  const env = withGateway();

  test('past 10 failed logins in a minute from one address, its logins are refused with 429 until the next minute; other addresses still log in', async () => {
    await inRoomyMinute(15);
    const guesser = '127.0.0.2';
    for (let i = 0; i < 10; ++i) await expectError(await loginFrom(env.stack.url, guesser, `sk-guess-${i}`), 401);
    const refused = await loginFrom(env.stack.url, guesser, kMasterKey);
    await expectError(refused, 429, kTooManyLogins);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    // Without use_x_forwarded_for, the header is not believed: the guesser cannot name another client.
    await expectError(await loginFrom(env.stack.url, guesser, kMasterKey, { 'X-Forwarded-For': '203.0.113.9' }), 429, kTooManyLogins);
    // An admin on another address still logs in; a wrong key from there is a plain 401.
    await expectError(await loginFrom(env.stack.url, '127.0.0.3', 'sk-typo'), 401);
    assert.equal((await loginFrom(env.stack.url, '127.0.0.3', kMasterKey)).status, 200);
    assert.equal((await loginFrom(env.stack.url, '127.0.0.1', kMasterKey)).status, 200);
    // The API itself still takes the master key.
    assert.equal((await admin(env.stack.url, 'GET', '/key/list')).status, 200);
  });
});

describe('failed logins behind a proxy (use_x_forwarded_for)', () => {
  const env = withGateway({ generalSettings: { use_x_forwarded_for: true } });
  const proxy = '127.0.0.4';
  const via = (forwardedFor, password) =>
    loginFrom(env.stack.url, proxy, password, forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor });

  test('failed logins are counted for the client the proxy appended: that client is refused, the others behind the proxy still log in', async () => {
    await inRoomyMinute(15);
    // Each guess forges a different entry left of the one the proxy appended: it is not counted.
    for (let i = 0; i < 10; ++i) await expectError(await via(`198.51.100.${i}, 203.0.113.7`, `sk-guess-${i}`), 401);
    await expectError(await via('198.51.100.99, 203.0.113.7', kMasterKey), 429, kTooManyLogins);
    await expectError(await via('203.0.113.7', kMasterKey), 429, kTooManyLogins);
    // Another client behind the same proxy, and a login without the header (the proxy's own
    // address), were not counted with the guesser.
    assert.equal((await via('203.0.113.8', kMasterKey)).status, 200);
    assert.equal((await via(undefined, kMasterKey)).status, 200);
  });
});

describe('the admin page without a master key', () => {
  const env = withGateway({ generalSettings: { master_key: '' } });

  test('needs no login and says the gateway is open', async () => {
    const { page, record, close } = await openPage(browser);
    try {
      await page.goto(`${env.stack.url}/ui`);
      await viewShown(page, 'keys');
      assert.match(await page.$eval('#banner', (e) => e.textContent), /^No master key is set: this gateway is open/);
      assert.equal(await page.$eval('#login', (e) => e.hidden), true);
      assert.equal(await page.$eval('#logout', (e) => e.hidden), true);
      await screenshot(page, 'open-gateway');
      assert.deepEqual(record.errors, []);
    } finally {
      await close();
    }
  });
});
