import { pgCode } from '../../db/transaction.js';
import { AppError, assert } from '../../shared/errors.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';

/**
 * The two-key rule, written once for everything a community's co-signers approve (spend
 * requests and budgets; later votes and payouts of the maintenance fund):
 * - only a co-signer holds a key (`403 forbidden`);
 * - the author of what is approved (its submitter or drafter) never holds a key to it
 *   (`403 self_approval`), and is never counted;
 * - a key is used with the co-signer's signing password, under the login throttle
 *   (`403 bad_signing_password`, then `429 rate_limited`);
 * - each co-signer decides once (`409 already_decided`), the database's unique key having
 *   the last word when two requests race;
 * - what is approved is approved with the required number of distinct keys.
 * Each user of the rule keeps its keys in its own table, under its own locks; the database
 * repeats the rule there (distinct co-signers, never the author).
 */
export type Approvals = ReturnType<typeof createApprovals>;

export function createApprovals(communities: Pick<CommunitiesService, 'checkSigningPassword'>) {
  return {
    /** Only a co-signer holds a key; checked before what is approved is even looked up. */
    requireKeyHolder(member: Member): void {
      requireRole(member, 'cosigner');
    },

    /**
     * Admits a co-signer's key, before anything is locked: never the author's (`selfApproval`
     * says why), and only with their signing password, which the author is never asked for.
     */
    async admitKey(member: Member, authorId: string, signingPassword: string, selfApproval: string): Promise<void> {
      if (member.userId === authorId) throw new AppError('self_approval', selfApproval);
      await communities.checkSigningPassword(member, signingPassword);
    },

    /**
     * Records a key with `insert`, under the caller's lock. A second key of the same co-signer
     * is `already_decided` (`detail` says on what), however the two requests raced.
     */
    async recordKey<T>(insert: () => Promise<T>, detail: string): Promise<T> {
      try {
        return await insert();
      } catch (error) {
        if (pgCode(error) === '23505') throw new AppError('already_decided', detail);
        throw error;
      }
    },

    /**
     * The keys that count, read under the caller's lock: distinct co-signers other than the
     * author. Complete once there are `required` of them.
     */
    tally(keyHolders: readonly string[], authorId: string, required: number): { keys: number; complete: boolean } {
      assert(new Set(keyHolders).size === keyHolders.length, 'a co-signer holds one key to a thing');
      assert(required >= 2, 'a community never needs fewer than two keys');
      const keys = keyHolders.filter((id) => id !== authorId).length;
      return { keys, complete: keys >= required };
    },
  };
}
