import type { Op } from './commands.js';
import { text, toFen, total, yuan, Yuan, ZERO } from './money.js';
import { resolveAmount } from './spending.model.js';
import { addMonths, fitsMoney, gate, nowMonth, refuse, REFUSE, remunerationOn, who, type Call, type Plan, type State, type UnitState } from './state.js';

/**
 * The model of property fees: rates, one billing run per period, payments that settle the
 * oldest bills first and leave the rest as an advance, advances absorbed by the next run,
 * and the steward's remuneration on every amount that settles a bill.
 */

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

/** Periods are billed one after another from the run's first period. */
export const nextPeriod = (state: State): string => addMonths(state.firstPeriod, state.billed.length);

export const dueOf = (unit: UnitState): Yuan => total(unit.bills.map((b) => b.amount.minus(b.paid)));

/**
 * The rate for a period: a rate applies from its month on, and of those the latest month
 * not after the period wins (the latest set, for one month). A period before every rate's
 * month is billed at the earliest month's rate, so a rate set today bills earlier months.
 */
export function rateFor(state: State, period: string): Yuan | undefined {
  const newestFirst = [...state.rates].sort((a, b) => (a.effectiveFrom === b.effectiveFrom ? b.order - a.order : a.effectiveFrom < b.effectiveFrom ? 1 : -1));
  const inEffect = newestFirst.find((r) => r.effectiveFrom <= period) ?? newestFirst.find((r) => r.effectiveFrom === newestFirst.at(-1)?.effectiveFrom);
  return inEffect?.ratePerM2;
}

export function planSetRate(state: State, op: OpOf<'set-rate'>): Plan {
  const by = who(op.by, 'manager');
  const from = { default: undefined, next: nextPeriod(state), 'after-next': addMonths(nextPeriod(state), 1), first: state.firstPeriod }[op.from];
  const call: Call = { by, method: 'PUT', path: '/fee-schedule', body: { ratePerM2: op.ratePerM2, ...(from ? { effectiveFrom: from } : {}) } };
  const describe = `${by} sets the fee to ${op.ratePerM2}/m² from ${from ?? 'this month'}`;
  const refusal = gate(state.people[by], ['manager', 'admin'], true);
  if (refusal) return refuse(describe, call, refusal);
  return {
    describe,
    call,
    expect: { status: 200 },
    commit: () => {
      state.rates.push({ effectiveFrom: from ?? nowMonth(state), ratePerM2: yuan(op.ratePerM2), order: state.rates.length });
    },
  };
}

export function planBill(state: State, op: OpOf<'bill'>): Plan {
  const by = who(op.by, 'manager');
  const period = op.again && state.billed.length > 0 ? state.billed.at(-1)! : nextPeriod(state);
  const call: Call = { by, method: 'POST', path: '/billing-runs', body: { period } };
  const describe = `${by} bills ${period}${state.billed.includes(period) ? ' again' : ''}`;
  const ratePerM2 = rateFor(state, period);
  const bills = state.units
    .map((unit) => {
      const amount = toFen(unit.area.times(ratePerM2 ?? ZERO));
      const applied = Yuan.min(unit.advance, amount);
      return { unit, amount, applied, remuneration: remunerationOn(state, applied) };
    })
    .filter((b) => b.amount.gt(0));
  const refusal =
    gate(state.people[by], ['manager']) ??
    (state.billed.includes(period) || !ratePerM2 || bills.length === 0 ? REFUSE.invalidState : undefined);
  if (refusal) return refuse(describe, call, refusal);
  const billed = total(bills.map((b) => b.amount));
  const applied = total(bills.map((b) => b.applied));
  const remuneration = total(bills.map((b) => b.remuneration));
  return {
    describe: `${describe} at ${ratePerM2!.toString()}/m²`,
    call,
    expect: { status: 201, body: { period, bills: bills.length, total: text(billed), advanceApplied: text(applied), remuneration: text(remuneration) } },
    commit: (reply) => {
      for (const b of bills) {
        b.unit.bills.push({ period, amount: b.amount, paid: b.applied });
        b.unit.advance = b.unit.advance.minus(b.applied);
      }
      // A period's fees, and what advances settle of them, are dated on the period's first day.
      state.journal.post(
        [
          ['1101', billed],
          ['4001', billed.neg()],
          ['2101', applied],
          ['1101', applied.neg()],
        ],
        period,
        { id: reply.entryId, kind: 'fee_bill' },
      );
      if (remuneration.gt(0)) state.journal.post([['5001', remuneration], ['2201', remuneration.neg()]], period);
      state.billed.push(period);
    },
  };
}

export function planPayFee(state: State, op: OpOf<'pay-fee'>): Plan {
  const unit = state.units[op.unit % state.units.length]!;
  const by = who(op.by, 'manager');
  const amount = resolveAmount(op.amount, () => dueOf(unit));
  const call: Call = { by, method: 'POST', path: '/fee-payments', body: { unitId: unit.id, amount: amount.text, method: op.method } };
  const describe = `${by} records ${amount.text} paid for unit ${state.units.indexOf(unit) + 1} (due ${text(dueOf(unit))}, advance ${text(unit.advance)})`;
  const refusal = (!fitsMoney(amount.value) ? REFUSE.validation : undefined) ?? gate(state.people[by], ['manager']);
  if (refusal) return refuse(describe, call, refusal);

  // Oldest bills first; each settling amount earns its own rounded remuneration.
  let left = amount.value;
  const settled: Array<{ bill: UnitState['bills'][number]; amount: Yuan }> = [];
  for (const bill of [...unit.bills].sort((a, b) => (a.period < b.period ? -1 : 1))) {
    const owed = bill.amount.minus(bill.paid);
    if (left.isZero() || owed.isZero()) continue;
    const part = Yuan.min(owed, left);
    settled.push({ bill, amount: part });
    left = left.minus(part);
  }
  const toBills = amount.value.minus(left);
  const remuneration = total(settled.map((s) => remunerationOn(state, s.amount)));
  return {
    describe,
    call,
    expect: {
      status: 201,
      body: {
        amount: text(amount.value),
        toBills: text(toBills),
        toAdvance: text(left),
        remuneration: text(remuneration),
        unitDue: text(dueOf(unit).minus(toBills)),
        unitAdvance: text(unit.advance.plus(left)),
      },
    },
    commit: (reply) => {
      for (const s of settled) s.bill.paid = s.bill.paid.plus(s.amount);
      unit.advance = unit.advance.plus(left);
      const month = nowMonth(state);
      state.journal.post(
        [
          ['1001', amount.value],
          ['1101', toBills.neg()],
          ['2101', left.neg()],
        ],
        month,
        { id: reply.entryId, kind: 'fee_payment' },
      );
      if (remuneration.gt(0)) state.journal.post([['5001', remuneration], ['2201', remuneration.neg()]], month);
    },
  };
}
