import { randomUUID } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { pgCode, pgConstraint } from '../../db/transaction.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, formatYuan, money, Money } from '../../shared/money.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import { runOnce, type Idempotency, type Outcome } from '../idempotency/idempotency.service.js';
import { FUND_ACCOUNT, pastOrPresent, positiveAmount, REMUNERATION_PAYABLE, translatePostError, type LedgerService } from '../ledger/ledger.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { AttachmentRef } from '../evidence/evidence.schemas.js';
import type { RepairsService } from '../repairs/repairs.service.js';
import type { VotesService } from '../votes/votes.service.js';
import { createAcceptance } from './spending.acceptance.js';
import { createDecisions, lockForChange } from './spending.decisions.js';
import { spendDigest } from './spending.digest.js';
import * as repo from './spending.repository.js';
import type { RequestRow, Submission, Submitted } from './spending.repository.js';
import type { CancellationBody, PayoutBody, SpendListQuery, SpendRequest, SubmitSpendBody } from './spending.schemas.js';
import { composeBody, seesWholeAccount, spendBody, toSummary } from './spending.timeline.js';

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
      const digest = spendDigest({ id, communityId, ...fields }, { repairId, attachments: attachments.map((a) => a.sha256) });
      const steps: Submission['steps'] = [
        // Each timeline shows the other: the request its repair, the repair this request.
        ...(repair === null ? [] : [{ event: 'repair' as const, note: null, ref: repair.trackingNo }]),
        // 五议两公开: the resolution that allowed the spend is published on its timeline.
        ...(vote ? [{ event: 'vote' as const, note: vote.title, ref: vote.id }] : []),
      ];
      const request = { ...fields, id, digest, submittedBy: member.userId, repairId, remuneration: fields.account === REMUNERATION_PAYABLE };
      return runOnce(db, { communityId, ...idempotency }, async (tx) => {
        const feedJson = ledger.prepareFeed(tx, communityId, {
          type: 'spend.submitted',
          amount: fields.amount,
          account: fields.account,
          // Templates of PostgreSQL's format(): the statement puts in the tracking number it takes.
          summary: `支出申请 %1$s 已提交：${formatLiteral(fields.title)} ${formatYuan(fields.amount)}`,
          ref: '%1$s',
          actorId: member.userId,
          details: { title: fields.title, counterparty: fields.payeeName },
        });
        // The one statement under the head lock: the number, the remuneration check, the
        // reservation and every row of the request, so racing submissions queue for one round trip.
        const submitted = await repo
          .submitRequest(tx, communityId, { request, attachmentIds: attachments.map((a) => a.id), steps, feedJson })
          .catch((error: unknown) => {
            throw submissionRefusal(error, fields.amount);
          });
        if (repairId !== null) {
          // The repair's step is the repairs module's to write (it locks the repair first): after
          // the statement, still under the head lock, for a request that names a repair only.
          await repairs.recordSpendStep(tx, communityId, repairId, { event: 'spend.submitted', actorId: member.userId, trackingNo: submitted.tracking_no });
        }
        return { status: 201, body: submittedBody(member, { ...request, attachments, steps }, submitted) };
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
 * The submission statement's refusals as the contract names them. The steward is paid only
 * what it has earned: 2201's balance less what open requests on 2201 already ask for, which
 * the statement reports as the constraint `remuneration_payable` with what is payable; the
 * fund's floor is `insufficient_funds`, as for any reservation.
 */
function submissionRefusal(error: unknown, amount: string): unknown {
  if (pgCode(error) === '23514' && pgConstraint(error) === 'remuneration_payable') {
    const payable = new Money(String((error as { detail?: unknown }).detail));
    return invalidState(`Only ${formatMoney(Money.max(payable, 0))} CNY of accrued remuneration (2201) is payable, less than ${amount}`);
  }
  return translatePostError(error);
}

/** Text that PostgreSQL's format() gives back as it is: a % is written %%. */
const formatLiteral = (text: string) => text.replaceAll('%', '%%');

/** A request as its submission knows it before the statement: its fields, evidence and steps. */
type SubmittedRequest = Submission['request'] & { attachments: AttachmentRef[]; steps: Submission['steps'] };

/**
 * The body of a request just submitted, from what the submission knew and what its statement
 * answered: byte for byte what spendBody reads back (test/spending.submission.test.ts), without
 * reading it. A new request has no approvals or verdicts; its evidence is on its first step;
 * every step is the submitter's, at the time of the submission.
 */
function submittedBody(member: Member, request: SubmittedRequest, submitted: Submitted): SpendRequest {
  const at = submitted.submitted_at;
  const row: RequestRow = {
    id: request.id,
    seq: submitted.seq,
    tracking_no: submitted.tracking_no,
    title: request.title,
    description: request.description,
    amount: request.amount,
    account_code: request.account,
    payee_name: request.payeeName,
    payee_account: request.payeeAccount,
    budget_year: request.budgetYear,
    digest: request.digest,
    required_approvals: submitted.required_approvals,
    submitted_by: member.userId,
    submitted_at: at,
    status: 'pending',
    bank_reference: null,
    paid_at: null,
    paid_by: null,
    entry_seq: null,
    entry_id: null,
    repair_id: request.repairId,
  };
  const events = [
    { n: 1, at, event: 'submitted' as const, actor_id: member.userId, note: null, ref: null },
    ...request.steps.map((step, i) => ({ n: i + 2, at, event: step.event, actor_id: member.userId, note: step.note, ref: step.ref })),
  ];
  return composeBody(member, row, {
    events,
    approvals: [],
    evidence: new Map(request.attachments.length === 0 ? [] : [[1, request.attachments]]),
    verdicts: [],
    people: new Map([[member.userId, { id: member.userId, displayName: submitted.submitter_name, roles: member.roles }]]),
  });
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

