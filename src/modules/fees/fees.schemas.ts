import { Type, type Static } from 'typebox';
import { Body, Id, Money, Page, PageQuery, ref, Timestamp } from '../../shared/schemas.js';
import { PERIOD_PATTERN } from './fees.schedule.js';

const period = (description: string) => Type.String({ pattern: PERIOD_PATTERN, description, examples: ['2026-11'] });
export const Period = period('A calendar month, YYYY-MM');

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const RatePerM2 = Type.String({
  // At most 9999.9999: with a unit's largest area (99,999,999.99 m²) a bill still fits the
  // money rule's 13 integer digits.
  pattern: '^(0|[1-9][0-9]{0,3})(\\.[0-9]{1,4})?$',
  description: 'CNY per m² per month, positive, at most 9999.9999 with up to 4 decimals',
  examples: ['2.35'],
});

export const FeeScheduleBody = Body({
  ratePerM2: RatePerM2,
  effectiveFrom: Type.Optional(period('The first month billed at this rate, YYYY-MM; default: the current month in the community time zone')),
});
export type FeeScheduleBody = Static<typeof FeeScheduleBody>;

export const FeeRate = Type.Object({
  ratePerM2: Type.String(),
  effectiveFrom: Type.String(),
  setAt: Timestamp,
  setBy: Id,
});
export type FeeRate = Static<typeof FeeRate>;

export const FeeSchedule = Type.Object({
  ratePerM2: Nullable(Type.String({ description: 'The rate in effect this month; null before any rate is set' })),
  effectiveFrom: Nullable(Type.String()),
  history: Type.Array(FeeRate, { description: 'Every rate ever set, newest month first' }),
});
export type FeeSchedule = Static<typeof FeeSchedule>;

export const BillingRunBody = Body({ period: Period });
export type BillingRunBody = Static<typeof BillingRunBody>;

export const BillingRun = Type.Object({
  id: Id,
  period: Type.String(),
  bills: Type.Integer({ description: 'How many bills the run issued: one per unit' }),
  total: Type.String({ description: 'The sum of the bills, posted Dr 1101 / Cr 4001' }),
  ratePerM2: Type.String(),
  advanceApplied: Type.String({ description: 'Advances (2101) applied to the new bills at once' }),
  remuneration: Type.String({ description: 'Remuneration accrued on the applied advances (Dr 5001 / Cr 2201)' }),
  entryId: Id,
  createdAt: Timestamp,
});
export type BillingRun = Static<typeof BillingRun>;

export const PaymentMethod = Type.Enum(['cash', 'bank', 'wechat', 'alipay', 'other']);

export const FeePaymentBody = Body({
  unitId: Id,
  amount: ref(Money),
  method: PaymentMethod,
  reference: Type.Optional(Type.String({ maxLength: 200 })),
  paidAt: Type.Optional(Timestamp),
});
export type FeePaymentBody = Static<typeof FeePaymentBody>;

const Settled = Type.Object({ period: Type.String(), amount: Type.String() });

export const FeePayment = Type.Object({
  id: Id,
  entryId: Id,
  unitId: Id,
  amount: Type.String(),
  method: PaymentMethod,
  reference: Nullable(Type.String()),
  paidAt: Timestamp,
  toBills: Type.String({ description: 'Settled bills, oldest first (Cr 1101)' }),
  toAdvance: Type.String({ description: 'Kept as an advance (Cr 2101)' }),
  remuneration: Type.String({ description: 'Accrued on what settled bills (Dr 5001 / Cr 2201)' }),
  settled: Type.Array(Settled),
  unitDue: Type.String({ description: "The unit's unpaid bills after this payment" }),
  unitAdvance: Type.String({ description: "The unit's advance after this payment" }),
});
export type FeePayment = Static<typeof FeePayment>;

export const UnitParams = Type.Object({ cid: Id, uid: Id });

export const Statement = Type.Object({
  unit: Type.Object({ id: Id, code: Type.String(), building: Type.String(), areaM2: Type.String() }),
  bills: Type.Array(
    Type.Object({ period: Type.String(), amount: Type.String(), paid: Type.String(), due: Type.String(), ratePerM2: Type.String() }),
  ),
  payments: Type.Array(
    Type.Object({
      id: Id,
      amount: Type.String(),
      method: PaymentMethod,
      reference: Nullable(Type.String()),
      paidAt: Timestamp,
      toBills: Type.String(),
      toAdvance: Type.String(),
    }),
  ),
  due: Type.String({ description: 'The sum of what the bills still owe' }),
  advance: Type.String({ description: 'Paid in advance, applied to the next bills' }),
});
export type Statement = Static<typeof Statement>;

export const SummaryQuery = Type.Object({ period: Period });

const Collection = {
  billed: Type.String(),
  collected: Type.String({ description: "What has settled this period's bills, by payments or applied advances" }),
  due: Type.String({ description: 'billed - collected' }),
  collectionRate: Nullable(Type.String({ description: 'collected / billed, 4 decimals, half-up; null when nothing was billed' })),
};

export const FeeSummary = Type.Object({
  period: Type.String(),
  ...Collection,
  byBuilding: Type.Array(Type.Object({ building: Type.String(), units: Type.Integer(), ...Collection })),
});
export type FeeSummary = Static<typeof FeeSummary>;

export const ArrearsQuery = PageQuery;

export const Arrear = Type.Object({
  unitId: Id,
  code: Type.String(),
  building: Type.String(),
  due: Type.String(),
  unpaidBills: Type.Integer(),
  oldestUnpaidPeriod: Type.String(),
});
export type Arrear = Static<typeof Arrear>;
export const ArrearsPage = Page(Arrear);
