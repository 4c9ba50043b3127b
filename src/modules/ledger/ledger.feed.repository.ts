import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { FeedItemsTable, LedgerTables } from './ledger.tables.js';

/**
 * The ledger's outbox as the feed module reads it (through the ledger's service): the items
 * `ledger_post_each` and `feed_publish` write in each change's transaction, and each community's
 * last feed seq. Read only.
 */
type Db = Executor<LedgerTables>;

/** A feed item with the name of the account it names (an account's name is the ledger's). */
export type FeedRow = Selectable<FeedItemsTable> & { account_name: string | null };

/** The feed after `afterSeq`, oldest first. */
export function feedItemsAfter(db: Db, communityId: string, afterSeq: number, limit: number): Promise<FeedRow[]> {
  return feedItems(db, communityId).where('f.seq', '>', afterSeq).orderBy('f.seq').limit(limit).execute();
}

/** Where one community's feed is to be read from: the items after `afterSeq`. */
export interface FeedCursor {
  communityId: string;
  afterSeq: number;
}

/**
 * The feed of several communities in one round trip: for each cursor, at most `limit` items
 * after its seq, oldest first; rows come grouped by community, each in seq order. The lateral
 * subquery is one lookup by each community's own key (the leading column of feed_items' key),
 * so on a database distributed by community it is a routed read per community, and no row of
 * one community is ever compared with another's. The columns and the account join are
 * `feedItemsAfter`'s.
 */
export async function feedItemsAfterEach(db: Db, cursors: readonly FeedCursor[], limit: number): Promise<FeedRow[]> {
  if (cursors.length === 0) return [];
  const { rows } = await sql<FeedRow>`
    SELECT f.community_id, f.seq, f.type, f.at, f.amount, f.account, a.name AS account_name,
           f.summary, f.ref, f.actor_id, f.details
      FROM unnest(${cursors.map((c) => c.communityId)}::text[], ${cursors.map((c) => c.afterSeq)}::bigint[])
             AS w(community_id, after_seq)
     CROSS JOIN LATERAL (
           SELECT * FROM feed_items i
            WHERE i.community_id = w.community_id AND i.seq > w.after_seq
            ORDER BY i.seq
            LIMIT ${limit}) f
      LEFT JOIN accounts a ON a.community_id = f.community_id AND a.code = f.account
     ORDER BY f.community_id, f.seq`.execute(db);
  return rows;
}

/** Newest first: the items before `beforeSeq`, or the latest ones when it is null. */
export function feedItemsBefore(db: Db, communityId: string, beforeSeq: number | null, limit: number): Promise<FeedRow[]> {
  return feedItems(db, communityId)
    .$if(beforeSeq !== null, (q) => q.where('f.seq', '<', beforeSeq!))
    .orderBy('f.seq', 'desc')
    .limit(limit)
    .execute();
}

function feedItems(db: Db, communityId: string) {
  return db
    .selectFrom('feed_items as f')
    .leftJoin('accounts as a', (join) => join.onRef('a.community_id', '=', 'f.community_id').onRef('a.code', '=', 'f.account'))
    .select(['f.community_id', 'f.seq', 'f.type', 'f.at', 'f.amount', 'f.account', 'a.name as account_name', 'f.summary', 'f.ref', 'f.actor_id', 'f.details'])
    .where('f.community_id', '=', communityId);
}

/** The last feed seq of each community (0 for none yet), in one round trip. */
export async function feedHeads(db: Db, communityIds: string[]): Promise<Map<string, number>> {
  if (communityIds.length === 0) return new Map();
  const { rows } = await sql<{ community_id: string; feed_seq: number }>`
    SELECT community_id, feed_seq FROM community_heads WHERE community_id = ANY(${communityIds}::text[])`.execute(db);
  return new Map(rows.map((r) => [r.community_id, r.feed_seq]));
}
