import { Decimal } from 'decimal.js';
import { yuan } from './yuan.js';

/**
 * Money arithmetic. A clone of Decimal with enough precision that sums of any number of
 * valid amounts stay exact (the contract forbids overflow), rounding half-up to the fen as
 * Chinese accounting does. Money never becomes a JS number.
 */
export const Money = Decimal.clone({ precision: 1_000, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -1_000, toExpPos: 1_000 });
export type Money = InstanceType<typeof Money>;

/** The money rule of the contract: up to 13 integer digits and 2 fractional, no sign. */
export const MONEY_PATTERN = '^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,2})?$';

export const ZERO = new Money(0);

export function money(value: string | Money): Money {
  return new Money(value);
}

/** Rounds half-up to the fen and prints exactly two fractional digits. */
export function formatMoney(value: string | Money): string {
  return formatFixed(value, 2);
}

/** A floor area in m² as the API shows it: exact, two fractional digits (numeric(12,2) stores no more). */
export function formatArea(value: string): string {
  return digits(new Money(value), 2);
}

/** A ratio with four fractional digits, half-up, or null where the denominator is zero. */
export function formatRate(numerator: string | Money, denominator: string | Money): string | null {
  const d = new Money(denominator);
  if (d.isZero()) return null;
  return formatFixed(new Money(numerator).div(d), 4);
}

/** A decimal with exactly `places` fractional digits, half-up (a fee rate per m² is kept with four). */
export function formatFixed(value: string | Money, places: number): string {
  return digits(new Money(value).toDecimalPlaces(places, Money.ROUND_HALF_UP), places);
}

/** A decimal exactly, with at least `places` fractional digits and no trailing zeros beyond them ("2.35", "1.125"). */
export function formatAtLeast(value: string | Money, places: number): string {
  const exact = new Money(value);
  return digits(exact, Math.max(places, exact.decimalPlaces()));
}

/** Every digit of a decimal in plain notation (never an exponent): a running sum kept to be continued exactly. */
export function formatExact(value: Money): string {
  return digits(value);
}

/**
 * The one place a decimal is printed: decimal.js's own `toFixed`, a method of the Money (a
 * Decimal) and exact at any size, never JavaScript's on a number: plain notation, with
 * exactly `places` fractional digits (padded, never rounded here: the callers round first),
 * or every digit when no places are given.
 */
function digits(value: Money, places?: number): string {
  return places === undefined ? value.toFixed() : value.toFixed(places);
}

export function sum(values: Iterable<string | Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/**
 * An amount as residents read it, `¥12,345.67`: rounded half-up to the fen, then written by
 * the one formatter the web app shares (./yuan.ts), from the decimal string, never a JS number.
 */
export function formatYuan(value: string | Money): string {
  return yuan(formatMoney(value));
}
