/**
 * How 信义家 writes money, dates and rates. Money arrives as a decimal string and is
 * formatted as a string: it never passes through a float.
 */

import { splitAmount } from '../shared/yuan.js';

/** "12345.6" -> "¥12,345.60": the server's own formatter (src/shared/yuan.ts), one for both. */
export { yuan as formatYuan } from '../shared/yuan.js';

/** An amount with at most two decimals as a count of fen, exactly (a BigInt, never a float). */
export function toFen(amount: string): bigint {
  const { negative, integer, fraction } = splitAmount(amount);
  const fen = BigInt(integer) * 100n + BigInt(fraction);
  return negative ? -fen : fen;
}

/** A count of fen back as the API writes money: "12345.60". */
export function fromFen(fen: bigint): string {
  const sign = fen < 0n ? '-' : '';
  const abs = fen < 0n ? -fen : fen;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** The sum of amounts, exactly: "0.10" + "0.20" is "0.30". */
export const sumAmounts = (amounts: string[]): string => fromFen(amounts.reduce((sum, a) => sum + toFen(a), 0n));

/** A rate per m² (up to 4 decimals) as written on a fee notice: 2.35, 1.2345. */
export const formatRatePerM2 = (rate: string) => rate.replace(/(\.\d\d\d*?)0+$/, '$1');

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const IN_GROUP = ['', '拾', '佰', '仟'];
const GROUPS = ['', '万', '亿', '万亿'];

/**
 * The amount in Chinese capitals (大写金额) as a cheque or a payment voucher writes it:
 * "1280.50" -> 壹仟贰佰捌拾元伍角整, "10005.07" -> 壹万零伍元零柒分, "0" -> 零元整.
 */
export function chineseCapitals(amount: string): string {
  const { negative, integer, fraction } = splitAmount(amount);
  const jiao = Number(fraction[0]);
  const fen = Number(fraction[1]);
  let words = '';
  let zeroPending = false;
  let groupHasDigit = false;
  for (let i = 0; i < integer.length; i++) {
    const digit = Number(integer[i]);
    const position = integer.length - 1 - i;
    if (position % 4 === 3 || i === 0) groupHasDigit = false;
    if (digit === 0) {
      if (words !== '') zeroPending = true;
    } else {
      if (zeroPending) words += '零';
      zeroPending = false;
      groupHasDigit = true;
      words += DIGITS[digit]! + IN_GROUP[position % 4]!;
    }
    if (position % 4 === 0 && groupHasDigit) words += GROUPS[position / 4]!;
  }
  if (words !== '') words += '元';
  if (jiao === 0 && fen === 0) words = (words || '零元') + '整';
  else {
    if (jiao !== 0) words += DIGITS[jiao]! + '角';
    else if (words !== '') words += '零';
    if (fen !== 0) words += DIGITS[fen]! + '分';
    else words += '整';
  }
  return (negative ? '负' : '') + words;
}

/** "0.8523" -> "85.23%", "1.0000" -> "100.00%"; null (nothing budgeted or billed) -> "—". */
export function formatRate(rate: string | null): string {
  if (rate === null) return '—';
  const match = /^(\d+)(?:\.(\d*))?$/.exec(rate);
  if (!match) return rate;
  const digits = (match[2] ?? '').padEnd(4, '0');
  const whole = (match[1]! + digits.slice(0, 2)).replace(/^0+(?=\d)/, '');
  return `${whole}.${digits.slice(2, 4)}%`;
}

/** A rate as a bar width in percent, capped at 100 (layout only, not a figure shown). */
export function rateWidth(rate: string | null): string {
  if (rate === null) return '0%';
  // The rate in ten-thousandths ("0.8523" -> 8523), exactly; 10000 is the whole bar.
  const basisPoints = scaled(rate, 4);
  const capped = basisPoints > 10_000n ? 10_000n : basisPoints < 0n ? 0n : basisPoints;
  return `${capped / 100n}.${String(capped % 100n).padStart(2, '0')}%`;
}

/**
 * A decimal string as a whole number of 10^-places (digits past them dropped), exactly: what
 * the bars compare and divide, so that no figure passes through a float, even for layout.
 */
function scaled(value: string, places: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) return 0n;
  const digits = BigInt(match[2]! + (match[3] ?? '').padEnd(places, '0').slice(0, places));
  return match[1] ? -digits : digits;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${withTime}`;
  let found = dateFormats.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat('zh-CN', {
      timeZone,
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    });
    dateFormats.set(key, found);
  }
  return found;
}

/** 2026年11月23日, in the community's time zone. */
export const formatDate = (iso: string, timeZone: string) => formatter(timeZone, false).format(new Date(iso));

/** 2026年11月23日 14:05, in the community's time zone. */
export const formatDateTime = (iso: string, timeZone: string) => formatter(timeZone, true).format(new Date(iso)).replace(/日\s*/, '日 ');

/** "YYYY-MM" of a moment in the community's time zone. */
export function monthOf(iso: string | Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}`;
}

/** The month `n` months after a YYYY-MM (before it when `n` is negative): "2026-12", 1 -> "2027-01". */
export function shiftMonth(month: string, n: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The last day of a month, "2026-02" -> "2026-02-28" (a calendar fact: no time zone involved). */
export function lastDayOf(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${String(new Date(Date.UTC(year, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** "2026-11" -> "2026年11月". */
export function formatMonth(period: string): string {
  const [year, month] = period.split('-');
  return `${year}年${Number(month)}月`;
}

/**
 * The width of a bar showing `part` of `whole`, in percent to a tenth, capped at 100 (layout
 * only: figures on screen are always formatted from the strings themselves).
 */
export function barWidth(part: string, whole: string): string {
  const abs = (n: bigint) => (n < 0n ? -n : n);
  const p = abs(scaled(part, 4));
  const w = abs(scaled(whole, 4));
  if (w === 0n) return '0%';
  // Tenths of a percent, rounded half up: p / w x 1000.
  const tenths = (p * 2_000n + w) / (2n * w);
  const capped = tenths > 1_000n ? 1_000n : tenths;
  return `${capped / 10n}.${capped % 10n}%`;
}

/** The larger of two decimal strings (as amounts), for scaling a chart. */
export function maxAmount(values: string[]): string {
  return values.reduce((a, b) => (scaled(b, 4) > scaled(a, 4) ? b : a), '0');
}
