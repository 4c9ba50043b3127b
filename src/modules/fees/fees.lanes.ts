import type { Database, Executor } from '../../db/database.js';
import { createGroupCommit, hashLanes } from '../../db/group-commit.js';
import { afterCommit, inTransaction } from '../../db/transaction.js';
import { AppError, assert, notFound } from '../../shared/errors.js';
import { Money } from '../../shared/money.js';
import type { Principal } from '../auth/auth.service.js';
import { requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import { pastOrPresent, positiveAmount, type LedgerService } from '../ledger/ledger.service.js';
import type { OpenBill } from './fees.allocation.js';
import * as repo from './fees.repository.js';
import type { FeePayment, FeePaymentBody } from './fees.schemas.js';

/**
 * Fee payments in lanes, as incomes are (ledger.service.ts): a city of quiet communities, each
 * with one payment at a time, would otherwise pay a transaction per payment. A payment without
 * an Idempotency-Key waits in its community's lane; a lane's batch checks every caller in one
 * membership query, reads every unit and its unpaid bills in two more, allocates each payment
 * and writes all of them in one statement (`fees_record_payments_each`), which is its own
 * transaction.
 *
 * The statement takes only the heads that are free, and writes only the payments of units
 * whose bills are still those they were allocated over. The rest wrote nothing and go to
 * `contended`: per community, under its head, read and allocated again and written, while the
 * lane goes on. Their callers are answered when that is done.
 */

/** A payment as the fees service drafts it: the unit, the checked amount and time, who records it. */
export interface PaymentInput {
  communityId: string;
  unit: { id: string; building: string };
  amount: Money;
  paidAt: Date;
  feeRate: string;
  body: FeePaymentBody;
  principal: Principal;
}

/** A payment drafted over the unit's unpaid bills (fees.service.ts draftPayment). */
export interface PaymentDraft {
  /** What `fees_record_payments_each` writes. */
  item: repo.PaymentItem;
  /** The unit's unpaid bills once this payment settles them: what its next payment is allocated over. */
  after: OpenBill[];
  /** The answer to the caller, once the payment is recorded. */
  answer(recorded: repo.PaymentRecorded): FeePayment;
}

/**
 * Who may record a fee payment and what it must say, checked the same way on both paths and
 * in the same order: an outsider learns nothing (`not_found`), only a manager records a
 * payment, then the amount and the time. Throws the refusal.
 */
export function checkPayment(member: Member | undefined, body: FeePaymentBody): { amount: Money; paidAt: Date } {
  if (!member) throw notFound('community');
  requireRole(member, 'manager');
  return { amount: new Money(positiveAmount(body.amount)), paidAt: pastOrPresent(body.paidAt, 'paidAt') };
}

/** A payment asked for, waiting for its lane's batch. */
export interface PaymentRequest {
  communityId: string;
  principal: Principal;
  body: FeePaymentBody;
}

/** A payment whose caller and fields passed: what remains to read is its unit and bills. */
type CheckedPayment = PaymentRequest & { amount: Money; paidAt: Date };

type Answer = FeePayment | AppError;

export interface PaymentLaneDeps {
  communities: Pick<CommunitiesService, 'membersEach' | 'unitsEach'>;
  ledger: Pick<LedgerService, 'touched' | 'lockHead'>;
  draftPayment(input: PaymentInput, open: readonly OpenBill[], seen: string): PaymentDraft;
}

/** Payments wait in one of a few lanes, by community (see hashLanes). */
const paymentLane = hashLanes(4);

export function createPaymentLanes(db: Database, { communities, ledger, draftPayment }: PaymentLaneDeps) {
  const lanes = createGroupCommit<PaymentRequest, Answer | Promise<Answer>>((_lane, batch) => writeLane(batch), { laneOf: paymentLane });

  async function writeLane(batch: PaymentRequest[]): Promise<Array<Answer | Promise<Answer>>> {
    const standings = await communities.membersEach(batch);
    const answers: Array<Answer | Promise<Answer>> = new Array(batch.length);
    const checked: Array<{ at: number; payment: CheckedPayment }> = [];
    batch.forEach((request, at) => {
      try {
        checked.push({ at, payment: { ...request, ...checkPayment(standings[at], request.body) } });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        answers[at] = error;
      }
    });
    if (checked.length === 0) return answers;
    // One statement is its own transaction: no BEGIN or COMMIT round trip (StatementTx).
    const written = await write(db, checked.map((c) => c.payment), true);
    const moved = new Set<string>();
    checked.forEach(({ at, payment }, k) => {
      const outcome = written[k]!;
      if (outcome === 'again') {
        answers[at] = contended.submit(payment.communityId, payment);
      } else {
        answers[at] = outcome;
        if (!(outcome instanceof AppError)) moved.add(payment.communityId);
      }
    });
    for (const communityId of moved) ledger.touched(communityId);
    return answers;
  }

  /**
   * Payments of one community that the lane could not write (its head was busy, or a unit's
   * bills moved): under its head, taken first and waited for, their units and bills are read
   * again and nothing can move them before the commit.
   */
  const contended = createGroupCommit<CheckedPayment, Answer>((communityId, payments) =>
    inTransaction(db, async (tx) => {
      await ledger.lockHead(tx, communityId);
      const written = await write(tx, payments, false);
      afterCommit(tx, () => ledger.touched(communityId));
      return written.map((outcome) => {
        assert(outcome !== 'again', 'nothing moves a unit’s bills while its community’s head is held');
        return outcome;
      });
    }),
  );

  /**
   * Reads the payments' units and unpaid bills, allocates each (several of one unit one after
   * the other, each over the bills the earlier ones leave) and writes them in one statement.
   * Answers each: recorded, refused, or `again` when it wrote nothing and must be tried anew.
   */
  async function write(executor: Executor, payments: readonly CheckedPayment[], skipLocked: boolean): Promise<Array<Answer | 'again'>> {
    const asks = payments.map((p) => ({ communityId: p.communityId, unitId: p.body.unitId }));
    const [units, bills] = await Promise.all([communities.unitsEach(executor, asks), repo.unpaidBillsEach(executor, asks)]);
    const answers: Array<Answer | 'again'> = new Array(payments.length);
    const drafts: Array<{ at: number; draft: PaymentDraft }> = [];
    const standing = new Map<string, { open: readonly OpenBill[]; seen: string }>();
    payments.forEach((p, at) => {
      const found = units[at];
      if (!found) {
        answers[at] = notFound('unit');
        return;
      }
      const key = JSON.stringify([p.communityId, found.unit.id]);
      const before = standing.get(key) ?? { open: bills[at]!, seen: repo.billsSeen(bills[at]!) };
      const input = { communityId: p.communityId, unit: found.unit, amount: p.amount, paidAt: p.paidAt, feeRate: found.managementFeeRate, body: p.body, principal: p.principal };
      const draft = draftPayment(input, before.open, before.seen);
      standing.set(key, { open: draft.after, seen: before.seen });
      drafts.push({ at, draft });
    });
    if (drafts.length === 0) return answers;
    const recorded = await repo.recordPaymentsEach(executor, drafts.map((d) => d.draft.item), skipLocked);
    drafts.forEach(({ at, draft }, k) => {
      const outcome = recorded[k]!;
      answers[at] = typeof outcome === 'string' ? 'again' : draft.answer(outcome);
    });
    return answers;
  }

  return {
    /** Records a payment with those of its lane; resolves with the payment or the refusal. */
    submit: async (communityId: string, request: PaymentRequest): Promise<Answer> => lanes.submit(communityId, request),
  };
}
