import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billAmount, remunerationOn, settleOldestFirst } from '../src/modules/fees/fees.allocation.js';
import { Money } from '../src/shared/money.js';

const fen = (n: number) => new Money(n).div(100);

describe('the pure fee rules', () => {
  it('rounds a bill half-up to the fen', () => {
    expect(billAmount('89.50', '2.35').toFixed(2)).toBe('210.33'); // 210.325
    expect(billAmount('120.25', '2.35').toFixed(2)).toBe('282.59'); // 282.5875
    expect(billAmount('60.33', '2.35').toFixed(2)).toBe('141.78'); // 141.7755
    expect(billAmount('0.01', '0.4999').toFixed(2)).toBe('0.00');
  });

  it('rounds remuneration half-up per settling amount', () => {
    expect(remunerationOn(new Money('0.33'), '0.08').toFixed(2)).toBe('0.03'); // 0.0264
    expect(remunerationOn(new Money('0.0625').times(100), '0.08').toFixed(2)).toBe('0.50');
    expect(remunerationOn(new Money('0.31'), '0.05').toFixed(2)).toBe('0.02'); // 0.0155
  });

  it('settles the oldest bills first and keeps the rest, whatever the order given', () => {
    const bills = [
      { id: 'mar', period: '2026-03', amount: '100.00', paid: '0.00' },
      { id: 'jan', period: '2026-01', amount: '100.00', paid: '60.00' },
      { id: 'feb', period: '2026-02', amount: '100.00', paid: '0.00' },
    ];
    const result = settleOldestFirst(bills, new Money('150.00'), '0.10');
    expect(result.settlements.map((s) => [s.billId, s.amount.toFixed(2), s.remuneration.toFixed(2)])).toEqual([
      ['jan', '40.00', '4.00'],
      ['feb', '100.00', '10.00'],
      ['mar', '10.00', '1.00'],
    ]);
    expect(result.rest.toFixed(2)).toBe('0.00');
    expect(settleOldestFirst(bills, new Money('300.00'), '0.10').rest.toFixed(2)).toBe('60.00');
  });

  it('never settles a bill beyond what it owes and splits every payment exactly', () => {
    const bill = fc.record({ amount: fc.integer({ min: 1, max: 10_000_000 }), paidShare: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(bill, { maxLength: 12 }), fc.integer({ min: 1, max: 50_000_000 }), (specs, amountFen) => {
        const bills = specs.map((s, i) => {
          const amount = fen(s.amount);
          const paid = fen(Math.floor(s.amount * s.paidShare));
          return { id: `b${i}`, period: `2026-${String((i % 12) + 1).padStart(2, '0')}`, amount: amount.toFixed(2), paid: paid.toFixed(2) };
        });
        const amount = fen(amountFen);
        const result = settleOldestFirst(bills, amount, '0.08');
        expect(result.toBills.plus(result.rest).eq(amount)).toBe(true);
        const owed = bills.reduce((t, b) => t.plus(new Money(b.amount).minus(b.paid)), new Money(0));
        expect(result.toBills.eq(Money.min(owed, amount))).toBe(true);
        for (const s of result.settlements) {
          const b = bills.find((x) => x.id === s.billId)!;
          expect(s.amount.gt(0) && s.amount.lte(new Money(b.amount).minus(b.paid))).toBe(true);
        }
        const periods = result.settlements.map((s) => s.period);
        expect(periods).toEqual([...periods].sort());
      }),
    );
  });
});
