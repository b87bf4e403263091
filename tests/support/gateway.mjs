// Starts the built llmux binary on a free port with a config written to a temp dir, waits until
// it is ready, and stops it with a signal; failures carry the gateway's stderr.
import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { scaled } from './time_scale.mjs';
import { toYaml } from './yaml.mjs';

// Default: build/llmux of this checkout (tests/support/ is two levels below the root).
export const kLlmuxBin = process.env.LLMUX_BIN ?? fileURLToPath(new URL('../../build/llmux', import.meta.url));

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

async function readPort(portFile) {
  try {
    const text = (await readFile(portFile, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

// `ca`: the gateway serves HTTPS with a certificate this CA (PEM text) issued.
async function isReady(url, ca) {
  if (ca) {
    return new Promise((resolve) => {
      const request = httpsRequest(`${url}/health/readiness`, { ca, timeout: 1000, agent: false }, (response) => {  // not kept: it would hold a connection
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
      request.end();
    });
  }
  try {
    // Connection: close, so that the probe leaves no pooled connection behind to count against a
    // test's max_connections.
    const response = await fetch(`${url}/health/readiness`,
      { headers: { connection: 'close' }, signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

// config: an object (written as YAML) or a YAML string. env is added to this process's
// environment. args are appended after the standard flags. dir: where the config goes (kept
// after stop, so a restarted gateway finds files written beside its config); default a fresh
// temp dir, removed on stop. https: { ca } when args make the gateway serve HTTPS (its url is then
// https://) with a certificate that CA (PEM text) issued.
export async function startGateway({ config, env = {}, args = [], readyTimeoutMs = scaled(10_000), dir: keptDir, https } = {}) {
  if (!existsSync(kLlmuxBin)) {
    throw new Error(`llmux binary not found at ${kLlmuxBin} (build it, or set LLMUX_BIN)`);
  }
  const dir = keptDir ?? await mkdtemp(join(tmpdir(), 'llmux-test-'));
  const removeDir = () => (keptDir ? undefined : rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  const portFile = join(dir, 'port');
  await rm(portFile, { force: true });  // a kept dir holds the previous run's
  await writeFile(configPath, typeof config === 'string' ? config : toYaml(config));

  const child = spawn(kLlmuxBin, [
    '--config', configPath, '--host', '127.0.0.1', '--port', '0', '--port-file', portFile,
    '--num_workers', '1', ...args,
  ], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (text) => { stderr += text; });
  child.stdout.setEncoding('utf8').on('data', (text) => { stdout += text; });
  // 'close' comes after both pipes are drained, so stderr is complete by then.
  const closed = new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let exit = null;
  closed.then((result) => { exit = result; });

  const fail = async (why) => {
    if (!exit) {
      child.kill('SIGKILL');
      await closed;
    }
    await removeDir();
    throw new Error(`llmux ${why}\n--- command: ${child.spawnargs.join(' ')}\n--- config:\n${
      typeof config === 'string' ? config : toYaml(config)}--- stderr (tail):\n${tail(stderr)}`);
  };

  const deadline = Date.now() + readyTimeoutMs;
  let port = null;
  for (;;) {
    if (exit) return fail(`exited during startup (code ${exit.code}, signal ${exit.signal})`);
    if (Date.now() > deadline) {
      return fail(port === null ? `wrote no port file within ${readyTimeoutMs} ms`
        : `did not answer 200 on /health/readiness within ${readyTimeoutMs} ms (port ${port})`);
    }
    port ??= await readPort(portFile);
    if (port !== null && await isReady(`${https ? 'https' : 'http'}://127.0.0.1:${port}`, https?.ca)) break;
    await sleep(25);
  }

  const url = `${https ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    port,
    process: child,
    configPath,
    stderr: () => stderr,
    stdout: () => stdout,
    // Resolves with { code, signal } once the process has exited and its pipes are drained.
    exited: closed,
    // Sends signal (SIGTERM by default) and waits for the exit; SIGKILLs after timeoutMs and
    // reports that as an error, since a gateway that ignores SIGTERM is a bug.
    async stop(signal = 'SIGTERM', { timeoutMs = scaled(10_000) } = {}) {
      if (!exit) child.kill(signal);
      const timer = sleep(timeoutMs, 'timeout', { ref: false });
      const result = await Promise.race([closed, timer]);
      await removeDir();
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await closed;
        throw new Error(`llmux did not exit within ${timeoutMs} ms of ${signal}\n--- stderr (tail):\n${tail(stderr)}`);
      }
      return result;
    },
  };
}
