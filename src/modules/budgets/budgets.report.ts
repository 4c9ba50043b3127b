import { formatMoney, formatRate, Money, ZERO } from '../../shared/money.js';
import type { BudgetReport } from './budgets.schemas.js';

type Line = BudgetReport['lines'][number];
type Figures = BudgetReport['totals'];

export interface ReportInput {
  year: number;
  status: BudgetReport['status'];
  version: number;
  latestVersion: number;
  timezone: string;
  accounts: ReadonlyArray<{ code: string; name: string; type: string }>;
  /** The budgeted amount per account of the version in force. */
  budget: ReadonlyMap<string, string>;
  /** Debits and credits per account and month (1..12) of the year. */
  movements: ReadonlyArray<{ account_code: string; month: number; debit: string; credit: string }>;
}

/**
 * Budget against actuals. An account's actual is its movement in the year in its normal
 * direction (expenses: debits - credits; income: credits - debits), so a reversal in the
 * same year nets out. Every income and expense account with a budget line or with activity
 * in the year has a line; one without a line shows a budget of 0.00 (and a null rate).
 * `totals` are over the expense lines (how much of the spending budget was used); income
 * and expense are also totalled apart, since adding income to spending means nothing.
 */
export function buildReport(input: ReportInput): BudgetReport {
  const months = new Map<string, Money[]>();
  for (const m of input.movements) {
    const account = input.accounts.find((a) => a.code === m.account_code);
    if (!account || (account.type !== 'income' && account.type !== 'expense')) continue;
    const net = account.type === 'expense' ? new Money(m.debit).minus(m.credit) : new Money(m.credit).minus(m.debit);
    const list = months.get(m.account_code) ?? Array.from({ length: 12 }, () => ZERO);
    list[m.month - 1] = list[m.month - 1]!.plus(net);
    months.set(m.account_code, list);
  }

  const lines: Line[] = [];
  for (const account of input.accounts) {
    if (account.type !== 'income' && account.type !== 'expense') continue;
    const planned = input.budget.get(account.code);
    const monthly = months.get(account.code);
    if (planned === undefined && monthly === undefined) continue;
    const budget = new Money(planned ?? 0);
    const actual = (monthly ?? []).reduce((s, v) => s.plus(v), ZERO);
    lines.push({
      account: account.code,
      name: account.name,
      type: account.type,
      ...figures(budget, actual),
      months: (monthly ?? Array.from({ length: 12 }, () => ZERO)).map((v) => formatMoney(v)),
    });
  }
  lines.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));

  const total = (type: 'income' | 'expense') => {
    const of = lines.filter((l) => l.type === type);
    return figures(
      of.reduce((s, l) => s.plus(l.budget), ZERO),
      of.reduce((s, l) => s.plus(l.actual), ZERO),
    );
  };
  const expense = total('expense');
  return {
    year: input.year,
    status: input.status,
    version: input.version,
    latestVersion: input.latestVersion,
    timezone: input.timezone,
    lines,
    totals: expense,
    totalsByType: { income: total('income'), expense },
  };
}

function figures(budget: Money, actual: Money): Figures {
  return {
    budget: formatMoney(budget),
    actual: formatMoney(actual),
    remaining: formatMoney(budget.minus(actual)),
    executionRate: formatRate(actual, budget),
  };
}
