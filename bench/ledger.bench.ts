import { api, createCommunity, login, type BenchCommunity } from './support/api.js';
import { runHttpLoad, type LoadResult } from './support/http-load.js';
import { runPgReference, type ReferenceResult } from './support/pg-reference.js';
import { quantile } from './support/stats.js';
import { startStack, type Stack } from './support/stack.js';
import { formatMoney, Money } from '../src/shared/money.js';

/**
 * `npm run bench`: the ledger's hot path, POST /income on one community, through the whole
 * HTTP stack, against a reference on the same database in the same run: one posting per
 * transaction straight through `pg`. Prints both rates, their ratio and the p99 latency, then
 * checks that the books hold exactly what the load put in. Exits non-zero only when the books
 * do not reconcile (or the run breaks); the speed target is reported, not enforced, because
 * absolute figures on a shared machine are noise and only the in-run ratio means anything.
 *
 * Environment: BENCH_SECONDS (default 10) per measured phase, BENCH_WARMUP_SECONDS (default
 * 2, 0 to skip), BENCH_CONNECTIONS (default 32), BENCH_ROUNDS (default 1: split each phase
 * into this many alternating slices, for a noisy machine), DATABASE_URL to use an existing database
 * (with ADMIN_PASSWORD if its admin exists already), DB_POOL_SIZE passes through to the API.
 */
const SECONDS = positiveNumber('BENCH_SECONDS', 10);
const WARMUP_SECONDS = positiveNumber('BENCH_WARMUP_SECONDS', 2, true);
const CONNECTIONS = positiveNumber('BENCH_CONNECTIONS', 32);
const ROUNDS = Math.max(1, Math.round(positiveNumber('BENCH_ROUNDS', 1)));
const AMOUNT = '1.23';
const TARGET_RATIO = 2;
const INCOME = JSON.stringify({ category: 'parking', amount: AMOUNT, payer: 'Bench' });

async function main(): Promise<number> {
  const log = (message: string) => console.log(`[bench] ${message}`);
  log(`${SECONDS} s per phase, ${CONNECTIONS} concurrent connections/clients, warm-up ${WARMUP_SECONDS} s`);
  const stack = await startStack(log);
  const stopOnSignal = () => void stack.close().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    return await measure(stack, log);
  } finally {
    await stack.close();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }
}

async function measure(stack: Stack, log: (m: string) => void): Promise<number> {
  const adminToken = await login(stack.baseUrl, 'admin', stack.adminPassword);
  const [httpCommunity, referenceCommunity, httpWarmup, referenceWarmup] = await Promise.all([
    createCommunity(stack.baseUrl, adminToken, 'HTTP', true),
    createCommunity(stack.baseUrl, adminToken, 'reference', false),
    createCommunity(stack.baseUrl, adminToken, 'HTTP warm-up', true),
    createCommunity(stack.baseUrl, adminToken, 'reference warm-up', false),
  ]);
  const reference = (community: BenchCommunity, seconds: number) =>
    runPgReference({ databaseUrl: stack.databaseUrl, communityId: community.id, amount: AMOUNT, clients: CONNECTIONS, seconds });
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
    await reference(referenceWarmup, WARMUP_SECONDS);
    await http(httpWarmup, WARMUP_SECONDS);
  }
  // Other work on a shared machine comes and goes; alternating the two phases in rounds lets
  // both see the same background, so their ratio stays meaningful.
  const refs: ReferenceResult[] = [];
  const loads: LoadResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const label = ROUNDS > 1 ? ` (round ${round}/${ROUNDS}, ${fmt(SECONDS / ROUNDS, 1)} s)` : '';
    log(`measuring the reference: one posting per transaction straight through pg${label}`);
    refs.push(await reference(referenceCommunity, SECONDS / ROUNDS));
    log(`measuring the full HTTP path: POST /income${label}`);
    loads.push(await http(httpCommunity, SECONDS / ROUNDS));
  }
  const ref = mergeReference(refs);
  const load = mergeLoad(loads);

  const checks = [
    ...(await checkHttpBooks(stack, adminToken, httpCommunity, load)),
    ...(await checkReferenceBooks(stack, adminToken, referenceCommunity, ref)),
  ];
  return report(load, ref, checks);
}

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

const expect = (what: string, actual: unknown, expected: unknown): Check => ({
  what,
  ok: actual === expected,
  detail: actual === expected ? String(actual) : `got ${String(actual)}, expected ${String(expected)}`,
});

async function checkHttpBooks(stack: Stack, adminToken: string, community: BenchCommunity, load: LoadResult): Promise<Check[]> {
  const read = api(stack.baseUrl, community.managerToken);
  const fund = await read<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${community.id}/fund`);
  const verify = await read<{ ok: boolean; entries: number; problems: string[] }>('GET', `/v1/communities/${community.id}/ledger/verify`);
  const income = await accountBalance(stack, adminToken, community.id, '4101');
  const expected = formatMoney(new Money(AMOUNT).times(load.ok));
  return [
    expect('HTTP: non-2xx responses', load.non2xx, 0),
    expect('HTTP: requests with no response (errors, timeouts)', load.errors, 0),
    expect('HTTP: fund balance = 1.23 x 2xx', fund.balance, expected),
    expect('HTTP: parking income (4101) = 1.23 x 2xx', income, expected),
    expect('HTTP: ledger head seq = 2xx', fund.ledgerHead.seq, load.ok),
    expect('HTTP: /ledger/verify entries = 2xx', verify.entries, load.ok),
    { what: 'HTTP: /ledger/verify ok', ok: verify.ok, detail: verify.ok ? 'true' : verify.problems.slice(0, 5).join('; ') },
  ];
}

async function checkReferenceBooks(stack: Stack, adminToken: string, community: BenchCommunity, ref: ReferenceResult): Promise<Check[]> {
  const fund = await api(stack.baseUrl, adminToken)<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${community.id}/fund`);
  const income = await accountBalance(stack, adminToken, community.id, '4101');
  const expected = formatMoney(new Money(AMOUNT).times(ref.committed));
  return [
    expect('reference: failed transactions', ref.failed, 0),
    expect('reference: fund balance = 1.23 x committed', fund.balance, expected),
    expect('reference: parking income (4101) = 1.23 x committed', income, expected),
    expect('reference: ledger head seq = committed', fund.ledgerHead.seq, ref.committed),
  ];
}

async function accountBalance(stack: Stack, token: string, communityId: string, code: string): Promise<string | undefined> {
  const { items } = await api(stack.baseUrl, token)<{ items: { code: string; balance: string }[] }>('GET', `/v1/communities/${communityId}/accounts`);
  return items.find((a) => a.code === code)?.balance;
}

function mergeReference(parts: ReferenceResult[]): ReferenceResult {
  return {
    committed: parts.reduce((n, p) => n + p.committed, 0),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    firstError: parts.find((p) => p.firstError)?.firstError ?? null,
    seconds: parts.reduce((n, p) => n + p.seconds, 0),
    latencies: parts.flatMap((p) => p.latencies),
  };
}

function mergeLoad(parts: LoadResult[]): LoadResult {
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

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function report(load: LoadResult, ref: ReferenceResult, checks: Check[]): number {
  const refRate = ref.committed / ref.seconds;
  const httpRate = load.ok / load.seconds;
  const ratio = httpRate / refRate;
  const p99 = quantile(load.latencies, 0.99);
  const booksOk = checks.every((c) => c.ok);
  const lines = [
    '',
    `reference (pg, 1 posting/tx, ${CONNECTIONS} clients): ${ref.committed} committed in ${fmt(ref.seconds, 2)} s = ${fmt(refRate)} postings/s` +
      ` (p50 ${fmt(quantile(ref.latencies, 0.5))} ms, p99 ${fmt(quantile(ref.latencies, 0.99))} ms` +
      `${ref.failed ? `, ${ref.failed} failed: ${ref.firstError}` : ''})`,
    `HTTP POST /income (${CONNECTIONS} connections):     ${load.ok} x 2xx in ${fmt(load.seconds, 2)} s = ${fmt(httpRate)} req/s` +
      ` (non-2xx ${load.non2xx}, errors ${load.errors}, p50 ${fmt(quantile(load.latencies, 0.5))} ms, p99 ${fmt(p99)} ms,` +
      ` max ${fmt(quantile(load.latencies, 1))} ms)`,
    `status codes: ${JSON.stringify(load.statusCodes)}`,
    `ratio HTTP / reference: ${fmt(ratio, 2)}x`,
    `HTTP p99 latency: ${fmt(p99)} ms`,
    '',
    ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`),
    '',
    `BOOKS:  ${booksOk ? 'PASS' : 'FAIL'} (the books ${booksOk ? 'hold exactly' : 'do NOT hold'} what the load put in)`,
    `TARGET: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'} (HTTP / reference = ${fmt(ratio, 2)}x, target >= ${TARGET_RATIO.toFixed(1)}x; reported, not enforced)`,
  ];
  console.log(lines.join('\n'));
  return booksOk ? 0 : 1;
}

function positiveNumber(name: string, fallback: number, zeroAllowed = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0) || value > 3600) {
    throw new Error(`${name} must be a number of seconds/connections in ${zeroAllowed ? '[0' : '(0'}, 3600], got ${raw}`);
  }
  return value;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench] FAILED:', error);
    process.exit(2);
  },
);
