import { sql } from 'kysely';
import type { Database, Tx } from './database.js';
import { createGroupCommit, type GroupCommit } from './group-commit.js';
import { commitCallbacksOf, inTransaction, MAX_ATTEMPTS, pgCode, RETRYABLE } from './transaction.js';

/**
 * The batched write path for a community's money (issue 16). Every write that takes the
 * community's locks (a fee payment, a spend request submitted, approved, rejected, cancelled or
 * paid out, a billing run, an income under an Idempotency-Key) is work run here: work for one
 * community that arrives while a batch of its work is being written waits, and goes out with
 * the next batch in ONE transaction. The community's head lock, which every such write takes
 * first, is then taken once per batch instead of once per request, and one commit (one flush
 * of the WAL) serves the whole batch; a lone request still goes out at once.
 *
 * Each item runs inside a savepoint of the shared transaction, so an item that fails (a
 * refusal such as `insufficient_funds`, or a bug) is rolled back alone and answered alone;
 * the others are kept. A deadlock or serialization failure inside an item retries that item.
 * `afterCommit` callbacks run per item, after the commit, for the items kept.
 *
 * If the commit itself is refused by the database (a deferred check), the batch rolled back
 * whole and each item is run again in a transaction of its own (see group-commit.ts), so
 * one bad item cannot sink the others. A lost connection fails the batch's items without a
 * retry: the commit may have happened, and only an Idempotency-Key makes the client's retry
 * safe.
 *
 * Correctness never rests on this batching: every item takes the database's own locks, so
 * any number of API processes batch side by side, and the database's guards apply per row.
 */

type Work = (tx: Tx) => Promise<unknown>;

type Settled = { kept: true; value: unknown; callbacks: Array<() => void> } | { kept: false; error: unknown };

/**
 * Items per transaction. Each item's savepoint is a subtransaction; PostgreSQL caches 64 of
 * them per transaction in shared memory and slows every snapshot once a transaction has more.
 */
const MAX_BATCH = 32;

const batchers = new WeakMap<Database, GroupCommit<Work, Settled>>();

/** Runs `work` in a transaction shared with other work of the same community (see above). */
export async function inCommunityTransaction<T>(db: Database, communityId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = createGroupCommit<Work, Settled>((_communityId, items) => writeBatch(db, items), { maxBatch: MAX_BATCH });
    batchers.set(db, batcher);
  }
  const settled = await batcher.submit(communityId, work);
  if (!settled.kept) throw settled.error;
  for (const callback of settled.callbacks) callback();
  return settled.value as T;
}

async function writeBatch(db: Database, items: Work[]): Promise<Settled[]> {
  if (items.length === 1) {
    // Alone, the item is its own transaction: no savepoint, and inTransaction runs its
    // callbacks after the commit.
    try {
      return [{ kept: true, value: await inTransaction(db, items[0]!), callbacks: [] }];
    } catch (error) {
      return [{ kept: false, error }];
    }
  }
  return inTransaction(db, async (tx) => {
    const settled: Settled[] = [];
    for (const item of items) settled.push(await runItem(tx, item));
    return settled;
  });
}

async function runItem(tx: Tx, work: Work): Promise<Settled> {
  // A handle of its own on the shared transaction, so that its afterCommit callbacks are its own.
  const handle = tx.withoutPlugins();
  for (let attempt = 1; ; attempt++) {
    const callbacks = commitCallbacksOf(handle);
    await sql`SAVEPOINT community_batch_item`.execute(tx);
    try {
      const value = await work(handle);
      await sql`RELEASE SAVEPOINT community_batch_item`.execute(tx);
      return { kept: true, value, callbacks };
    } catch (error) {
      // Undoes this item alone. If the connection is gone this throws too, and the whole
      // batch fails as one (nothing of it was committed).
      await sql`ROLLBACK TO SAVEPOINT community_batch_item`.execute(tx);
      await sql`RELEASE SAVEPOINT community_batch_item`.execute(tx);
      if (attempt < MAX_ATTEMPTS && RETRYABLE.has(pgCode(error) ?? '')) continue;
      return { kept: false, error };
    }
  }
}
