// `llmux --config FILE --check_config`: the migration report of a LiteLLM config on stdout (a
// verdict per key, by line), warnings on stderr, exit 0; a config with a problem exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { kLlmuxBin } from '../support/gateway.mjs';

const run = promisify(execFile);

async function withConfig(yaml, body) {
  const dir = await mkdtemp(join(tmpdir(), 'llmux-check-'));
  try {
    const path = join(dir, 'config.yaml');
    await writeFile(path, yaml);
    await body(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('--check_config prints a verdict for each key of a LiteLLM config', async () => {
  await withConfig(`model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-upstream-Hq2-secret
      region_name: eu
      max_tokens: 512
general_settings:
  master_key: sk-master-Jx9-secret
`, async (path) => {
    const { stdout, stderr } = await run(kLlmuxBin, ['--config', path, '--check_config']);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'config OK: 1 models, 1 deployments');
    assert.ok(lines.slice(1, -1).every((line) => line.startsWith(path)));
    assert.deepEqual(lines.slice(1, -1).map((line) => line.slice(path.length)), [
      ':1: model_list: same as LiteLLM',
      ':2: model_list[0].model_name: same as LiteLLM',
      ':3: model_list[0].litellm_params: same as LiteLLM',
      ':4: model_list[0].litellm_params.model: same as LiteLLM',
      ':5: model_list[0].litellm_params.api_key: same as LiteLLM',
      ':6: model_list[0].litellm_params.region_name: ignored: a LiteLLM setting llmux does not implement; ignored (not sent upstream)',
      ':7: model_list[0].litellm_params.max_tokens: same as LiteLLM (a request default, sent upstream when the client sets none)',
      ':8: general_settings: same as LiteLLM',
      ':9: general_settings.master_key: same as LiteLLM',
    ]);
    assert.equal(lines.at(-1), '9 keys: 8 same as LiteLLM, 1 ignored');
    assert.match(stderr, /region_name: a LiteLLM setting llmux does not implement/);
    assert.ok(!stdout.includes('secret') && !stderr.includes('secret'));
  });
});

test('--check_config exits 2 with each problem and its line', async () => {
  await withConfig('model_list:\n  - model_name: a\n    litellm_params:\n      rpm: -1\n', async (path) => {
    await assert.rejects(run(kLlmuxBin, ['--config', path, '--check_config']), (error) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /config\.yaml:4: model_list\[0\]\.litellm_params\.rpm: /);
      assert.equal(error.stdout, '');
      return true;
    });
  });
});
