import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { StatementLine } from './reconciliation.csv.js';
import type { ReconciliationTables } from './reconciliation.tables.js';

type Db = Executor<ReconciliationTables>;

export async function insertStatement(tx: Tx<ReconciliationTables>, communityId: string, id: string, uploadedBy: string, lines: readonly StatementLine[]) {
  await tx.insertInto('bank_statements').values({ community_id: communityId, id, lines: lines.length, uploaded_by: uploadedBy }).execute();
  // In chunks, so a long statement stays under PostgreSQL's limit of bind parameters.
  for (let start = 0; start < lines.length; start += 1000) {
    await tx
      .insertInto('bank_statement_lines')
      .values(lines.slice(start, start + 1000).map((l, i) => ({ community_id: communityId, statement_id: id, n: start + i + 1, ...l })))
      .execute();
  }
}

/** Every line ever uploaded, in upload order; dates as text. */
export async function allLines(db: Db, communityId: string) {
  const { rows } = await sql<{ statement_id: string; n: number; date: string; amount: string; direction: 'in' | 'out'; counterparty: string; reference: string | null; balance: string }>`
    SELECT l.statement_id, l.n, to_char(l.date, 'YYYY-MM-DD') AS date, l.amount, l.direction, l.counterparty, l.reference, l.balance
      FROM bank_statement_lines l
      JOIN bank_statements s ON s.community_id = l.community_id AND s.id = l.statement_id
     WHERE l.community_id = ${communityId}
     ORDER BY s.seq, l.n`.execute(db);
  return rows;
}

/** Serializes uploads of one community, so each sees the statements before it. */
export async function lockStatements(tx: Tx<ReconciliationTables>, communityId: string) {
  await sql`SELECT pg_advisory_xact_lock(hashtext('bank_statements'), hashtext(${communityId}))`.execute(tx);
}
