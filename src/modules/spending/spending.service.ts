import { randomUUID } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, formatYuan, money, Money } from '../../shared/money.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import { localDate } from '../../shared/time.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import { runOnce, type Idempotency, type Outcome } from '../idempotency/idempotency.service.js';
import { FUND_ACCOUNT, pastOrPresent, positiveAmount, REMUNERATION_PAYABLE, type LedgerService } from '../ledger/ledger.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { RepairsService } from '../repairs/repairs.service.js';
import type { VotesService } from '../votes/votes.service.js';
import { createAcceptance } from './spending.acceptance.js';
import { createDecisions, lockForChange } from './spending.decisions.js';
import { spendDigest } from './spending.digest.js';
import * as repo from './spending.repository.js';
import type { RequestRow } from './spending.repository.js';
import type { CancellationBody, PayoutBody, SpendListQuery, SpendRequest, SubmitSpendBody } from './spending.schemas.js';
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

  /**
   * The vote a request names, which must be a closed vote of this community that passed; a
   * request above the policy's voteRequiredAbove must name one. Throws `409 quorum_not_met`.
   */
  async function allowingVote(communityId: string, amount: string, voteId: string | undefined) {
    const community = await communities.findCommunity(db, communityId);
    assert(community, 'the member’s community exists');
    const threshold = community.vote_required_above;
    const needed = threshold !== null && money(amount).gt(threshold);
    if (voteId === undefined) {
      if (needed) throw new AppError('quorum_not_met', `A spend above ${formatYuan(threshold)} needs a passed owners' vote: name it as voteId`);
      return undefined;
    }
    const vote = await votes.passedVote(communityId, voteId);
    if (!vote) throw new AppError('quorum_not_met', 'The vote named is not a closed vote of this community that passed');
    return vote;
  }

  return {
    ...createDecisions(deps),
    ...createAcceptance({ db, ledger, communities, evidence, repairs, body }),

    /** Who each of the given requests pays, by request id (for the ledger's export). */
    payees: (executor: Executor, communityId: string, requestIds: readonly string[]) => repo.payeesOf(executor, communityId, requestIds),

    async submit(communityId: string, principal: Principal, input: SubmitSpendBody, idempotency: Idempotency): Promise<Outcome<SpendRequest>> {
      const member = await communities.member(communityId, principal);
      requireRole(member, 'manager');
      const fields = await validSubmission(db, ledger, communityId, input);
      // Evidence never changes once uploaded, so it is resolved before the transaction: an
      // unknown or foreign id is a 404 before anything is stored or reserved.
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      const repairId = input.repairId ?? null;
      const repair = repairId === null ? null : await repairs.linkable(db, communityId, repairId);
      // Read before the transaction: a due vote named here is closed (and published) by this
      // check in a transaction of its own, which must not wait on our head lock.
      const vote = await allowingVote(communityId, fields.amount, input.voteId);
      const id = randomUUID();
      return runOnce(db, { communityId, ...idempotency }, async (tx) => {
        // The head lock comes first (nextSpendSeq takes it): the number, the remuneration check
        // and the reservation all happen under it, so racing submissions queue here.
        const seq = await ledger.nextSpendSeq(tx, communityId);
        const community = await communities.findCommunity(tx, communityId);
        assert(community, 'the member’s community exists');
        if (fields.account === REMUNERATION_PAYABLE) await requirePayable(tx, ledger, communityId, fields.amount);
        await ledger.reserve(tx, communityId, fields.amount);
        const year = localDate(new Date(), community.timezone).slice(0, 4);
        const trackingNo = `XY-${year}-${community.number}-${String(seq).padStart(6, '0')}`;
        const digest = spendDigest({ id, communityId, ...fields }, { repairId, attachments: attachments.map((a) => a.sha256) });
        const row = await repo.insertRequest(tx, {
          ...fields,
          communityId,
          id,
          seq,
          trackingNo,
          digest,
          requiredApprovals: community.required_approvals,
          submittedBy: member.userId,
          repairId,
        });
        const submitted = await repo.appendEvent(tx, { communityId, requestId: id, event: 'submitted', actorId: member.userId, note: null });
        await repo.insertAttachments(tx, communityId, id, submitted.n, attachments.map((a) => a.id));
        if (repairId !== null && repair !== null) {
          // Each timeline shows the other: the request its repair, the repair this request.
          await repo.appendEvent(tx, { communityId, requestId: id, event: 'repair', actorId: member.userId, note: null, at: submitted.at, ref: repair.trackingNo });
          await repairs.recordSpendStep(tx, communityId, repairId, { event: 'spend.submitted', actorId: member.userId, trackingNo });
        }
        if (vote) {
          // 五议两公开: the resolution that allowed the spend is published on its timeline.
          await repo.appendEvent(tx, { communityId, requestId: id, event: 'vote', actorId: member.userId, note: vote.title, at: submitted.at, ref: vote.id });
        }
        await ledger.publish(tx, communityId, {
          type: 'spend.submitted',
          amount: fields.amount,
          account: fields.account,
          summary: `支出申请 ${trackingNo} 已提交：${fields.title} ${formatYuan(fields.amount)}`,
          ref: trackingNo,
          actorId: member.userId,
          details: { title: fields.title, counterparty: fields.payeeName },
        });
        return { status: 201, body: await body(tx, member, row) };
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

/** Checks and normalises a submission: what may be paid is an expense of the community or the steward's accrued remuneration. */
async function validSubmission(db: Executor, ledger: LedgerService, communityId: string, input: SubmitSpendBody) {
  const amount = positiveAmount(input.amount);
  const account = await ledger.findAccount(db, communityId, input.account);
  if (!account) throw validationFailed(`There is no account ${input.account} in this community's chart`);
  if (account.type !== 'expense' && account.code !== REMUNERATION_PAYABLE) {
    throw validationFailed(`Account ${account.code} is an ${account.type} account; a spend request pays an expense account or 2201`);
  }
  const payeeAccount = input.payee.account === undefined ? null : input.payee.account.replace(/[ -]/g, '');
  if (payeeAccount !== null && !/^[0-9A-Za-z]{6,40}$/.test(payeeAccount)) {
    throw validationFailed('payee.account needs 6 to 40 letters and digits');
  }
  const description = input.description?.trim() || null;
  return {
    amount,
    account: account.code,
    title: input.title.trim(),
    description,
    payeeName: input.payee.name.trim(),
    payeeAccount,
    budgetYear: input.budgetYear ?? null,
  };
}

/**
 * The steward is paid only what it has earned: 2201's balance less what open requests on
 * 2201 already ask for. Runs under the head lock, so racing requests cannot both claim it.
 */
async function requirePayable(tx: Tx, ledger: LedgerService, communityId: string, amount: string): Promise<void> {
  const accrued = await accruedRemuneration(tx, ledger, communityId);
  const payable = accrued.minus(await repo.openAmountOn(tx, communityId, REMUNERATION_PAYABLE));
  if (payable.lt(amount)) {
    throw invalidState(`Only ${formatMoney(Money.max(payable, 0))} CNY of accrued remuneration (2201) is payable, less than ${amount}`);
  }
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

