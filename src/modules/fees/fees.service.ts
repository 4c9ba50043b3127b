import { randomUUID } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { afterCommit, inTransaction, pgCode, pgConstraint } from '../../db/transaction.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatFixed, formatMoney, formatYuan, Money, sum } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import { localMonth } from '../../shared/time.js';
import { requireRole, type Member } from '../communities/communities.service.js';
import { runOnce, type Idempotency, type Outcome } from '../idempotency/idempotency.service.js';
import {
  FEE_INCOME,
  FEES_IN_ADVANCE,
  FEES_RECEIVABLE,
  FUND_ACCOUNT,
  positiveAmount,
  REMUNERATION_EXPENSE,
  REMUNERATION_PAYABLE,
  type LedgerService,
  type PostRequest,
} from '../ledger/ledger.service.js';
import { afterSettling, billAmount, settleOldestFirst, type OpenBill, type Settlement } from './fees.allocation.js';
import { checkPayment, createPaymentLanes, type PaymentDraft, type PaymentInput } from './fees.lanes.js';
import * as reports from './fees.reports.js';
import * as repo from './fees.repository.js';
import { formatRatePerM2, rateInEffect, requirePeriod } from './fees.schedule.js';
import type { BillingRun, BillingRunBody, FeePayment, FeePaymentBody, FeeSchedule, FeeScheduleBody } from './fees.schemas.js';

const RECEIVABLE = FEES_RECEIVABLE;
const ADVANCE = FEES_IN_ADVANCE;
const FUND = FUND_ACCOUNT;

/** How residents name each way of paying. */
const METHOD_WORDS: Record<FeePaymentBody['method'], string> = {
  cash: '现金',
  bank: '银行转账',
  wechat: '微信支付',
  alipay: '支付宝',
  other: '其他方式',
};

export type FeesService = ReturnType<typeof createFeesService>;

export function createFeesService(db: Database, ledger: Pick<LedgerService, 'post' | 'draftEntries' | 'touched' | 'lockHead'>, communities: reports.FeesCommunities) {
  async function communityOf(communityId: string) {
    const community = await communities.findCommunity(db, communityId);
    if (!community) throw notFound('community');
    return community;
  }

  /** The steward's remuneration earned on fees collected (Dr 5001 / Cr 2201), as an entry to post; null when it rounds to zero. */
  function remunerationEntry(communityId: string, amount: Money, source: { type: string; id: string }, at: Date, memo: string): PostRequest | null {
    if (amount.isZero()) return null;
    return {
      communityId,
      kind: 'remuneration',
      memo,
      source,
      occurredAt: at,
      lines: [
        { account: REMUNERATION_EXPENSE, debit: amount },
        { account: REMUNERATION_PAYABLE, credit: amount },
      ],
    };
  }

  async function accrueRemuneration(tx: Tx, communityId: string, amount: Money, source: { type: string; id: string }, at: Date, memo: string) {
    const entry = remunerationEntry(communityId, amount, source, at, memo);
    if (entry) await ledger.post(tx, entry);
  }

  function settlementRows(settlements: Settlement[], source: { payment_id: string | null; run_id: string | null }): repo.SettlementRow[] {
    return settlements.map((s) => ({
      id: randomUUID(),
      bill_id: s.billId,
      ...source,
      amount: formatMoney(s.amount),
      remuneration: formatMoney(s.remuneration),
    }));
  }

  /**
   * Issues the period's bills and applies advances, under the community's head lock. A
   * period's fees belong to it, whenever the run is made: everything the run posts (the bills,
   * the advances they absorb, the remuneration earned on those) is dated 00:00 local on the
   * period's first day, so reports file it under that month.
   */
  async function bill(tx: Tx, community: { id: string; timezone: string; management_fee_rate: string }, period: string, principal: Principal): Promise<BillingRun> {
    const communityId = community.id;
    const feeRate = community.management_fee_rate;
    await ledger.lockHead(tx, communityId);
    if (await repo.findRunByPeriod(tx, communityId, period)) throw invalidState(`The period ${period} is billed already`);
    const schedule = rateInEffect(await repo.listSchedules(tx, communityId), period);
    if (!schedule) throw invalidState('Set a fee schedule before the first billing run');
    const rate = schedule.rate_per_m2;
    const runId = randomUUID();
    const bills: repo.NewBill[] = [];
    const applied: Array<{ unit_id: string; settlement: Settlement }> = [];
    const advances = new Map((await repo.advances(tx, communityId)).map((a) => [a.unit_id, a.advance]));
    for (const unit of await communities.allUnits(tx, communityId)) {
      const advance = advances.get(unit.id) ?? '0';
      const amount = billAmount(unit.area_m2, rate);
      if (amount.isZero()) continue;
      const billId = randomUUID();
      bills.push({ id: billId, unit_id: unit.id, area_m2: unit.area_m2, amount: formatMoney(amount) });
      if (new Money(advance).gt(0)) {
        const { settlements } = settleOldestFirst([{ id: billId, period, amount: formatMoney(amount), paid: '0' }], new Money(advance), feeRate);
        applied.push({ unit_id: unit.id, settlement: settlements[0]! });
      }
    }
    if (bills.length === 0) throw invalidState('The community has no units to bill');
    const total = sum(bills.map((b) => b.amount));
    const advanceApplied = sum(applied.map((a) => a.settlement.amount));
    const remuneration = sum(applied.map((a) => a.settlement.remuneration));
    const billedAt = await repo.periodStart(tx, period, community.timezone);
    const entry = await ledger.post(tx, {
      communityId,
      kind: 'fee_bill',
      memo: `Property fees for ${period}: ${bills.length} bills at ${rate} CNY/m²`,
      source: { type: 'billing_run', id: runId },
      occurredAt: billedAt,
      lines: [
        { account: RECEIVABLE, debit: total },
        { account: FEE_INCOME, credit: total },
        ...(advanceApplied.gt(0) ? [{ account: ADVANCE, debit: advanceApplied }, { account: RECEIVABLE, credit: advanceApplied }] : []),
      ],
    });
    const common = { communityId, id: runId, period, ratePerM2: rate, bills: bills.length, createdBy: principal.userId };
    const run = await repo.insertRun(tx, {
      ...common,
      total: formatMoney(total),
      advanceApplied: formatMoney(advanceApplied),
      remuneration: formatMoney(remuneration),
      entrySeq: entry!.seq,
    });
    await repo.insertBills(tx, communityId, runId, period, rate, bills);
    await repo.insertSettlements(tx, communityId, billedAt, settlementRows(applied.map((a) => a.settlement), { payment_id: null, run_id: runId }));
    await repo.consumeAdvances(tx, communityId, applied.map((a) => ({ unit_id: a.unit_id, amount: formatMoney(a.settlement.amount) })));
    await accrueRemuneration(tx, communityId, remuneration, { type: 'billing_run', id: runId }, billedAt, `Steward remuneration on advances applied to ${period} fees`);
    return {
      id: runId,
      period,
      bills: bills.length,
      total: formatMoney(total),
      ratePerM2: formatRatePerM2(rate),
      advanceApplied: formatMoney(advanceApplied),
      remuneration: formatMoney(remuneration),
      entryId: entry!.id,
      createdAt: run.created_at.toISOString(),
    };
  }

  /**
   * A payment as drafted over the unit's unpaid bills `open` (oldest first, the rest to the
   * unit's advance, the steward's remuneration on what settles bills): the item the database
   * function writes, the bills as they stand after it, and the answer once it is recorded.
   * `seen` is the bills the function compares under its lock: those read, which for a later
   * payment of the same unit in one batch are the bills before the first.
   */
  function draftPayment(input: PaymentInput, open: readonly OpenBill[], seen: string): PaymentDraft {
    const { communityId, unit, amount, paidAt } = input;
    const allocation = settleOldestFirst(open, amount, input.feeRate);
    assert(allocation.toBills.plus(allocation.rest).eq(amount), 'a payment splits exactly into bills and advance');
    const paymentId = randomUUID();
    const text = formatMoney(amount);
    const payment: PostRequest = {
      communityId,
      kind: 'fee_payment',
      memo: `Property fee payment by ${input.body.method} (building ${unit.building})`,
      source: { type: 'fee_payment', id: paymentId },
      occurredAt: paidAt,
      lines: [
        { account: FUND, debit: amount },
        ...(allocation.toBills.gt(0) ? [{ account: RECEIVABLE, credit: allocation.toBills }] : []),
        ...(allocation.rest.gt(0) ? [{ account: ADVANCE, credit: allocation.rest }] : []),
      ],
      feed: {
        type: 'fee.paid',
        amount: text,
        account: FUND,
        summary: `物业费到账 ${formatYuan(amount)}（楼栋：${oneLine(unit.building)}，${METHOD_WORDS[input.body.method]}）`,
        ref: paymentId,
        actorId: input.principal.userId,
        details: { building: unit.building, method: input.body.method },
      },
    };
    const remuneration = remunerationEntry(communityId, allocation.remuneration, { type: 'fee_payment', id: paymentId }, paidAt, 'Steward remuneration on property fees collected');
    // The payment's entry, then the remuneration it earns.
    const entries = ledger.draftEntries(remuneration ? [payment, remuneration] : [payment]);
    const split = { toBills: formatMoney(allocation.toBills), toAdvance: formatMoney(allocation.rest), remuneration: formatMoney(allocation.remuneration) };
    const item: repo.PaymentItem = {
      communityId,
      unitId: unit.id,
      seen,
      entries: entries.items,
      payment: {
        id: paymentId,
        amount: text,
        method: input.body.method,
        reference: input.body.reference ?? null,
        paidAt: paidAt.toISOString(),
        ...split,
        recordedBy: input.principal.userId,
      },
      settlements: settlementRows(allocation.settlements, { payment_id: paymentId, run_id: null }),
    };
    return {
      item,
      after: afterSettling(open, allocation.settlements),
      answer: (recorded) => ({
        id: paymentId,
        entryId: entries.ids[0]!,
        unitId: unit.id,
        amount: text,
        method: input.body.method,
        reference: input.body.reference ?? null,
        paidAt: paidAt.toISOString(),
        ...split,
        settled: allocation.settlements.map((s) => ({ period: s.period, amount: formatMoney(s.amount) })),
        unitDue: formatMoney(recorded.due),
        unitAdvance: formatMoney(recorded.advance),
      }),
    };
  }

  /**
   * One payment in the caller's transaction. The allocation is made over the unpaid bills as
   * read now, with no lock held; one statement then takes the community's head lock, locks
   * the bills, checks they are still these (else 40001: nothing is written and the
   * transaction runs again) and writes the whole payment. So the lock every writer of the
   * community queues for is held for one statement and the commit, not for a dozen round trips.
   */
  async function pay(tx: Tx, input: PaymentInput): Promise<FeePayment> {
    const [open] = await repo.unpaidBillsEach(tx, [{ communityId: input.communityId, unitId: input.unit.id }]);
    const draft = draftPayment(input, open!, repo.billsSeen(open!));
    afterCommit(tx, () => ledger.touched(input.communityId));
    return draft.answer(await repo.recordPayment(tx, draft.item));
  }

  /** Payments without an Idempotency-Key: a lane's batch writes those of many communities at once. */
  const lanes = createPaymentLanes(db, { communities, ledger, draftPayment });

  async function schedule(communityId: string, timezone: string): Promise<FeeSchedule> {
    const rows = await repo.listSchedules(db, communityId);
    const current = rateInEffect(rows, localMonth(new Date(), timezone));
    return {
      ratePerM2: current ? formatRatePerM2(current.rate_per_m2) : null,
      effectiveFrom: current?.effective_from ?? null,
      history: rows.map((r) => ({ ratePerM2: formatRatePerM2(r.rate_per_m2), effectiveFrom: r.effective_from, setAt: r.set_at.toISOString(), setBy: r.set_by })),
    };
  }

  return {
    async getSchedule(communityId: string, principal: Principal): Promise<FeeSchedule> {
      await communities.member(communityId, principal);
      return schedule(communityId, (await communityOf(communityId)).timezone);
    },

    async setSchedule(communityId: string, principal: Principal, body: FeeScheduleBody): Promise<FeeSchedule> {
      requireSteward(await communities.member(communityId, principal));
      const rate = new Money(body.ratePerM2);
      if (rate.lte(0)) throw validationFailed('ratePerM2 must be positive');
      const community = await communityOf(communityId);
      const effectiveFrom = body.effectiveFrom === undefined ? localMonth(new Date(), community.timezone) : requirePeriod(body.effectiveFrom, 'effectiveFrom');
      await inTransaction(db, (tx) =>
        repo.insertSchedule(tx, { communityId, id: randomUUID(), effectiveFrom, ratePerM2: formatFixed(rate, 4), setBy: principal.userId }),
      );
      return schedule(communityId, community.timezone);
    },

    async runBilling(communityId: string, principal: Principal, body: BillingRunBody, idempotency: Idempotency): Promise<Outcome<BillingRun>> {
      requireRole(await communities.member(communityId, principal), 'manager');
      const period = requirePeriod(body.period, 'period');
      // The run is dated on the period's first day, and the books hold nothing before 1970.
      if (period < '1970-01') throw validationFailed('period lies before 1970');
      const community = await communityOf(communityId);
      return runOnce(db, { communityId, ...idempotency }, async (tx) => ({
        status: 201,
        body: await bill(tx, community, period, principal),
      })).catch((error: unknown) => {
        // The head lock makes the check above decisive; the unique constraint is the backstop.
        if (pgCode(error) === '23505' && pgConstraint(error) === 'billing_runs_period_once') throw invalidState(`The period ${period} is billed already`);
        throw error;
      });
    },

    async recordPayment(communityId: string, principal: Principal, body: FeePaymentBody, idempotency: Idempotency): Promise<Outcome<FeePayment>> {
      if (idempotency.key === undefined) {
        // The hot path: concurrent payments of a lane's communities share one membership
        // read, one read of their units and bills, one statement and one commit.
        const result = await lanes.submit(communityId, { communityId, principal, body });
        if (result instanceof AppError) throw result;
        return { status: 201, body: result };
      }
      const { amount, paidAt } = checkPayment(await communities.member(communityId, principal), body);
      const community = await communityOf(communityId);
      const unit = await communities.findUnit(db, communityId, body.unitId);
      if (!unit) throw notFound('unit');
      const input = { communityId, unit, amount, paidAt, feeRate: community.management_fee_rate, body, principal };
      return runOnce(db, { communityId, ...idempotency }, async (tx) => ({ status: 201, body: await pay(tx, input) }));
    },

    /** Each fee payment's reference by the seq of the entry that booked it (for reconciliation). */
    async paymentReferences(executor: Executor, communityId: string): Promise<Map<number, string>> {
      const rows = await repo.paymentReferences(executor, communityId);
      return new Map(rows.map((r) => [r.entry_seq, r.reference!]));
    },

    /** What the unit's bills still ask for, "0.00" when nothing; read outside any transaction. */
    async amountDue(communityId: string, unitId: string): Promise<string> {
      return formatMoney((await repo.unitBalance(db, communityId, unitId)).due);
    },

    /**
     * Books a payment a provider has confirmed (a verified WeChat Pay notification) inside the
     * caller's transaction, so that the caller marks its order paid in the same commit. It
     * settles like any other payment, under the same locks, so racing a manager's cash
     * payment never over-settles a bill. Authorization is the caller's: `recordedBy` is the
     * member who opened the order.
     */
    async recordProviderPayment(tx: Tx, payment: { communityId: string; unitId: string; amount: string; method: 'wechat'; reference: string; paidAt: Date; recordedBy: string }): Promise<FeePayment> {
      const community = await communities.findCommunity(tx, payment.communityId);
      const unit = await communities.findUnit(tx, payment.communityId, payment.unitId);
      assert(community && unit, 'a payment order names a unit of its community');
      const amount = new Money(positiveAmount(payment.amount));
      const body: FeePaymentBody = { unitId: unit.id, amount: payment.amount, method: payment.method, reference: payment.reference };
      const principal: Principal = { userId: payment.recordedBy, isPlatformAdmin: false };
      return pay(tx, { communityId: payment.communityId, unit, amount, paidAt: payment.paidAt, feeRate: community.management_fee_rate, body, principal });
    },

    statement: (communityId: string, principal: Principal, unitId: string) => reports.statement(db, communities, communityId, principal, unitId),
    summary: (communityId: string, principal: Principal, period: string) => reports.summary(db, communities, communityId, principal, period),
    arrears: (communityId: string, principal: Principal, after: string | undefined, limit: number) =>
      reports.arrears(db, communities, communityId, principal, after, limit),
  };
}

/** Sets fee rates: the steward's staff or the community admin (and the platform admin). */
function requireSteward(member: Member): void {
  if (!member.isPlatformAdmin) requireRole(member, 'manager', 'admin');
}

