import { assert } from '../shared/errors.js';
import type { Database, Tx } from './database.js';

export const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected
export const MAX_ATTEMPTS = 5;

/**
 * Runs `work` in a READ COMMITTED transaction, retrying it whole when PostgreSQL reports a
 * serialization failure or a deadlock, so that a client never sees either as a 500 and
 * nothing is posted twice (the failed attempt rolled back). `work` must therefore be safe to
 * run again: it may not have side effects outside the transaction.
 */
export async function inTransaction<T>(db: Database, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      let callbacks: Array<() => void> = [];
      const result = await db.transaction().execute(async (tx) => {
        callbacks = [];
        commitCallbacks.set(tx, callbacks);
        return work(tx);
      });
      for (const callback of callbacks) callback();
      return result;
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(pgCode(error) ?? '')) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

const commitCallbacks = new WeakMap<object, Array<() => void>>();

/**
 * Gives `handle`, a handle on a transaction `inTransaction` opened, a list of its own for
 * `afterCommit`: a batch of work sharing one transaction (community-transaction.ts) keeps
 * each item's callbacks apart, to run only those of the items that were kept.
 */
export function commitCallbacksOf(handle: Tx): Array<() => void> {
  const callbacks: Array<() => void> = [];
  commitCallbacks.set(handle, callbacks);
  return callbacks;
}

/**
 * Runs `callback` once the transaction commits (never if it rolls back). The transaction must
 * be one `inTransaction` opened: for any other (the pool, or a transaction opened elsewhere)
 * nobody would know when it commits, so this refuses it as a broken invariant (a 500) rather
 * than run the callback before the change is visible, or never.
 */
export function afterCommit(tx: Tx, callback: () => void): void {
  const callbacks = commitCallbacks.get(tx);
  assert(callbacks, 'afterCommit is called inside a transaction opened by inTransaction');
  callbacks.push(callback);
}

export function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'constraint' in error
    ? String((error as { constraint: unknown }).constraint)
    : undefined;
}
