import type { Database, Executor } from '../../db/database.js';
import { inTransaction, pgCode } from '../../db/transaction.js';
import { AppError, assert, forbidden, invalidState, notFound } from '../../shared/errors.js';
import { formatYuan } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import type { Principal } from '../auth/auth.principal.js';
import { hasRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { RepairsService } from '../repairs/repairs.service.js';
import * as repo from './spending.repository.js';
import type { RequestRow } from './spending.repository.js';
import type { AcceptanceBody, SpendRequest } from './spending.schemas.js';

export interface AcceptanceDeps {
  db: Database;
  ledger: Pick<LedgerService, 'publish'>;
  communities: Pick<CommunitiesService, 'member'>;
  evidence: Pick<EvidenceService, 'resolve'>;
  repairs: Pick<RepairsService, 'linkable'>;
  body: (executor: Executor, member: Member, row: RequestRow) => Promise<SpendRequest>;
}

/**
 * 验收: after a payout, the people the money was spent for say whether they got it. A
 * co-signer, or the resident who reported the repair the request pays for, records one verdict
 * (accepted or disputed) with a note and photos; a second is `409 already_decided`. Verdicts
 * are public on the timeline and in the feed, and never change.
 */
export function createAcceptance({ db, ledger, communities, evidence, repairs, body }: AcceptanceDeps) {
  /** Who may judge this request: a co-signer, or the reporter of its repair. */
  async function mayJudge(member: Member, row: RequestRow): Promise<void> {
    if (hasRole(member, 'cosigner')) return;
    if (row.repair_id !== null && (await repairs.linkable(db, member.communityId, row.repair_id)).reportedBy === member.userId) return;
    throw forbidden('A co-signer, or the member who reported the repair this request pays for, records the acceptance');
  }

  return {
    async accept(communityId: string, principal: Principal, id: string, input: AcceptanceBody): Promise<SpendRequest> {
      const member = await communities.member(communityId, principal);
      const found = await repo.findRequest(db, communityId, id);
      if (!found) throw notFound('spend request');
      await mayJudge(member, found);
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      const note = input.note.trim();
      return inTransaction(db, async (tx) => {
        const row = await repo.lockRequest(tx, communityId, id);
        assert(row, 'a spend request is never deleted');
        if (row.status !== 'paid') throw invalidState(`This request is ${row.status}; acceptance follows the payout`);
        if (await repo.findVerdict(tx, communityId, id, member.userId)) throw alreadyJudged();
        const step = await repo.appendEvent(tx, { communityId, requestId: id, event: input.verdict, actorId: member.userId, note });
        await repo.insertAttachments(tx, communityId, id, step.n, attachments.map((a) => a.id));
        try {
          await repo.insertVerdict(tx, { communityId, requestId: id, userId: member.userId, verdict: input.verdict, note, step: step.n, at: step.at });
        } catch (error) {
          // The primary key is the last word on "one verdict per person".
          if (pgCode(error) === '23505') throw alreadyJudged();
          throw error;
        }
        const accepted = input.verdict === 'accepted';
        await ledger.publish(tx, communityId, {
          type: accepted ? 'spend.accepted' : 'spend.disputed',
          amount: null,
          account: row.account_code,
          summary: `支出 ${row.tracking_no} ${accepted ? '已验收' : '验收有异议'}：${row.title} ${formatYuan(row.amount)}`,
          ref: row.tracking_no,
          actorId: member.userId,
          details: { title: row.title, note: oneLine(note) },
        });
        return body(tx, member, row);
      });
    },
  };
}

const alreadyJudged = () => new AppError('already_decided', 'You have already recorded your acceptance of this request');
