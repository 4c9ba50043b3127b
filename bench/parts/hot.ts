import { api, createCommunity, login, type BenchCommunity } from '../support/api.js';
import { envNumber, equal, fixed2, latency, passFail, PgStatWindow, printChecks, rate, reportProfiles, stackOptions, truth, type Check, type Log, type PartOutcome } from '../support/common.js';
import { runHttpLoad, type LoadResult } from '../support/http-load.js';
import { runPgReference, type ReferenceResult } from '../support/pg-reference.js';
import { quantile } from '../support/stats.js';
import { startStack, type Stack } from '../support/stack.js';
import { Money } from '../../src/shared/money.js';

/**
 * Part 1, the three-way comparison (`npm run bench:hot`): POST /income through the whole HTTP
 * path at 32 connections against the same database written straight through `pg`,
 * (a) one posting per transaction, 32 clients, and (b) 50 postings per transaction, 8
 * clients. All three write ONE hot community each (every posting touches its fund account
 * 1001 and its ledger head), the shape the issue's figures were measured on. The phases are
 * interleaved in rounds after a warm-up, so all three see the same background on a shared
 * machine; only their ratios mean anything. Then the books of all three must be exact.
 *
 * Environment: BENCH_HOT_SECONDS (9) per phase in all, split over BENCH_HOT_ROUNDS (3);
 * BENCH_WARMUP_SECONDS (2, 0 to skip) per phase; BENCH_CONNECTIONS (32) for the API and (a);
 * BENCH_BATCH_CLIENTS (8) and BENCH_BATCH_SIZE (50) for (b), BENCH_BATCH_SHAPE=loop to send (b)'s
 * postings one statement each instead of set-based (see pg-reference.ts).
 */
const SECONDS = envNumber('BENCH_HOT_SECONDS', envNumber('BENCH_SECONDS', 9));
const ROUNDS = Math.max(1, Math.round(envNumber('BENCH_HOT_ROUNDS', envNumber('BENCH_ROUNDS', 3))));
const WARMUP_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 2, { zeroAllowed: true });
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 32);
const BATCH_CLIENTS = envNumber('BENCH_BATCH_CLIENTS', 8);
const BATCH_SIZE = envNumber('BENCH_BATCH_SIZE', 50);
const BATCH_SHAPE = process.env.BENCH_BATCH_SHAPE === 'loop' ? 'loop' : 'set';
const AMOUNT = '1.23';
const INCOME = JSON.stringify({ category: 'parking', amount: AMOUNT, payer: 'Bench' });

const TARGET_OF_BATCHED = 0.25;
const TARGET_OF_SINGLE = 4;
const TARGET_P99_MS = 50;

/** The API's rate in the last run of this part: the city run's throughput target. */
export let lastHotRate: number | undefined;

export async function runHot(log: Log): Promise<PartOutcome> {
  log(`${SECONDS} s per phase in ${ROUNDS} interleaved rounds, warm-up ${WARMUP_SECONDS} s per phase; API and (a) ${CONNECTIONS} connections/clients, (b) ${BATCH_CLIENTS} clients x ${BATCH_SIZE} postings/tx`);
  const stack = await startStack(log, stackOptions('hot'));
  try {
    return await measure(stack, log);
  } finally {
    await stack.close();
    reportProfiles('hot', log);
  }
}

async function measure(stack: Stack, log: Log): Promise<PartOutcome> {
  const adminToken = await login(stack.baseUrl, 'admin', stack.adminPassword);
  const make = (label: string, withManager: boolean) => createCommunity(stack.baseUrl, adminToken, label, withManager);
  const [httpCommunity, singleCommunity, batchCommunity, httpWarmup, singleWarmup, batchWarmup] = await Promise.all([
    make('HTTP', true),
    make('reference a', false),
    make('reference b', false),
    make('HTTP warm-up', true),
    make('reference a warm-up', false),
    make('reference b warm-up', false),
  ]);
  const single = (community: BenchCommunity, seconds: number) =>
    runPgReference({ databaseUrl: stack.databaseUrl, communityId: community.id, amount: AMOUNT, clients: CONNECTIONS, seconds });
  const batched = (community: BenchCommunity, seconds: number) =>
    runPgReference({ databaseUrl: stack.databaseUrl, communityId: community.id, amount: AMOUNT, clients: BATCH_CLIENTS, seconds, postingsPerTransaction: BATCH_SIZE, batchShape: BATCH_SHAPE });
  const http = (community: BenchCommunity, seconds: number) =>
    runHttpLoad({
      url: `${stack.baseUrl}/v1/communities/${community.id}/income`,
      headers: { authorization: `Bearer ${community.managerToken!}` },
      body: INCOME,
      connections: CONNECTIONS,
      seconds,
    });

  if (WARMUP_SECONDS > 0) {
    log('warming up (not measured)');
    await single(singleWarmup, WARMUP_SECONDS);
    await batched(batchWarmup, WARMUP_SECONDS);
    await http(httpWarmup, WARMUP_SECONDS);
  }
  // BENCH_PG_STAT: the database's work during the API's slices only, not the references'.
  const pgStat = new PgStatWindow(stack.databaseUrl, stack.pgStatStatements);
  const singles: ReferenceResult[] = [];
  const batches: ReferenceResult[] = [];
  const loads: LoadResult[] = [];
  const slice = SECONDS / ROUNDS;
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}: (a) 1 posting/tx, (b) ${BATCH_SIZE} postings/tx, POST /income, ${slice.toFixed(1)} s each`);
    singles.push(await single(singleCommunity, slice));
    batches.push(await batched(batchCommunity, slice));
    await pgStat.begin();
    loads.push(await http(httpCommunity, slice));
    await pgStat.end();
  }
  pgStat.print(log, 'the API phases (POST /income) only');
  const a = mergeReference(singles);
  const b = mergeReference(batches);
  const load = mergeLoad(loads);

  const checks = [
    ...(await httpBooks(stack, httpCommunity, load)),
    ...(await referenceBooks(stack, adminToken, singleCommunity, a, '(a)')),
    ...(await referenceBooks(stack, adminToken, batchCommunity, b, '(b)')),
  ];
  return report(load, a, b, checks);
}

async function httpBooks(stack: Stack, community: BenchCommunity, load: LoadResult): Promise<Check[]> {
  const read = api(stack.baseUrl, community.managerToken);
  const fund = await read<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${community.id}/fund`);
  const verify = await read<{ ok: boolean; entries: number; problems: string[] }>('GET', `/v1/communities/${community.id}/ledger/verify`);
  const income = await accountBalance(stack, community.managerToken!, community.id, '4101');
  const expected = fixed2(new Money(AMOUNT).times(load.ok));
  return [
    equal('API: non-2xx responses', load.non2xx, 0),
    equal('API: requests with no response (errors, timeouts)', load.errors, 0),
    equal(`API: fund balance = ${AMOUNT} x 2xx`, fund.balance, expected),
    equal(`API: parking income (4101) = ${AMOUNT} x 2xx`, income, expected),
    equal('API: ledger head seq = 2xx', fund.ledgerHead.seq, load.ok),
    equal('API: /ledger/verify entries = 2xx', verify.entries, load.ok),
    truth('API: /ledger/verify ok', verify.ok, verify.ok ? 'true' : verify.problems.slice(0, 5).join('; ')),
  ];
}

async function referenceBooks(stack: Stack, adminToken: string, community: BenchCommunity, ref: ReferenceResult, name: string): Promise<Check[]> {
  const read = api(stack.baseUrl, adminToken);
  const fund = await read<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${community.id}/fund`);
  // Not /ledger/verify: the references skip the monthly totals the API keeps, which verify
  // compares with the postings. Their chain and balances are checked here instead.
  const income = await accountBalance(stack, adminToken, community.id, '4101');
  const expected = fixed2(new Money(AMOUNT).times(ref.committed));
  return [
    equal(`${name}: failed transactions`, ref.failed, 0),
    equal(`${name}: fund balance = ${AMOUNT} x committed postings`, fund.balance, expected),
    equal(`${name}: parking income (4101) = ${AMOUNT} x committed`, income, expected),
    equal(`${name}: ledger head seq = committed`, fund.ledgerHead.seq, ref.committed),
  ];
}

async function accountBalance(stack: Stack, token: string, communityId: string, code: string): Promise<string | undefined> {
  const { items } = await api(stack.baseUrl, token)<{ items: { code: string; balance: string }[] }>('GET', `/v1/communities/${communityId}/accounts`);
  return items.find((a) => a.code === code)?.balance;
}

export function mergeReference(parts: ReferenceResult[]): ReferenceResult {
  return {
    committed: parts.reduce((n, p) => n + p.committed, 0),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    firstError: parts.find((p) => p.firstError)?.firstError ?? null,
    seconds: parts.reduce((n, p) => n + p.seconds, 0),
    latencies: parts.flatMap((p) => p.latencies),
  };
}

export function mergeLoad(parts: LoadResult[]): LoadResult {
  const statusCodes: Record<string, number> = {};
  for (const part of parts) for (const [code, n] of Object.entries(part.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    ok: parts.reduce((n, p) => n + p.ok, 0),
    non2xx: parts.reduce((n, p) => n + p.non2xx, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    statusCodes,
    seconds: parts.reduce((n, p) => n + p.seconds, 0),
    latencies: parts.flatMap((p) => p.latencies),
  };
}

function report(load: LoadResult, a: ReferenceResult, b: ReferenceResult, checks: Check[]): PartOutcome {
  const aRate = a.committed / a.seconds;
  const bRate = b.committed / b.seconds;
  const apiRate = load.ok / load.seconds;
  lastHotRate = apiRate;
  const ofBatched = apiRate / bRate;
  const ofSingle = apiRate / aRate;
  const p99 = quantile(load.latencies, 0.99);
  const booksOk = checks.every((c) => c.ok);
  const refLine = (name: string, r: ReferenceResult, rateOf: number) =>
    `${name.padEnd(50)} ${r.committed} postings in ${r.seconds.toFixed(2)} s = ${rateOf.toFixed(1)} postings/s (per transaction: ${latency(r.latencies)}${r.failed ? `; ${r.failed} failed: ${r.firstError}` : ''})`;
  const summary = [
    `shape: each of the three writes its own single hot community (every posting locks its ledger head and fund account 1001)`,
    refLine(`(a) pg, 1 posting/tx, ${CONNECTIONS} clients:`, a, aRate),
    refLine(`(b) pg, ${BATCH_SIZE} postings/tx, ${BATCH_CLIENTS} clients (${BATCH_SHAPE === 'loop' ? 'one statement per posting' : 'set-based'}):`, b, bRate),
    `${`API POST /income, ${CONNECTIONS} connections:`.padEnd(50)} ${load.ok} x 2xx in ${load.seconds.toFixed(2)} s = ${rate(load.ok, load.seconds)} req/s (${latency(load.latencies)}, max ${quantile(load.latencies, 1).toFixed(1)} ms; non-2xx ${load.non2xx}, errors ${load.errors})`,
    `TARGET ${passFail(ofBatched >= TARGET_OF_BATCHED)}  API / (b) = ${(ofBatched * 100).toFixed(1)}% (target >= ${TARGET_OF_BATCHED * 100}%)`,
    `TARGET ${passFail(ofSingle >= TARGET_OF_SINGLE)}  API / (a) = ${ofSingle.toFixed(2)}x (target >= ${TARGET_OF_SINGLE}x)`,
    `TARGET ${passFail(p99 < TARGET_P99_MS)}  API p99 = ${p99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms)`,
    `BOOKS  ${passFail(booksOk)}  API, (a) and (b) hold exactly what was acknowledged/committed`,
  ];
  console.log(['', ...printChecks(checks), '', ...summary, ''].join('\n'));
  return { booksOk, summary };
}
