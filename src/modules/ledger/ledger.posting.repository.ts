import { sql } from 'kysely';
import type { StatementTx, Tx } from '../../db/database.js';
import { assert } from '../../shared/errors.js';
import type { FeedFacts } from '../feed/feed.schemas.js';
import type { LedgerTables } from './ledger.tables.js';

/**
 * How the ledger writes: entries and their postings through the posting functions
 * (`ledger_post_many`, `ledger_post_each`), incomes with their entries, feed items without one,
 * and the shapes those functions read. Every write of money goes through here; reading the
 * books is ledger.repository.ts.
 */
type LedgerTx = Tx<LedgerTables>;

export interface PostingLine {
  account: string;
  debit: string;
  credit: string;
}

/** A feed item written with the entry, in the same transaction (the outbox). */
export interface FeedDraft {
  type: string;
  amount: string | null;
  account: string | null;
  /** One line in Chinese for residents (see FeedItem.summary). */
  summary: string;
  ref: string;
  /** The member who did it; the feed shows their display name. */
  actorId?: string | null;
  details?: FeedFacts;
}

export interface EntryDraft {
  communityId: string;
  id: string;
  kind: string;
  memo: string;
  sourceType: string | null;
  sourceId: string | null;
  occurredAt: Date;
  reversesSeq: number | null;
  postings: PostingLine[];
  feed: FeedDraft | null;
}

export interface Posted {
  seq: number;
  hash: string;
  recorded_at: Date;
  feed_seq: number | null;
}

/**
 * Posts entries of one community, in the order given, in one call of `ledger_post_many` (see
 * it for what it checks and raises): one round trip however many. It locks the community's
 * head and the accounts it touches until the caller's transaction ends.
 */
export async function postEntries(tx: LedgerTx, communityId: string, drafts: readonly EntryDraft[]): Promise<Posted[]> {
  const { rows } = await sql<Posted>`
    SELECT seq, hash, recorded_at, feed_seq FROM ledger_post_many(${communityId}, ${entriesJson(communityId, drafts)}::jsonb) ORDER BY ord`.execute(tx);
  return rows;
}

/** Entries as `ledger_post_many` reads them (its `p_items`), for this module's calls and others' functions that post through it. */
export function entriesJson(communityId: string, drafts: readonly EntryDraft[]): string {
  return JSON.stringify(entryItems(communityId, drafts));
}

/** One entry as the posting functions read it, without its community (the caller's item names it). */
export interface EntryItem {
  entryId: string;
  kind: string;
  memo: string;
  sourceType: string | null;
  sourceId: string | null;
  occurredAt: string;
  reversesSeq: number | null;
  postings: PostingLine[];
  feed: FeedDraft | null;
}

export function entryItems(communityId: string, drafts: readonly EntryDraft[]): EntryItem[] {
  return drafts.map((d) => {
    assert(d.communityId === communityId, 'the entries of one call belong to one community');
    return {
      entryId: d.id,
      kind: d.kind,
      memo: d.memo,
      sourceType: d.sourceType,
      sourceId: d.sourceId,
      occurredAt: d.occurredAt.toISOString(),
      reversesSeq: d.reversesSeq,
      postings: d.postings,
      feed: d.feed,
    };
  });
}

export async function publishFeedItem(tx: LedgerTx, communityId: string, feed: FeedDraft): Promise<number> {
  const { rows } = await sql<{ seq: number }>`SELECT feed_publish(${communityId}, ${JSON.stringify(feed)}::jsonb) AS seq`.execute(tx);
  return rows[0]!.seq;
}

/** One income as the batch function `ledger_record_incomes_each` reads it (with its community's id). */
export interface IncomeItem {
  id: string;
  entryId: string;
  memo: string;
  receivedAt: string;
  postings: PostingLine[];
  feed: FeedDraft;
  category: string;
  amount: string;
  payer: string;
  reference: string | null;
  incomeMemo: string | null;
  recordedBy: string;
}

/**
 * Records incomes and their entries, in the order given, in one statement: one round trip
 * and one hold of the communities' locks for the whole batch (see src/db/group-commit.ts),
 * whether its incomes are of one community or of several (ledger_record_incomes_each posts
 * each community's on its own chain). It locks like `postEntries`, so it demands a
 * transaction: the caller's, or, being one statement, the statement's own (`StatementTx`: the
 * group-commit path, which saves the BEGIN and COMMIT round trips of each batch).
 *
 * With `skipLocked`, the incomes of a community whose head another writer holds are left out:
 * the answer maps the position (0-based) of each income posted to its entry, and those
 * missing were not written.
 */
export async function insertIncomes(
  tx: LedgerTx | StatementTx<LedgerTables>,
  items: ReadonlyArray<IncomeItem & { communityId: string }>,
  skipLocked = false,
): Promise<Map<number, Posted>> {
  const { rows } = await sql<{ ord: number; entry_seq: number; entry_hash: string; entry_recorded_at: Date }>`
    SELECT * FROM ledger_record_incomes_each(${JSON.stringify(items)}::jsonb, ${skipLocked})`.execute(tx);
  return new Map(rows.map((r) => [r.ord - 1, { seq: r.entry_seq, hash: r.entry_hash, recorded_at: r.entry_recorded_at, feed_seq: null }]));
}

/**
 * Incomes of any number of communities, their callers checked in the same statement
 * (`ledger_record_incomes_checked`): each item is answered in order with the refusal of its
 * caller, its posting, or nothing when its community's head was busy and `skipLocked` asked
 * not to wait (then it wrote nothing).
 */
export async function insertIncomesChecked(
  db: StatementTx<LedgerTables>,
  items: ReadonlyArray<IncomeItem & { communityId: string; platformAdmin: boolean }>,
  skipLocked: boolean,
): Promise<Array<Posted | 'not_found' | 'forbidden' | undefined>> {
  const { rows } = await sql<{ refusal: 'not_found' | 'forbidden' | null; entry_seq: number | null; entry_hash: string; entry_recorded_at: Date }>`
    SELECT refusal, entry_seq, entry_hash, entry_recorded_at FROM ledger_record_incomes_checked(${JSON.stringify(items)}::jsonb, ${skipLocked})`.execute(db);
  return rows.map((r) =>
    r.refusal ?? (r.entry_seq === null ? undefined : { seq: r.entry_seq, hash: r.entry_hash, recorded_at: r.entry_recorded_at, feed_seq: null }),
  );
}
