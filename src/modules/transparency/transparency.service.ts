import os from 'node:os';
import type { Database } from '../../db/database.js';
import { assert, validationFailed } from '../../shared/errors.js';
import { consistencyRanges, inclusionRanges, nodesOf, proofFromNodes, type LeafRange, type NodeId } from '../../shared/merkle.js';
import type { Principal } from '../auth/auth.service.js';
import type { CommunitiesService } from '../communities/communities.service.js';
import type { LedgerService, VerificationProgress } from '../ledger/ledger.service.js';
import { createAppender, nodeSha256, startAppending } from './transparency.appender.js';
import * as repo from './transparency.repository.js';
import type { ConsistencyProof, InclusionProof } from './transparency.schemas.js';
import { loadSigner, type Signer } from './transparency.signer.js';

/** How often each process looks for trees behind their ledgers (commits it did not signal). */
const SWEEP_MS = 2_000;
/**
 * How long a wake-up waits for more commits, to append them together: each append costs a
 * transaction of a few statements whatever its size, so under load fewer, larger appends keep
 * the log's share of the database small, while a checkpoint still follows within a fraction of
 * a second (and a checkpoint request appends what is waiting itself).
 */
const COALESCE_MS = 100;
/** Batches a request may append itself before answering (2,000 leaves each). */
const REQUEST_BATCHES = 3;
/** How long a request waits for another appender's transaction on the same tree before answering with what is stored. */
const REQUEST_LOCK_WAIT_MS = 2_000;

export interface TransparencyDeps {
  ledger: Pick<LedgerService, 'leavesAfter'>;
  communities: Pick<CommunitiesService, 'member'>;
  /** TRANSPARENCY_ORIGIN; unset, the host name. Fixed on first start (transparency.signer.ts). */
  host?: string | undefined;
  /** Where the log's appender and signer report (the app's logger). */
  log: { warn(message: string, error?: unknown): void; error(message: string): void };
}

export type TransparencyService = ReturnType<typeof createTransparencyService>;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const key = (n: NodeId) => `${n.level}/${n.index}`;

/**
 * Each community's entries as an RFC 6962 Merkle tree with signed C2SP checkpoints (API.md,
 * "Verifiable books"). The tree is kept beside the ledger, never in a posting transaction: an
 * appender in every process (transparency.appender.ts) adds committed entries within moments;
 * a request that finds the tree behind appends a bounded amount itself first, and otherwise
 * answers with the latest stored checkpoint, which never claims an entry it does not cover.
 */
export function createTransparencyService(db: Database, deps: TransparencyDeps) {
  const { log } = deps;
  let background: ReturnType<typeof startAppending> | null = null;
  const host = (deps.host ?? os.hostname()).toLowerCase();
  // Read on first use, so that building the app (e.g. to write the OpenAPI document) needs no database.
  let signerPromise: Promise<Signer> | undefined;
  const signer = () =>
    (signerPromise ??= loadSigner(db, host, (m) => log.warn(m)).catch((error: unknown) => {
      signerPromise = undefined;
      throw error;
    }));
  const appender = createAppender({ db, ledger: deps.ledger, signer, log });

  /**
   * The stored head, after a bounded catch-up when the tree may be behind what the request
   * needs (`atLeast`, or always when not given). An appender holding the tree is waited for,
   * at most REQUEST_LOCK_WAIT_MS; past that the stored head is answered as it is.
   */
  async function currentHead(communityId: string, atLeast?: number): Promise<repo.HeadRow> {
    const stored = await repo.readHead(db, communityId);
    if (stored && atLeast !== undefined && atLeast <= stored.size) return stored;
    await appender.catchUp(communityId, REQUEST_BATCHES, REQUEST_LOCK_WAIT_MS);
    const head = await repo.readHead(db, communityId);
    assert(head, 'a community has a transparency head once it is caught up');
    return head;
  }

  /**
   * The hashes of a proof over the tree of `size` from the stored nodes, in one read. The read
   * includes the tree's last leaf: stored means the tree is that large (nodes and head move in
   * one transaction), so the common case needs no look at the head. Otherwise the tree may be
   * behind what was asked: it catches up (bounded) and `size` must then be within it.
   */
  async function proof(communityId: string, size: number, ranges: LeafRange[], extra: NodeId[] = []) {
    const last = { level: 0, index: size - 1 };
    const wanted = [last, ...extra, ...nodesOf(ranges)];
    let stored = await repo.readNodes(db, communityId, wanted);
    if (!stored.has(key(last))) {
      const head = await currentHead(communityId, size);
      if (size > head.size) throw validationFailed(`the tree has ${head.size} entries, fewer than ${size}`);
      stored = await repo.readNodes(db, communityId, wanted);
    }
    const read = (n: NodeId) => {
      const hash = stored.get(key(n));
      assert(hash, `node ${key(n)} of ${communityId} is stored`);
      return hash;
    };
    return { hashes: proofFromNodes(ranges, read, nodeSha256), read };
  }

  const verification: VerificationProgress = {
    read: async (communityId) => repo.readVerified(db, communityId),
    save: (communityId, prefix) => repo.saveVerified(db, communityId, prefix),
  };

  return {
    appender,
    /** Where /ledger/verify remembers how far it last found the books right. */
    verification,

    /** Starts this process's background appender (woken by `wake`, and sweeping); returns its stop. */
    start(): () => Promise<void> {
      const started = startAppending(appender, { sweepMs: SWEEP_MS, coalesceMs: COALESCE_MS, listHeads: () => repo.listHeads(db), log });
      background = started;
      return async () => {
        if (background === started) background = null;
        await started.stop();
      };
    },

    /** A commit of this community was signalled: the background appender (if started) appends it soon. */
    wake(communityId: string): void {
      background?.wake(communityId);
    },

    /** The verifier key of every checkpoint, in signed-note form. */
    async verifierKey(): Promise<string> {
      return (await signer()).verifierKey;
    },

    /** The community's latest signed checkpoint (a member's request). */
    async checkpoint(communityId: string, principal: Principal): Promise<string> {
      await deps.communities.member(communityId, principal);
      return (await currentHead(communityId)).checkpoint;
    },

    async inclusionProof(communityId: string, principal: Principal, seq: number, treeSize: number): Promise<InclusionProof> {
      await deps.communities.member(communityId, principal);
      if (seq > treeSize) throw validationFailed(`seq must be among the first ${treeSize} entries`);
      const leaf = { level: 0, index: seq - 1 };
      const { hashes, read } = await proof(communityId, treeSize, inclusionRanges(leaf.index, treeSize), [leaf]);
      return { seq, leafIndex: leaf.index, treeSize, leafHash: b64(read(leaf)), hashes: hashes.map(b64) };
    },

    async consistencyProof(communityId: string, principal: Principal, from: number, to: number): Promise<ConsistencyProof> {
      await deps.communities.member(communityId, principal);
      if (from > to) throw validationFailed('from must be at most to');
      if (to === 0) return { from, to, hashes: [] };
      const { hashes } = await proof(communityId, to, consistencyRanges(from, to));
      return { from, to, hashes: hashes.map(b64) };
    },
  };
}
