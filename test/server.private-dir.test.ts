import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, http, PROJECT_ROOT, startServer, untilGone, type ServerProcess } from './support/server-process.js';

/**
 * A new user, as root or not, checks the project out into a private directory (mode 700, as
 * `mktemp -d` or /root make it) and runs `npm start`. The database must start, keep its books
 * somewhere that survives a reboot (never the temp dir), stop when `npm start` itself gets
 * SIGTERM, and be found again by the next start.
 */
const privateDir = mkdtempSync(path.join(os.tmpdir(), 'xinyi-private-'));
const checkout = path.join(privateDir, 'xinyi');
const isRoot = process.getuid?.() === 0;
const running = new Set<ServerProcess>();
let dataDir: string | undefined;

afterAll(async () => {
  for (const server of running) server.child.kill('SIGKILL');
  await untilGone(checkout, 10_000);
  rmSync(privateDir, { recursive: true, force: true });
  if (dataDir?.startsWith('/var/lib/xinyi-ledger/')) rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

/** The working tree as a clone would have it (tracked and new files), plus the installed packages. */
function checkOut(): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(path.join(PROJECT_ROOT, file)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    copyFileSync(path.join(PROJECT_ROOT, file), path.join(checkout, file));
  }
  // `npm ci` would install the same packages; hard links make that instant (same file system),
  // a plain copy otherwise. Either way they sit inside the private directory.
  for (const built of ['node_modules', 'dist']) {
    if (!existsSync(path.join(PROJECT_ROOT, built))) continue;
    const linked = spawnSync('cp', ['-al', path.join(PROJECT_ROOT, built), path.join(checkout, built)]);
    if (linked.status !== 0) execFileSync('cp', ['-a', path.join(PROJECT_ROOT, built), path.join(checkout, built)]);
  }
}

async function npmStart(port: number): Promise<ServerProcess> {
  const server = await startServer({
    port,
    cwd: checkout,
    command: 'npm',
    args: ['start'],
    env: { ADMIN_PASSWORD: 'private-dir-admin-password', DATA_DIR: '' },
  });
  running.add(server);
  server.exited.then(() => running.delete(server));
  return server;
}

describe('npm start from a private directory', () => {
  it('keeps the books outside the temp dir, stops on SIGTERM to npm itself, and finds them again', async () => {
    expect(statSync(privateDir).mode & 0o077).toBe(0);
    checkOut();

    const first = await npmStart(await freePort());
    dataDir = /data in (\S+?)\)/.exec(first.output())?.[1];
    expect(dataDir, first.output()).toBeTruthy();
    expect(dataDir!.startsWith(os.tmpdir())).toBe(false);
    expect(dataDir!.startsWith(isRoot ? '/var/lib/xinyi-ledger/' : checkout)).toBe(true);

    const token = (await http(first.base)('POST', '/v1/auth/login', { username: 'admin', password: 'private-dir-admin-password' })).body.accessToken;
    const created = await http(first.base, token)('POST', '/v1/communities', { name: '私有目录小区', managementFeeRate: '0.05' });
    expect(created.status).toBe(201);

    // A process manager signals the pid it started: npm's.
    first.child.kill('SIGTERM');
    expect(await first.exited).not.toBeNull();
    expect(await untilGone(checkout)).toEqual([]);
    expect(await untilGone(dataDir!)).toEqual([]);

    const again = await npmStart(await freePort());
    expect(again.output()).not.toMatch(/initialising a new PostgreSQL cluster/);
    expect(again.output()).toContain(`data in ${dataDir})`);
    const token2 = (await http(again.base)('POST', '/v1/auth/login', { username: 'admin', password: 'private-dir-admin-password' })).body.accessToken;
    expect((await http(again.base, token2)('GET', `/v1/communities/${created.body.id}/fund`)).status).toBe(200);

    again.child.kill('SIGTERM');
    await again.exited;
    expect(await untilGone(checkout)).toEqual([]);
    expect(await untilGone(dataDir!)).toEqual([]);
  }, 240_000);
});
