// Reading the gateway's GET /metrics: the text, checked by Debian's promtool, and its samples.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// LiteLLM's names that promtool's lint finds fault with, and its finding: allowed, since a drop-in
// replacement keeps LiteLLM's names.
const kLiteLLMsOwnNames = new Set([
  'litellm_api_key_budget_remaining_hours_metric use base unit "seconds" instead of "hours"',
  'litellm_team_budget_remaining_hours_metric use base unit "seconds" instead of "hours"',
]);

// GET /metrics; asserts that promtool accepts it (but for kLiteLLMsOwnNames) and returns the text.
export async function checkedMetrics(url) {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(promtool.error, undefined, 'promtool is not installed (scripts/deps.sh installs it)');
  const findings = `${promtool.stdout}${promtool.stderr}`.split('\n').map((line) => line.trim())
    .filter((line) => line && !kLiteLLMsOwnNames.has(line));
  assert.ok(promtool.status === 0 || findings.length === 0, `promtool check metrics:\n${findings.join('\n')}`);
  assert.deepEqual(findings, [], 'promtool check metrics');
  return text;
}

// The samples of `name` whose labels include every pair of `labels`: [{labels, value}].
export function samples(text, name, labels = {}) {
  const found = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const lineLabels = Object.fromEntries([...match[2].matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => lineLabels[key] === value)) {
      found.push({ labels: lineLabels, value: Number(match[3]) });
    }
  }
  return found;
}

// The sum of those samples' values.
export function total(text, name, labels) {
  return samples(text, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}
