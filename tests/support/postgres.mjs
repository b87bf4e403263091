// A throwaway PostgreSQL server for the store tests: Debian's postgresql binaries
// (/usr/lib/postgresql/<version>/bin) run initdb into a temp dir and pg_ctl start it on its own
// port on 127.0.0.1, with trust auth. PostgreSQL refuses to run as root, so when the tests run
// as root the server runs as the `postgres` system user (runuser).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { closedPort } from './network.mjs';

const run = promisify(execFile);

function binDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => b - a);
  return versions.length ? join(root, versions[0], 'bin') : null;
}

export function postgresAvailable() {
  return binDir() !== null;
}

async function asServerUser(command, args) {
  if (userInfo().uid !== 0) return run(command, args);
  return run('runuser', ['-u', 'postgres', '--', command, ...args]);
}

// Resolves with { url, stop(), pause(), resume() }: url is a postgresql:// URI for the database
// `llmux`; stop()/resume() stop and restart the server on the same port and data (the
// "database went away" tests).
export async function startPostgres() {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (scripts/deps.sh installs postgresql)');
  const dir = await mkdtemp(join(tmpdir(), 'llmux-pg-'));
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  await asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'llmux', '--no-sync', '-E', 'UTF8']);
  const port = await closedPort();  // free now; the server binds it next
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
  const start = () => asServerUser(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const stopServer = () => asServerUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  await start();
  await asServerUser(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'llmux', 'llmux']);
  return {
    url: `postgresql://llmux@127.0.0.1:${port}/llmux`,
    pause: stopServer,
    resume: start,
    async stop() {
      try {
        await stopServer();
      } catch {
        // already stopped
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
