import { Decimal } from 'decimal.js';

/**
 * The model's own money: decimal.js, written apart from src/shared/money.ts so that the
 * reference model shares no arithmetic with the code it checks. Precision is ample for sums
 * of 13-digit amounts; rounding is half-up to the fen, as the contract says.
 */
export const Yuan = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP });
export type Yuan = InstanceType<typeof Yuan>;

export const ZERO = new Yuan(0);
export const FEN = new Yuan('0.01');

export const yuan = (value: string | number | Yuan): Yuan => new Yuan(value);

/** Half-up to the fen. */
export const toFen = (value: Yuan): Yuan => value.toDecimalPlaces(2, Yuan.ROUND_HALF_UP);

/** Down to the fen (a share of an amount that must not exceed it). */
export const downToFen = (value: Yuan): Yuan => value.toDecimalPlaces(2, Yuan.ROUND_DOWN);

/** As the API prints money: two fractional digits. */
export const text = (value: Yuan): string => value.toFixed(2);

/** `actual / budget` with 4 fractional digits half-up, or null when the budget is zero. */
export const rate = (actual: Yuan, budget: Yuan): string | null =>
  budget.isZero() ? null : actual.div(budget).toDecimalPlaces(4, Yuan.ROUND_HALF_UP).toFixed(4);

export const total = (values: Iterable<Yuan>): Yuan => {
  let sum = ZERO;
  for (const v of values) sum = sum.plus(v);
  return sum;
};
