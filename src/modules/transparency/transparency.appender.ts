import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { appendLeaves, emptyRoot, HASH_SIZE, leafHash, rangeHash, rangeNodes, type StoredNode } from '../../shared/merkle.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import * as repo from './transparency.repository.js';
import type { Signer } from './transparency.signer.js';

/** Node's SHA-256, several times faster than the portable one in merkle.ts. */
export const nodeSha256 = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest();

/** Leaves per append transaction: big enough to catch up fast, small enough to hold the head lock briefly. */
const BATCH = 2_000;
/** Trees a sweep looks at, at most (see startAppending). */
const SWEEP_COMMUNITIES = 200;

export type AppendResult = 'caught-up' | 'more' | 'busy' | 'stopped';

export interface AppenderDeps {
  db: Database;
  ledger: Pick<LedgerService, 'leavesAfter'>;
  signer: () => Promise<Signer>;
  log: { warn(message: string, error?: unknown): void; error(message: string): void };
}

/** The frontier's node ids follow from the size; the head keeps only their hashes. */
function frontierOf(size: number, bytes: Buffer): StoredNode[] {
  const ids = size === 0 ? [] : rangeNodes({ start: 0, end: size });
  if (bytes.length !== ids.length * HASH_SIZE) throw new Error(`the frontier of a tree of size ${size} has ${ids.length} hashes`);
  return ids.map((id, i) => ({ ...id, hash: bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) }));
}

/**
 * Appends what is committed beyond the tree: new entries, their stored hashes checked and
 * their leaves hashed into new nodes, then the head moved and a checkpoint of the new size
 * signed, all in one transaction that holds the head row's lock. Another appender holding
 * the lock (any process) means the work is being done: `busy`, and nothing waits. An entry
 * whose canonical bytes do not hash to its stored hash is never logged: the tree stops
 * before it (`stopped`), and /ledger/verify names the entry.
 */
export function createAppender(deps: AppenderDeps) {
  const { db, ledger, log } = deps;
  const reported = new Set<string>();
  /** Communities known to have a tree: a head is never deleted, so this process need not look again. */
  const known = new Set<string>();

  /** Creates the community's empty tree with its signed size-0 checkpoint, unless it has one. */
  async function ensureHead(communityId: string): Promise<void> {
    if (known.has(communityId)) return;
    if (await repo.readHead(db, communityId)) {
      known.add(communityId);
      return;
    }
    const signer = await deps.signer();
    const root = Buffer.from(emptyRoot(nodeSha256));
    const checkpoint = signer.signCheckpoint({ origin: signer.origin(communityId), size: 0, root });
    await repo.insertEmptyHead(db, { community_id: communityId, size: 0, root, frontier: Buffer.alloc(0), checkpoint });
    known.add(communityId);
  }

  async function appendBatch(communityId: string, waitMs: number): Promise<AppendResult> {
    const signer = await deps.signer();
    return inTransaction(db, async (tx) => {
      const head = waitMs > 0 ? await repo.lockHeadWaiting(tx, communityId, waitMs) : await repo.lockHeadSkipLocked(tx, communityId);
      if (!head) return 'busy';
      const leaves = await ledger.leavesAfter(tx, communityId, head.size, BATCH);
      const hashes: Uint8Array[] = [];
      for (const [i, leaf] of leaves.entries()) {
        const seq = head.size + i + 1;
        const problem =
          leaf.seq !== seq ? `entry ${seq} is missing (found ${leaf.seq})` : createHash('sha256').update(leaf.leaf).digest('hex') !== leaf.hash ? `entry ${seq} does not match its stored hash` : null;
        if (problem) {
          if (!reported.has(`${communityId}/${seq}`)) log.error(`transparency log of ${communityId} stops before entry ${seq}: ${problem}`);
          reported.add(`${communityId}/${seq}`);
          break;
        }
        hashes.push(leafHash(leaf.leaf, nodeSha256));
      }
      if (hashes.length === 0) return leaves.length === 0 ? 'caught-up' : 'stopped';

      const next = appendLeaves(head.size, frontierOf(head.size, head.frontier), hashes, nodeSha256);
      await repo.insertNodes(tx, communityId, next.nodes);
      const root = Buffer.from(rangeHash(next.frontier.map((n) => n.hash), nodeSha256));
      await repo.moveHead(tx, {
        community_id: communityId,
        size: next.size,
        root,
        frontier: Buffer.concat(next.frontier.map((n) => n.hash)),
        checkpoint: signer.signCheckpoint({ origin: signer.origin(communityId), size: next.size, root }),
      });
      if (hashes.length < leaves.length) return 'stopped';
      return leaves.length === BATCH ? 'more' : 'caught-up';
    });
  }

  /**
   * Appends up to `maxBatches` batches; `more` when there may be more to do. With `waitMs`, an
   * appender holding the head is waited for (up to that long) rather than left to it: a
   * request then covers everything committed before it, if the lag is within its batches.
   */
  async function catchUp(communityId: string, maxBatches: number, waitMs = 0): Promise<AppendResult> {
    await ensureHead(communityId);
    let result: AppendResult = 'more';
    for (let i = 0; i < maxBatches && result === 'more'; i++) result = await appendBatch(communityId, waitMs);
    return result;
  }

  /** Whether committed entries lie beyond the stored tree: one cheap read, no lock. */
  async function lagging(communityId: string, size: number): Promise<boolean> {
    return (await ledger.leavesAfter(db, communityId, size, 1)).length > 0;
  }

  return { ensureHead, catchUp, lagging };
}

export type Appender = ReturnType<typeof createAppender>;

/**
 * Runs the appender in the background of one API process: woken (coalesced) for communities
 * whose commits this process signals, and every `sweepMs` for every community whose tree is
 * behind its ledger, whatever process wrote the entries or whether it signalled at all. Any
 * number of processes may run one: the head lock is taken with SKIP LOCKED, so at most one
 * appends to a community at a time and the others move on.
 */
export function startAppending(appender: Appender, options: { sweepMs: number; coalesceMs: number; listHeads: () => Promise<Array<{ community_id: string; size: number }>>; log: AppenderDeps['log'] }) {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let sweeping: Promise<void> | null = null;
  let closed = false;

  const schedule = () => {
    if (closed || running || timer || pending.size === 0) return;
    timer = setTimeout(drain, options.coalesceMs);
    timer.unref();
  };

  const drain = () => {
    timer = undefined;
    running = (async () => {
      while (pending.size > 0 && !closed) {
        const communityId = pending.values().next().value!;
        pending.delete(communityId);
        const result = await appender.catchUp(communityId, 5).catch((error: unknown) => {
          options.log.warn(`appending to the transparency log of ${communityId} failed; the sweep retries`, error);
          return 'caught-up' as const;
        });
        if (result === 'more') pending.add(communityId);
      }
    })().finally(() => {
      running = null;
      schedule();
    });
  };

  // Each sweep looks at up to SWEEP_COMMUNITIES trees (one cheap read each), taking turns, so
  // a district's hundred are all looked at every sweep and a city's thousands within seconds,
  // at a bounded cost per process.
  let turn = 0;
  const sweep = setInterval(() => {
    if (sweeping || closed) return;
    sweeping = (async () => {
      const heads = await options.listHeads();
      const start = heads.length === 0 ? 0 : turn % heads.length;
      const chosen = [...heads.slice(start), ...heads.slice(0, start)].slice(0, SWEEP_COMMUNITIES);
      turn = start + chosen.length;
      for (const head of chosen) {
        if (closed) break;
        if (!pending.has(head.community_id) && (await appender.lagging(head.community_id, head.size))) pending.add(head.community_id);
      }
      schedule();
    })()
      .catch((error: unknown) => options.log.warn('the transparency sweep failed; the next one retries', error))
      .finally(() => {
        sweeping = null;
      });
  }, options.sweepMs);
  sweep.unref();

  return {
    /** Something was committed for this community: append it soon. */
    wake(communityId: string): void {
      pending.add(communityId);
      schedule();
    },
    /** Stops appending; waits for the transaction in flight, which commits or rolls back whole. */
    async stop(): Promise<void> {
      closed = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
      await Promise.allSettled([running, sweeping]);
    },
  };
}
