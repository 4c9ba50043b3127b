import { sql, type Selectable } from 'kysely';
import type { FeedItemsTable } from '../ledger/ledger.tables.js';
import type { Executor } from '../../db/database.js';

/**
 * Reads of the feed's outbox. The ledger writes `feed_items` in the transaction of each change
 * (ledger_post, feed_publish); this module only reads it, with the account's name and the
 * actor's display name joined so that an owner can read an item without a second request.
 */
export type FeedRow = Selectable<FeedItemsTable> & { account_name: string | null; actor_name: string | null };

export function itemsAfter(db: Executor, communityId: string, afterSeq: number, limit: number): Promise<FeedRow[]> {
  return items(db, communityId).where('f.seq', '>', afterSeq).orderBy('f.seq').limit(limit).execute();
}

/** Newest first: the items before `beforeSeq`, or the latest ones when it is null. */
export function itemsBefore(db: Executor, communityId: string, beforeSeq: number | null, limit: number): Promise<FeedRow[]> {
  return items(db, communityId)
    .$if(beforeSeq !== null, (q) => q.where('f.seq', '<', beforeSeq!))
    .orderBy('f.seq', 'desc')
    .limit(limit)
    .execute();
}

function items(db: Executor, communityId: string) {
  return db
    .selectFrom('feed_items as f')
    .leftJoin('accounts as a', (join) => join.onRef('a.community_id', '=', 'f.community_id').onRef('a.code', '=', 'f.account'))
    .leftJoin('users as u', 'u.id', 'f.actor_id')
    .select([
      'f.community_id', 'f.seq', 'f.type', 'f.at', 'f.amount', 'f.account', 'a.name as account_name', 'f.summary', 'f.ref',
      'f.actor_id', 'u.display_name as actor_name', 'f.details',
    ])
    .where('f.community_id', '=', communityId);
}

/** The last feed seq of each community (0 for none yet), in one round trip. */
export async function heads(db: Executor, communityIds: string[]): Promise<Map<string, number>> {
  if (communityIds.length === 0) return new Map();
  const { rows } = await sql<{ community_id: string; feed_seq: number }>`
    SELECT community_id, feed_seq FROM community_heads WHERE community_id = ANY(${communityIds}::text[])`.execute(db);
  return new Map(rows.map((r) => [r.community_id, r.feed_seq]));
}
