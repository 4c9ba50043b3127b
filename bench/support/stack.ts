import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ensurePlatformAdmin } from '../../src/modules/auth/auth.service.js';

/**
 * The whole service as `npm start` runs it, for one benchmark run: a real PostgreSQL (an
 * embedded one in a temp dir unless DATABASE_URL is set), migrated, with a platform admin
 * whose password we know, and the API in child processes (one by default, or several against
 * the same database on different ports, as a process manager would run them) so that the
 * servers and the load generator never share one event loop.
 */
export interface Stack {
  databaseUrl: string;
  /** The first API process. */
  baseUrl: string;
  /** Every API process running now, in start order. */
  baseUrls: string[];
  adminPassword: string;
  /** The first API process, for reading its CPU time. */
  serverPid?: number;
  serverPids: number[];
  /** Whether pg_stat_statements is loaded and created in the database. */
  pgStatStatements: boolean;
  /** Stops the API processes running now and starts `count` fresh ones on new ports. */
  restartServers(count: number): Promise<void>;
  /** Stops the servers, the database and removes the temp dir; safe to call twice. */
  close(): Promise<void>;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_STOP_TIMEOUT_MS = 20_000;

export interface StackOptions {
  /** Extra arguments for the API's `node` (e.g. `--cpu-prof`), placed before the entry point. */
  serverNodeArgs?: string[];
  /** How many API processes to start against the one database (default 1). */
  servers?: number;
  /** Extra environment for the API processes (e.g. PASSWORD_HASH_COST, MAX_IN_FLIGHT). */
  serverEnv?: Record<string, string>;
  /**
   * Load pg_stat_statements into the embedded PostgreSQL: `ALTER SYSTEM` sets
   * shared_preload_libraries, the server is restarted on the same data directory, and the
   * extension is created. With DATABASE_URL it is only created, if the server preloads it.
   */
  pgStatStatements?: boolean;
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
      const quiet = { info: () => undefined, error: log };
      let embedded: EmbeddedPostgres = await startEmbeddedPostgres({ explicitDir: tempDir, fallbackFrom: tempDir, log: quiet });
      if (options.pgStatStatements) {
        // The library must be preloaded at server start; the embedded server's flags live in
        // src/, so the bench sets it in postgresql.auto.conf and starts the server again.
        await sql(embedded.url, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        await sql(embedded.url, "ALTER SYSTEM SET pg_stat_statements.track = 'all'");
        await embedded.stop();
        embedded = await startEmbeddedPostgres({ explicitDir: tempDir, fallbackFrom: tempDir, log: quiet });
      }
      const started = embedded;
      cleanups.push(() => started.stop());
      databaseUrl = embedded.url;
    } else {
      log('using the database at DATABASE_URL');
    }
    let pgStatStatements = false;
    if (options.pgStatStatements) {
      try {
        await sql(databaseUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        await sql(databaseUrl, 'SELECT pg_stat_statements_reset()');
        pgStatStatements = true;
      } catch (error) {
        log(`pg_stat_statements is not available (${(error as Error).message}); the table and function statistics will be shown instead`);
      }
    }

    const db: Database = createDatabase(databaseUrl, 2);
    try {
      await migrateToLatest(db);
      await ensurePlatformAdmin(db, loadConfig({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD: adminPassword }));
    } finally {
      await db.destroy();
    }

    let servers: ChildProcess[] = [];
    const stopAll = async () => {
      const stopping = servers;
      servers = [];
      await Promise.all(stopping.map((server) => stopServer(server, log)));
    };
    cleanups.push(stopAll);
    const stack: Stack = {
      databaseUrl,
      baseUrl: '',
      baseUrls: [],
      adminPassword,
      serverPids: [],
      pgStatStatements,
      close,
      async restartServers(count: number) {
        await stopAll();
        const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
        servers = ports.map((port) => startServer(databaseUrl!, port, adminPassword, options.serverNodeArgs ?? [], options.serverEnv ?? {}));
        const urls = ports.map((port) => `http://127.0.0.1:${port}`);
        await Promise.all(urls.map((url, i) => waitForHealth(url, servers[i]!)));
        stack.baseUrls = urls;
        stack.baseUrl = urls[0]!;
        stack.serverPids = servers.map((s) => s.pid!);
        stack.serverPid = servers[0]!.pid;
        log(`API server${count > 1 ? 's' : ''} (pid ${stack.serverPids.join(', ')}) ready at ${urls.join(', ')}`);
      },
    };
    await stack.restartServers(options.servers ?? 1);
    return stack;
  } catch (error) {
    await close();
    throw error;
  }
}

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Exactly `npm start`: the same entry point and loader, told where the database is. */
function startServer(databaseUrl: string, port: number, adminPassword: string, nodeArgs: string[], extraEnv: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...extraEnv, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', ADMIN_PASSWORD: adminPassword },
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
