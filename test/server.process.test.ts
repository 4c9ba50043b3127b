import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, processesUsing, startServer, untilGone, type ServerProcess } from './support/server-process.js';

/**
 * The service as `npm start` runs it: a real process with its own embedded PostgreSQL under
 * DATA_DIR. Stopping it must leave no database process behind, whatever the signal.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xinyi-start-'));
const running = new Set<ServerProcess>();
afterAll(async () => {
  for (const server of running) server.child.kill('SIGKILL');
  await untilGone(dataDir, 10_000);
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(port: number, env: Record<string, string> = {}) {
  const server = await startServer({ port, env: { DATA_DIR: dataDir, ...env } });
  running.add(server);
  server.exited.then(() => running.delete(server));
  return server;
}

async function stop(server: ServerProcess, signal: NodeJS.Signals) {
  server.child.kill(signal);
  const code = await server.exited;
  await untilGone(dataDir, 10_000);
  return code;
}

describe('npm start', () => {
  it('starts with an embedded database, serves the setup flow, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = await start(port, { ADMIN_PASSWORD: '' });
    const base = server.base;
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

    expect(await stop(server, 'SIGTERM')).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('starts again on the same data, keeps the admin, and leaves nothing behind even when killed', async () => {
    const port = await freePort();
    const server = await start(port);
    expect(server.output()).not.toMatch(/platform admin created/);
    await stop(server, 'SIGKILL');
    expect(processesUsing(dataDir)).toEqual([]);

    const again = await start(await freePort());
    expect(await stop(again, 'SIGINT')).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  });
});
