import { formatMoney, Money } from '../../shared/money.js';
import type { AccountType } from './ledger.schemas.js';

/**
 * The books as an hledger journal: `commodity` and `account` directives, one transaction
 * per entry (dated in the community's time zone, in date order), `payee` directives, and a
 * closing transaction that asserts every account's balance, so `hledger check` (with
 * `--strict`, `ordereddates`, `payees` and `uniqueleafnames`) proves the export adds up to
 * /accounts.
 */
export interface ExportAccount {
  code: string;
  name: string;
  type: AccountType;
  /** Debits minus credits. */
  balance: string;
}

export interface ExportEntry {
  seq: number;
  id: string;
  date: string;
  kind: string;
  memo: string;
  hash: string;
  /** Who paid the community or was paid by it (an income's payer, a payout's payee), when known. */
  payee: string | null;
  /** What the transaction is about, next to the payee; the memo when absent. */
  note: string | null;
  postings: ReadonlyArray<{ account: string; debit: string; credit: string }>;
}

const TOP_LEVEL: Record<AccountType, { name: string; tag: string }> = {
  asset: { name: 'assets', tag: 'A' },
  liability: { name: 'liabilities', tag: 'L' },
  equity: { name: 'equity', tag: 'E' },
  income: { name: 'revenues', tag: 'R' },
  expense: { name: 'expenses', tag: 'X' },
};

/** hledger reads two spaces as the end of an account name, and ':' and ';' as syntax. */
function clean(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[:;]/g, ' ').replace(/ {2,}/g, ' ').trim();
}

export function hledgerAccountName(account: { code: string; name: string; type: AccountType }): string {
  return `${TOP_LEVEL[account.type].name}:${account.code} ${clean(account.name)}`;
}

function amount(value: Money): string {
  return `${formatMoney(value)} CNY`;
}

export function journalHeader(community: { id: string; name: string }, accounts: ExportAccount[]): string {
  const lines = [
    `; Xinyi Ledger export of ${clean(community.name)} (${community.id})`,
    '; Every amount is CNY. Transactions are in date order (by seq within a date; the seq is the code in',
    '; parentheses); the last transaction asserts each balance.',
    '',
    'commodity 1000.00 CNY',
    '',
    ...accounts.map((a) => `account ${hledgerAccountName(a)}  ; type: ${TOP_LEVEL[a.type].tag}`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * hledger's `payee | note` description: the payer or payee when the entry has one, else the
 * entry's kind, with the memo as the note. The payee is what hledger's `payees` check and
 * `payee` directives name; a `|` in it would end it early, so it has none.
 */
export function transactionDescription(entry: Pick<ExportEntry, 'kind' | 'memo' | 'payee' | 'note'>): { payee: string; description: string } {
  const payee = clean((entry.payee ?? '').replace(/\|/g, ' ')) || entry.kind;
  const note = clean(entry.payee ? (entry.note ?? entry.memo) : entry.memo);
  return { payee, description: note ? `${payee} | ${note}` : payee };
}

export function journalEntry(entry: ExportEntry, names: Map<string, string>): string {
  const { description } = transactionDescription(entry);
  const lines = [`${entry.date} * (${entry.seq}) ${description}`, `    ; id: ${entry.id}, hash: ${entry.hash}, kind: ${entry.kind}`];
  for (const p of entry.postings) {
    const value = new Money(p.debit).minus(p.credit);
    lines.push(`    ${names.get(p.account) ?? p.account}  ${amount(value)}`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** The payee of the closing transaction that asserts every balance. */
const ASSERTIONS_PAYEE = 'Balance assertions';

/** Declares every payee the transactions name, so that `hledger check payees` passes. */
export function journalPayees(payees: Iterable<string>): string {
  const named = [...new Set([...payees, ASSERTIONS_PAYEE])].sort();
  const lines = ['; Every payer and payee named (an entry without one is named by its kind).', ...named.map((p) => `payee ${p}`)];
  return `${lines.join('\n')}\n\n`;
}

export function journalAssertions(date: string, accounts: ExportAccount[]): string {
  const lines = [`${date} * ${ASSERTIONS_PAYEE} | every account as the ledger holds it`];
  for (const a of accounts) lines.push(`    ${hledgerAccountName(a)}  0.00 CNY = ${amount(new Money(a.balance))}`);
  return `${lines.join('\n')}\n`;
}
