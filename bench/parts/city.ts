import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { api, createCommunity, login } from '../support/api.js';
import { envNumber, fixed2, PgStatWindow, pooled, printChecks, reportProfiles, scrapeMetrics, shedReasons, stackOptions, truth, type Check, type Log, type PartOutcome } from '../support/common.js';
import { drive, isOk, statusSummary, type Outcome, type Task } from '../support/driver.js';
import { ask, answer } from '../support/child-messages.js';
import { eventIdReader } from '../support/sse-ids.js';
import { addUnits, billAll } from '../support/setup.js';
import { quantile } from '../support/stats.js';
import { startStack, type Stack } from '../support/stack.js';
import { Money } from '../../src/shared/money.js';
import { lastHotRate } from './hot.js';

/**
 * Part 3, the city (`npm run bench:city`): BENCH_CITY_COMMUNITIES (1,000) communities, each
 * with its own manager, one billed unit and a funded fund, set up through the API beforehand
 * (BENCH_CITY_SETUP_CONCURRENCY (32) communities at once, not measured). Then, for
 * BENCH_CITY_SECONDS (12), every community's manager writes at once on a keep-alive connection
 * of its own, in turn an income (1.23), a fee payment (10.00) and a spend request (12.34),
 * each the moment the previous one is answered, while one SSE subscriber per community
 * (GET …/feed/stream, opened after the setup's last item) reads its community's feed in a
 * process of its own.
 *
 * Reported: the aggregate rate of 2xx (target: at least part 1's API rate, when part 1 ran in
 * the same `npm run bench`, or BENCH_HOT_RATE), each kind's rate, the distribution of the
 * communities' own p99 (median and worst) and how many communities got no write through
 * (starved), every stream's items against the community's acknowledged writes (each write is
 * one feed item) with gaps and duplicates, and the books of every community: its fund's
 * balance and reserved equal what its 2xx put in, and /ledger/verify is ok (all of them, or
 * BENCH_CITY_VERIFY communities spread over the city). BENCH_CITY_KINDS=income (or fee, spend,
 * comma-separated) writes only those kinds.
 *
 * The API runs with MAX_IN_FLIGHT raised to BENCH_CITY_MAX_IN_FLIGHT (2,000; 0 keeps the
 * shipped 256): with the shipped bound, 1,000 simultaneous writers are mostly shed at once
 * (503), and shedding is what bench:overload measures, not the write path.
 */
const COMMUNITIES = envNumber('BENCH_CITY_COMMUNITIES', 1_000);
const SECONDS = envNumber('BENCH_CITY_SECONDS', 12);
const SETUP_CONCURRENCY = envNumber('BENCH_CITY_SETUP_CONCURRENCY', 32);
const VERIFY = Math.min(COMMUNITIES, envNumber('BENCH_CITY_VERIFY', COMMUNITIES, { zeroAllowed: true }));
const MAX_IN_FLIGHT = envNumber('BENCH_CITY_MAX_IN_FLIGHT', 2_000, { zeroAllowed: true });
const DELIVERY_WAIT_MS = 60_000;
const OPEN_CONCURRENCY = 100;

const FUNDING = '100000.00';
const INCOME = '1.23';
const FEE_PAYMENT = '10.00';
const SPEND = '12.34';
const ALL_KINDS = ['income', 'fee payment', 'spend request'] as const;
type Kind = (typeof ALL_KINDS)[number];
/** BENCH_CITY_KINDS=income (or fee,spend...) narrows the writes, to see which one costs what. */
const KINDS: readonly Kind[] = process.env.BENCH_CITY_KINDS
  ? ALL_KINDS.filter((k) => process.env.BENCH_CITY_KINDS!.split(',').some((w) => k.startsWith(w.trim())))
  : ALL_KINDS;
if (KINDS.length === 0) throw new Error(`BENCH_CITY_KINDS names none of ${ALL_KINDS.join(', ')}`);

interface Citizen {
  index: number;
  id: string;
  token: string;
  unitId: string;
  /** The feed's last seq when the setup ended: the stream starts after it. */
  feedSeq: number;
  fund: { balance: string; reserved: string };
}

if (process.env.CITY_BENCH_ROLE === 'streams') runStreamsChild();

export async function runCity(log: Log): Promise<PartOutcome> {
  const serverEnv: Record<string, string> = MAX_IN_FLIGHT > 0 ? { MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) } : {};
  log(`${COMMUNITIES} communities x ${SECONDS} s, ${COMMUNITIES} SSE subscribers; MAX_IN_FLIGHT ${MAX_IN_FLIGHT > 0 ? MAX_IN_FLIGHT : 'as shipped (256)'}`);
  const stack = await startStack(log, stackOptions('city', { serverEnv }));
  let streams: ChildProcess | undefined;
  try {
    return await measure(stack, log, (child) => (streams = child));
  } finally {
    if (streams && streams.exitCode === null) streams.kill();
    await stack.close();
    reportProfiles('city', log);
  }
}

async function measure(stack: Stack, log: Log, keep: (child: ChildProcess) => void): Promise<PartOutcome> {
  const base = stack.baseUrl;
  const adminToken = await login(base, 'admin', stack.adminPassword);
  log(`setting up ${COMMUNITIES} communities, ${SETUP_CONCURRENCY} at a time (not measured)`);
  const setupStarted = performance.now();
  let done = 0;
  const citizens = await pooled(
    Array.from({ length: COMMUNITIES }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (index): Promise<Citizen> => {
      const community = await createCommunity(base, adminToken, `city ${index + 1}`, true);
      const token = community.managerToken!;
      const [unitId] = await addUnits(base, adminToken, community.id, 1, '100.00', 1);
      await billAll(base, token, community.id, '2.00');
      const call = api(base, token);
      await call('POST', `/v1/communities/${community.id}/income`, { category: 'other', amount: FUNDING, payer: 'Bench funding' });
      const feed = await call<{ items: { seq: number }[] }>('GET', `/v1/communities/${community.id}/feed?order=desc&limit=1`);
      const fund = await call<{ balance: string; reserved: string }>('GET', `/v1/communities/${community.id}/fund`);
      if (++done % 100 === 0) log(`  ${done}/${COMMUNITIES} set up (${((performance.now() - setupStarted) / 1000).toFixed(0)} s)`);
      return { index, id: community.id, token, unitId: unitId!, feedSeq: feed.items[0]?.seq ?? 0, fund };
    },
  );
  log(`set up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);

  const streams = startStreamsChild();
  keep(streams);
  const opened = await ask<{ opened: number; failed: number; firstError: string | null; ms: number }>(streams, {
    type: 'open',
    streams: citizens.map((c) => ({ url: `${base}/v1/communities/${c.id}/feed/stream?after=${c.feedSeq}`, token: c.token })),
  });
  log(`${opened.opened}/${COMMUNITIES} streams open in ${(opened.ms / 1000).toFixed(1)} s${opened.failed ? ` (${opened.failed} failed: ${opened.firstError})` : ''}`);

  const pgStat = new PgStatWindow(stack.databaseUrl, stack.pgStatStatements);
  await pgStat.begin();
  log(`driving ${COMMUNITIES} writers for ${SECONDS} s`);
  const metricsBefore = await scrapeMetrics(base);
  const turns = new Array<number>(COMMUNITIES).fill(0);
  const result = await drive({
    connections: COMMUNITIES,
    seconds: SECONDS,
    next: (worker) => {
      const c = citizens[worker]!;
      const kind = KINDS[(worker + turns[worker]!++) % KINDS.length]!;
      return writeTask(base, c, kind, turns[worker]!);
    },
  });
  const shed = shedReasons(metricsBefore, await scrapeMetrics(base));
  await pgStat.end();
  pgStat.print(log, 'the city\'s measured writes');

  const perCommunity = citizens.map(() => ({ ok: [] as Outcome[], all: 0 }));
  for (const o of result.outcomes) {
    const { index } = o.tag as { index: number };
    perCommunity[index]!.all++;
    if (isOk(o)) perCommunity[index]!.ok.push(o);
  }
  log('load done; waiting for every stream to hold its community\'s acknowledged writes');
  const delivered = await ask<StreamsReport>(streams, { type: 'await', expected: perCommunity.map((p) => p.ok.length), timeoutMs: DELIVERY_WAIT_MS });
  const checks = await cityBooks(stack, citizens, perCommunity.map((p) => p.ok), log);
  return report(result.outcomes, result.seconds, perCommunity, delivered, checks, shed);
}

function writeTask(base: string, c: Citizen, kind: Kind, turn: number): Task {
  const url = `${base}/v1/communities/${c.id}`;
  const tag = { index: c.index, kind };
  switch (kind) {
    case 'income':
      return { method: 'POST', url: `${url}/income`, token: c.token, body: { category: 'parking', amount: INCOME, payer: 'Bench city' }, tag };
    case 'fee payment':
      return { method: 'POST', url: `${url}/fee-payments`, token: c.token, body: { unitId: c.unitId, amount: FEE_PAYMENT, method: 'wechat' }, tag };
    case 'spend request':
      return { method: 'POST', url: `${url}/spend-requests`, token: c.token, body: { title: `City repair ${turn}`, amount: SPEND, account: '5105', payee: { name: 'City Repair Co.' } }, tag };
  }
}

async function cityBooks(stack: Stack, citizens: Citizen[], oks: Outcome[][], log: Log): Promise<Check[]> {
  const started = performance.now();
  const wrongFund: string[] = [];
  const wrongVerify: string[] = [];
  const step = COMMUNITIES / Math.max(1, VERIFY);
  const verifyIndexes = new Set(Array.from({ length: VERIFY }, (_, i) => Math.floor(i * step)));
  await pooled(citizens, 16, async (c) => {
    const call = api(stack.baseUrl, c.token);
    const count = (kind: Kind) => oks[c.index]!.filter((o) => (o.tag as { kind: Kind }).kind === kind).length;
    const balance = new Money(c.fund.balance).plus(new Money(INCOME).times(count('income'))).plus(new Money(FEE_PAYMENT).times(count('fee payment')));
    const reserved = new Money(c.fund.reserved).plus(new Money(SPEND).times(count('spend request')));
    const fund = await call<{ balance: string; reserved: string }>('GET', `/v1/communities/${c.id}/fund`);
    if (fund.balance !== fixed2(balance) || fund.reserved !== fixed2(reserved)) {
      wrongFund.push(`community ${c.index + 1}: balance ${fund.balance} reserved ${fund.reserved}, expected ${fixed2(balance)} / ${fixed2(reserved)}`);
    }
    if (verifyIndexes.has(c.index)) {
      const verify = await call<{ ok: boolean; problems: string[] }>('GET', `/v1/communities/${c.id}/ledger/verify`);
      if (!verify.ok) wrongVerify.push(`community ${c.index + 1}: ${verify.problems.slice(0, 3).join('; ')}`);
    }
  });
  log(`books of ${COMMUNITIES} communities read (${VERIFY} verified) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return [
    truth(`every community's fund balance = funding + 1.23 x incomes + 10.00 x fee payments, reserved = 12.34 x spend requests (2xx)`, wrongFund.length === 0, wrongFund.length === 0 ? `${COMMUNITIES} of ${COMMUNITIES}` : `${wrongFund.length} wrong: ${wrongFund.slice(0, 3).join(' | ')}`),
    truth(`/ledger/verify ok in ${VERIFY === COMMUNITIES ? 'every community' : `${VERIFY} communities spread over the city`}`, wrongVerify.length === 0, wrongVerify.length === 0 ? `${VERIFY} of ${VERIFY}` : `${wrongVerify.length} not ok: ${wrongVerify.slice(0, 3).join(' | ')}`),
  ];
}

function report(outcomes: Outcome[], seconds: number, perCommunity: { ok: Outcome[]; all: number }[], delivered: StreamsReport, checks: Check[], shed: string): PartOutcome {
  const ok = outcomes.filter(isOk);
  const aggregate = ok.length / seconds;
  const p99s = perCommunity.filter((p) => p.ok.length > 0).map((p) => quantile(p.ok.map((o) => o.ms), 0.99));
  const starved = perCommunity.filter((p) => p.ok.length === 0).length;
  const perCommunityCounts = perCommunity.map((p) => p.ok.length);
  const hotRate = lastHotRate ?? (process.env.BENCH_HOT_RATE ? Number(process.env.BENCH_HOT_RATE) : undefined);
  const expectedItems = perCommunityCounts.reduce((a, b) => a + b, 0);
  const streamsOk = delivered.exact === COMMUNITIES && delivered.gaps === 0 && delivered.duplicates === 0;
  const booksOk = checks.every((c) => c.ok);
  const kindLine = KINDS.map((k) => {
    const of = ok.filter((o) => (o.tag as { kind: Kind }).kind === k);
    return `${k}s ${of.length} (${(of.length / seconds).toFixed(1)}/s, p99 ${quantile(of.map((o) => o.ms), 0.99).toFixed(0)} ms)`;
  }).join(', ');
  const summary = [
    `${COMMUNITIES} communities, one writer each (${KINDS.join(', ')}${KINDS.length > 1 ? ' in turn' : ''}), ${COMMUNITIES} SSE subscribers, ${seconds.toFixed(1)} s`,
    `aggregate: ${ok.length} x 2xx = ${aggregate.toFixed(1)}/s (${kindLine}); non-2xx ${outcomes.length - ok.length}${outcomes.length > ok.length ? ` (${statusSummary(outcomes.filter((o) => !isOk(o)))}; shed at the door by reason: ${shed}; other 503s waited over 3 s for a database connection or found a queue full)` : ''}`,
    `per community: 2xx min ${Math.min(...perCommunityCounts)}, median ${quantile(perCommunityCounts, 0.5)}, max ${Math.max(...perCommunityCounts)}; its own p99 (of so few requests, about its max): median community ${quantile(p99s, 0.5).toFixed(0)} ms, worst ${Math.max(...p99s).toFixed(0)} ms`,
    `slowest writes: ${slowest(ok)}`,
    `SSE: ${delivered.received} items received of ${expectedItems} expected; ${delivered.exact}/${COMMUNITIES} streams exact, ${delivered.open}/${COMMUNITIES} open at the end, gaps ${delivered.gaps}, duplicates ${delivered.duplicates}, short ${delivered.short}, over ${delivered.over} (waited ${(delivered.waitedMs / 1000).toFixed(1)} s)`,
    hotRate === undefined
      ? 'TARGET n/a   aggregate vs the hot community: run part hot first (BENCH_PARTS=hot,city) or set BENCH_HOT_RATE'
      : `TARGET ${aggregate >= hotRate ? 'PASS' : 'FAIL'}  aggregate ${aggregate.toFixed(1)}/s vs the hot community's ${hotRate.toFixed(1)}/s (target: at least as much)`,
    `TARGET ${starved === 0 ? 'PASS' : 'FAIL'}  starved communities (no 2xx at all): ${starved}`,
    `STREAMS ${streamsOk ? 'PASS' : 'FAIL'}  every subscriber got exactly its community's acknowledged writes, in order`,
    `BOOKS  ${booksOk ? 'PASS' : 'FAIL'}  every community's books hold exactly what its 2xx put in`,
  ];
  console.log(['', ...printChecks(checks), '', ...summary, ''].join('\n'));
  return { booksOk, summary };
}

// ---------------------------------------------------------------------------------------------
// The streams process: one SSE stream per community, each item's id checked against the last.

interface StreamsReport {
  received: number;
  exact: number;
  open: number;
  short: number;
  over: number;
  gaps: number;
  duplicates: number;
  waitedMs: number;
}

function startStreamsChild(): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CITY_BENCH_ROLE: 'streams' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}


function runStreamsChild(): void {
  interface Held {
    open: boolean;
    count: number;
    lastId: number;
    gaps: number;
    duplicates: number;
    close(): void;
  }
  const held: Held[] = [];
  const openOne = (url: string, token: string): Promise<Held> =>
    new Promise((resolve, reject) => {
      const after = Number(new URL(url).searchParams.get('after') ?? 0);
      const request = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`stream answered ${response.statusCode}`));
          return;
        }
        const stream: Held = { open: true, count: 0, lastId: after, gaps: 0, duplicates: 0, close: () => request.destroy() };
        response.on(
          'data',
          eventIdReader((id) => {
            stream.count++;
            if (id <= stream.lastId) stream.duplicates++;
            else if (id !== stream.lastId + 1) stream.gaps++;
            stream.lastId = Math.max(stream.lastId, id);
          }),
        );
        const closed = () => (stream.open = false);
        response.on('close', closed);
        response.on('error', closed);
        resolve(stream);
      });
      request.on('error', reject);
    });

  const handlers: Record<string, (m: any) => Promise<object>> = {
    async open(m: { streams: { url: string; token: string }[] }) {
      const started = performance.now();
      let failed = 0;
      let firstError: string | null = null;
      for (let i = 0; i < m.streams.length; i += OPEN_CONCURRENCY) {
        const wave = m.streams.slice(i, i + OPEN_CONCURRENCY).map((s) => openOne(s.url, s.token));
        for (const r of await Promise.allSettled(wave)) {
          if (r.status === 'fulfilled') held.push(r.value);
          else {
            failed++;
            firstError ??= String(r.reason);
            held.push({ open: false, count: 0, lastId: 0, gaps: 0, duplicates: 0, close: () => undefined });
          }
        }
      }
      return { opened: held.filter((s) => s.open).length, failed, firstError, ms: performance.now() - started };
    },
    async await(m: { expected: number[]; timeoutMs: number }) {
      const started = performance.now();
      const done = () => held.every((s, i) => !s.open || s.count >= m.expected[i]!);
      while (!done() && performance.now() - started < m.timeoutMs) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500)); // a late duplicate is seen too
      const report: StreamsReport = {
        received: held.reduce((n, s) => n + s.count, 0),
        exact: held.filter((s, i) => s.open && s.count === m.expected[i] && s.gaps === 0 && s.duplicates === 0).length,
        open: held.filter((s) => s.open).length,
        short: held.filter((s, i) => s.count < m.expected[i]!).length,
        over: held.filter((s, i) => s.count > m.expected[i]!).length,
        gaps: held.reduce((n, s) => n + s.gaps, 0),
        duplicates: held.reduce((n, s) => n + s.duplicates, 0),
        waitedMs: performance.now() - started,
      };
      for (const s of held) s.close();
      return report;
    },
  };
  answer(handlers);
}

/** The five slowest acknowledged writes: what each was, how long it took, when it was sent and whether it opened its connection. */
function slowest(ok: readonly Outcome[]): string {
  return [...ok]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((o) => `${(o.tag as { kind: Kind }).kind} ${o.ms.toFixed(0)} ms (sent at ${((o.sentAt ?? 0) / 1000).toFixed(1)} s${o.first ? ', its connection\'s first' : ''})`)
    .join('; ');
}
