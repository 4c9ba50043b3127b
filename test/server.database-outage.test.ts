import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { eventually, freePort, http, sleep, startServer, untilGone, type ServerProcess } from './support/server-process.js';

/**
 * The database dies under load: its postmaster is killed (`kill -9`) while a manager's incomes
 * are being posted. The API process must stay up, answer `503 unavailable` problems meanwhile,
 * come back by itself once the database does, and after the client retries with the same
 * Idempotency-Keys hold every posting exactly once, with the books verifying.
 */
const ADMIN_PASSWORD = 'outage-admin-password';
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function postmasterPid(dataDir: string): number {
  return Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ port: await freePort(), env: { ADMIN_PASSWORD, PASSWORD_HASH_COST: '10', LOG_LEVEL: 'warn', ...env } });
  cleanups.push(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  return server;
}

interface Outcome {
  key: string;
  amount: string;
  status: number;
}

/**
 * Posts `count` incomes, 8 at a time, and calls `crash` once a quarter of them are answered.
 * Every answer is either a 201, or a problem: 503 `unavailable` with Retry-After when the
 * database was known to be down, or another 5xx when a request was cut off mid-commit.
 */
async function communityWithManager(server: ServerProcess) {
  const admin = http(server.base, (await http(server.base)('POST', '/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).body.accessToken);
  const community = await admin('POST', '/v1/communities', { name: '停电演练小区', managementFeeRate: '0.10' });
  expect(community.status).toBe(201);
  const cid = community.body.id as string;
  const member = await admin('POST', `/v1/communities/${cid}/members`, {
    username: `manager-${cid.slice(0, 8)}`,
    displayName: '王管家',
    password: 'outage-manager-password',
    roles: ['manager'],
  });
  expect(member.status).toBe(201);
  const token = (await http(server.base)('POST', '/v1/auth/login', { username: `manager-${cid.slice(0, 8)}`, password: 'outage-manager-password' })).body.accessToken as string;
  return { cid, token, manager: http(server.base, token) };
}

async function postThroughACrash(community: { cid: string; manager: ReturnType<typeof http> }, crash: () => void, count: number) {
  const { cid, manager } = community;
  const outcomes: Outcome[] = [];
  let next = 0;
  let crashed = false;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const key = `outage-${cid}-${i}`;
      const amount = `${(i % 97) + 1}.${String(i % 100).padStart(2, '0')}`;
      const reply = await manager('POST', `/v1/communities/${cid}/income`, { category: 'parking', amount, payer: `车主${i}` }, { 'idempotency-key': key });
      outcomes.push({ key, amount, status: reply.status });
      if (reply.status !== 201) {
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.status).toBeGreaterThanOrEqual(500);
        if (reply.status === 503) {
          expect(reply.body.code).toBe('unavailable');
          expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
        }
        await sleep(50);
      }
      if (!crashed && outcomes.length >= count / 4) {
        crashed = true;
        crash();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const statuses = outcomes.reduce<Record<number, number>>((tally, o) => ({ ...tally, [o.status]: (tally[o.status] ?? 0) + 1 }), {});
  console.info(`answers through the crash: ${JSON.stringify(statuses)}`);
  return outcomes;
}

/** Retries every unacknowledged income with its own key until the server takes it. */
async function retryUntilAcknowledged(manager: ReturnType<typeof http>, cid: string, outcomes: Outcome[]) {
  for (const outcome of outcomes.filter((o) => o.status !== 201)) {
    await eventually(`income ${outcome.key} to be taken`, async () => {
      const reply = await manager('POST', `/v1/communities/${cid}/income`, { category: 'parking', amount: outcome.amount, payer: `车主${outcome.key.split('-').at(-1)}` }, { 'idempotency-key': outcome.key });
      return reply.status === 201;
    });
  }
}

async function expectEveryPostingOnce(manager: ReturnType<typeof http>, cid: string, outcomes: Outcome[]) {
  const expected = outcomes.reduce((sum, o) => sum.plus(o.amount), new Decimal(0));
  const fund = await manager('GET', `/v1/communities/${cid}/fund`);
  expect(fund.body.balance).toBe(expected.toFixed(2));
  const verify = await manager('GET', `/v1/communities/${cid}/ledger/verify`);
  expect(verify.body.ok).toBe(true);
  expect(verify.body.entries).toBe(outcomes.length);
}

describe('the database dies under load', () => {
  it('embedded: the service restarts its own PostgreSQL, answers 503 meanwhile, and loses nothing', async () => {
    const dataDir = tempDir('xinyi-outage-');
    const server = await start({ DATA_DIR: dataDir });
    const pgData = path.join(dataDir, 'postgres');
    const killed = postmasterPid(pgData);

    const { cid, manager } = await communityWithManager(server);
    const outcomes = await postThroughACrash({ cid, manager }, () => process.kill(killed, 'SIGKILL'), 240);
    expect(server.child.exitCode).toBeNull();
    expect(outcomes.some((o) => o.status === 503), 'some requests met the outage').toBe(true);

    await eventually('/health to be 200 again', async () => (await fetch(`${server.base}/health`)).ok, 60_000);
    expect(postmasterPid(pgData)).not.toBe(killed);
    await retryUntilAcknowledged(manager, cid, outcomes);
    await expectEveryPostingOnce(manager, cid, outcomes);
    expect(server.output()).toMatch(/embedded PostgreSQL exited unexpectedly/);
  }, 180_000);

  it('DATABASE_URL: the pool and the feed listener reconnect once the server is back', async () => {
    const dataDir = tempDir('xinyi-outage-url-');
    const database: EmbeddedPostgres = await startEmbeddedPostgres({ explicitDir: dataDir, fallbackFrom: dataDir, log: { info: () => undefined, error: () => undefined } });
    cleanups.push(async () => {
      await database.stop();
      await untilGone(dataDir);
    });
    const server = await start({ DATABASE_URL: database.url });
    const killed = postmasterPid(database.dataDir);

    const { cid, token, manager } = await communityWithManager(server);

    // Someone follows the live feed through the outage: the stream stays open or ends
    // cleanly, never with an error; a follower that reconnects misses nothing.
    const stream = await fetch(`${server.base}/v1/communities/${cid}/feed/stream`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    let streamed = '';
    const streamEnded = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body!) streamed += decoder.decode(chunk as Uint8Array, { stream: true });
    })();

    const outcomes = await postThroughACrash({ cid, manager }, () => process.kill(killed, 'SIGKILL'), 240);
    expect(server.child.exitCode).toBeNull();

    await eventually('/health to be 200 again', async () => (await fetch(`${server.base}/health`)).ok, 60_000);
    await retryUntilAcknowledged(manager, cid, outcomes);
    await expectEveryPostingOnce(manager, cid, outcomes);

    const open = await Promise.race([streamEnded.then(() => false), sleep(100).then(() => true)]);
    if (open) {
      await eventually('the open stream to deliver every posting', async () => (streamed.match(/^event: income\.recorded$/gm)?.length ?? 0) >= outcomes.length, 30_000);
    }
    const resumed = await manager('GET', `/v1/communities/${cid}/feed?limit=500`);
    expect(resumed.body.items.filter((item: { type: string }) => item.type === 'income.recorded')).toHaveLength(outcomes.length);
    await stream.body?.cancel().catch(() => undefined);
  }, 180_000);
});
