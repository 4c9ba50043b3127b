import type { ColumnType, Generated } from 'kysely';

/**
 * The tables as Kysely sees them. numeric columns are strings (exact), bigint columns are
 * numbers (see database.ts), timestamps are Dates. Ledger tables are written only by the
 * `ledger_post` function and read here.
 */
type Numeric = ColumnType<string, string, string>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  is_platform_admin: Generated<boolean>;
  created_at: CreatedAt;
}

export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: CreatedAt;
}

export interface AuthThrottleTable {
  subject: string;
  window_start: Date;
  failures: number;
}

/** A browser session of the web app; the cookie's secret is stored only as its SHA-256. */
export interface WebSessionsTable {
  secret_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: ColumnType<Date, Date, Date>;
}

export interface CommunitiesTable {
  id: string;
  number: Generated<number>;
  name: string;
  management_fee_rate: Numeric;
  timezone: string;
  required_approvals: Generated<number>;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  community_id: string;
  user_id: string;
  roles: string[];
  signing_password_hash: string | null;
  created_at: CreatedAt;
}

export interface UnitsTable {
  community_id: string;
  id: string;
  code: string;
  building: string;
  area_m2: Numeric;
  created_at: CreatedAt;
}

export interface UnitOwnersTable {
  community_id: string;
  unit_id: string;
  user_id: string;
}

export interface CommunityHeadsTable {
  community_id: string;
  entry_seq: Generated<number>;
  entry_hash: string;
  feed_seq: Generated<number>;
  spend_seq: Generated<number>;
}

export interface AccountsTable {
  community_id: string;
  code: string;
  name: string;
  type: 'asset' | 'liability' | 'equity' | 'income' | 'expense';
  balance: ColumnType<string, string | undefined, string>;
  reserved: ColumnType<string, string | undefined, string>;
  has_floor: Generated<boolean>;
  created_at: CreatedAt;
}

export interface EntriesTable {
  community_id: string;
  seq: number;
  id: string;
  kind: string;
  memo: string;
  source_type: string | null;
  source_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  reverses_seq: number | null;
  prev_hash: string;
  hash: string;
}

export interface PostingsTable {
  community_id: string;
  entry_seq: number;
  line: number;
  account_code: string;
  debit: Numeric;
  credit: Numeric;
}

export interface AccountMonthsTable {
  community_id: string;
  account_code: string;
  month: ColumnType<string, string, string>;
  debit: Numeric;
  credit: Numeric;
}

export interface FeedItemsTable {
  community_id: string;
  seq: number;
  type: string;
  at: Date;
  amount: string | null;
  account: string | null;
  summary: string;
  ref: string;
  /** The member who did what the item reports; null on items written before it was kept. */
  actor_id: string | null;
  /** The item's structured facts (FeedFacts in feed.schemas.ts), `{}` on older items. */
  details: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, never>;
}

export interface IncomesTable {
  community_id: string;
  id: string;
  entry_seq: number;
  category: string;
  amount: Numeric;
  payer: string;
  received_at: Date;
  reference: string | null;
  memo: string | null;
  recorded_by: string;
  created_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  community_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: CreatedAt;
}

export interface SpendRequestsTable {
  community_id: string;
  id: string;
  seq: number;
  tracking_no: string;
  title: string;
  description: string | null;
  amount: Numeric;
  account_code: string;
  payee_name: string;
  payee_account: string | null;
  budget_year: number | null;
  digest: string;
  required_approvals: number;
  submitted_by: string;
  submitted_at: ColumnType<Date, Date | undefined, never>;
  status: Generated<'pending' | 'approved' | 'rejected' | 'cancelled' | 'paid'>;
  bank_reference: string | null;
  paid_at: Date | null;
  paid_by: string | null;
  entry_seq: number | null;
  entry_id: string | null;
}

export interface SpendDecisionsTable {
  community_id: string;
  request_id: string;
  user_id: string;
  decision: 'approve' | 'reject';
  digest: string;
  reason: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface SpendEventsTable {
  community_id: string;
  request_id: string;
  n: number;
  at: ColumnType<Date, Date | undefined, never>;
  event: 'submitted' | 'approved' | 'rejected' | 'cancelled' | 'paid';
  actor_id: string;
  note: string | null;
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

export interface DB {
  users: UsersTable;
  app_secrets: AppSecretsTable;
  auth_throttle: AuthThrottleTable;
  web_sessions: WebSessionsTable;
  communities: CommunitiesTable;
  memberships: MembershipsTable;
  units: UnitsTable;
  unit_owners: UnitOwnersTable;
  community_heads: CommunityHeadsTable;
  accounts: AccountsTable;
  entries: EntriesTable;
  postings: PostingsTable;
  account_months: AccountMonthsTable;
  feed_items: FeedItemsTable;
  incomes: IncomesTable;
  idempotency_keys: IdempotencyKeysTable;
  budget_versions: BudgetVersionsTable;
  budget_lines: BudgetLinesTable;
  budget_approvals: BudgetApprovalsTable;
  spend_requests: SpendRequestsTable;
  spend_decisions: SpendDecisionsTable;
  spend_events: SpendEventsTable;
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
