import type { ColumnType } from 'kysely';
import type { Numeric } from '../../db/columns.js';

/** The tables of the budgets module: versions of a year's budget, their lines and approvals. */
export interface BudgetsTables {
  budget_versions: BudgetVersionsTable;
  budget_lines: BudgetLinesTable;
  budget_approvals: BudgetApprovalsTable;
}

export interface BudgetVersionsTable {
  community_id: string;
  year: number;
  version: number;
  status: 'draft' | 'approved';
  digest: string;
  drafted_by: string;
  drafted_at: Date;
  approved_at: Date | null;
}

export interface BudgetLinesTable {
  community_id: string;
  year: number;
  version: number;
  account_code: string;
  amount: Numeric;
}

export interface BudgetApprovalsTable {
  community_id: string;
  year: number;
  version: number;
  cosigner_id: string;
  digest: string;
  approved_at: ColumnType<Date, Date | undefined, never>;
}
