// A throwaway redis-server (Debian's package) on a free 127.0.0.1 port, without persistence, for
// the fleet tests. kill() takes it away at once (SIGKILL, its data gone), start() brings a fresh
// one back on the same port.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';

import { closedPort } from './network.mjs';
import { sleep } from './store.mjs';

function answersPing(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

// Resolves with { host, port, start(), kill(), stop(), log() }.
export async function startRedis() {
  const port = await closedPort();
  let child = null;
  let output = '';
  const server = {
    host: '127.0.0.1',
    port,
    log: () => output,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (text) => { output += text; });
      child.stderr.setEncoding('utf8').on('data', (text) => { output += text; });
      const deadline = Date.now() + 10_000;
      while (!(await answersPing(port))) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`redis-server did not start on ${port}:\n${output}`);
        }
        await sleep(20);
      }
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;  // gone already
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => server.kill(),
  };
  await server.start();
  return server;
}
