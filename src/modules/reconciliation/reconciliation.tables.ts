import type { ColumnType } from 'kysely';
import type { CreatedAt, Numeric } from '../../db/columns.js';

/** The tables of the reconciliation module: bank statements as uploaded, line by line. */
export interface ReconciliationTables {
  bank_statements: BankStatementsTable;
  bank_statement_lines: BankStatementLinesTable;
}

export interface BankStatementsTable {
  community_id: string;
  id: string;
  seq: ColumnType<number, never, never>;
  lines: number;
  uploaded_by: string;
  uploaded_at: CreatedAt;
}

export interface BankStatementLinesTable {
  community_id: string;
  statement_id: string;
  n: number;
  date: ColumnType<string, string, never>;
  amount: Numeric;
  direction: 'in' | 'out';
  counterparty: string;
  reference: string | null;
  balance: Numeric;
}
