import { Money } from '../../shared/money.js';
import type { AccountType } from './ledger.chart.js';

/**
 * The books as an hledger journal: `commodity` and `account` directives, one transaction
 * per entry (dated in the community's time zone), and a closing transaction that asserts
 * every account's balance, so `hledger check` proves the export adds up to /accounts.
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
  return `${value.toFixed(2)} CNY`;
}

export function journalHeader(community: { id: string; name: string }, accounts: ExportAccount[]): string {
  const lines = [
    `; Xinyi Ledger export of ${clean(community.name)} (${community.id})`,
    '; Every amount is CNY. Entries are in ledger order; the last transaction asserts each balance.',
    '',
    'commodity 1000.00 CNY',
    '',
    ...accounts.map((a) => `account ${hledgerAccountName(a)}  ; type: ${TOP_LEVEL[a.type].tag}`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

export function journalEntry(entry: ExportEntry, names: Map<string, string>): string {
  const description = clean(`${entry.kind}${entry.memo ? ` | ${entry.memo}` : ''}`) || entry.kind;
  const lines = [`${entry.date} * (${entry.seq}) ${description}`, `    ; id: ${entry.id}, hash: ${entry.hash}`];
  for (const p of entry.postings) {
    const value = new Money(p.debit).minus(p.credit);
    lines.push(`    ${names.get(p.account) ?? p.account}  ${amount(value)}`);
  }
  return `${lines.join('\n')}\n\n`;
}

export function journalAssertions(date: string, accounts: ExportAccount[]): string {
  const lines = [`${date} * Balance assertions: every account as the ledger holds it`];
  for (const a of accounts) lines.push(`    ${hledgerAccountName(a)}  0.00 CNY = ${amount(new Money(a.balance))}`);
  return `${lines.join('\n')}\n`;
}
