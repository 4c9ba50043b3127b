import { assert } from '../../shared/errors.js';
import { formatMoney, Money, ZERO } from '../../shared/money.js';

/**
 * The pure rules of fee money, kept apart from the database so they can be read and tested
 * on their own: how much a bill is, how a sum of money settles a unit's bills, and what the
 * steward earns on each settling amount.
 */

/** The monthly fee of a unit: area × rate, rounded half-up to the fen. */
export function billAmount(areaM2: string, ratePerM2: string): Money {
  return new Money(areaM2).times(ratePerM2).toDecimalPlaces(2, Money.ROUND_HALF_UP);
}

/**
 * The steward's remuneration on one amount that settles a bill: rate × amount, half-up to
 * the fen. The contract rounds per settling amount, so a payment that settles two bills
 * accrues the sum of two rounded figures.
 */
export function remunerationOn(amount: Money, managementFeeRate: string): Money {
  return amount.times(managementFeeRate).toDecimalPlaces(2, Money.ROUND_HALF_UP);
}

export interface OpenBill {
  id: string;
  period: string;
  amount: string;
  paid: string;
}

export interface Settlement {
  billId: string;
  period: string;
  amount: Money;
  remuneration: Money;
}

export interface Allocation {
  settlements: Settlement[];
  /** What went to bills (Cr 1101). */
  toBills: Money;
  /** What is left over and becomes an advance (Cr 2101). */
  rest: Money;
  remuneration: Money;
}

/**
 * Settles the oldest unpaid bills first with `amount`; whatever they do not absorb is the
 * rest. Never settles a bill beyond what it still owes.
 */
export function settleOldestFirst(bills: readonly OpenBill[], amount: Money, managementFeeRate: string): Allocation {
  assert(amount.gte(0), 'an amount to settle is not negative');
  const ordered = [...bills].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  const settlements: Settlement[] = [];
  let left = amount;
  for (const bill of ordered) {
    if (left.isZero()) break;
    const owed = new Money(bill.amount).minus(bill.paid);
    assert(owed.gte(0), 'a bill is never paid beyond its amount');
    if (owed.isZero()) continue;
    const settled = Money.min(owed, left);
    settlements.push({ billId: bill.id, period: bill.period, amount: settled, remuneration: remunerationOn(settled, managementFeeRate) });
    left = left.minus(settled);
  }
  const toBills = amount.minus(left);
  const remuneration = settlements.reduce((total, s) => total.plus(s.remuneration), ZERO);
  return { settlements, toBills, rest: left, remuneration };
}

/**
 * The bills as they stand once `settlements` are paid on them, still unpaid ones only: what
 * the next payment of the same unit is allocated over when several are written together.
 */
export function afterSettling(bills: readonly OpenBill[], settlements: readonly Settlement[]): OpenBill[] {
  const settled = new Map<string, Money>();
  for (const s of settlements) settled.set(s.billId, (settled.get(s.billId) ?? ZERO).plus(s.amount));
  return bills.flatMap((bill) => {
    const paid = new Money(bill.paid).plus(settled.get(bill.id) ?? ZERO);
    assert(paid.lte(bill.amount), 'a bill is never paid beyond its amount');
    return paid.eq(bill.amount) ? [] : [{ ...bill, paid: formatMoney(paid) }];
  });
}
