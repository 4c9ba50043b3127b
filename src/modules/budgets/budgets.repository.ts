import { sql, type Selectable } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { BudgetsTables, BudgetVersionsTable } from './budgets.tables.js';

/**
 * Every SQL statement of the budgets module, on its own tables only: account names and the
 * year's actuals are the ledger's, asked of its service.
 */
type Db = Executor<BudgetsTables>;
type BudgetsTx = Tx<BudgetsTables>;

export type VersionRow = Selectable<BudgetVersionsTable>;

/**
 * Serializes the writers of one community's budget for one year (drafts and approvals), so
 * that two racing PUTs cannot both open a version. Taken after the community head lock by
 * those that also hold it, which keeps the one lock order.
 */
export async function lockYear(tx: BudgetsTx, communityId: string, year: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`budget:${communityId}`}, ${year}))`.execute(tx);
}

export function versions(db: Db, communityId: string, year: number, afterVersion = 0, limit = 1_000) {
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
export async function latest(db: Db, communityId: string, year: number) {
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

export function lockDraft(tx: BudgetsTx, communityId: string, year: number) {
  return tx
    .selectFrom('budget_versions')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .where('status', '=', 'draft')
    .forUpdate()
    .executeTakeFirst() as Promise<VersionRow | undefined>;
}

export async function insertVersion(tx: BudgetsTx, row: Omit<VersionRow, 'status' | 'approved_at'>, lines: Line[]): Promise<void> {
  await tx.insertInto('budget_versions').values({ ...row, status: 'draft', approved_at: null }).execute();
  await insertLines(tx, row.community_id, row.year, row.version, lines);
}

/** Rewrites a draft in place: new lines, new digest, and its approvals void (they approved other numbers). */
export async function replaceDraft(tx: BudgetsTx, row: Omit<VersionRow, 'status' | 'approved_at'>, lines: Line[]): Promise<void> {
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

async function insertLines(tx: BudgetsTx, communityId: string, year: number, version: number, lines: Line[]): Promise<void> {
  await tx
    .insertInto('budget_lines')
    .values(lines.map((l) => ({ community_id: communityId, year, version, account_code: l.account, amount: l.amount })))
    .execute();
}

export function linesOf(db: Db, communityId: string, year: number, versions: number[]) {
  if (versions.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('budget_lines')
    .select(['version', 'account_code', 'amount'])
    .where('community_id', '=', communityId)
    .where('year', '=', year)
    .where('version', 'in', versions)
    .orderBy('version')
    .orderBy('account_code')
    .execute();
}

export function approvalsOf(db: Db, communityId: string, year: number, versions: number[]) {
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

export function insertApproval(tx: BudgetsTx, row: { communityId: string; year: number; version: number; cosignerId: string; digest: string }) {
  return tx
    .insertInto('budget_approvals')
    .values({ community_id: row.communityId, year: row.year, version: row.version, cosigner_id: row.cosignerId, digest: row.digest })
    .execute();
}

/** Who holds a key to the draft as it stands: the approvals given for its current digest. */
export async function keyHolders(tx: BudgetsTx, draft: VersionRow): Promise<string[]> {
  const rows = await tx
    .selectFrom('budget_approvals')
    .select('cosigner_id')
    .where('community_id', '=', draft.community_id)
    .where('year', '=', draft.year)
    .where('version', '=', draft.version)
    .where('digest', '=', draft.digest)
    .execute();
  return rows.map((r) => r.cosigner_id);
}

export function markApproved(tx: BudgetsTx, draft: VersionRow) {
  return tx
    .updateTable('budget_versions')
    .set({ status: 'approved', approved_at: sql<Date>`now()` })
    .where('community_id', '=', draft.community_id)
    .where('year', '=', draft.year)
    .where('version', '=', draft.version)
    .returning('approved_at')
    .executeTakeFirstOrThrow();
}
