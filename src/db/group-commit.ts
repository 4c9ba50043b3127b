import { unavailable } from '../shared/errors.js';
import { metrics } from '../shared/metrics.js';

/**
 * Group commit: work for one key (a community) that arrives while a batch for that key is
 * being written waits and goes out together in the next batch, so concurrent requests share
 * one statement, one hold of the community's locks and one commit. Nothing waits on a timer:
 * a lone request goes out at once.
 *
 * Correctness never depends on this being the only writer: each item is posted under the
 * database's own locks, so any number of processes may batch side by side. If the database
 * refuses a batch (it rolled back whole), its items are retried one by one, so one bad item
 * cannot fail the others and each caller gets its own answer.
 *
 * A key's queue is bounded: past `maxQueued` waiting items a new one is refused at once with
 * `503 unavailable` (nothing written), so a flood on one community answers quickly instead
 * of piling up work whose callers have long given up.
 */
export interface GroupCommit<Item, Result> {
  submit(key: string, item: Item): Promise<Result>;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export function createGroupCommit<Item, Result>(
  write: (key: string, items: Item[]) => Promise<Result[]>,
  maxBatch = 100,
  maxQueued = 1_000,
): GroupCommit<Item, Result> {
  const queues = new Map<string, Waiting<Item, Result>[]>();
  const busy = new Set<string>();

  async function drain(key: string): Promise<void> {
    busy.add(key);
    try {
      for (let queue = queues.get(key); queue && queue.length > 0; queue = queues.get(key)) {
        const batch = queue.splice(0, maxBatch);
        metrics.batchSize.observe(batch.length);
        await writeBatch(key, batch);
      }
    } finally {
      busy.delete(key);
      queues.delete(key);
    }
  }

  async function writeBatch(key: string, batch: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await write(key, batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      // Only an error the database itself answered proves the batch rolled back. A lost
      // connection may have lost the answer to a commit that happened: retrying could post
      // twice, so every item of the batch fails instead.
      if (batch.length === 1 || !answeredByDatabase(error)) return batch.forEach((w) => w.reject(error));
      for (const waiting of batch) await writeBatch(key, [waiting]);
    }
  }

  return {
    submit(key, item) {
      return new Promise<Result>((resolve, reject) => {
        const queue = queues.get(key) ?? [];
        if (queue.length >= maxQueued) {
          reject(unavailable('Too many postings are waiting for this community; nothing was written. Try again in a moment', 1));
          return;
        }
        queue.push({ item, resolve, reject });
        queues.set(key, queue);
        if (!busy.has(key)) void drain(key);
      });
    },
  };
}

/**
 * An error message from the server (it carries a severity and a SQLSTATE) means the server
 * rolled the statement back; a socket error such as EPIPE does not.
 */
function answeredByDatabase(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('severity' in error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
