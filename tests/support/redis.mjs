// A throwaway redis-server (Debian's package) on a free 127.0.0.1 port, without persistence, for
// the fleet tests. kill() takes it away at once (SIGKILL, its data gone), start() brings a fresh
// one back on the same port. Also a proxy that holds Redis's replies back, and a GET.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

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

// A TCP proxy to `target` that forwards what its clients send at once and each reply chunk
// `delayMs` after it came (in order: equal timeouts fire in the order they were set). Counts the
// connections it accepted.
export async function startDelayingProxy(target, delayMs) {
  const sockets = new Set();
  const server = createServer((client) => {
    server.connections += 1;
    const upstream = connect({ host: target.host, port: target.port });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), delayMs));
    const close = () => { client.destroy(); upstream.destroy(); };
    for (const socket of [client, upstream]) socket.on('error', close).on('close', close);
  });
  server.connections = 0;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: '127.0.0.1',
    port: server.address().port,
    connections: () => server.connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

// GET `key` on `server` (a { host, port }): its value as text, or null when it has none; for the
// tests that look at what the fleet keeps in Redis.
export function redisGet(server, key) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let reply = Buffer.alloc(0);
    socket.on('connect', () => socket.write(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`));
    socket.on('data', (data) => {
      reply = Buffer.concat([reply, data]);
      const head = reply.indexOf('\r\n');
      if (head < 0) return;
      const line = reply.subarray(0, head).toString();
      if (!line.startsWith('$')) { socket.destroy(); reject(new Error(`GET ${key}: ${line}`)); return; }
      const length = Number(line.slice(1));
      if (length < 0) { socket.destroy(); resolve(null); return; }
      if (reply.length < head + 2 + length + 2) return;
      socket.destroy();
      resolve(reply.subarray(head + 2, head + 2 + length).toString());
    });
    socket.on('error', reject);
  });
}
