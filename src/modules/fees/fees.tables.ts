import type { CreatedAt, Numeric } from '../../db/columns.js';

/** The tables of the fees module: rates, billing runs, bills, payments, settlements, advances. */
export interface FeesTables {
  fee_schedules: FeeSchedulesTable;
  billing_runs: BillingRunsTable;
  bills: BillsTable;
  fee_payments: FeePaymentsTable;
  bill_settlements: BillSettlementsTable;
  unit_fee_advances: UnitFeeAdvancesTable;
}

export interface FeeSchedulesTable {
  community_id: string;
  id: string;
  effective_from: string;
  rate_per_m2: Numeric;
  set_by: string;
  set_at: CreatedAt;
}

export interface BillingRunsTable {
  community_id: string;
  id: string;
  period: string;
  rate_per_m2: Numeric;
  bills: number;
  total: Numeric;
  advance_applied: Numeric;
  remuneration: Numeric;
  entry_seq: number;
  created_by: string;
  created_at: CreatedAt;
}

export interface BillsTable {
  community_id: string;
  id: string;
  run_id: string;
  unit_id: string;
  period: string;
  area_m2: Numeric;
  rate_per_m2: Numeric;
  amount: Numeric;
  paid: Numeric;
}

export interface FeePaymentsTable {
  community_id: string;
  id: string;
  unit_id: string;
  amount: Numeric;
  method: string;
  reference: string | null;
  paid_at: Date;
  to_bills: Numeric;
  to_advance: Numeric;
  remuneration: Numeric;
  entry_seq: number;
  recorded_by: string;
  created_at: CreatedAt;
}

export interface BillSettlementsTable {
  community_id: string;
  id: string;
  bill_id: string;
  payment_id: string | null;
  run_id: string | null;
  amount: Numeric;
  remuneration: Numeric;
  settled_at: Date;
}

export interface UnitFeeAdvancesTable {
  community_id: string;
  unit_id: string;
  advance: Numeric;
}
