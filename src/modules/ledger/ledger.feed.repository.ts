import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../db/database.js';
import type { FeedItemsTable, LedgerTables } from './ledger.tables.js';

/**
 * The ledger's outbox as the feed module reads it (through the ledger's service): the items
 * `ledger_post_many` and `feed_publish` write in each change's transaction, and each community's
 * last feed seq. Read only.
 */
type Db = Executor<LedgerTables>;

/** A feed item with the name of the account it names (an account's name is the ledger's). */
export type FeedRow = Selectable<FeedItemsTable> & { account_name: string | null };

/** The feed after `afterSeq`, oldest first. */
export function feedItemsAfter(db: Db, communityId: string, afterSeq: number, limit: number): Promise<FeedRow[]> {
  return feedItems(db, communityId).where('f.seq', '>', afterSeq).orderBy('f.seq').limit(limit).execute();
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
