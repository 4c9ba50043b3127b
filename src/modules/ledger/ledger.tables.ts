import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Numeric } from '../../db/columns.js';
import type { AccountType } from './ledger.schemas.js';

/**
 * The tables of the ledger module. Entries, postings, the monthly aggregates and feed items
 * are written only by the database functions `ledger_post_each` (through `ledger_post_many`
 * for one community), `feed_publish` and `ledger_record_incomes_each` (which also writes
 * `incomes`), called by ledger.repository.ts. The
 * repository itself writes `accounts` (opening the books, adding an account, moving
 * reservations) and `community_heads` (opening the books, numbering spend requests); no other
 * module reads or writes any of these tables except through the ledger's service.
 */
export interface LedgerTables {
  community_heads: CommunityHeadsTable;
  accounts: AccountsTable;
  entries: EntriesTable;
  postings: PostingsTable;
  account_months: AccountMonthsTable;
  feed_items: FeedItemsTable;
  incomes: IncomesTable;
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
  type: AccountType;
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

/** The outbox: one item per change the feed reports, written in the change's own transaction. */
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
