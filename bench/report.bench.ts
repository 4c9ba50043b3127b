import { sql } from 'kysely';
import { createDatabase } from '../src/db/database.js';
import { formatMoney, Money } from '../src/shared/money.js';
import { api, createCommunity, login } from './support/api.js';
import { startStack } from './support/stack.js';
import { BULK_FILL_TOTALS } from './support/common.js';
import { quantile } from './support/stats.js';

/**
 * `npm run bench:report`: a community with ENTRIES (default 1,000,000) real journal entries,
 * then the latency of `GET /budgets/{year}/report` and `GET /fund` over REQUESTS (default 300)
 * sequential requests each, after a warm-up. Target: p50 under 20 ms, flat in the size of the
 * ledger, because both read stored totals (accounts, account_months) and never scan postings.
 *
 * The entries are posted by the ledger's own `ledger_post` function, 10,000 per SQL statement
 * (`SELECT ledger_post(...) FROM generate_series(...)`): real entries with real postings,
 * hash chain and monthly aggregates, exactly what the API would have written, only faster.
 * Four in five are incomes across 2026, one in five an expense. The API runs in a child
 * process (bench/support/stack.ts) on an embedded PostgreSQL or DATABASE_URL.
 */
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const BATCH = 10_000;
const YEAR = 2026;

async function main(): Promise<number> {
  const log = (m: string) => console.log(`[bench:report] ${m}`);
  const stack = await startStack(log);
  try {
    const admin = await login(stack.baseUrl, 'admin', stack.adminPassword);
    const community = await createCommunity(stack.baseUrl, admin, 'report', true);
    const manager = api(stack.baseUrl, community.managerToken);
    await put(stack.baseUrl, community.managerToken!, `/v1/communities/${community.id}/budgets/${YEAR}`, {
      lines: [
        { account: '4101', amount: '5000000' },
        { account: '4199', amount: '1000000' },
        { account: '5102', amount: '800000' },
        { account: '5105', amount: '300000' },
      ],
    });

    await generate(stack.databaseUrl, community.id, log);

    const report = `/v1/communities/${community.id}/budgets/${YEAR}/report`;
    const fund = `/v1/communities/${community.id}/fund`;
    const reportMs = await measure(stack.baseUrl, community.managerToken!, report);
    const fundMs = await measure(stack.baseUrl, community.managerToken!, fund);

    // The figures must still reconcile: the year's actuals are every posting of the year.
    const body = await manager<any>('GET', report);
    const accounts = await manager<any>('GET', `/v1/communities/${community.id}/accounts`);
    const balance = (code: string) => accounts.items.find((a: any) => a.code === code).balance as string;
    const reconciled = body.lines.every((l: any) => l.actual === balance(l.account));
    const income = body.lines.filter((l: any) => l.type === 'income').reduce((s: Money, l: any) => s.plus(l.actual), new Money(0));
    const expense = new Money(body.totals.actual);
    const fundBalance = (await manager<any>('GET', fund)).balance;
    let verified = 'skipped (BENCH_VERIFY=1 to run)';
    if (process.env.BENCH_VERIFY === '1') {
      const t = performance.now();
      const v = await manager<any>('GET', `/v1/communities/${community.id}/ledger/verify`);
      verified = `${v.ok ? 'ok' : `FAILED: ${v.problems.slice(0, 3).join('; ')}`} (${v.entries} entries in ${((performance.now() - t) / 1000).toFixed(1)} s)`;
    }

    console.log('');
    console.log(`entries in the community       ${ENTRIES.toLocaleString('en')}`);
    console.log(`GET /budgets/${YEAR}/report   p50 ${reportMs.p50.toFixed(2)} ms, p99 ${reportMs.p99.toFixed(2)} ms, mean ${reportMs.mean.toFixed(2)} ms over ${REQUESTS} (target p50 < 20 ms)`);
    console.log(`GET /fund                     p50 ${fundMs.p50.toFixed(2)} ms, p99 ${fundMs.p99.toFixed(2)} ms, mean ${fundMs.mean.toFixed(2)} ms over ${REQUESTS} (target p50 < 20 ms)`);
    console.log(`report reconciles to /accounts ${reconciled ? 'yes' : 'NO'}; income ${formatMoney(income)} - spending ${formatMoney(expense)} = fund ${fundBalance}: ${income.minus(expense).eq(fundBalance) ? 'yes' : 'NO'}`);
    console.log(`GET /ledger/verify             ${verified}`);
    return !verified.startsWith('FAILED') && reconciled && income.minus(expense).eq(fundBalance) ? 0 : 1;
  } catch (error) {
    console.error(error);
    return 1;
  } finally {
    await stack.close();
  }
}

/**
 * Writes ENTRIES entries, BATCH per transaction, the way `ledger_post` writes one: the same
 * canonical text and SHA-256 hash chain, postings, balances, monthly aggregates and head. One
 * `ledger_post` call per entry updates the same hot rows (head, fund, month) a million times,
 * which runs at a few hundred entries a second on this machine class; here each batch inserts
 * its entries and postings row by row and then adds up the stored totals once. The result is
 * checked by /ledger/verify (BENCH_VERIFY=1) against the server's own hash code.
 */
async function generate(databaseUrl: string, communityId: string, log: (m: string) => void): Promise<void> {
  const db = createDatabase(databaseUrl, 1);
  const started = performance.now();
  try {
    await db.connection().execute(async (session) => {
      await sql.raw(FILL_FUNCTION).execute(session);
      for (let done = 0; done < ENTRIES; done += BATCH) {
        const n = Math.min(BATCH, ENTRIES - done);
        await sql`SELECT pg_temp.bench_fill(${communityId}, ${done + 1}::int, ${done + n}::int)`.execute(session);
        if (done === 0) await sql`ANALYZE entries, postings`.execute(session);
        if ((done + n) % 100_000 === 0 || done + n === ENTRIES) {
          const seconds = (performance.now() - started) / 1000;
          log(`${(done + n).toLocaleString('en')} entries written (${Math.round((done + n) / seconds).toLocaleString('en')}/s)`);
        }
      }
      await sql`ANALYZE`.execute(session);
    });
  } finally {
    await db.destroy();
  }
}

/** Mirrors ledger_post (migrations/2026-11-23T1830_ledger.ts) for two-line entries, in bulk. */
const FILL_FUNCTION = `
CREATE FUNCTION pg_temp.bench_fill(p_community text, p_from int, p_to int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  head community_heads%ROWTYPE;
  tz text;
  s bigint; h text; prev text; i int; kind text; occurred timestamptz; recorded timestamptz;
  id text; acct text; amt text; dr text; cr text; canonical text;
BEGIN
  -- Writes the ledger as ledger_post does, so it says it is a posting (migration money_guards).
  PERFORM set_config('xinyi.posting', 'on', true);
  SELECT * INTO head FROM community_heads WHERE community_id = p_community FOR UPDATE;
  SELECT timezone INTO tz FROM communities WHERE communities.id = p_community;
  s := head.entry_seq; h := head.entry_hash;
  FOR i IN p_from..p_to LOOP
    s := s + 1; prev := h; id := gen_random_uuid()::text;
    -- Spread over 300 days from 1 January 2026 (Asia/Shanghai): every entry falls in 2026.
    occurred := date_trunc('milliseconds', timestamptz '2025-12-31 16:00:00+00' + ((i::bigint * 7919) % 25920000) * interval '1 second');
    recorded := date_trunc('milliseconds', clock_timestamp());
    IF i % 5 = 0 THEN
      kind := 'payout'; acct := (ARRAY['5102', '5105', '5199'])[1 + i % 3];
      amt := ((1 + i % 50)::numeric + 0.25)::numeric(20, 2)::text; dr := acct; cr := '1001';
    ELSE
      kind := 'income'; acct := (ARRAY['4101', '4102', '4103', '4199'])[1 + i % 4];
      amt := ((100 + i % 900)::numeric + 0.10)::numeric(20, 2)::text; dr := '1001'; cr := acct;
    END IF;
    canonical := 'xinyi-ledger/v1;' || ledger_field(p_community) || ledger_field(s::text) || ledger_field(id)
      || ledger_field(kind) || ledger_field('bench') || ledger_field(NULL) || ledger_field(NULL)
      || ledger_field(ledger_time(occurred)) || ledger_field(ledger_time(recorded))
      || ledger_field(NULL) || ledger_field(prev)
      || ledger_field(dr) || ledger_field(amt) || ledger_field('0.00')
      || ledger_field(cr) || ledger_field('0.00') || ledger_field(amt);
    h := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
    INSERT INTO entries (community_id, seq, id, kind, memo, source_type, source_id, occurred_at, recorded_at, reverses_seq, prev_hash, hash)
    VALUES (p_community, s, id, kind, 'bench', NULL, NULL, occurred, recorded, NULL, prev, h);
    INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
    VALUES (p_community, s, 1, dr, amt::numeric, 0), (p_community, s, 2, cr, 0, amt::numeric);
  END LOOP;
${BULK_FILL_TOTALS}`;

async function put(baseUrl: string, token: string, route: string, body: unknown): Promise<void> {
  const reply = await fetch(`${baseUrl}${route}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (reply.status !== 200) throw new Error(`PUT ${route} answered ${reply.status} ${await reply.text()}`);
}

async function measure(baseUrl: string, token: string, route: string) {
  const headers = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 30; i++) await (await fetch(`${baseUrl}${route}`, { headers })).text();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const reply = await fetch(`${baseUrl}${route}`, { headers });
    await reply.text();
    if (reply.status !== 200) throw new Error(`${route} answered ${reply.status}`);
    times.push(performance.now() - t);
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

void main().then((code) => process.exit(code));
