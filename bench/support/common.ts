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
 * BENCH_PG_STAT=1: the statements that took the database's time during chosen windows of a
 * part (one measured phase, or only the API's slices of an interleaved run), from
 * pg_stat_statements when the stack could load it (snapshots before and after each window,
 * the differences summed), otherwise from the cumulative statistics that need no extension:
 * PL/pgSQL functions (when track_functions is on) and rows written per table.
 */
export class PgStatWindow {
  private readonly totals = new Map<string, { calls: number; ms: number; rows: number; text: string }>();
  private started: Map<string, { calls: number; ms: number; rows: number; text: string }> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly extension: boolean,
  ) {}

  get enabled(): boolean {
    return process.env.BENCH_PG_STAT === '1';
  }

  async begin(): Promise<void> {
    if (this.enabled) this.started = await this.snapshot();
  }

  async end(): Promise<void> {
    if (!this.enabled || !this.started) return;
    const now = await this.snapshot();
    for (const [key, value] of now) {
      const before = this.started.get(key);
      const sum = this.totals.get(key) ?? { calls: 0, ms: 0, rows: 0, text: value.text };
      sum.calls += value.calls - (before?.calls ?? 0);
      sum.ms += value.ms - (before?.ms ?? 0);
      sum.rows += value.rows - (before?.rows ?? 0);
      this.totals.set(key, sum);
    }
    this.started = undefined;
  }

  print(log: Log, title: string, top = envNumber('BENCH_PG_STAT_TOP', 15)): void {
    if (!this.enabled) return;
    const rows = [...this.totals.entries()].filter(([, v]) => v.calls > 0 || v.rows > 0);
    if (this.extension) {
      // The statements the API sent (top level) say what a request costs; the nested ones,
      // run inside functions and triggers, say where a function's time goes.
      for (const level of ['true', 'false']) {
        log(`pg_stat_statements over ${title}, ${level === 'true' ? 'statements sent by clients' : 'statements run inside functions and triggers'}, top ${top} by total execution time (a lock wait counts as execution):`);
        const ofLevel = rows.filter(([key]) => key.split(':')[1] === level);
        for (const [, v] of ofLevel.sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
          console.log(`    ${v.ms.toFixed(1).padStart(10)} ms  ${String(v.calls).padStart(8)} calls  ${(v.ms / Math.max(1, v.calls)).toFixed(3).padStart(8)} ms/call  ${v.text.slice(0, 170)}`);
        }
      }
      return;
    }
    log(`pg_stat_statements could not be loaded; over ${title}, PL/pgSQL functions by total time (empty unless track_functions is on) and tables by rows written:`);
    for (const [key, v] of rows.filter(([k]) => k.startsWith('f:')).sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
      console.log(`    ${v.ms.toFixed(1).padStart(10)} ms  ${String(v.calls).padStart(8)} calls  ${key.slice(2)}`);
    }
    for (const [key, v] of rows.filter(([k]) => k.startsWith('t:')).sort((a, b) => b[1].rows - a[1].rows).slice(0, top)) {
      console.log(`    ${String(v.rows).padStart(10)} rows inserted or updated  ${key.slice(2)}`);
    }
  }

  private snapshot() {
    return withClient(this.databaseUrl, async (client) => {
      const out = new Map<string, { calls: number; ms: number; rows: number; text: string }>();
      if (this.extension) {
        const { rows } = await client.query<{ key: string; calls: string; ms: string; rows: string; query: string }>(
          `SELECT queryid::text || ':' || toplevel::text || ':' || dbid::text || ':' || userid::text AS key, calls, total_exec_time AS ms, rows,
                  regexp_replace(query, '\\s+', ' ', 'g') AS query
             FROM pg_stat_statements`,
        );
        for (const r of rows) out.set(r.key, { calls: Number(r.calls), ms: Number(r.ms), rows: Number(r.rows), text: r.query });
        return out;
      }
      const functions = await client.query<{ funcname: string; calls: string; ms: string }>('SELECT funcname, calls, total_time AS ms FROM pg_stat_user_functions');
      for (const r of functions.rows) out.set(`f:${r.funcname}`, { calls: Number(r.calls), ms: Number(r.ms), rows: 0, text: r.funcname });
      const tables = await client.query<{ relname: string; n: string }>('SELECT relname, n_tup_ins + n_tup_upd AS n FROM pg_stat_user_tables');
      for (const r of tables.rows) out.set(`t:${r.relname}`, { calls: 0, ms: 0, rows: Number(r.n), text: r.relname });
      return out;
    });
  }
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

/**
 * The end of a bench's bulk writer (a pg_temp PL/pgSQL function that writes entries straight,
 * as ledger_post would, with `head` the community's head before them, `s` and `h` the last
 * seq and hash, `tz` its time zone): the balances, the monthly totals and the head, moved
 * once for the batch.
 */
export const BULK_FILL_TOTALS = `
  -- EXECUTE plans these afresh each batch: a plan cached while the tables were empty would
  -- scan every posting written since.
  EXECUTE 'UPDATE accounts a SET balance = a.balance + d.delta
             FROM (SELECT account_code, sum(debit - credit) AS delta FROM postings
                    WHERE community_id = $1 AND entry_seq > $2 GROUP BY 1) d
            WHERE a.community_id = $1 AND a.code = d.account_code' USING p_community, head.entry_seq;
  EXECUTE 'INSERT INTO account_months AS m (community_id, account_code, month, debit, credit)
           SELECT $1, p.account_code, date_trunc(''month'', e.occurred_at AT TIME ZONE $3)::date, sum(p.debit), sum(p.credit)
             FROM postings p JOIN entries e ON e.community_id = p.community_id AND e.seq = p.entry_seq
            WHERE p.community_id = $1 AND p.entry_seq > $2 AND e.seq > $2
            GROUP BY 2, 3
           ON CONFLICT (community_id, account_code, month)
           DO UPDATE SET debit = m.debit + EXCLUDED.debit, credit = m.credit + EXCLUDED.credit' USING p_community, head.entry_seq, tz;
  UPDATE community_heads SET entry_seq = s, entry_hash = h WHERE community_id = p_community;
  RETURN s;
END $$`;
