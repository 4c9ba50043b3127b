import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { appliedMigrationCount, migrateToLatest } from '../src/db/migrate.js';
import { ensurePlatformAdmin } from '../src/modules/auth/auth.service.js';
import { api, createCommunity, login } from './support/api.js';
import { quantile } from './support/stats.js';

/**
 * `npm run bench:feed`: SUBSCRIBERS (default 5,000) concurrent SSE streams of one community
 * on ONE API process, then one income: how long until every stream has the event (from the
 * moment the POST is sent), and how much server memory each open stream costs (RSS and heap
 * after a GC, before and after opening them). Target: all within 1 s, under 20 KB each.
 * The server runs in a child process (so the load generator never shares its event loop) on
 * an embedded PostgreSQL in a temp dir, or DATABASE_URL (with ADMIN_PASSWORD). Loopback only.
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 5_000);
const OPEN_CONCURRENCY = 200;
const DELIVERY_TIMEOUT_MS = 30_000;

interface Memory {
  rss: number;
  heapUsed: number;
  subscribers: number;
}

if (process.env.FEED_BENCH_ROLE === 'server') void serve();
else void main().then((code) => process.exit(code));

/** The child: the API as `npm start` builds it, answering memory questions over IPC. */
async function serve(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const db = createDatabase(config.DATABASE_URL!, config.DB_POOL_SIZE);
  const app = await buildApp({ config, db, expectedMigrations: await appliedMigrationCount(db) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', async (message: string) => {
    if (message === 'memory') {
      for (let i = 0; i < 3; i++) globalThis.gc?.();
      const m = process.memoryUsage();
      process.send!({ rss: m.rss, heapUsed: m.heapUsed, subscribers: app.services.feed.hub.subscriberCount } satisfies Memory);
    } else if (message === 'stop') {
      await app.close();
      await db.destroy();
      process.exit(0);
    }
  });
}

async function main(): Promise<number> {
  const log = (m: string) => console.log(`[bench:feed] ${m}`);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const adminPassword = process.env.ADMIN_PASSWORD ?? `bench-${randomBytes(12).toString('hex')}`;
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xinyi-bench-feed-'));
      cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
      const embedded = await startEmbeddedPostgres({ explicitDir: dir, fallbackFrom: dir, log: { info: log, error: log } });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const db = createDatabase(databaseUrl, 2);
    await migrateToLatest(db);
    await ensurePlatformAdmin(db, loadConfig({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD: adminPassword }));
    await db.destroy();

    const { child, port } = await startChild(databaseUrl, adminPassword);
    cleanups.push(() => stopChild(child));
    const base = `http://127.0.0.1:${port}`;
    const ask = () => askMemory(child);

    const admin = await login(base, 'admin', adminPassword);
    const community = await createCommunity(base, admin, 'feed', true);
    const ownerName = `bench_owner_${randomBytes(4).toString('hex')}`;
    await api(base, admin)('POST', `/v1/communities/${community.id}/members`, { username: ownerName, displayName: 'Bench owner', password: 'bench-owner-pw', roles: ['owner'] });
    const ownerToken = await login(base, ownerName, 'bench-owner-pw');
    await api(base, community.managerToken)('POST', `/v1/communities/${community.id}/income`, { category: 'other', amount: '1', payer: 'warm-up' });

    const before = await ask();
    log(`server before: rss ${mb(before.rss)}, heap ${mb(before.heapUsed)}`);
    const started = performance.now();
    // Subscribers join at the present: after the warm-up item (seq 1), as a client that read the history would.
    const streams = await openStreams(`${base}/v1/communities/${community.id}/feed/stream?after=1`, ownerToken, SUBSCRIBERS);
    cleanups.push(async () => streams.forEach((s) => s.close()));
    const after = await ask();
    log(`${after.subscribers} streams open in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    log(`server after: rss ${mb(after.rss)}, heap ${mb(after.heapUsed)}`);

    const sent = performance.now();
    const posted = fetch(`${base}/v1/communities/${community.id}/income`, {
      method: 'POST',
      headers: { authorization: `Bearer ${community.managerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'parking', amount: '12.34', payer: 'Bench' }),
    }).then((r) => performance.now() - sent + (r.status === 201 ? 0 : Number.NaN));
    const times = await Promise.all(streams.map((s) => s.delivered));
    const postMs = await posted;
    const delivered = times.map((t) => t - sent);
    const missing = delivered.filter((t) => !Number.isFinite(t)).length;

    console.log('');
    console.log(`subscribers                 ${SUBSCRIBERS} (one community, one API process)`);
    console.log(`POST /income answered in    ${postMs.toFixed(1)} ms`);
    console.log(`delivered to all            ${SUBSCRIBERS - missing}/${SUBSCRIBERS}`);
    console.log(`delivery p50 / p99 / worst  ${ms(quantile(delivered, 0.5))} / ${ms(quantile(delivered, 0.99))} / ${ms(Math.max(...delivered))} (target: worst < 1000 ms)`);
    console.log(`server memory per stream    rss ${kb((after.rss - before.rss) / SUBSCRIBERS)}, heap ${kb((after.heapUsed - before.heapUsed) / SUBSCRIBERS)} (target: < 20 KB)`);
    return missing === 0 ? 0 : 1;
  } catch (error) {
    console.error(error);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

interface BenchStream {
  delivered: Promise<number>;
  close(): void;
}

/** Opens `count` streams, OPEN_CONCURRENCY at a time, each resolved once its headers arrive. */
async function openStreams(url: string, token: string, count: number): Promise<BenchStream[]> {
  const streams: BenchStream[] = [];
  for (let i = 0; i < count; i += OPEN_CONCURRENCY) {
    const wave = Array.from({ length: Math.min(OPEN_CONCURRENCY, count - i) }, () => openOne(url, token));
    streams.push(...(await Promise.all(wave)));
  }
  return streams;
}

function openOne(url: string, token: string): Promise<BenchStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream answered ${response.statusCode}`));
      let seen = '';
      const delivered = new Promise<number>((done) => {
        const timer = setTimeout(() => done(Number.NaN), DELIVERY_TIMEOUT_MS);
        response.on('data', (chunk: Buffer) => {
          seen += chunk.toString('utf8');
          if (seen.includes('event: income.recorded')) {
            clearTimeout(timer);
            done(performance.now());
          }
        });
      });
      resolve({ delivered, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

async function startChild(databaseUrl: string, adminPassword: string): Promise<{ child: ChildProcess; port: number }> {
  const self = fileURLToPath(import.meta.url);
  const child = fork(self, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, FEED_BENCH_ROLE: 'server', DATABASE_URL: databaseUrl, ADMIN_PASSWORD: adminPassword, PASSWORD_HASH_COST: '10' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, port };
}

function askMemory(child: ChildProcess): Promise<Memory> {
  return new Promise((resolve) => {
    child.once('message', (m: Memory) => resolve(m));
    child.send('memory');
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
