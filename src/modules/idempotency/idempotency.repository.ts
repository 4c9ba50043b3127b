import type { Executor, Tx } from '../../db/database.js';
import type { IdempotencyTables } from './idempotency.tables.js';

/**
 * Claims a key for a request in the caller's transaction; false when it is claimed already.
 * A racing claim of the same key waits on this row's lock until the transaction ends.
 */
export async function claimKey(tx: Tx<IdempotencyTables>, communityId: string, key: string, requestHash: string): Promise<boolean> {
  const claimed = await tx
    .insertInto('idempotency_keys')
    .values({ community_id: communityId, key, request_hash: requestHash, status_code: 0, response_body: '' })
    .onConflict((oc) => oc.columns(['community_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return claimed !== undefined;
}

export async function storeAnswer(tx: Tx<IdempotencyTables>, communityId: string, key: string, status: number, body: string): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status_code: status, response_body: body })
    .where('community_id', '=', communityId)
    .where('key', '=', key)
    .execute();
}

export function findKey(db: Executor<IdempotencyTables>, communityId: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response_body'])
    .where('community_id', '=', communityId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
}
