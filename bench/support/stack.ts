import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ensurePlatformAdmin } from '../../src/modules/auth/auth.service.js';

/**
 * The whole service as `npm start` runs it, for one benchmark run: a real PostgreSQL (an
 * embedded one in a temp dir unless DATABASE_URL is set), migrated, with a platform admin
 * whose password we know, and the API in a child process so that the server and the load
 * generator never share one event loop.
 */
export interface Stack {
  databaseUrl: string;
  baseUrl: string;
  adminPassword: string;
  /** The API process, for reading its CPU time. */
  serverPid?: number;
  /** Stops the server, the database and removes the temp dir; safe to call twice. */
  close(): Promise<void>;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_STOP_TIMEOUT_MS = 20_000;

export interface StackOptions {
  /** Extra arguments for the API's `node` (e.g. `--cpu-prof`), placed before the entry point. */
  serverNodeArgs?: string[];
}

export async function startStack(log: (message: string) => void, options: StackOptions = {}): Promise<Stack> {
  const cleanups: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    })());

  try {
    const adminPassword = process.env.ADMIN_PASSWORD ?? `bench-${randomBytes(12).toString('hex')}`;
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xinyi-bench-'));
      cleanups.push(() => fs.rm(tempDir, { recursive: true, force: true }));
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ explicitDir: tempDir, fallbackFrom: tempDir, log: { info: log, error: log } });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    } else {
      log('using the database at DATABASE_URL');
    }

    const db: Database = createDatabase(databaseUrl, 2);
    try {
      await migrateToLatest(db);
      await ensurePlatformAdmin(db, loadConfig({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD: adminPassword }));
    } finally {
      await db.destroy();
    }

    const port = await freePort();
    const server = startServer(databaseUrl, port, adminPassword, options.serverNodeArgs ?? []);
    cleanups.push(() => stopServer(server, log));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(baseUrl, server);
    log(`API server (pid ${server.pid}) ready at ${baseUrl}`);
    return { databaseUrl, baseUrl, adminPassword, serverPid: server.pid, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Exactly `npm start`: the same entry point and loader, told where the database is. */
function startServer(databaseUrl: string, port: number, adminPassword: string, nodeArgs: string[]): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ADMIN_PASSWORD: adminPassword },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitForHealth(baseUrl: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`the API server exited during start (${server.exitCode ?? server.signalCode})`);
    }
    try {
      const reply = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (reply.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`the API server did not become healthy within ${SERVER_START_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM, as an operator would; SIGKILL only if it does not finish in time. */
async function stopServer(server: ChildProcess, log: (m: string) => void): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`API server did not stop within ${SERVER_STOP_TIMEOUT_MS / 1000} s; killing it`);
    server.kill('SIGKILL');
  }, SERVER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
