import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Money } from '../../src/shared/money.js';
import type { StackOptions } from './stack.js';
import { quantile } from './stats.js';

/** What every part of `npm run bench` hands back to the orchestrator. */
export interface PartOutcome {
  /** False when the books did not reconcile. */
  booksOk: boolean;
  /** The part's summary lines, printed again at the end of the whole run. */
  summary: string[];
}

export type Log = (message: string) => void;

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export const equal = (what: string, actual: unknown, expected: unknown): Check => ({
  what,
  ok: actual === expected,
  detail: actual === expected ? String(actual) : `got ${String(actual)}, expected ${String(expected)}`,
});

export const truth = (what: string, ok: boolean, detail: string): Check => ({ what, ok, detail });

export function printChecks(checks: readonly Check[]): string[] {
  return checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
}

/** An exact sum of money strings (decimal.js, never a JS number), shown with two decimals. */
export function moneySum(values: Iterable<string | Money>): Money {
  let total = new Money(0);
  for (const v of values) total = total.plus(v);
  return total;
}

export const fixed2 = (value: Money | string) => new Money(value).toFixed(2);

export function envNumber(name: string, fallback: number, options: { zeroAllowed?: boolean; max?: number } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!options.zeroAllowed && value === 0) || value > (options.max ?? 1e9)) {
    throw new Error(`${name} must be a ${options.zeroAllowed ? 'non-negative' : 'positive'} number${options.max ? ` up to ${options.max}` : ''}, got ${raw}`);
  }
  return value;
}

export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
export const rate = (count: number, seconds: number) => (seconds > 0 ? (count / seconds).toFixed(1) : 'n/a');
export const latency = (values: readonly number[]) => `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))}`;
export const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/**
 * The options every part gives its stack: the scrypt cost of passwords (10 unless
 * BENCH_PASSWORD_HASH_COST says otherwise, as bench:feed does: setting up a thousand managers
 * at the production cost of 15 takes minutes, and only approvals verify a password while
 * measured), `--cpu-prof` under BENCH_CPU_PROF, pg_stat_statements under BENCH_PG_STAT.
 */
export function stackOptions(part: string, extra: StackOptions = {}): StackOptions {
  const env: Record<string, string> = { PASSWORD_HASH_COST: String(passwordHashCost()), ...extra.serverEnv };
  const dir = cpuProfileDir(part);
  return {
    ...extra,
    serverEnv: env,
    serverNodeArgs: [...(extra.serverNodeArgs ?? []), ...(dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])],
    pgStatStatements: process.env.BENCH_PG_STAT === '1',
  };
}

export const passwordHashCost = () => envNumber('BENCH_PASSWORD_HASH_COST', 10, { max: 20 });

let profileRoot: string | undefined;
/** BENCH_CPU_PROF=1 (a fresh temp dir) or BENCH_CPU_PROF=<dir>: where a part's API profiles go. */
export function cpuProfileDir(part: string): string | undefined {
  const setting = process.env.BENCH_CPU_PROF;
  if (!setting || setting === '0') return undefined;
  profileRoot ??= setting === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'xinyi-bench-profiles-')) : path.resolve(setting);
  const dir = path.join(profileRoot, part);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** After the part's servers stopped: where their profiles went. */
export function reportProfiles(part: string, log: Log): void {
  const dir = cpuProfileDir(part);
  if (!dir) return;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  log(`CPU profile${files.length === 1 ? '' : 's'} of the API: ${files.map((f) => path.join(dir, f)).join(', ') || `none written in ${dir}`}` +
    ' (open in Chrome DevTools > Performance, or speedscope)');
}

/**
 * BENCH_PG_STAT=1: the statements that took the database's time during a part's measured
 * phases, from pg_stat_statements when the stack could load it, otherwise from the
 * cumulative statistics (functions and tables) that need no extension.
 */
export async function pgStatReset(databaseUrl: string, extension: boolean): Promise<void> {
  if (process.env.BENCH_PG_STAT !== '1') return;
  await withClient(databaseUrl, async (client) => {
    if (extension) await client.query('SELECT pg_stat_statements_reset()');
    await client.query('SELECT pg_stat_reset()');
  });
}

export async function pgStatReport(databaseUrl: string, extension: boolean, log: Log, top = 15): Promise<void> {
  if (process.env.BENCH_PG_STAT !== '1') return;
  await withClient(databaseUrl, async (client) => {
    if (extension) {
      const { rows } = await client.query<{ calls: string; total: string; mean: string; rows: string; query: string }>(
        `SELECT calls, round(total_exec_time::numeric, 1) AS total, round(mean_exec_time::numeric, 3) AS mean, rows,
                regexp_replace(query, '\\s+', ' ', 'g') AS query
           FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1`,
        [top],
      );
      log(`pg_stat_statements, top ${top} by total execution time (track = all: statements inside functions too):`);
      for (const r of rows) console.log(`    ${String(r.total).padStart(10)} ms  ${String(r.calls).padStart(8)} calls  ${String(r.mean).padStart(8)} ms/call  ${r.query.slice(0, 160)}`);
      return;
    }
    const functions = await client.query<{ funcname: string; calls: string; total: string; self: string }>(
      `SELECT funcname, calls, round(total_time::numeric, 1) AS total, round(self_time::numeric, 1) AS self
         FROM pg_stat_user_functions ORDER BY total_time DESC LIMIT $1`,
      [top],
    );
    log('pg_stat_statements not loaded: PL/pgSQL functions by total time (needs track_functions; empty when off)');
    for (const r of functions.rows) console.log(`    ${String(r.total).padStart(10)} ms (self ${r.self})  ${String(r.calls).padStart(8)} calls  ${r.funcname}`);
    const tables = await client.query<{ relname: string; ins: string; upd: string; seq: string; idx: string }>(
      `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, seq_scan AS seq, idx_scan AS idx
         FROM pg_stat_user_tables ORDER BY n_tup_ins + n_tup_upd DESC LIMIT $1`,
      [top],
    );
    log('tables by rows written:');
    for (const r of tables.rows) console.log(`    ${r.relname.padEnd(32)} ins ${String(r.ins).padStart(8)}  upd ${String(r.upd).padStart(8)}  seq scans ${r.seq}  idx scans ${r.idx}`);
  });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}

/** The API's Prometheus metrics as `name{labels}` -> value (empty when /metrics cannot be read). */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const headers: Record<string, string> = process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {};
    const reply = await fetch(`${baseUrl}/metrics`, { headers, signal: AbortSignal.timeout(10_000) });
    if (reply.status !== 200) return out;
    for (const line of (await reply.text()).split('\n')) {
      if (line.startsWith('#') || line === '') continue;
      const space = line.lastIndexOf(' ');
      out.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  } catch {
    // Diagnostics only.
  }
  return out;
}

/** Load shed at the door over a phase, by the API's own reason (503s not counted here came from deeper: a pool wait or a full queue). */
export function shedReasons(before: Map<string, number>, after: Map<string, number>): string {
  const reasons = ['process', 'community', 'database', 'streams'].map((reason) => {
    const key = `xinyi_shed_requests_total{reason="${reason}"}`;
    return [reason, (after.get(key) ?? 0) - (before.get(key) ?? 0)] as const;
  });
  return reasons.map(([r, n]) => `${r} ${n}`).join(', ');
}
