import { validationFailed } from '../../shared/errors.js';
import { formatMoney, Money, MONEY_PATTERN } from '../../shared/money.js';

/** A bank statement line as the contract's CSV gives it, checked. */
export interface StatementLine {
  date: string;
  amount: string;
  direction: 'in' | 'out';
  counterparty: string;
  reference: string | null;
  balance: string;
}

export const CSV_HEADER = ['date', 'amount', 'direction', 'counterparty', 'reference', 'balance'] as const;
const MONEY = new RegExp(MONEY_PATTERN);
const MAX_LINES = 20_000;

/**
 * Splits RFC 4180 text into records: fields separated by commas, records by CRLF or LF; a field
 * in double quotes may hold commas, line breaks and `""` for a quote. Anything else (a quote
 * inside an unquoted field, text after a closing quote, an unterminated quote) is refused.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let row = 1;
  const endField = () => {
    record.push(field);
    field = '';
  };
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw validationFailed(`CSV row ${row}: a quoted field is never closed`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
        throw validationFailed(`CSV row ${row}: text after a closing quote`);
      }
      // A quoted empty field is still a field: mark it so the `field === ''` test above is not fooled.
      if (field === '') field = '\u0000quoted-empty';
      continue;
    }
    const c = text[i]!;
    if (c === ',') {
      endField();
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      endField();
      records.push(record);
      record = [];
      row++;
      i += c === '\r' ? 2 : 1;
    } else if (c === '"' || c === '\r') {
      throw validationFailed(`CSV row ${row}: a bare ${c === '"' ? 'quote' : 'carriage return'} inside a field`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) {
    endField();
    records.push(record);
  }
  return records.map((r) => r.map((f) => (f === '\u0000quoted-empty' ? '' : f)));
}

function validDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text && text >= '1970-01-01';
}

/**
 * Reads a whole statement: UTF-8 (a BOM is dropped), the contract's header, then at least one
 * line. Any malformed line refuses the whole statement, naming its row.
 */
export function parseStatement(body: Buffer): StatementLine[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw validationFailed('The statement is not UTF-8 text');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\u0000')) throw validationFailed('The statement contains a NUL character');
  const [header, ...rows] = parseCsv(text);
  if (!header || header.join(',') !== CSV_HEADER.join(',')) throw validationFailed(`The first row must be the header ${CSV_HEADER.join(',')}`);
  if (rows.length === 0) throw validationFailed('The statement has no lines');
  if (rows.length > MAX_LINES) throw validationFailed(`A statement holds at most ${MAX_LINES} lines`);
  return rows.map((fields, index) => {
    const row = index + 2;
    const bad = (what: string) => validationFailed(`CSV row ${row}: ${what}`);
    if (fields.length !== CSV_HEADER.length) throw bad(`${fields.length} fields, expected ${CSV_HEADER.length}`);
    const [date, amount, direction, counterparty, reference, balance] = fields as [string, string, string, string, string, string];
    if (!validDate(date)) throw bad('date is not a calendar date YYYY-MM-DD');
    if (!MONEY.test(amount) || new Money(amount).lte(0)) throw bad('amount is not a positive amount of money');
    if (direction !== 'in' && direction !== 'out') throw bad('direction is neither in nor out');
    if (counterparty.length > 200) throw bad('counterparty is longer than 200 characters');
    if (reference.length > 200) throw bad('reference is longer than 200 characters');
    if (!MONEY.test(balance)) throw bad('balance is not an amount of money');
    return {
      date,
      amount: formatMoney(amount),
      direction,
      counterparty,
      reference: reference.trim() === '' ? null : reference,
      balance: formatMoney(balance),
    };
  });
}
