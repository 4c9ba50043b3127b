import os from 'node:os';
import type { PartOutcome } from './support/common.js';

/**
 * `npm run bench`: issue #16's four measurements, in order, each on a fresh stack (an
 * embedded PostgreSQL in a temp dir, or DATABASE_URL with ADMIN_PASSWORD, and the API as
 * `npm start` runs it, in child processes):
 *
 *   hot        the three-way comparison: POST /income vs one and 50 postings per transaction
 *              straight through `pg` (bench/parts/hot.ts)
 *   money      every money write through HTTP on one hot community: fee payments, spend
 *              submissions, approvals, payouts (bench/parts/money.ts)
 *   city       1,000 communities writing at once with 1,000 SSE subscribers (bench/parts/city.ts)
 *   processes  1, 2 and 4 API processes on one database (bench/parts/processes.ts)
 *
 * BENCH_PARTS=hot,money chooses (`npm run bench:hot` and its siblings run one). Targets are
 * printed PASS/FAIL and never enforced: the exit status is 1 only when some books do not
 * reconcile, 2 when a part broke. Each part's file names its own knobs. For all of them:
 * BENCH_CPU_PROF=1 (or a directory) runs every API process under `--cpu-prof` and prints
 * where the profiles went; BENCH_PG_STAT=1 prints the database's top statements over each
 * part's measured phases (pg_stat_statements, loaded into the embedded PostgreSQL by the
 * bench); BENCH_PASSWORD_HASH_COST (10) is the API's scrypt cost.
 */
const PARTS: Record<string, () => Promise<(log: (m: string) => void) => Promise<PartOutcome>>> = {
  hot: async () => (await import('./parts/hot.js')).runHot,
  money: async () => (await import('./parts/money.js')).runMoney,
  city: async () => (await import('./parts/city.js')).runCity,
  processes: async () => (await import('./parts/processes.js')).runProcesses,
};

async function main(): Promise<number> {
  const chosen = (process.env.BENCH_PARTS ?? Object.keys(PARTS).join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = chosen.filter((p) => !(p in PARTS));
  if (unknown.length > 0) throw new Error(`BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(PARTS).join(', ')}`);

  const started = Date.now();
  console.log(`[bench] ${new Date().toISOString()}: parts ${chosen.join(', ')}`);
  const results: Array<{ part: string; outcome?: PartOutcome; error?: unknown; seconds: number; at: string; load: string }> = [];
  for (const part of chosen) {
    const log = (m: string) => console.log(`[bench:${part}] ${m}`);
    const t0 = Date.now();
    // Other work on the machine (the load average) decides much of what a part measures.
    const at = new Date().toISOString();
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    log(`--- ${part} --- ${at}, load average ${load} on ${os.cpus().length} cores`);
    try {
      const run = await PARTS[part]!();
      results.push({ part, outcome: await run(log), seconds: (Date.now() - t0) / 1000, at, load });
    } catch (error) {
      console.error(`[bench:${part}] BROKE:`, error);
      results.push({ part, error, seconds: (Date.now() - t0) / 1000, at, load });
    }
  }

  console.log(`\n========== summary (${((Date.now() - started) / 1000).toFixed(0)} s, finished ${new Date().toISOString()}) ==========`);
  for (const r of results) {
    console.log(`\n[${r.part}] (started ${r.at}, ${r.seconds.toFixed(0)} s; load average then ${r.load})`);
    if (r.outcome) console.log(r.outcome.summary.map((l) => `  ${l}`).join('\n'));
    else console.log(`  BROKE: ${String((r.error as Error)?.message ?? r.error)}`);
  }
  if (results.some((r) => r.error)) return 2;
  return results.every((r) => r.outcome!.booksOk) ? 0 : 1;
}

const stopOnSignal = () => process.exit(130);
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench] FAILED:', error);
    process.exit(2);
  },
);
