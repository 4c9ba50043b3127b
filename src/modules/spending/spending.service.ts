import type { Database, Executor, Tx } from '../../db/database.js';
import type { Principal } from '../auth/auth.service.js';
import { assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, formatYuan, Money } from '../../shared/money.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import { runOnce, type Idempotency, type Outcome } from '../idempotency/idempotency.service.js';
import { FUND_ACCOUNT, pastOrPresent, REMUNERATION_PAYABLE, type LedgerService } from '../ledger/ledger.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { RepairsService } from '../repairs/repairs.service.js';
import type { VotesService } from '../votes/votes.service.js';
import { createAcceptance } from './spending.acceptance.js';
import { createDecisions, lockForChange } from './spending.decisions.js';
import { createSubmissionLanes } from './spending.lanes.js';
import * as repo from './spending.repository.js';
import type { RequestRow } from './spending.repository.js';
import type { CancellationBody, PayoutBody, SpendListQuery, SpendRequest, SubmitSpendBody } from './spending.schemas.js';
import { allowingVote, draftRequest, requestOf, submissionFeed, submissionFields, submissionRefusal, submittedBody } from './spending.submission.js';
import { seesWholeAccount, spendBody, toSummary } from './spending.timeline.js';

export type SpendingService = ReturnType<typeof createSpendingService>;

/** `XY-<year>-<community number>-<request number>`: the community number leads every lookup. */
export const TRACKING_PATTERN = /^XY-[0-9]{4}-([1-9][0-9]{0,14})-[0-9]{6,}$/;

/** What spending needs beyond the ledger and the directory: the evidence a request names. */
export interface SpendingLinks {
  evidence: Pick<EvidenceService, 'resolve' | 'describe'>;
  repairs: Pick<RepairsService, 'linkable' | 'recordSpendStep'>;
  /** The owners' vote a large spend names (API.md, "Owners' votes"). */
  votes: Pick<VotesService, 'passedVote'>;
}

export function createSpendingService(db: Database, ledger: LedgerService, communities: CommunitiesService, { evidence, repairs, votes }: SpendingLinks) {
  const body = (executor: Executor, member: Member, row: RequestRow) => spendBody(executor, { communities, evidence }, member, row);
  const deps = { db, ledger, communities, body };
  const lanes = createSubmissionLanes(db, { communities, ledger, evidence, votes });

  /** Reads a request and its timeline in one snapshot, so the status and the steps agree. */
  const snapshot = (member: Member, find: (executor: Executor) => Promise<RequestRow | undefined>) =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const row = await find(tx);
        if (!row) throw notFound('spend request');
        return body(tx, member, row);
      });

  return {
    ...createDecisions(deps),
    ...createAcceptance({ db, ledger, communities, evidence, repairs, body }),

    /** Who each of the given requests pays, by request id (for the ledger's export). */
    payees: (executor: Executor, communityId: string, requestIds: readonly string[]) => repo.payeesOf(executor, communityId, requestIds),

    async submit(communityId: string, principal: Principal, input: SubmitSpendBody, idempotency: Idempotency): Promise<Outcome<SpendRequest>> {
      // The hot path: a plain submission shares its lane's reads, statement and commit with
      // those of other communities waiting (spending.lanes.ts).
      if (idempotency.key === undefined && input.repairId === undefined) return { status: 201, body: await lanes.submit(communityId, principal, input) };
      const member = await communities.member(communityId, principal);
      requireRole(member, 'manager');
      const fields = submissionFields(input, await ledger.findAccount(db, communityId, input.account));
      // Evidence never changes once uploaded, so it is resolved before the transaction: an
      // unknown or foreign id is a 404 before anything is stored or reserved.
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      const repairId = input.repairId ?? null;
      const repair = repairId === null ? null : { id: repairId, ...(await repairs.linkable(db, communityId, repairId)) };
      // Read before the transaction: a due vote named here is closed (and published) by this
      // check in a transaction of its own, which must not wait on our head lock.
      const community = await communities.findCommunity(db, communityId);
      assert(community, 'the member’s community exists');
      const vote = await allowingVote(community.vote_required_above, fields.amount, input.voteId, (voteId) => votes.passedVote(communityId, voteId));
      const request = draftRequest(communityId, member, fields, { attachments, repair, vote });
      return runOnce(db, { communityId, ...idempotency }, async (tx) => {
        const feedJson = ledger.prepareFeed(tx, communityId, submissionFeed(request));
        // The one statement under the head lock: the number, the remuneration check, the
        // reservation and every row of the request, so racing submissions queue for one round trip.
        const submitted = await repo
          .submitRequest(tx, communityId, { request: requestOf(request), attachmentIds: attachments.map((a) => a.id), steps: request.steps, feedJson })
          .catch((error: unknown) => {
            throw submissionRefusal(error, fields.amount);
          });
        if (repairId !== null) {
          // The repair's step is the repairs module's to write (it locks the repair first): after
          // the statement, still under the head lock, for a request that names a repair only.
          await repairs.recordSpendStep(tx, communityId, repairId, { event: 'spend.submitted', actorId: member.userId, trackingNo: submitted.tracking_no });
        }
        return { status: 201, body: submittedBody(member, request, submitted) };
      });
    },

    /** Each payout's bank reference by the seq of the entry that paid it (for reconciliation). */
    async payoutReferences(executor: Executor, communityId: string): Promise<Map<number, string>> {
      const rows = await repo.payoutReferences(executor, communityId);
      return new Map(rows.map((r) => [r.entry_seq!, r.bank_reference!]));
    },

    /** The requests that name a repair, as the repair shows them. */
    async requestsForRepair(executor: Executor, communityId: string, repairId: string) {
      const rows = await repo.requestsForRepair(executor, communityId, repairId);
      return rows.map((r) => ({ id: r.id, trackingNo: r.tracking_no, status: r.status, amount: formatMoney(r.amount) }));
    },

    async get(communityId: string, principal: Principal, id: string): Promise<SpendRequest> {
      const member = await communities.member(communityId, principal);
      return snapshot(member, (executor) => repo.findRequest(executor, communityId, id));
    },

    async list(communityId: string, principal: Principal, query: SpendListQuery) {
      const member = await communities.member(communityId, principal);
      const limit = query.limit ?? 100;
      const rows = await repo.listRequests(db, communityId, decodeSeqCursor(query.after), limit + 1, query.status);
      const whole = seesWholeAccount(member);
      return toPage(rows, limit, (r) => r.seq, (r) => toSummary(r, Number(r.approval_count ?? 0), whole));
    },

    /**
     * Finds a request by its tracking number. The number names its community, so the lookup
     * never searches across communities; someone outside that community gets the same 404
     * as for a number that does not exist.
     */
    async track(principal: Principal, trackingNo: string): Promise<SpendRequest> {
      const match = TRACKING_PATTERN.exec(trackingNo);
      if (!match) throw notFound('spend request');
      const community = await communities.findCommunityByNumber(db, Number(match[1]));
      if (!community) throw notFound('spend request');
      // Outsiders learn nothing, not even that the community exists: the same 404 throughout.
      const member = await communities.member(community.id, principal).catch(() => {
        throw notFound('spend request');
      });
      return snapshot(member, (executor) => repo.findByTrackingNo(executor, community.id, trackingNo));
    },

    async cancel(communityId: string, principal: Principal, id: string, input: CancellationBody, idempotency: Idempotency) {
      const member = await communities.member(communityId, principal);
      const found = await repo.findRequest(db, communityId, id);
      if (!found) throw notFound('spend request');
      if (found.submitted_by !== member.userId) throw forbidden('Only the submitter of a request may cancel it');
      return runOnce(db, { communityId, ...idempotency }, async (tx) => {
        const row = await lockForChange(tx, ledger, communityId, id);
        if (row.status !== 'pending' && row.status !== 'approved') {
          throw invalidState(`This request is ${row.status}; only a pending or approved request may be cancelled`);
        }
        if (!(await repo.transition(tx, communityId, id, ['pending', 'approved'], 'cancelled'))) throw invalidState('This request changed meanwhile');
        await ledger.release(tx, communityId, row.amount);
        await repo.appendEvent(tx, { communityId, requestId: id, event: 'cancelled', actorId: member.userId, note: input.reason.trim() });
        return { status: 200, body: await body(tx, member, (await repo.findRequest(tx, communityId, id))!) };
      });
    },

    async payout(communityId: string, principal: Principal, id: string, input: PayoutBody, idempotency: Idempotency) {
      const member = await communities.member(communityId, principal);
      requireRole(member, 'manager');
      const paidAt = pastOrPresent(input.paidAt, 'paidAt');
      const bankReference = input.bankReference.trim();
      if (!(await repo.findRequest(db, communityId, id))) throw notFound('spend request');
      const slips = await evidence.resolve(db, communityId, input.attachments ?? []);
      return runOnce(db, { communityId, ...idempotency }, async (tx) => {
        const row = await lockForChange(tx, ledger, communityId, id);
        if (row.status !== 'approved') throw invalidState(`This request is ${row.status}; only an approved request is paid out`);
        if (paidAt < row.submitted_at) throw validationFailed('paidAt lies before the request was submitted');
        if (row.account_code === REMUNERATION_PAYABLE) await requireAccrued(tx, ledger, communityId, row.amount);
        const amount = formatMoney(row.amount);
        // Release first: the payout spends the very money the request held, and the fund's
        // floor (balance >= reserved) must hold after the posting.
        await ledger.release(tx, communityId, amount);
        const posted = await ledger.post(tx, {
          communityId,
          kind: 'payout',
          memo: `Payout of spend request ${row.tracking_no}: ${row.title}`,
          source: { type: 'spend_request', id },
          occurredAt: paidAt,
          lines: [
            { account: row.account_code, debit: amount },
            { account: FUND_ACCOUNT, credit: amount },
          ],
          feed: {
            type: 'spend.paid',
            amount,
            account: row.account_code,
            summary: `支出 ${row.tracking_no} 已支付：${row.title} ${formatYuan(amount)}（收款方：${row.payee_name}）`,
            ref: row.tracking_no,
            actorId: member.userId,
            details: { title: row.title, counterparty: row.payee_name },
          },
        });
        const payout = { bankReference, paidAt, paidBy: member.userId, entrySeq: posted.seq, entryId: posted.id };
        if (!(await repo.transition(tx, communityId, id, ['approved'], 'paid', payout))) throw invalidState('This request changed meanwhile');
        const paid = await repo.appendEvent(tx, { communityId, requestId: id, event: 'paid', actorId: member.userId, note: bankReference });
        await repo.insertAttachments(tx, communityId, id, paid.n, slips.map((a) => a.id));
        if (row.repair_id !== null) {
          await repairs.recordSpendStep(tx, communityId, row.repair_id, { event: 'spend.paid', actorId: member.userId, trackingNo: row.tracking_no });
        }
        return { status: 200, body: await body(tx, member, (await repo.findRequest(tx, communityId, id))!) };
      });
    },
  };
}

/** At payout, the accrued remuneration still covers the request (2201 never turns into a debit). */
async function requireAccrued(tx: Tx, ledger: LedgerService, communityId: string, amount: string): Promise<void> {
  if ((await accruedRemuneration(tx, ledger, communityId)).lt(amount)) {
    throw invalidState('The accrued remuneration (2201) no longer covers this request');
  }
}

async function accruedRemuneration(tx: Tx, ledger: LedgerService, communityId: string): Promise<Money> {
  const account = await ledger.findAccount(tx, communityId, REMUNERATION_PAYABLE);
  assert(account, 'every community has account 2201');
  // Stored as debits minus credits; a liability's credit balance is what is owed.
  return new Money(account.balance).neg();
}

