import { unavailable } from '../shared/errors.js';
import { metrics } from '../shared/metrics.js';

/**
 * Group commit: work for one key (a community) that arrives while a batch for that key is
 * being written waits and goes out together in the next batch, so concurrent requests share
 * one statement, one hold of the community's locks and one commit. Nothing waits on a timer:
 * a lone request goes out at once.
 *
 * Keys may share a lane (`laneOf`): work of every key of a lane waits in one queue and goes
 * out in one batch, so a city of quiet communities, each with one request at a time, still
 * shares statements and commits; the writer then groups a batch by key itself. By default
 * each key is its own lane.
 *
 * Correctness never depends on this being the only writer: each item is posted under the
 * database's own locks, so any number of processes may batch side by side. If the database
 * refuses a batch (it rolled back whole), its items are retried one by one, so one bad item
 * cannot fail the others and each caller gets its own answer.
 *
 * A key's waiting work is bounded: past `maxQueued` waiting items of one key a new one is
 * refused at once with `503 unavailable` (nothing written), so a flood on one community
 * answers quickly instead of piling up work whose callers have long given up. A lane's batch
 * takes every waiting key in turn, so the flood never crowds out the other communities of its
 * lane either.
 */
export interface GroupCommit<Item, Result> {
  submit(key: string, item: Item): Promise<Result>;
}

interface Waiting<Item, Result> {
  key: string;
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** Items per batch. */
  maxBatch?: number;
  /** Items of one key that may wait; past it a new one is refused with 503. */
  maxQueued?: number;
  /** The lane a key's work waits in (default: a lane per key). */
  laneOf?: (key: string) => string;
}

export function createGroupCommit<Item, Result>(
  write: (lane: string, items: Item[]) => Promise<Result[]>,
  { maxBatch = 100, maxQueued = 1_000, laneOf = (key) => key }: GroupCommitOptions = {},
): GroupCommit<Item, Result> {
  const queues = new Map<string, Waiting<Item, Result>[]>();
  const waitingOf = new Map<string, number>();
  const busy = new Set<string>();

  async function drain(lane: string): Promise<void> {
    busy.add(lane);
    try {
      for (let queue = queues.get(lane); queue && queue.length > 0; queue = queues.get(lane)) {
        const batch = takeBatch(queue);
        for (const w of batch) {
          const left = waitingOf.get(w.key)! - 1;
          if (left === 0) waitingOf.delete(w.key);
          else waitingOf.set(w.key, left);
        }
        metrics.batchSize.observe(batch.length);
        await writeBatch(lane, batch);
      }
    } finally {
      busy.delete(lane);
      queues.delete(lane);
    }
  }

  async function writeBatch(lane: string, batch: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await write(lane, batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      // Only an error the database itself answered proves the batch rolled back. A lost
      // connection may have lost the answer to a commit that happened: retrying could post
      // twice, so every item of the batch fails instead.
      if (batch.length === 1 || !answeredByDatabase(error)) return batch.forEach((w) => w.reject(error));
      // A lane's batch is retried key by key first, so one bad item costs its own key's
      // items a retry each, not every item of the lane.
      const byKey = groupByKey(batch);
      if (byKey.length > 1) for (const own of byKey) await writeBatch(lane, own);
      else for (const waiting of batch) await writeBatch(lane, [waiting]);
    }
  }

  /**
   * The next batch of a lane: every key waiting gets a turn, one item each round (in its own
   * order), so a flood on one key never keeps the other keys of its lane waiting behind it.
   */
  function takeBatch(queue: Waiting<Item, Result>[]): Waiting<Item, Result>[] {
    if (queue.length <= maxBatch) return queue.splice(0);
    const byKey = groupByKey(queue);
    const batch: Waiting<Item, Result>[] = [];
    for (let round = 0; batch.length < maxBatch && byKey.some((own) => own.length > round); round++) {
      for (const own of byKey) if (round < own.length && batch.length < maxBatch) batch.push(own[round]!);
    }
    const taken = new Set(batch);
    const rest = queue.filter((w) => !taken.has(w));
    queue.splice(0, queue.length, ...rest);
    return batch;
  }

  return {
    submit(key, item) {
      return new Promise<Result>((resolve, reject) => {
        const waiting = waitingOf.get(key) ?? 0;
        if (waiting >= maxQueued) {
          reject(unavailable('Too many postings are waiting for this community; nothing was written. Try again in a moment', 1));
          return;
        }
        waitingOf.set(key, waiting + 1);
        const lane = laneOf(key);
        const queue = queues.get(lane) ?? [];
        queue.push({ key, item, resolve, reject });
        queues.set(lane, queue);
        if (!busy.has(lane)) void drain(lane);
      });
    },
  };
}

/** The waiting items by key, each key's in its own order, keys in the order they first appear. */
function groupByKey<W extends { key: string }>(items: readonly W[]): W[][] {
  const byKey = new Map<string, W[]>();
  for (const w of items) {
    const own = byKey.get(w.key);
    if (own) own.push(w);
    else byKey.set(w.key, [w]);
  }
  return [...byKey.values()];
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

/**
 * Lanes by a hash of the key: each community always waits in the same one of `count` lanes.
 * In a lane the work of every community waiting goes out together (one statement, one
 * commit); several lanes keep a few batches in flight at once, so one batch's round trip
 * overlaps another's work, and since a community is in one lane only, the batches of one
 * process never wait on each other's locks.
 */
export function hashLanes(count: number): (key: string) => string {
  return (key) => {
    let hash = 0;
    for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
    return String(Math.abs(hash) % count);
  };
}
