import type { Database, Executor, Tx } from '../../db/database.js';
import { inCommunityTransaction } from '../../db/community-transaction.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, invalidState, notFound } from '../../shared/errors.js';
import { formatMoney, formatYuan } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import { createApprovals } from '../approvals/approvals.service.js';
import type { CommunitiesService, Member } from '../communities/communities.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import * as repo from './spending.repository.js';
import type { RequestRow } from './spending.repository.js';
import type { ApprovalBody, RejectionBody, SpendRequest } from './spending.schemas.js';

/**
 * The co-signers' keys: approvals and rejections. Every check that a key may be used is made
 * before the signing password is tried (role, existence, self-approval), and every check
 * that depends on the request's state is made again under its row lock.
 */
export function createDecisions({ db, ledger, communities, body }: SpendingDeps) {
  const approvals = createApprovals(communities);

  /** A co-signer, other than the submitter, holding the right key (approvals.service.ts). */
  async function keyHolder(communityId: string, principal: Principal, id: string, signingPassword: string): Promise<Member> {
    const member = await communities.member(communityId, principal);
    approvals.requireKeyHolder(member);
    const found = await repo.findRequest(db, communityId, id);
    if (!found) throw notFound('spend request');
    await approvals.admitKey(member, found.submitted_by, signingPassword, 'The submitter of a request never decides on it; cancel it instead');
    return member;
  }

  function decide(tx: Tx, member: Member, id: string, decision: 'approve' | 'reject', digest: string, reason: string | null) {
    const { communityId, userId } = member;
    return approvals.recordKey(() => repo.insertDecision(tx, { communityId, requestId: id, userId, decision, digest, reason }), ALREADY_DECIDED);
  }

  return {
    async approve(communityId: string, principal: Principal, id: string, input: ApprovalBody): Promise<SpendRequest> {
      const member = await keyHolder(communityId, principal, id, input.signingPassword);
      return inCommunityTransaction(db, communityId, async (tx) => {
        const row = await lockForChange(tx, ledger, communityId, id);
        if (await repo.findDecision(tx, communityId, id, member.userId)) throw alreadyDecided();
        if (row.status !== 'pending') throw invalidState(`This request is ${row.status}; only a pending request is approved`);
        if (input.digest !== row.digest) {
          throw new AppError('digest_mismatch', 'The digest is not the request’s: reload the request and check what you approve');
        }
        const { at } = await decide(tx, member, id, 'approve', input.digest, null);
        // Counted under the row lock: racing approvals see each other's keys.
        const holders = (await repo.approvalsOf(tx, communityId, id)).map((a) => a.user_id);
        const { keys, complete } = approvals.tally(holders, row.submitted_by, row.required_approvals);
        assert(keys <= row.required_approvals, 'a pending request never holds more keys than it needs');
        const step = { communityId, requestId: id, actorId: member.userId, at };
        await repo.appendEvent(tx, { ...step, event: 'key', note: `${keys}/${row.required_approvals}` });
        if (complete) {
          // The N-th key approves the request: one step and one feed item, when the status changes.
          assert(await repo.transition(tx, communityId, id, ['pending'], 'approved'), 'a locked pending request moves to approved');
          await repo.appendEvent(tx, { ...step, event: 'approved', note: null });
          await ledger.publish(tx, communityId, {
            type: 'spend.approved',
            amount: formatMoney(row.amount),
            account: row.account_code,
            summary: `支出 ${row.tracking_no} 已批准：${row.title} ${formatYuan(row.amount)}（${keys} 位共管人签字）`,
            ref: row.tracking_no,
            actorId: member.userId,
            details: { title: row.title, counterparty: row.payee_name, keys },
          });
        }
        return body(tx, member, (await repo.findRequest(tx, communityId, id))!);
      });
    },

    /** One rejection ends a pending or approved (not yet paid) request and frees its money. */
    async reject(communityId: string, principal: Principal, id: string, input: RejectionBody): Promise<SpendRequest> {
      const member = await keyHolder(communityId, principal, id, input.signingPassword);
      const reason = input.reason.trim();
      return inCommunityTransaction(db, communityId, async (tx) => {
        const row = await lockForChange(tx, ledger, communityId, id);
        if (await repo.findDecision(tx, communityId, id, member.userId)) throw alreadyDecided();
        if (row.status !== 'pending' && row.status !== 'approved') {
          throw invalidState(`This request is ${row.status}; only a pending or approved request is rejected`);
        }
        const { at } = await decide(tx, member, id, 'reject', row.digest, reason);
        assert(await repo.transition(tx, communityId, id, ['pending', 'approved'], 'rejected'), 'a locked open request moves to rejected');
        await ledger.release(tx, communityId, formatMoney(row.amount));
        await repo.appendEvent(tx, { communityId, requestId: id, event: 'rejected', actorId: member.userId, note: reason, at });
        await ledger.publish(tx, communityId, {
          type: 'spend.rejected',
          amount: formatMoney(row.amount),
          account: row.account_code,
          summary: `支出 ${row.tracking_no} 已驳回：${row.title} ${formatYuan(row.amount)}`,
          ref: row.tracking_no,
          actorId: member.userId,
          details: { title: row.title, counterparty: row.payee_name, note: oneLine(reason) },
        });
        return body(tx, member, (await repo.findRequest(tx, communityId, id))!);
      });
    },
  };
}

export type SpendingDeps = {
  db: Database;
  ledger: LedgerService;
  communities: CommunitiesService;
  body: (executor: Executor, member: Member, row: RequestRow) => Promise<SpendRequest>;
};

/** Takes the community head lock, then the request's row lock: the lock order of every writer. */
export async function lockForChange(tx: Tx, ledger: LedgerService, communityId: string, id: string): Promise<RequestRow> {
  await ledger.lockHead(tx, communityId);
  const row = await repo.lockRequest(tx, communityId, id);
  if (!row) throw notFound('spend request');
  return row;
}

const ALREADY_DECIDED = 'You have already approved or rejected this request';
const alreadyDecided = () => new AppError('already_decided', ALREADY_DECIDED);
