import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { api, createCommunity, login, type BenchCommunity } from './support/api.js';
import { ask, answer } from './support/child-messages.js';
import { eventIdReader } from './support/sse-ids.js';
import { scrapeMetrics } from './support/common.js';
import { runHttpLoad, type LoadResult } from './support/http-load.js';
import { quantile } from './support/stats.js';
import { startStack, type Stack } from './support/stack.js';
import { formatMoney, Money } from '../src/shared/money.js';

/**
 * `npm run bench:overload`: far more work than one process can do at once, and a load
 * balancer watching. One community with a manager; STREAMS (default 2,000) live SSE streams
 * open on it; then CONNECTIONS (default 1,000) keep-alive connections post incomes for SECONDS
 * (default 20) with autocannon, each sending again the moment it is answered (no back-off:
 * a shed request comes straight back), while a probe asks `/health` every 50 ms on a
 * keep-alive connection (opening another only while one is still waiting).
 *
 * It reports the accepted (2xx) rate and latency, what was shed (503), anything else (there
 * must be nothing else), `/health` latency, whether every stream stayed open and received
 * every acknowledged income exactly once, in order, and whether the books hold exactly the
 * acknowledged incomes. Exit 1 when a 5xx other than 503 (or any other status, or a request
 * never answered: a reset or a timeout) appeared, `/health` ever answered non-200 or its p99
 * exceeded 100 ms, a stream lost or duplicated an item, or the books do not reconcile.
 *
 * Also reported, not judged: a second `/health` check on a new TCP connection each time (as
 * kubelet and most load balancers check), a spot POST every 250 ms from the probe's process
 * (to see a 503 whole: problem+json, code, Retry-After; with an Idempotency-Key, so one left
 * unanswered is settled afterwards and the books stay exact), the server's own metrics (shed
 * reasons, event-loop lag, group-commit batches), machine-wide TCP counters (listen-queue
 * overflows) and the CPU each process used, others' included.
 *
 * Processes: the API runs as `npm start` runs it (`node --import tsx src/server.ts`) on an
 * embedded PostgreSQL in a temp dir (or DATABASE_URL, with ADMIN_PASSWORD); the streams and the
 * probes each run in a process of their own, so neither autocannon's event loop nor 2,000
 * streams' reading can delay a probe and be mistaken for the server's latency. All of them
 * share the machine's cores with the server and the database.
 *
 * Environment: BENCH_SECONDS (20), BENCH_CONNECTIONS (1000), BENCH_STREAMS (2000),
 * BENCH_STREAM_SAMPLE (50 streams whose every event id is checked for gaps and duplicates; every
 * stream's events are counted), BENCH_WARMUP_SECONDS (2, before the streams open, 32
 * connections), BENCH_HEALTH_INTERVAL_MS (50), BENCH_CPU_PROF=<dir> to run the API under
 * `--cpu-prof` and leave its profile there, BENCH_DUMP=<file> to write every probe and spot POST
 * (time from the start of the load, latency, status) as JSON. MAX_IN_FLIGHT,
 * MAX_IN_FLIGHT_PER_COMMUNITY, MAX_STREAMS and DB_POOL_SIZE pass through to the API.
 */
const SECONDS = envNumber('BENCH_SECONDS', 20);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 1_000);
const STREAMS = envNumber('BENCH_STREAMS', 2_000, true);
const SAMPLE = Math.min(STREAMS, envNumber('BENCH_STREAM_SAMPLE', 50, true));
const WARMUP_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 2, true);
const HEALTH_INTERVAL_MS = envNumber('BENCH_HEALTH_INTERVAL_MS', 50);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const DUMP_FILE = process.env.BENCH_DUMP;

const AMOUNT = '1.23';
const INCOME = JSON.stringify({ category: 'parking', amount: AMOUNT, payer: 'Bench overload' });
const HEALTH_P99_LIMIT_MS = 100;
const HEALTH_TIMEOUT_MS = 5_000;
const SPOT_INTERVAL_MS = 250;
/** The second probe, a new TCP connection per check (as kubelet and most load balancers do). */
const FRESH_INTERVAL_MS = 250;
const OPEN_CONCURRENCY = 200;
const DELIVERY_WAIT_MS = 60_000;
/**
 * autocannon gives a request up after this long and sends another on a new connection; the
 * first may still commit, and then the books could not be checked exactly. A request the
 * server holds this long has not been shed at all, so it is reported, never hidden.
 */
const CLIENT_TIMEOUT_SECONDS = 120;

type Role = 'streams' | 'probe';
const role = process.env.OVERLOAD_BENCH_ROLE as Role | undefined;
if (role === 'streams') runStreamsChild();
else if (role === 'probe') runProbeChild();
else void main().then((code) => process.exit(code), (error: unknown) => {
  console.error('[bench:overload] FAILED:', error);
  process.exit(2);
});

// ---------------------------------------------------------------------------------------------
// The main process: the stack, the load, the checks, the report.

async function main(): Promise<number> {
  const log = (m: string) => console.log(`[bench:overload] ${m}`);
  log(`${CONNECTIONS} connections x ${SECONDS} s of POST /income, ${STREAMS} live streams, /health every ${HEALTH_INTERVAL_MS} ms`);
  const serverNodeArgs = CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF_DIR)] : [];
  if (CPU_PROF_DIR) log(`the API runs under --cpu-prof; its profile goes to ${path.resolve(CPU_PROF_DIR)} when it stops`);
  const stack = await startStack(log, { serverNodeArgs });
  const children: ChildProcess[] = [];
  const stopOnSignal = () => {
    for (const child of children) child.kill();
    void stack.close().then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    return await measure(stack, log, children);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await stack.close();
    if (CPU_PROF_DIR) log(`CPU profile(s): ${fs.readdirSync(CPU_PROF_DIR).filter((f) => f.endsWith('.cpuprofile')).join(', ')}`);
  }
}

async function measure(stack: Stack, log: (m: string) => void, children: ChildProcess[]): Promise<number> {
  const adminToken = await login(stack.baseUrl, 'admin', stack.adminPassword);
  const community = await createCommunity(stack.baseUrl, adminToken, 'overload', true);
  const incomeUrl = `${stack.baseUrl}/v1/communities/${community.id}/income`;
  const headers = { authorization: `Bearer ${community.managerToken!}` };

  let warmupOk = 0;
  if (WARMUP_SECONDS > 0) {
    log(`warming up: ${WARMUP_SECONDS} s, 32 connections (counted in the books, streams replay it)`);
    const warm = await runHttpLoad({ url: incomeUrl, headers, body: INCOME, connections: 32, seconds: WARMUP_SECONDS });
    if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`warm-up was not clean: ${JSON.stringify(warm.statusCodes)}, ${warm.errors} errors`);
    warmupOk = warm.ok;
  }

  const streams = startChild('streams', children);
  const opened = await ask<StreamsOpened>(streams, { type: 'open', url: `${stack.baseUrl}/v1/communities/${community.id}/feed/stream`, token: community.managerToken!, count: STREAMS, sample: SAMPLE });
  log(`${opened.opened}/${STREAMS} streams open in ${(opened.ms / 1000).toFixed(1)} s${opened.failed ? ` (${opened.failed} failed: ${opened.firstError})` : ''}`);
  const probe = startChild('probe', children);
  await ask(probe, { type: 'ready' });

  const loadBefore = os.loadavg()[0]!;
  const before = await scrapeMetrics(stack.baseUrl);
  const cpuBefore = cpuSnapshot(stack.serverPid, children);
  const tcpBefore = tcpCounters();
  await ask(probe, { type: 'start', baseUrl: stack.baseUrl, intervalMs: HEALTH_INTERVAL_MS, incomeUrl, token: community.managerToken!, body: INCOME });
  log(`driving ${CONNECTIONS} connections for ${SECONDS} s`);
  const load = await runHttpLoad({ url: incomeUrl, headers, body: INCOME, connections: CONNECTIONS, seconds: SECONDS, timeoutSeconds: CLIENT_TIMEOUT_SECONDS });
  const cpuAfter = cpuSnapshot(stack.serverPid, children);
  const tcpAfter = tcpCounters();
  const after = await scrapeMetrics(stack.baseUrl);
  const probed = await ask<ProbeResult>(probe, { type: 'stop' });
  if (DUMP_FILE) fs.writeFileSync(DUMP_FILE, JSON.stringify({ health: probed.health, freshHealth: probed.freshHealth, spot: probed.spot, statusCodes: load.statusCodes }));

  const acknowledged = warmupOk + load.ok + probed.spotCreated;
  log(`load done: ${load.ok} accepted, waiting for every stream to hold ${acknowledged} items`);
  const delivered = await ask<StreamsReport>(streams, { type: 'await', expected: acknowledged, timeoutMs: DELIVERY_WAIT_MS });
  const books = await checkBooks(stack, adminToken, community, acknowledged, log);
  return report({ load, probed, delivered, books, acknowledged, warmupOk, before, after, cpu: cpuDelta(cpuBefore, cpuAfter), loadBefore, tcp: Object.fromEntries(Object.entries(tcpAfter).map(([k, v]) => [k, v - (tcpBefore[k] ?? 0)])) });
}

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

const equal = (what: string, actual: unknown, expected: unknown): Check => ({
  what,
  ok: actual === expected,
  detail: actual === expected ? String(actual) : `got ${String(actual)}, expected ${String(expected)}`,
});

/**
 * The checks' reads, asked again while the server answers 503 (it may still be shedding, or
 * think the database down, for a moment after the load): up to a minute, then it fails.
 */
function patient(baseUrl: string, token: string | undefined, note: (route: string) => void) {
  const call = api(baseUrl, token);
  return async <T>(method: 'GET' | 'POST', route: string): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call<T>(method, route);
      } catch (error) {
        if (!/-> 503 /.test((error as Error).message) || attempt >= 60) throw error;
        note(route);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };
}

async function checkBooks(stack: Stack, adminToken: string, community: BenchCommunity, acknowledged: number, log: (m: string) => void): Promise<Check[]> {
  const note = (route: string) => log(`${route} answered 503 after the load; asking again in 1 s`);
  const read = patient(stack.baseUrl, community.managerToken, note);
  const fund = await read<{ balance: string; ledgerHead: { seq: number } }>('GET', `/v1/communities/${community.id}/fund`);
  const verify = await read<{ ok: boolean; entries: number; problems: string[] }>('GET', `/v1/communities/${community.id}/ledger/verify`);
  const { items } = await patient(stack.baseUrl, adminToken, note)<{ items: { code: string; balance: string }[] }>('GET', `/v1/communities/${community.id}/accounts`);
  const expected = formatMoney(new Money(AMOUNT).times(acknowledged));
  return [
    equal(`fund balance = ${AMOUNT} x acknowledged`, fund.balance, expected),
    equal(`parking income (4101) = ${AMOUNT} x acknowledged`, items.find((a) => a.code === '4101')?.balance, expected),
    equal('ledger head seq = acknowledged (a 503 wrote nothing)', fund.ledgerHead.seq, acknowledged),
    equal('/ledger/verify entries = acknowledged', verify.entries, acknowledged),
    { what: '/ledger/verify ok', ok: verify.ok, detail: verify.ok ? 'true' : verify.problems.slice(0, 5).join('; ') },
  ];
}

// ---------------------------------------------------------------------------------------------
// The report.

interface Outcome {
  load: LoadResult;
  probed: ProbeResult;
  delivered: StreamsReport;
  books: Check[];
  acknowledged: number;
  warmupOk: number;
  before: Metrics;
  after: Metrics;
  cpu: CpuDelta;
  /** The 1-minute load average as the load began: others' work on the same cores. */
  loadBefore: number;
  /** Machine-wide TCP counters over the load (other users' connections included). */
  tcp: Record<string, number>;
}

function report(o: Outcome): number {
  const { load, probed, delivered } = o;
  const status = load.statusCodes;
  const shed = status['503'] ?? 0;
  const answered = Object.values(status).reduce((n, c) => n + c, 0);
  const others = Object.entries(status).filter(([code]) => !code.startsWith('2') && code !== '503');
  const otherCount = others.reduce((n, [, c]) => n + c, 0);
  const fiveHundreds = others.filter(([code]) => code.startsWith('5')).reduce((n, [, c]) => n + c, 0);

  const healthMs = probed.health.map((h) => h.ms);
  const healthBad = probed.health.filter((h) => h.status !== 200);
  const healthP99 = quantile(healthMs, 0.99);
  const spotShed = probed.spot.filter((s) => s.status === 503);
  const spotShedWell = spotShed.filter((s) => s.retryAfter !== null && s.contentType?.startsWith('application/problem+json') && s.code === 'unavailable');
  const spotOther = probed.spot.filter((s) => s.status !== 201 && s.status !== 503);
  const spotUnanswered = spotOther.filter((s) => typeof s.status === 'string');

  const shedDelta = (reason: string) => (o.after.get(`xinyi_shed_requests_total{reason="${reason}"}`) ?? 0) - (o.before.get(`xinyi_shed_requests_total{reason="${reason}"}`) ?? 0);
  const batchCount = (o.after.get('xinyi_group_commit_batch_size_count') ?? 0) - (o.before.get('xinyi_group_commit_batch_size_count') ?? 0);
  const batchSum = (o.after.get('xinyi_group_commit_batch_size_sum') ?? 0) - (o.before.get('xinyi_group_commit_batch_size_sum') ?? 0);
  const lagP99 = o.after.get('xinyi_nodejs_eventloop_lag_p99_seconds');
  const lagMax = o.after.get('xinyi_nodejs_eventloop_lag_max_seconds');

  const streamsOk = delivered.openAtEnd === STREAMS && delivered.exact === delivered.openAtEnd && delivered.sampleGaps === 0 && delivered.sampleDuplicates === 0;
  const checks: Check[] = [
    { what: 'no 5xx other than 503', ok: fiveHundreds === 0, detail: fiveHundreds === 0 ? 'none' : JSON.stringify(Object.fromEntries(others)) },
    { what: 'no other status, no unanswered request', ok: otherCount === 0 && load.errors === 0 && spotOther.length === 0, detail: `${otherCount} other, ${load.errors} unanswered; spot POSTs: ${spotOther.length - spotUnanswered.length} other, ${spotUnanswered.length} unanswered` },
    { what: 'a 503 is problem+json `unavailable` with Retry-After', ok: spotShedWell.length === spotShed.length, detail: `${spotShedWell.length}/${spotShed.length} spot-checked` },
    { what: '/health always 200', ok: healthBad.length === 0, detail: healthBad.length === 0 ? `${probed.health.length} probes` : `${healthBad.length} not 200: ${summarize(healthBad.map((h) => String(h.status)))}` },
    { what: `/health p99 <= ${HEALTH_P99_LIMIT_MS} ms`, ok: healthP99 <= HEALTH_P99_LIMIT_MS, detail: `${ms(healthP99)}` },
    { what: 'every stream open and holding every acknowledged item', ok: streamsOk, detail: `${delivered.openAtEnd}/${STREAMS} open, ${delivered.exact} exact` },
    ...o.books,
  ];

  const rate = (n: number) => (n / load.seconds).toFixed(0);
  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
  const cores = os.cpus().length;
  const rows: [string, string][] = [
    ['machine', `${cores} cores (${os.cpus()[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load generator, stream holders, probe, API and PostgreSQL share these cores, and so does anyone else's work (load average ${o.loadBefore.toFixed(1)} as the load began)`],
    ['load', `${CONNECTIONS} connections (${load.connectionsAnswered ?? '?'} ever answered), ${load.seconds.toFixed(1)} s (drained), no back-off; ${STREAMS} streams open; limits ${limits()}`],
    ['accepted (2xx)', `${load.ok} = ${rate(load.ok)}/s; p50 ${ms(quantile(load.latencies, 0.5))}, p99 ${ms(quantile(load.latencies, 0.99))}, max ${ms(quantile(load.latencies, 1))}` +
      `; on an open connection (each connection's first answer left out) p50 ${ms(quantile(load.steadyLatencies ?? [], 0.5))}, p99 ${ms(quantile(load.steadyLatencies ?? [], 0.99))}`],
    ['shed (503)', `${shed} = ${rate(shed)}/s, ${pct(shed, answered)} of answers; server says ${shedDelta('community')} per-community, ${shedDelta('process')} per-process, ${shedDelta('database')} database`],
    ['other statuses', others.length === 0 && load.errors === 0 ? 'none' : `${JSON.stringify(Object.fromEntries(others))}; ${load.errors} without an answer: ${JSON.stringify(load.errorKinds ?? {})}`],
    ['spot POSTs (probe process)', `${probed.spot.length} (one each ${SPOT_INTERVAL_MS} ms, Idempotency-Key): ${summarize(probed.spot.map((s) => String(s.status)))}; 503s well-formed ${spotShedWell.length}/${spotShed.length}${probed.spotResolved ? `; ${probed.spotResolved} unanswered asked again after the load` : ''}`],
    ['/health', `${probed.health.length} probes; p50 ${ms(quantile(healthMs, 0.5))}, p99 ${ms(healthP99)}, max ${ms(quantile(healthMs, 1))}; non-200: ${healthBad.length}`],
    ['/health on new connections', freshSummary(probed.health)],
    [`/health, new connection each (${FRESH_INTERVAL_MS} ms)`, `${probed.freshHealth.length} checks; p50 ${ms(quantile(probed.freshHealth.map((h) => h.ms), 0.5))}, p99 ${ms(quantile(probed.freshHealth.map((h) => h.ms), 0.99))}, max ${ms(quantile(probed.freshHealth.map((h) => h.ms), 1))}; TCP connect p99 ${ms(quantile(probed.freshHealth.filter((h) => h.connectMs !== null).map((h) => h.connectMs!), 0.99))}; non-200: ${summarize(probed.freshHealth.filter((h) => h.status !== 200).map((h) => String(h.status)))} (reported, not judged)`],
    ['probe process event loop', `p99 ${ms(probed.loopP99Ms)}, max ${ms(probed.loopMaxMs)} (the probe's own delay, included in the /health figures)`],
    ['streams', `${delivered.openAtEnd}/${STREAMS} open at the end (${delivered.closedEarly} closed early); ${delivered.exact} hold exactly ${o.acknowledged} income.recorded (min ${delivered.min}, max ${delivered.max}) after ${ms(delivered.waitedMs)} of waiting; sample of ${SAMPLE}: ${delivered.sampleGaps} gaps, ${delivered.sampleDuplicates} duplicates`],
    ['books', o.books.every((c) => c.ok) ? `exact: ${o.acknowledged} incomes (${o.warmupOk} warm-up + ${load.ok} load + ${probed.spotCreated} spot), fund ${formatMoney(new Money(AMOUNT).times(o.acknowledged))}, /ledger/verify ok` : 'DO NOT RECONCILE (below)'],
    ['server', `event loop lag p99 ${lagP99 === undefined ? '?' : ms(lagP99 * 1000)}, max ${lagMax === undefined ? '?' : ms(lagMax * 1000)}; group commit ${batchCount} batches, ${(batchSum / Math.max(1, batchCount)).toFixed(1)} incomes each`],
    ['TCP (machine-wide)', `${o.tcp.PassiveOpens ?? '?'} connections accepted, ${o.tcp.ListenOverflows ?? '?'} listen-queue overflows, ${o.tcp.TCPSynRetrans ?? '?'} SYN retransmits during the load`],
    ['CPU during the load', `API ${o.cpu.server}, PostgreSQL ${o.cpu.postgres}, autocannon ${o.cpu.bench}, streams ${o.cpu.streams}, probe ${o.cpu.probe}; other processes ${o.cpu.others}; machine ${o.cpu.machine} busy (in cores of ${cores})`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  console.log(`Overload (bench:overload), ${new Date().toISOString()}, ${os.hostname()}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
  const pass = checks.every((c) => c.ok);
  console.log('');
  console.log(`OVERLOAD: ${pass ? 'PASS' : 'FAIL'}`);
  return pass ? 0 : 1;
}

function freshSummary(health: ProbeResult['health']): string {
  const fresh = health.filter((h) => h.fresh);
  if (fresh.length === 0) return 'none (every probe found an idle keep-alive connection)';
  const connected = fresh.filter((h) => h.connectMs !== null).map((h) => h.connectMs!);
  return `${fresh.length} probes opened a connection (a previous one still unanswered); TCP connect p50 ${ms(quantile(connected, 0.5))}, max ${ms(quantile(connected, 1))}, ${fresh.length - connected.length} never connected; their answers p50 ${ms(quantile(fresh.map((h) => h.ms), 0.5))}`;
}

function limits(): string {
  const pick = (name: string, fallback: string) => `${name}=${process.env[name] ?? `${fallback} (default)`}`;
  return [pick('MAX_IN_FLIGHT', '256'), pick('MAX_IN_FLIGHT_PER_COMMUNITY', '96'), pick('DB_POOL_SIZE', '20')].join(', ');
}

function summarize(values: string[]): string {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.entries(counts).map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');

// ---------------------------------------------------------------------------------------------
// What the server says about itself (GET /metrics, loopback) and what each process spent.

type Metrics = Map<string, number>;

/** PassiveOpens (/proc/net/snmp), ListenOverflows and TCPSynRetrans (/proc/net/netstat). */
function tcpCounters(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    try {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const keys = lines[i]!.split(' ');
        const values = lines[i + 1]!.split(' ');
        for (const name of ['PassiveOpens', 'ListenOverflows', 'TCPSynRetrans']) {
          const at = keys.indexOf(name);
          if (at > 0 && (keys[0] === 'Tcp:' || keys[0] === 'TcpExt:')) out[name] = Number(values[at]);
        }
      }
    } catch {
      // Not Linux.
    }
  }
  return out;
}

type Part = 'server' | 'bench' | 'streams' | 'probe' | 'postgres';
interface CpuSnapshot {
  at: number;
  ticks: Record<Part, number>;
  machineBusy: number;
  machineTotal: number;
}
type CpuDelta = Record<Part | 'others' | 'machine', string>;

const TICKS_PER_SECOND = 100;

function processTicks(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU ticks of the embedded PostgreSQL: every process below this one that is not the API or
 * one of our children (backends that come and go between two readings are missed). NaN with
 * DATABASE_URL, whose server is not ours to measure.
 */
function postgresTicks(exclude: Set<number>): number {
  if (process.env.DATABASE_URL) return Number.NaN;
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // Gone meanwhile.
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (exclude.has(p) || exclude.has(pid)) break;
      if (p === process.pid) {
        total += t;
        break;
      }
    }
  }
  return total;
}

function cpuSnapshot(serverPid: number | undefined, children: ChildProcess[]): CpuSnapshot {
  let machineBusy = Number.NaN;
  let machineTotal = Number.NaN;
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    machineTotal = cpu.reduce((a, b) => a + b, 0);
    machineBusy = machineTotal - cpu[3]! - (cpu[4] ?? 0);
  } catch {
    // Not Linux: no CPU figures.
  }
  return {
    at: performance.now(),
    ticks: {
      server: processTicks(serverPid),
      bench: processTicks(process.pid),
      streams: processTicks(children[0]?.pid),
      probe: processTicks(children[1]?.pid),
      postgres: postgresTicks(new Set([serverPid ?? -1, ...children.map((c) => c.pid ?? -1)])),
    },
    machineBusy,
    machineTotal,
  };
}

function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  const seconds = (b.at - a.at) / 1000;
  const cores = (key: Part) => (b.ticks[key] - a.ticks[key]) / TICKS_PER_SECOND / seconds;
  const show = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '?');
  const machine = ((b.machineBusy - a.machineBusy) / (b.machineTotal - a.machineTotal)) * os.cpus().length;
  const ours = (['server', 'bench', 'streams', 'probe', 'postgres'] as const).reduce((n, k) => n + (Number.isFinite(cores(k)) ? cores(k) : 0), 0);
  return {
    server: show(cores('server')),
    bench: show(cores('bench')),
    streams: show(cores('streams')),
    probe: show(cores('probe')),
    postgres: show(cores('postgres')),
    others: show(Math.max(0, machine - ours)),
    machine: show(machine),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes, spoken to over IPC: one question, one answer.

function startChild(childRole: Role, children: ChildProcess[]): ChildProcess {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, OVERLOAD_BENCH_ROLE: childRole },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}


// ---------------------------------------------------------------------------------------------
// The streams process: holds every stream, reads all of it, counts the items.

interface StreamsOpened {
  opened: number;
  failed: number;
  firstError: string | null;
  ms: number;
}

interface StreamsReport {
  openAtEnd: number;
  closedEarly: number;
  exact: number;
  min: number;
  max: number;
  sampleGaps: number;
  sampleDuplicates: number;
  waitedMs: number;
}

interface HeldStream {
  open: boolean;
  count: number;
  close(): void;
}

const EVENT = Buffer.from('event: income.recorded\n');

function runStreamsChild(): void {
  const held: HeldStream[] = [];
  let sampleGaps = 0;
  let sampleDuplicates = 0;

  const openOne = (url: string, token: string, sampled: boolean): Promise<HeldStream> =>
    new Promise((resolve, reject) => {
      const request = http.request(url, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`stream answered ${response.statusCode}`));
          return;
        }
        const stream: HeldStream = { open: true, count: 0, close: () => request.destroy() };
        // Every stream: count the events, carrying the tail of each chunk so that an event
        // line split across two chunks is counted once.
        let carry: Buffer | null = null;
        // Sampled streams: every `id:` must be the previous plus one (no gap, no duplicate).
        let lastId = 0;
        const readIds = eventIdReader((id) => {
          if (id <= lastId) sampleDuplicates++;
          else if (id !== lastId + 1) sampleGaps++;
          lastId = Math.max(lastId, id);
        });
        response.on('data', (chunk: Buffer) => {
          const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
          for (let at = data.indexOf(EVENT); at !== -1; at = data.indexOf(EVENT, at + EVENT.length)) stream.count++;
          carry = Buffer.from(data.subarray(Math.max(0, data.length - EVENT.length + 1)));
          if (sampled) readIds(chunk);
        });
        const closed = () => {
          stream.open = false;
        };
        response.on('close', closed);
        response.on('error', closed);
        resolve(stream);
      });
      request.on('error', reject);
      request.end();
    });

  answer({
    async open(m: { url: string; token: string; count: number; sample: number }) {
      const started = performance.now();
      let failed = 0;
      let firstError: string | null = null;
      for (let i = 0; i < m.count; i += OPEN_CONCURRENCY) {
        const wave = Array.from({ length: Math.min(OPEN_CONCURRENCY, m.count - i) }, (_, j) => openOne(m.url, m.token, i + j < m.sample));
        for (const result of await Promise.allSettled(wave)) {
          if (result.status === 'fulfilled') held.push(result.value);
          else {
            failed++;
            firstError ??= String(result.reason);
          }
        }
      }
      return { opened: held.length, failed, firstError, ms: performance.now() - started } satisfies StreamsOpened;
    },
    async await(m: { expected: number; timeoutMs: number }) {
      const started = performance.now();
      const done = () => held.every((s) => !s.open || s.count >= m.expected);
      while (!done() && performance.now() - started < m.timeoutMs) await new Promise((r) => setTimeout(r, 100));
      // A moment more, so that a duplicate arriving late is seen too.
      await new Promise((r) => setTimeout(r, 500));
      const counts = held.map((s) => s.count);
      const report: StreamsReport = {
        openAtEnd: held.filter((s) => s.open).length,
        closedEarly: held.filter((s) => !s.open).length,
        exact: held.filter((s) => s.open && s.count === m.expected).length,
        min: counts.length ? Math.min(...counts) : 0,
        max: counts.length ? Math.max(...counts) : 0,
        sampleGaps,
        sampleDuplicates,
        waitedMs: performance.now() - started,
      };
      for (const s of held) s.close();
      return report;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The probe process: /health every interval, as a load balancer would, plus a few POSTs to
// see a shed answer whole (status, problem code, Retry-After).

interface HealthSample {
  at: number;
  ms: number;
  status: number | string;
  /** No idle keep-alive connection was at hand: this check opened one. */
  fresh: boolean;
  /** How long the TCP connect took, when the check opened a connection. */
  connectMs: number | null;
}

interface ProbeResult {
  /** `at`: ms from the start of probing. */
  health: HealthSample[];
  /** The same check on a new connection each time, every FRESH_INTERVAL_MS. */
  freshHealth: HealthSample[];
  spot: { at: number; status: number | string; retryAfter: string | null; contentType: string | null; code: string | null }[];
  /** Incomes the spot POSTs created, each key counted once (after asking again where unanswered). */
  spotCreated: number;
  /** Spot POSTs left unanswered during the load and asked again afterwards. */
  spotResolved: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

function runProbeChild(): void {
  const agent = new http.Agent({ keepAlive: true });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const result: ProbeResult = { health: [], freshHealth: [], spot: [], spotCreated: 0, spotResolved: 0, loopP99Ms: Number.NaN, loopMaxMs: Number.NaN };
  let origin = 0;
  let spotTarget: { incomeUrl: string; token: string; body: string } | undefined;
  const pending = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  // A load balancer's check: one GET, given up (and counted as a failure) after 5 s.
  const health = (baseUrl: string, into: HealthSample[], viaAgent: http.Agent | false) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      let done = false;
      let fresh = false;
      let connectMs: number | null = null;
      const record = (status: number | string) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        into.push({ at: started - origin, ms: performance.now() - started, status, fresh, connectMs });
        resolve();
      };
      const request = http.get(`${baseUrl}/health`, { agent: viaAgent }, (response) => {
        response.resume();
        response.on('end', () => record(response.statusCode ?? 0));
        response.on('error', (e) => record(`error ${e.message}`));
      });
      const deadline = setTimeout(() => {
        record('timeout');
        request.destroy();
      }, HEALTH_TIMEOUT_MS);
      request.on('error', (e) => record(`error ${e.message}`));
      // A probe that finds no idle keep-alive connection opens one: note how long that took.
      request.on('socket', (socket) => {
        if (request.reusedSocket) return;
        fresh = true;
        socket.once('connect', () => (connectMs = performance.now() - started));
      });
    });

  // Each spot POST carries an Idempotency-Key, so one left unanswered (a timeout, a reset) is
  // asked again after the load until its outcome is known: the books stay exactly checkable.
  let spotSeq = 0;
  const unresolved: string[] = [];
  const post = async (incomeUrl: string, token: string, body: string, key: string): Promise<ProbeResult['spot'][number]> => {
    const at = performance.now() - origin;
    try {
      const reply = await fetch(incomeUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await reply.text();
      let code: string | null = null;
      try {
        code = (JSON.parse(text) as { code?: string }).code ?? null;
      } catch {
        // Not JSON: left null, and reported.
      }
      return { at, status: reply.status, retryAfter: reply.headers.get('retry-after'), contentType: reply.headers.get('content-type'), code };
    } catch (error) {
      return { at, status: `error ${(error as Error).message}`, retryAfter: null, contentType: null, code: null };
    }
  };
  const spot = async (incomeUrl: string, token: string, body: string) => {
    const key = `overload-spot-${process.pid}-${++spotSeq}`;
    const outcome = await post(incomeUrl, token, body, key);
    result.spot.push(outcome);
    if (outcome.status === 201) result.spotCreated++;
    else if (typeof outcome.status === 'string') unresolved.push(key);
  };
  const resolve = async (incomeUrl: string, token: string, body: string) => {
    for (const key of unresolved) {
      for (let attempt = 0; ; attempt++) {
        const outcome = await post(incomeUrl, token, body, key);
        if (outcome.status === 201) result.spotCreated++;
        if (typeof outcome.status === 'number' && outcome.status !== 503) break;
        if (attempt >= 20) throw new Error(`spot POST ${key}: outcome still unknown (${outcome.status})`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    result.spotResolved = unresolved.length;
  };

  answer({
    async ready() {
      return {};
    },
    async start(m: { baseUrl: string; intervalMs: number; incomeUrl: string; token: string; body: string }) {
      spotTarget = m;
      loop.enable();
      origin = performance.now();
      timers.push(setInterval(() => track(health(m.baseUrl, result.health, agent)), m.intervalMs));
      timers.push(setInterval(() => track(health(m.baseUrl, result.freshHealth, false)), FRESH_INTERVAL_MS));
      timers.push(setInterval(() => track(spot(m.incomeUrl, m.token, m.body)), SPOT_INTERVAL_MS));
      return {};
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...pending]);
      await resolve(spotTarget!.incomeUrl, spotTarget!.token, spotTarget!.body);
      loop.disable();
      result.loopP99Ms = loop.percentile(99) / 1e6;
      result.loopMaxMs = loop.max / 1e6;
      agent.destroy();
      return result;
    },
  });
}

function envNumber(name: string, fallback: number, zeroAllowed = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${raw}`);
  return value;
}
