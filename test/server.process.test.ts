import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The service as `npm start` runs it: a real process with its own embedded PostgreSQL under
 * DATA_DIR. Stopping it must leave no database process behind, whatever the signal.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xinyi-start-'));
const running = new Set<ChildProcess>();
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  for (let i = 0; i < 100 && processesUsing(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(dataDir, { recursive: true, force: true });
});

function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function start(port: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return { child, exited, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become healthy:\n${output}`);
}

async function stop(child: ChildProcess, exited: Promise<number | null>, signal: NodeJS.Signals) {
  child.kill(signal);
  const code = await exited;
  for (let i = 0; i < 100 && processesUsing(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return code;
}

describe('npm start', () => {
  it('starts with an embedded database, serves the setup flow, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = await start(port, { ADMIN_PASSWORD: '' });
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const printed = /username admin, password ([A-Za-z0-9_-]+)/.exec(server.output())?.[1];
    expect(printed, 'the generated admin password is printed once').toBeTruthy();
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: printed }),
    });
    expect(login.status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);

    expect(await stop(server.child, server.exited, 'SIGTERM')).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('starts again on the same data, keeps the admin, and leaves nothing behind even when killed', async () => {
    const port = await freePort();
    const server = await start(port);
    expect(server.output()).not.toMatch(/platform admin created/);
    await stop(server.child, server.exited, 'SIGKILL');
    expect(processesUsing(dataDir)).toEqual([]);

    const again = await start(await freePort());
    expect(await stop(again.child, again.exited, 'SIGINT')).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  });
});
