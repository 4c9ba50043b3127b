import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import type { LedgerTables } from './ledger.tables.js';

/** The hledger export's reads (ledger.journal.ts), in its one read-only snapshot. */
type LedgerTx = Tx<LedgerTables>;

/** One entry as the hledger export writes it: its local date and who paid or was paid. */
export interface ExportRow {
  seq: number;
  id: string;
  kind: string;
  memo: string;
  hash: string;
  /** `YYYY-MM-DD` of when it happened, in the community's time zone. */
  date: string;
  /** What the entry records (`spend_request`, `income`, …) and its id there. */
  source_type: string | null;
  source_id: string | null;
  /** An income's payer. */
  payer: string | null;
  income_memo: string | null;
  category: string | null;
}

const EXPORT_CURSOR = 'ledger_export_entries';

/**
 * Opens a cursor, in the caller's transaction, over the community's entries in date order
 * (the local date of `occurred_at` in `timezone`, the community's), then by seq within a date:
 * the order hledger's `ordereddates` check wants, although back-dated incomes make it differ
 * from seq order. PostgreSQL sorts once; `fetchExportRows` then reads it a chunk at a time.
 */
export async function openExportCursor(tx: LedgerTx, communityId: string, timezone: string): Promise<void> {
  await sql`
    DECLARE ${sql.raw(EXPORT_CURSOR)} NO SCROLL CURSOR FOR
    SELECT e.seq, e.id, e.kind, e.memo, e.hash, e.source_type, e.source_id,
           to_char(e.occurred_at AT TIME ZONE ${timezone}::text, 'YYYY-MM-DD') AS date,
           i.payer, i.memo AS income_memo, i.category
      FROM entries e
      LEFT JOIN incomes i ON e.source_type = 'income' AND i.community_id = e.community_id AND i.id = e.source_id
     WHERE e.community_id = ${communityId}
     ORDER BY (e.occurred_at AT TIME ZONE ${timezone}::text)::date, e.seq`.execute(tx);
}

export async function fetchExportRows(tx: LedgerTx, limit: number): Promise<ExportRow[]> {
  const { rows } = await sql<ExportRow>`FETCH ${sql.raw(String(Math.trunc(limit)))} FROM ${sql.raw(EXPORT_CURSOR)}`.execute(tx);
  return rows;
}
