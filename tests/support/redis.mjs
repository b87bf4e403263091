// A throwaway redis-server (Debian's redis-server package) on a free 127.0.0.1 port, without
// persistence. Ready once it logs that it accepts connections (an event, not a delay); stop()
// ends it, start() brings it back on the same port (the "Redis went away" tests).
import { spawn } from 'node:child_process';

import { closedPort } from './network.mjs';

function launch(port) {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--loglevel', 'notice',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.on('close', resolve));
  const ready = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text) => {
      output += text;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.on('error', reject);
    exited.then((code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, ready, exited };
}

export async function startRedis() {
  const port = await closedPort();
  let server = launch(port);
  await server.ready;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (server.child.exitCode !== null) return;
      server.child.kill('SIGTERM');
      await server.exited;
    },
    async start() {
      server = launch(port);
      await server.ready;
    },
  };
}
