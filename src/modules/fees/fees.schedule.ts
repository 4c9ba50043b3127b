import { validationFailed } from '../../shared/errors.js';
import { formatAtLeast } from '../../shared/money.js';

/** A billing period or the month a rate takes effect: `YYYY-MM`, month 01..12. */
export const PERIOD_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])$';
const PERIOD = new RegExp(PERIOD_PATTERN);

export function requirePeriod(value: string, name: string): string {
  if (!PERIOD.test(value) || value < '1900-01') throw validationFailed(`${name} must be a month as YYYY-MM`);
  return value;
}

export interface ScheduleRow {
  effective_from: string;
  rate_per_m2: string;
  set_at: Date;
}

/**
 * The rate in effect for a period: the latest rate set for the latest month at or before
 * it. Periods before the first rate's month are billed at that first rate, so a community
 * that sets its rate today can still bill the months it has not billed yet; the contract's
 * plain `PUT {ratePerM2}` has no month at all. Returns undefined when no rate was ever set.
 */
export function rateInEffect<Row extends ScheduleRow>(rows: readonly Row[], period: string): Row | undefined {
  const newestFirst = [...rows].sort(
    (a, b) => compare(b.effective_from, a.effective_from) || b.set_at.getTime() - a.set_at.getTime(),
  );
  const inEffect = newestFirst.find((r) => r.effective_from <= period);
  if (inEffect) return inEffect;
  const earliestMonth = newestFirst.at(-1)?.effective_from;
  return newestFirst.find((r) => r.effective_from === earliestMonth);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A rate per m² with at least two decimals and no trailing zeros beyond them ("2.35", "1.125"). */
export function formatRatePerM2(value: string): string {
  return formatAtLeast(value, 2);
}
