// llmux's admin page: plain JavaScript over the gateway's admin API. The session is an HttpOnly
// cookie set by /ui/login; this script never sees a key but the one a create or regenerate shows
// once. Every text from the API goes into the page as text (textContent), never as markup.

const $ = (selector) => document.querySelector(selector);

// One call of the admin API. The header tells the gateway the request comes from this page
// (a cross-site page cannot add it without a CORS preflight, which the gateway never grants).
async function api(path, body) {
  const init = { headers: { 'X-LLMux-UI': '1' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (response.status === 401 && !path.startsWith('/ui/')) {
    showLogin();
    throw new Error('Your session has ended: log in again.');
  }
  if (!response.ok) {
    const message = data?.error?.message ?? `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data;
}

function showError(error) {
  const box = $('#error');
  box.textContent = error ? String(error.message ?? error) : '';
  box.hidden = !error;
}

// Runs an action of the page, showing its failure instead of losing it.
function guarded(action) {
  return async (...args) => {
    try {
      showError(null);
      await action(...args);
    } catch (error) {
      showError(error);
    }
  };
}

// An element with children (nodes or text).
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function button(label, action, className) {
  return el('button', { type: 'button', class: className, onclick: guarded(action) }, label);
}

function fillTable(table, rows) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const columns = table.querySelectorAll('thead th').length;
    body.append(el('tr', {}, el('td', { colspan: columns, class: 'empty' }, 'Nothing yet.')));
  }
}

const money = (value) => (value === null || value === undefined ? '—' : `$${Number(value).toFixed(4)}`);
const spendOf = (record) => `${money(record.spend)} / ${record.max_budget == null ? '∞' : money(record.max_budget)}`;
const limitsOf = (record) =>
  [record.rpm_limit != null ? `${record.rpm_limit} rpm` : null,
   record.tpm_limit != null ? `${record.tpm_limit} tpm` : null,
   record.max_parallel_requests != null ? `${record.max_parallel_requests} parallel` : null]
    .filter(Boolean).join(', ') || '—';
const modelsOf = (record) => (record.models?.length ? record.models.join(', ') : 'all');
const dateOf = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z?$|Z$/, '') : '—');

// The form's filled fields as an API body: numbers as numbers, lists split on commas.
function formBody(form) {
  const body = {};
  for (const input of form.querySelectorAll('input, select')) {
    const value = input.value.trim();
    if (!value) continue;
    if (input.name === 'models') body.models = value.split(',').map((m) => m.trim()).filter(Boolean);
    else if (input.type === 'number') body[input.name] = Number(value);
    else body[input.name] = value;
  }
  return body;
}

function confirmed(text) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = text;
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = (answer) => {
      dialog.close();
      $('#confirm-ok').onclick = null;
      $('#confirm-cancel').onclick = null;
      resolve(answer);
    };
    $('#confirm-ok').onclick = () => finish(true);
    $('#confirm-cancel').onclick = () => finish(false);
  });
}

// The fields each record's edit form offers: [name, label, input type].
const kBudgetAndLimits = [
  ['models', 'Models (comma-separated)'], ['max_budget', 'Max budget ($)', 'number'],
  ['budget_duration', 'Budget period'], ['rpm_limit', 'RPM limit', 'number'],
  ['tpm_limit', 'TPM limit', 'number'], ['max_parallel_requests', 'Parallel calls', 'number'],
];
const kEditable = {
  key: [['key_alias', 'Alias'], ...kBudgetAndLimits],
  team: [['team_alias', 'Alias'], ...kBudgetAndLimits],
  user: [['user_email', 'Email', 'email'], ...kBudgetAndLimits],
};

const fieldText = (value) => (Array.isArray(value) ? value.join(', ') : value ?? '');

// Opens the edit form of `record` and, on save, sends only the fields changed (an emptied field
// as null, an emptied model list as []) to `path` with `id`. Resolves when saved or cancelled.
function edit(kind, title, record, path, id) {
  const dialog = $('#edit');
  const form = $('#edit-form');
  $('#edit-title').textContent = title;
  $('#edit-error').hidden = true;
  form.replaceChildren(...kEditable[kind].map(([name, label, type]) =>
    el('label', {}, label, el('input', { name, type: type ?? 'text', value: fieldText(record[name]), step: type === 'number' ? 'any' : undefined }))));
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = () => {
      dialog.close();
      $('#edit-save').onclick = null;
      $('#edit-cancel').onclick = null;
      resolve();
    };
    $('#edit-cancel').onclick = finish;
    $('#edit-save').onclick = async () => {
      const changes = {};
      for (const input of form.querySelectorAll('input')) {
        const value = input.value.trim();
        if (value === fieldText(record[input.name])) continue;
        if (input.name === 'models') changes.models = value ? value.split(',').map((m) => m.trim()).filter(Boolean) : [];
        else if (!value) changes[input.name] = null;
        else changes[input.name] = input.type === 'number' ? Number(value) : value;
      }
      try {
        if (Object.keys(changes).length) await api(path, { ...id, ...changes });
        finish();
      } catch (error) {
        $('#edit-error').textContent = error.message;
        $('#edit-error').hidden = false;
      }
    };
  });
}

function showNewKey(key) {
  $('#new-key-value').textContent = key;
  $('#new-key').hidden = false;
}

// ---- keys

const keyPaging = { page: 1, size: 25, filter: {} };

async function loadKeys() {
  const query = new URLSearchParams({ return_full_object: 'true', page: keyPaging.page, size: keyPaging.size, ...keyPaging.filter });
  const answer = await api(`/key/list?${query}`);
  fillTable($('#keys-table'), answer.keys.map((key) => el('tr', { 'data-token': key.token },
    el('td', {}, key.key_alias ?? '—'),
    el('td', {}, el('code', {}, key.key_name)),
    el('td', {}, key.user_id ?? '—'),
    el('td', {}, key.team_id ?? '—'),
    el('td', {}, modelsOf(key)),
    el('td', {}, spendOf(key)),
    el('td', {}, limitsOf(key)),
    el('td', {}, dateOf(key.expires)),
    el('td', { class: key.blocked ? 'blocked' : 'active' }, key.blocked ? 'blocked' : 'active'),
    el('td', { class: 'actions' },
      button('Edit', async () => {
        await edit('key', `Edit ${key.key_alias ?? key.key_name}`, key, '/key/update', { key: key.token });
        await loadKeys();
      }),
      button(key.blocked ? 'Unblock' : 'Block', async () => {
        await api(key.blocked ? '/key/unblock' : '/key/block', { key: key.token });
        await loadKeys();
      }),
      button('Regenerate', async () => {
        if (!(await confirmed(`Regenerate ${key.key_alias ?? key.key_name}? The current key stops working.`))) return;
        const renewed = await api('/key/regenerate', { key: key.token });
        showNewKey(renewed.key);
        await loadKeys();
      }),
      button('Delete', async () => {
        if (!(await confirmed(`Delete ${key.key_alias ?? key.key_name}?`))) return;
        await api('/key/delete', { keys: [key.token] });
        await loadKeys();
      }, 'danger')))));
  renderPager($('#keys-pager'), answer.current_page, answer.total_pages, answer.total_count, (page) => {
    keyPaging.page = page;
    return loadKeys();
  });
}

function renderPager(box, page, pages, total, go) {
  box.replaceChildren(
    button('‹ Previous', () => go(page - 1)),
    el('span', {}, total === undefined ? ` page ${page} ` : ` page ${page} of ${Math.max(pages, 1)} (${total}) `),
    button('Next ›', () => go(page + 1)));
  box.children[0].disabled = page <= 1;
  box.children[2].disabled = pages !== undefined && page >= pages;
}

// ---- teams and users

async function loadTeams() {
  const teams = await api('/team/list');
  $('#member-add select[name=team_id]').replaceChildren(...teams.map((team) =>
    el('option', { value: team.team_id }, team.team_alias ?? team.team_id)));
  const members = (team) => (team.members_with_roles?.length
    ? team.members_with_roles.map((member) => el('span', { class: 'member' }, `${member.user_id} (${member.role})`,
      button('×', async () => {
        await api('/team/member_delete', { team_id: team.team_id, user_id: member.user_id });
        await loadTeams();
      }, 'remove')))
    : ['—']);
  fillTable($('#teams-table'), teams.map((team) => el('tr', {},
    el('td', {}, team.team_alias ?? '—'),
    el('td', {}, el('code', {}, team.team_id)),
    el('td', {}, ...members(team)),
    el('td', {}, modelsOf(team)),
    el('td', {}, spendOf(team)),
    el('td', {}, limitsOf(team)),
    el('td', { class: team.blocked ? 'blocked' : 'active' }, team.blocked ? 'blocked' : 'active'),
    el('td', { class: 'actions' },
      button('Edit', async () => {
        await edit('team', `Edit team ${team.team_alias ?? team.team_id}`, team, '/team/update', { team_id: team.team_id });
        await loadTeams();
      }),
      button(team.blocked ? 'Unblock' : 'Block', async () => {
        await api(team.blocked ? '/team/unblock' : '/team/block', { team_id: team.team_id });
        await loadTeams();
      }),
      button('Delete', async () => {
        if (!(await confirmed(`Delete team ${team.team_alias ?? team.team_id}?`))) return;
        await api('/team/delete', { team_ids: [team.team_id] });
        await loadTeams();
      }, 'danger')))));
}

async function loadUsers() {
  const answer = await api('/user/list');
  fillTable($('#users-table'), answer.users.map((user) => el('tr', {},
    el('td', {}, el('code', {}, user.user_id)),
    el('td', {}, user.user_email ?? '—'),
    el('td', {}, user.user_role),
    el('td', {}, modelsOf(user)),
    el('td', {}, spendOf(user)),
    el('td', {}, limitsOf(user)),
    el('td', { class: 'actions' },
      button('Edit', async () => {
        await edit('user', `Edit user ${user.user_id}`, user, '/user/update', { user_id: user.user_id });
        await loadUsers();
      }),
      button('Delete', async () => {
        if (!(await confirmed(`Delete user ${user.user_id}?`))) return;
        await api('/user/delete', { user_ids: [user.user_id] });
        await loadUsers();
      }, 'danger')))));
}

const perMillion = (perToken) => (perToken == null ? '—' : `$${(perToken * 1e6).toFixed(2)}`);

async function loadModels() {
  const answer = await api('/model/info');
  fillTable($('#models-table'), answer.data.map((deployment) => {
    const { litellm_params: params, model_info: info, health } = deployment;
    const cooling = health.state === 'cooling_down';
    return el('tr', {},
      el('td', {}, deployment.model_name),
      el('td', {}, el('code', {}, info.id)),
      el('td', {}, info.litellm_provider),
      el('td', {}, params.model),
      el('td', {}, params.api_base ? el('code', {}, params.api_base) : '—'),
      el('td', {}, info.input_cost_per_token === undefined ? '—'
        : `${perMillion(info.input_cost_per_token)} / ${perMillion(info.output_cost_per_token)}`),
      el('td', { class: cooling ? 'blocked' : 'active' },
        cooling ? `cooling down (${Math.ceil(health.cooling_seconds_left)} s)` : 'healthy'),
      el('td', {}, health.in_flight),
      el('td', {}, health.requests_this_minute),
      el('td', {}, health.failures),
      el('td', {}, health.latency_ms ? `${Math.round(health.latency_ms)} ms` : '—'));
  }));
}

// ---- usage

const kDays = 30;
const kPalette = ['#2f5d8a', '#d1762c', '#3d9a5f', '#a8443f', '#7b5ea7', '#8c6d3a', '#c8579c', '#6f7f8f', '#b3a31f', '#2aa3b3'];
let usageRows = []; // {day, split, group, model, spend, tokens, requests}
let keyNames = new Map(); // a key's hash → its alias or masked name, for the first 100 keys

function lastDays() {
  const days = [];
  const today = new Date();
  for (let i = kDays - 1; i >= 0; --i) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

// Two reports of the last 30 days: per key (which also splits by model) and per team.
async function loadUsage() {
  const start = lastDays()[0];
  const [byKey, byTeam, keys] = await Promise.all([
    api(`/global/spend/report?group_by=api_key&start_date=${start}`),
    api(`/global/spend/report?group_by=team&start_date=${start}`),
    api('/key/list?return_full_object=true&size=100'),
  ]);
  keyNames = new Map(keys.keys.map((key) => [key.token, key.key_alias ?? key.key_name]));
  usageRows = [];
  for (const day of byKey) {
    for (const entry of day.api_keys) {
      for (const m of entry.metadata) {
        usageRows.push({ day: day.group_by_day, split: 'api_key', group: entry.api_key ?? '(master key)', model: m.model, spend: m.spend, tokens: m.total_tokens, requests: m.api_requests });
      }
    }
  }
  for (const day of byTeam) {
    for (const entry of day.teams) {
      for (const m of entry.metadata) {
        usageRows.push({ day: day.group_by_day, split: 'team', group: entry.team_name ?? '(no team)', model: m.model, spend: m.spend, tokens: m.total_tokens, requests: m.api_requests });
      }
    }
  }
  renderUsage();
}

// Rows of one report: the per-key one for the model split and the tops, the per-team one for teams.
function usageSeries(split) {
  const source = usageRows.filter((row) => row.split === (split === 'team' ? 'team' : 'api_key'));
  return source.map((row) => ({ ...row, series: split === 'model' ? row.model : row.group }));
}

// What a series is called on the page: a key by its alias or masked name, when known.
const seriesLabel = (name) => keyNames.get(name) ?? (/^[0-9a-f]{64}$/.test(name) ? `${name.slice(0, 12)}…` : name);

function sumBy(rows, field) {
  const totals = new Map();
  for (const row of rows) {
    const total = totals.get(row[field]) ?? { spend: 0, tokens: 0, requests: 0 };
    total.spend += row.spend;
    total.tokens += row.tokens;
    total.requests += row.requests;
    totals.set(row[field], total);
  }
  return [...totals.entries()].sort((a, b) => b[1].spend - a[1].spend);
}

function renderUsage() {
  const split = $('#usage-form select[name=split]').value;
  const rows = usageSeries(split);
  const series = sumBy(rows, 'series').map(([name]) => name);
  const colour = (name) => kPalette[series.indexOf(name) % kPalette.length];
  const days = lastDays();
  const perDay = new Map(days.map((day) => [day, new Map()]));
  for (const row of rows) {
    const day = perDay.get(row.day);
    if (day) day.set(row.series, (day.get(row.series) ?? 0) + row.spend);
  }
  const keyRows = usageSeries('api_key');
  const total = keyRows.reduce((sum, row) => sum + row.spend, 0);
  const tokens = keyRows.reduce((sum, row) => sum + row.tokens, 0);
  $('#usage-total').textContent = `Total ${money(total)}, ${tokens} tokens, ${keyRows.reduce((s, r) => s + r.requests, 0)} requests`;

  // Stacked bars, one per day, drawn as SVG (no inline style: attributes only).
  const width = 720, height = 220, pad = 40, barWidth = (width - pad) / days.length;
  const highest = Math.max(...[...perDay.values()].map((d) => [...d.values()].reduce((a, b) => a + b, 0)), 0) || 1;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Spend per day by ${split}`);
  const add = (tag, attributes, text) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add('text', { x: 0, y: 12, class: 'axis' }, money(highest));
  add('line', { x1: pad, y1: height, x2: width, y2: height, class: 'axis-line' });
  days.forEach((day, index) => {
    let y = height;
    for (const [name, spend] of perDay.get(day)) {
      const h = (spend / highest) * (height - 20);
      y -= h;
      const bar = add('rect', { x: pad + index * barWidth + 1, y, width: barWidth - 2, height: Math.max(h, 0.5), fill: colour(name), 'data-day': day, 'data-series': name });
      bar.append(Object.assign(document.createElementNS('http://www.w3.org/2000/svg', 'title'), { textContent: `${day} ${seriesLabel(name)}: ${money(spend)}` }));
    }
    if (index % 5 === 0) add('text', { x: pad + index * barWidth, y: height + 15, class: 'axis' }, day.slice(5));
  });
  $('#usage-chart').replaceChildren(svg);
  $('#usage-legend').replaceChildren(...series.map((name) =>
    el('span', { class: 'legend-item' }, svgSwatch(colour(name)), seriesLabel(name))));

  const top = (table, field) => fillTable(table, sumBy(keyRows, field).slice(0, 10).map(([name, t]) =>
    el('tr', {}, el('td', {}, el('code', {}, seriesLabel(name))), el('td', {}, money(t.spend)), el('td', {}, t.tokens), el('td', {}, t.requests))));
  top($('#top-keys'), 'group');
  top($('#top-models'), 'model');
}

function svgSwatch(colour) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 10 10');
  svg.setAttribute('class', 'swatch');
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [name, value] of Object.entries({ width: 10, height: 10, fill: colour })) rect.setAttribute(name, value);
  svg.append(rect);
  return svg;
}

function csvField(value) {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// The numbers behind the chart: one line per day, series and model.
function downloadUsageCsv() {
  const split = $('#usage-form select[name=split]').value;
  const byModel = split === 'model';
  const lines = [['day', ...(byModel ? [] : [split]), 'model', 'spend', 'total_tokens', 'requests'].join(',')];
  for (const row of usageSeries(split)) {
    const fields = [row.day, ...(byModel ? [] : [row.series]), row.model, row.spend, row.tokens, row.requests];
    lines.push(fields.map(csvField).join(','));
  }
  const link = el('a', { href: URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' })), download: `llmux-usage-by-${split}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
}

// ---- logs

// Pages follow the log's order from a request id (before_request_id), so a deep page costs what
// the first does. `after` holds the cursor of every page shown so far: Previous goes back one.
const logPaging = { size: 50, filter: {}, after: [] };

async function loadLogs() {
  const cursor = logPaging.after.at(-1);
  // One row more than a page: whether there is a next page.
  const query = new URLSearchParams({ page_size: logPaging.size + 1, ...logPaging.filter, ...(cursor ? { before_request_id: cursor } : {}) });
  const fetched = await api(`/spend/logs?${query}`);
  const logs = fetched.slice(0, logPaging.size);
  $('#log-detail').hidden = true;
  fillTable($('#logs-table'), logs.map((log) => el('tr', { class: 'clickable', onclick: () => showLog(log) },
    el('td', {}, dateOf(log.startTime)),
    el('td', {}, el('code', {}, log.request_id)),
    el('td', {}, log.model_group || log.model),
    el('td', {}, el('code', {}, (log.api_key ?? '').slice(0, 12))),
    el('td', {}, log.team_id ?? '—'),
    el('td', { class: log.status === 'success' ? 'active' : 'blocked' }, log.status),
    el('td', {}, log.total_tokens),
    el('td', {}, Number(log.spend).toFixed(6)),
    el('td', {}, `${Date.parse(log.endTime) - Date.parse(log.startTime)} ms`))));
  const page = logPaging.after.length + 1;
  const hasNext = fetched.length > logPaging.size;
  renderPager($('#logs-pager'), page, hasNext ? undefined : page, undefined, (to) => {
    if (to > page) logPaging.after.push(logs.at(-1).request_id);
    else logPaging.after.pop();
    return loadLogs();
  });
}

function showLog(log) {
  const detail = $('#log-detail');
  detail.textContent = JSON.stringify(log, null, 2);
  detail.hidden = false;
}

// ---- navigation and session

const views = { keys: loadKeys, teams: loadTeams, users: loadUsers, models: loadModels, usage: loadUsage, logs: loadLogs };

async function showView() {
  const name = location.hash.slice(1) in views ? location.hash.slice(1) : 'keys';
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('current', link.dataset.view === name);
  await views[name]();
  document.body.dataset.view = name; // the view is drawn: tests wait on this
}

function showLogin() {
  $('#login').hidden = false;
  $('#nav').hidden = true;
  $('#logout').hidden = true;
  for (const section of document.querySelectorAll('.view')) section.hidden = true;
  delete document.body.dataset.view;
}

async function start() {
  const session = await api('/ui/session');
  const banner = $('#banner');
  if (session.open) {
    banner.textContent = 'No master key is set: this gateway is open to every client, and this page needs no login. Set general_settings.master_key (or LITELLM_MASTER_KEY) to protect it.';
    banner.hidden = false;
  } else if (!session.database) {
    banner.textContent = 'No database: keys, teams, users and spend need general_settings.master_key or database_url.';
    banner.hidden = false;
  }
  if (!session.logged_in) return showLogin();
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#logout').hidden = session.open;
  await showView();
}

function wire() {
  $('#login-form').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    const form = event.target;
    await api('/ui/login', { username: form.username.value, password: form.password.value });
    form.reset();
    await start();
  }));
  $('#logout').addEventListener('click', guarded(async () => {
    await api('/ui/logout', {});
    showLogin();
  }));
  $('#key-create').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    const created = await api('/key/generate', formBody(event.target));
    event.target.reset();
    showNewKey(created.key);
    await loadKeys();
  }));
  $('#new-key-copy').addEventListener('click', guarded(() => navigator.clipboard.writeText($('#new-key-value').textContent)));
  $('#new-key-close').addEventListener('click', () => {
    $('#new-key-value').textContent = '';
    $('#new-key').hidden = true;
  });
  $('#key-search').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    keyPaging.filter = formBody(event.target);
    keyPaging.page = 1;
    await loadKeys();
  }));
  $('#team-create').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    await api('/team/new', formBody(event.target));
    event.target.reset();
    await loadTeams();
  }));
  $('#member-add').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    const form = event.target;
    await api('/team/member_add', { team_id: form.team_id.value, member: [{ user_id: form.user_id.value.trim(), role: form.role.value }] });
    form.user_id.value = '';
    await loadTeams();
  }));
  $('#user-create').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    // The page never shows a key's secret here: no key is issued with the user.
    await api('/user/new', { ...formBody(event.target), auto_create_key: false });
    event.target.reset();
    await loadUsers();
  }));
  $('#usage-form select[name=split]').addEventListener('change', renderUsage);
  $('#usage-csv').addEventListener('click', downloadUsageCsv);
  $('#logs-filter').addEventListener('submit', guarded(async (event) => {
    event.preventDefault();
    const { page_size: size, ...filter } = formBody(event.target);
    logPaging.filter = filter;
    logPaging.size = Number(size);
    logPaging.after = [];
    await loadLogs();
  }));
  window.addEventListener('hashchange', guarded(showView));
}

wire();
guarded(start)();
