import { createHash } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { inCommunityTransaction } from '../../db/community-transaction.js';
import { AppError } from '../../shared/errors.js';
import * as repo from './idempotency.repository.js';

export interface Outcome<T> {
  status: number;
  body: T;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed?: boolean;
}

/** How a route hands a request's Idempotency-Key and fingerprint to a service. */
export interface Idempotency {
  key: string | undefined;
  /** What the request asked for: route and body. Same key, other fingerprint: 422. */
  fingerprint: string;
}

export interface IdempotencyScope extends Idempotency {
  communityId: string;
}

/** A stable fingerprint of a request: its route and its body with keys in sorted order. */
export function fingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(`${route}\n${stableJson(body)}`).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Runs a money-moving `work` at most once per Idempotency-Key. The key is claimed in the
 * same transaction as the work: a racing request with the same key waits on the claim, then
 * replays the stored answer; if the first request failed (rolled back), the key was never
 * claimed and the retry does the work. Only successful answers are stored.
 * Without a key, `work` simply runs in a transaction.
 *
 * Either way the transaction is the community's batched one (community-transaction.ts): the
 * money writes of a community that arrive together share one transaction and one commit, each
 * in a savepoint of its own. Two requests with one key in one batch are still one: the second
 * sees the first's claim and answer in the shared transaction and replays it.
 */
export async function runOnce<T>(db: Database, scope: IdempotencyScope, work: (tx: Tx) => Promise<Outcome<T>>): Promise<Outcome<T>> {
  const key = scope.key;
  if (key === undefined) return inCommunityTransaction(db, scope.communityId, work);
  return inCommunityTransaction(db, scope.communityId, async (tx) => {
    if (!(await repo.claimKey(tx, scope.communityId, key, scope.fingerprint))) return replay<T>(tx, scope.communityId, key, scope.fingerprint);
    const outcome = await work(tx);
    await repo.storeAnswer(tx, scope.communityId, key, outcome.status, JSON.stringify(outcome.body));
    return outcome;
  });
}

async function replay<T>(db: Executor, communityId: string, key: string, requestHash: string): Promise<Outcome<T>> {
  const row = await repo.findKey(db, communityId, key);
  if (row.request_hash !== requestHash) {
    throw new AppError('idempotency_conflict', 'This Idempotency-Key was already used with a different request');
  }
  return { status: row.status_code, body: JSON.parse(row.response_body) as T, replayed: true };
}
