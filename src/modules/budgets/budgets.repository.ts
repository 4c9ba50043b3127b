import { sql, type Selectable } from 'kysely';
import type { BudgetVersionsTable } from './budgets.tables.js';
import type { Executor, Tx } from '../../db/database.js';

export type VersionRow = Selectable<BudgetVersionsTable>;

/**
 * Serializes the writers of one community's budget for one year (drafts and approvals), so
 * that two racing PUTs cannot both open a version. Taken after the community head lock by
 * those that also hold it, which keeps the one lock order.
 */
export async function lockYear(tx: Tx, communityId: string, year: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`budget:${communityId}`}, ${year}))`.execute(tx);
}

export function versions(db: Executor, communityId: string, year: number, afterVersion = 0, limit = 1_000) {
  return db
    .selectFrom('budget_versions')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .where('version', '>', afterVersion)
    .orderBy('version')
    .limit(limit)
    .execute() as Promise<VersionRow[]>;
}

/** The newest version, and the newest approved one (which may be the same). */
export async function latest(db: Executor, communityId: string, year: number) {
  const rows = (await db
    .selectFrom('budget_versions')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .orderBy('version', 'desc')
    .limit(2)
    .execute()) as VersionRow[];
  // There is at most one draft and it is always the newest, so the approved one is among two.
  return { newest: rows[0], approved: rows.find((r) => r.status === 'approved') };
}

export function lockDraft(tx: Tx, communityId: string, year: number) {
  return tx
    .selectFrom('budget_versions')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .where('status', '=', 'draft')
    .forUpdate()
    .executeTakeFirst() as Promise<VersionRow | undefined>;
}

export async function insertVersion(tx: Tx, row: Omit<VersionRow, 'status' | 'approved_at'>, lines: Line[]): Promise<void> {
  await tx.insertInto('budget_versions').values({ ...row, status: 'draft', approved_at: null }).execute();
  await insertLines(tx, row.community_id, row.year, row.version, lines);
}

/** Rewrites a draft in place: new lines, new digest, and its approvals void (they approved other numbers). */
export async function replaceDraft(tx: Tx, row: Omit<VersionRow, 'status' | 'approved_at'>, lines: Line[]): Promise<void> {
  const key = { community_id: row.community_id, year: row.year, version: row.version };
  await tx.deleteFrom('budget_approvals').where('community_id', '=', key.community_id).where('year', '=', key.year).where('version', '=', key.version).execute();
  await tx.deleteFrom('budget_lines').where('community_id', '=', key.community_id).where('year', '=', key.year).where('version', '=', key.version).execute();
  await tx
    .updateTable('budget_versions')
    .set({ digest: row.digest, drafted_by: row.drafted_by, drafted_at: row.drafted_at })
    .where('community_id', '=', key.community_id)
    .where('year', '=', key.year)
    .where('version', '=', key.version)
    .where('status', '=', 'draft')
    .executeTakeFirstOrThrow();
  await insertLines(tx, row.community_id, row.year, row.version, lines);
}

export interface Line {
  account: string;
  amount: string;
}

async function insertLines(tx: Tx, communityId: string, year: number, version: number, lines: Line[]): Promise<void> {
  await tx
    .insertInto('budget_lines')
    .values(lines.map((l) => ({ community_id: communityId, year, version, account_code: l.account, amount: l.amount })))
    .execute();
}

export function linesOf(db: Executor, communityId: string, year: number, versions: number[]) {
  if (versions.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('budget_lines as l')
    .innerJoin('accounts as a', (join) => join.onRef('a.community_id', '=', 'l.community_id').onRef('a.code', '=', 'l.account_code'))
    .select(['l.version', 'l.account_code', 'l.amount', 'a.name', 'a.type'])
    .where('l.community_id', '=', communityId)
    .where('l.year', '=', year)
    .where('l.version', 'in', versions)
    .orderBy('l.version')
    .orderBy('l.account_code')
    .execute();
}

export function approvalsOf(db: Executor, communityId: string, year: number, versions: number[]) {
  if (versions.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('budget_approvals')
    .select(['version', 'cosigner_id', 'approved_at'])
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .where('version', 'in', versions)
    .orderBy('approved_at')
    .execute();
}

export function insertApproval(tx: Tx, row: { communityId: string; year: number; version: number; cosignerId: string; digest: string }) {
  return tx
    .insertInto('budget_approvals')
    .values({ community_id: row.communityId, year: row.year, version: row.version, cosigner_id: row.cosignerId, digest: row.digest })
    .execute();
}

/** Approvals that count: for the current digest, from anyone but the drafter. */
export async function countingApprovals(tx: Tx, draft: VersionRow): Promise<number> {
  const row = await tx
    .selectFrom('budget_approvals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('community_id', '=', draft.community_id)
    .where('year', '=', draft.year)
    .where('version', '=', draft.version)
    .where('digest', '=', draft.digest)
    .where('cosigner_id', '<>', draft.drafted_by)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function markApproved(tx: Tx, draft: VersionRow) {
  return tx
    .updateTable('budget_versions')
    .set({ status: 'approved', approved_at: sql<Date>`now()` })
    .where('community_id', '=', draft.community_id)
    .where('year', '=', draft.year)
    .where('version', '=', draft.version)
    .returning('approved_at')
    .executeTakeFirstOrThrow();
}

/**
 * A year's movements per income and expense account and month, from the monthly aggregates
 * the ledger keeps in each posting transaction (months in the community's time zone). Read
 * only; never a scan of postings, so the cost does not grow with the ledger.
 */
export async function monthlyMovements(db: Executor, communityId: string, year: number) {
  const { rows } = await sql<{ account_code: string; month: number; debit: string; credit: string }>`
    SELECT m.account_code, extract(month FROM m.month)::int AS month, m.debit::text AS debit, m.credit::text AS credit
      FROM account_months m
     WHERE m.community_id = ${communityId}
       AND m.month >= make_date(${year}::int, 1, 1) AND m.month < make_date(${year}::int + 1, 1, 1)`.execute(db);
  return rows;
}
