import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import { assert } from '../../shared/errors.js';
import { DEFAULT_CHART, FUND_ACCOUNT, GENESIS_HASH } from './ledger.chart.js';
import type { AccountType } from './ledger.schemas.js';
import type { LedgerTables } from './ledger.tables.js';

/**
 * The ledger's SQL, on its own tables only (ledger.tables.ts): accounts, the head, and entries
 * and postings as they are read. Writing them (postings, incomes, feed items) is
 * ledger.posting.repository.ts; the outbox reads the feed asks for and the export's cursor
 * have files of their own (ledger.feed.repository.ts, ledger.journal.repository.ts).
 */
type Db = Executor<LedgerTables>;
type LedgerTx = Tx<LedgerTables>;

export async function insertDefaultChart(tx: LedgerTx, communityId: string): Promise<void> {
  await tx.insertInto('community_heads').values({ community_id: communityId, entry_hash: GENESIS_HASH }).execute();
  await tx
    .insertInto('accounts')
    .values(
      DEFAULT_CHART.map((a) => ({ community_id: communityId, code: a.code, name: a.name, type: a.type, has_floor: a.code === FUND_ACCOUNT })),
    )
    .execute();
}

export function insertAccount(tx: LedgerTx, communityId: string, account: { code: string; name: string; type: AccountType }) {
  return tx
    .insertInto('accounts')
    .values({ community_id: communityId, code: account.code, name: account.name, type: account.type })
    .returning(['code', 'name', 'type', 'balance'])
    .executeTakeFirstOrThrow();
}

export function listAccounts(db: Db, communityId: string) {
  return db
    .selectFrom('accounts')
    .select(['code', 'name', 'type', 'balance', 'reserved'])
    .where('community_id', '=', communityId)
    .orderBy('code')
    .execute();
}

export function findAccount(db: Db, communityId: string, code: string) {
  return db
    .selectFrom('accounts')
    .select(['code', 'name', 'type', 'balance', 'reserved'])
    .where('community_id', '=', communityId)
    .where('code', '=', code)
    .executeTakeFirst();
}

/**
 * Accounts of several communities in one query, each looked up by its own community and code
 * (a lane's batch of spend submissions): in the order asked, undefined where there is none.
 */
export async function findAccountsEach(db: Db, asks: ReadonlyArray<{ communityId: string; code: string }>) {
  type Found = NonNullable<Awaited<ReturnType<typeof findAccount>>>;
  if (asks.length === 0) return [];
  const { rows } = await sql<{ [K in keyof Found]: Found[K] | null }>`
    SELECT a.code, a.name, a.type, a.balance, a.reserved
      FROM unnest(${asks.map((a) => a.communityId)}::text[], ${asks.map((a) => a.code)}::text[]) WITH ORDINALITY AS w(community_id, code, ord)
      LEFT JOIN accounts a ON a.community_id = w.community_id AND a.code = w.code
     ORDER BY w.ord`.execute(db);
  return rows.map((r): Found | undefined => (r.code === null ? undefined : (r as Found)));
}

/** The fund account and the ledger head, read together in one snapshot. */
export function readFund(db: Db, communityId: string) {
  return db
    .selectFrom('accounts as a')
    .innerJoin('community_heads as h', 'h.community_id', 'a.community_id')
    .select(['a.balance', 'a.reserved', 'h.entry_seq', 'h.entry_hash', sql<Date>`now()`.as('as_of')])
    .where('a.community_id', '=', communityId)
    .where('a.code', '=', FUND_ACCOUNT)
    .executeTakeFirst();
}

/**
 * Locks the community's head row: the first lock of every writer, which fixes the lock order
 * (head, then accounts by code) and serializes the community's writers.
 */
export async function lockHead(tx: LedgerTx, communityId: string) {
  return tx
    .selectFrom('community_heads')
    .selectAll()
    .where('community_id', '=', communityId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/**
 * Moves money between the fund's balance and its reservations. The database refuses a
 * reservation above what is available (constraint available_not_negative).
 */
export async function changeReserved(tx: LedgerTx, communityId: string, delta: string): Promise<void> {
  await sql`UPDATE accounts SET reserved = reserved + ${delta}::numeric
             WHERE community_id = ${communityId} AND code = ${FUND_ACCOUNT}`.execute(tx);
}

/**
 * Which entries a page lists: its order, and the local days (YYYY-MM-DD, inclusive) they
 * occurred on, in `timezone` (the community's), which a day filter needs.
 */
export interface EntryFilter {
  order?: 'asc' | 'desc';
  from?: string | undefined;
  to?: string | undefined;
  timezone?: string;
}

/**
 * A page of entries by seq: those after `position`, oldest first, or with `order` desc those
 * before it (from the newest when it is null), newest first. `from` and `to` are days in the
 * community's time zone, turned into instants by the database.
 */
export function entriesPage(db: Db, communityId: string, position: number | null, limit: number, filter: EntryFilter = {}) {
  const desc = filter.order === 'desc';
  const startOf = (day: string, plusDays: number) => {
    assert(filter.timezone !== undefined, 'a day filter comes with the community\'s time zone');
    return sql`((${day}::date + ${plusDays}::int)::timestamp AT TIME ZONE ${filter.timezone}::text)`;
  };
  return db
    .selectFrom('entries as e')
    .select([
      'e.seq', 'e.id', 'e.kind', 'e.memo', 'e.source_type', 'e.source_id', 'e.occurred_at', 'e.recorded_at',
      'e.reverses_seq', 'e.prev_hash', 'e.hash',
      // A subquery on the whole primary key, not a join: with a join, stale statistics (a
      // young community's table) led the planner to scan every entry of the community once
      // per row of the page; the subquery can only be a key lookup.
      (eb) =>
        eb
          .selectFrom('entries as r')
          .select('r.id')
          .whereRef('r.community_id', '=', 'e.community_id')
          .whereRef('r.seq', '=', 'e.reverses_seq')
          .as('reverses_id'),
    ])
    .where('e.community_id', '=', communityId)
    .$if(!desc, (q) => q.where('e.seq', '>', position ?? 0))
    .$if(desc && position !== null, (q) => q.where('e.seq', '<', position!))
    .$if(filter.from !== undefined, (q) => q.where(sql<boolean>`e.occurred_at >= ${startOf(filter.from!, 0)}`))
    .$if(filter.to !== undefined, (q) => q.where(sql<boolean>`e.occurred_at < ${startOf(filter.to!, 1)}`))
    .orderBy('e.seq', desc ? 'desc' : 'asc')
    .limit(limit)
    .execute();
}

/** The postings of the given entries, by entry and line. */
export function postingsOfSeqs(db: Db, communityId: string, seqs: readonly number[]) {
  return db
    .selectFrom('postings')
    .select(['entry_seq', 'line', 'account_code', 'debit', 'credit'])
    .where('community_id', '=', communityId)
    .where('entry_seq', 'in', seqs.length > 0 ? [...seqs] : [0])
    .orderBy('entry_seq')
    .orderBy('line')
    .execute();
}

export function postingsOf(db: Db, communityId: string, fromSeq: number, toSeq: number) {
  return db
    .selectFrom('postings')
    .select(['entry_seq', 'line', 'account_code', 'debit', 'credit'])
    .where('community_id', '=', communityId)
    .where('entry_seq', '>=', fromSeq)
    .where('entry_seq', '<=', toSeq)
    .orderBy('entry_seq')
    .orderBy('line')
    .execute();
}

export function findEntryById(db: Db, communityId: string, id: string) {
  return db
    .selectFrom('entries')
    .select(['seq', 'id', 'kind', 'source_type', 'source_id'])
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findReversalOf(db: Db, communityId: string, seq: number) {
  return db
    .selectFrom('entries')
    .select(['seq', 'id'])
    .where('community_id', '=', communityId)
    .where('reverses_seq', '=', seq)
    .executeTakeFirst();
}

/** Monthly aggregates (months in `timezone`, the community's) that disagree with the postings they summarise (should be none). */
export async function monthlyMismatches(db: Db, communityId: string, timezone: string) {
  const { rows } = await sql<{ account_code: string; month: string }>`
    WITH actual AS (
      SELECT p.account_code, date_trunc('month', e.occurred_at AT TIME ZONE ${timezone}::text)::date AS month,
             sum(p.debit) AS debit, sum(p.credit) AS credit
        FROM postings p JOIN entries e ON e.community_id = p.community_id AND e.seq = p.entry_seq
       WHERE p.community_id = ${communityId}
       GROUP BY 1, 2
    ),
    kept AS (SELECT account_code, month, debit, credit FROM account_months WHERE community_id = ${communityId})
    SELECT coalesce(a.account_code, k.account_code) AS account_code, coalesce(a.month, k.month)::text AS month
      FROM actual a FULL JOIN kept k ON k.account_code = a.account_code AND k.month = a.month
     WHERE a.debit IS DISTINCT FROM k.debit OR a.credit IS DISTINCT FROM k.credit`.execute(db);
  return rows;
}

/**
 * A year's movements per account and month, from the monthly aggregates `ledger_post_each` keeps
 * in each posting transaction (months in the community's time zone). Never a scan of
 * postings, so the cost does not grow with the ledger.
 */
export async function monthlyActuals(db: Db, communityId: string, year: number) {
  const { rows } = await sql<{ account_code: string; month: number; debit: string; credit: string }>`
    SELECT m.account_code, extract(month FROM m.month)::int AS month, m.debit::text AS debit, m.credit::text AS credit
      FROM account_months m
     WHERE m.community_id = ${communityId}
       AND m.month >= make_date(${year}::int, 1, 1) AND m.month < make_date(${year}::int + 1, 1, 1)`.execute(db);
  return rows;
}

/**
 * Every movement of the fund's bank account (1001), oldest first, dated in the community's
 * time zone, with the income's reference where the entry records one.
 */
export async function fundMovements(db: Db, communityId: string, timezone: string) {
  const { rows } = await sql<{ seq: number; id: string; date: string; debit: string; credit: string; reference: string | null }>`
    SELECT e.seq, e.id, to_char(e.occurred_at AT TIME ZONE ${timezone}, 'YYYY-MM-DD') AS date,
           p.debit, p.credit, i.reference
      FROM postings p
      JOIN entries e ON e.community_id = p.community_id AND e.seq = p.entry_seq
      LEFT JOIN incomes i ON i.community_id = p.community_id AND i.entry_seq = p.entry_seq
     WHERE p.community_id = ${communityId} AND p.account_code = ${FUND_ACCOUNT}
     ORDER BY e.seq, p.line`.execute(db);
  return rows;
}
