import type { Op } from './commands.js';
import { rate, text, total, yuan, ZERO, type Yuan } from './money.js';
import { refused } from './spending.model.js';
import { CHART, gate, normal, refuse, REFUSE, signingFor, who, type BudgetVersion, type Call, type Plan, type State } from './state.js';

/**
 * The model of the year's budget: a manager or admin drafts it (a draft rewritten with other
 * numbers loses its keys and names its new drafter; the same numbers change nothing), the
 * community's number of co-signers other than the drafter approve it, and a draft after
 * approval opens the next version while the approved one stays in force for the report.
 */

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;
type Line = { account: string; amount: string };

const canonical = (lines: Line[]): Line[] =>
  lines.map((l) => ({ account: l.account, amount: text(yuan(l.amount)) })).sort((a, b) => (a.account < b.account ? -1 : 1));
const sameLines = (a: Line[], b: Line[]) => JSON.stringify(a) === JSON.stringify(b);

export function planDraftBudget(state: State, op: OpOf<'draft-budget'>): Plan {
  const by = who(op.by, 'manager');
  const newest = state.budget.at(-1);
  const lines =
    'valid' in op.lines
      ? op.lines.valid
      : 'same' in op.lines
        ? (newest?.lines ?? [{ account: '5102', amount: '1000' }])
        : op.lines.invalid === 'duplicate'
          ? [{ account: '5102', amount: '1' }, { account: '5102', amount: '2' }]
          : [{ account: '1001', amount: '5' }];
  const call: Call = { by, method: 'PUT', path: `/budgets/${state.year}`, body: { lines } };
  const describe = `${by} drafts the ${state.year} budget ${JSON.stringify(lines)}`;
  const refusal = gate(state.people[by], ['manager', 'admin'], true) ?? ('invalid' in op.lines ? REFUSE.validation : undefined);
  if (refusal) return refuse(describe, call, refusal);
  const wanted = canonical(lines);
  const open = newest?.status === 'draft' ? newest : undefined;
  const unchanged = open !== undefined && sameLines(open.lines, wanted);
  return {
    describe,
    call,
    expect: { status: 200, body: { status: 'draft', version: open?.version ?? (newest?.version ?? 0) + 1, ...(unchanged ? { digest: open.digest } : {}) } },
    commit: (reply) => {
      if (unchanged) return;
      if (open) Object.assign(open, { lines: wanted, digest: reply.digest, drafter: by, approvals: [] });
      else state.budget.push({ version: (newest?.version ?? 0) + 1, status: 'draft', digest: reply.digest, lines: wanted, drafter: by, approvals: [] });
    },
  };
}

export function planApproveBudget(state: State, op: OpOf<'approve-budget'>): Plan {
  const newest = state.budget.at(-1);
  const by = who(op.by, 'c1', newest?.drafter);
  const signing = signingFor(state, by, op.signing);
  const digest = op.digest === 'omit' ? undefined : op.digest === 'wrong' ? 'e'.repeat(64) : newest?.digest;
  const call: Call = { by, method: 'POST', path: `/budgets/${state.year}/approvals`, body: digest ? { digest } : {}, signing };
  const describe = `${by} approves the ${state.year} budget v${newest?.version ?? '-'} (${newest?.status ?? 'none'}, drafted by ${newest?.drafter ?? '-'}, keys ${newest?.approvals.join('+') || 'none'})${signing === 'wrong' ? ' with a wrong key' : ''}${op.digest === 'wrong' ? ' naming another digest' : ''}`;
  const refusal =
    gate(state.people[by], ['cosigner']) ??
    (!newest ? REFUSE.notFound : undefined) ??
    (newest!.status === 'approved' ? REFUSE.invalidState : undefined) ??
    (op.digest === 'wrong' ? REFUSE.digestMismatch : undefined) ??
    (by === newest!.drafter ? REFUSE.selfApproval : undefined) ??
    (signing === 'wrong' ? REFUSE.badSigning : undefined) ??
    (newest!.approvals.includes(by) ? REFUSE.alreadyDecided : undefined);
  if (refusal) return refused(state, by, refuse(describe, call, refusal));
  const draft = newest!;
  const approved = draft.approvals.length + 1 >= state.spec.requiredApprovals;
  return {
    describe,
    call,
    expect: { status: 200, body: { version: draft.version, status: approved ? 'approved' : 'draft' } },
    commit: () => {
      draft.approvals.push(by);
      if (approved) draft.status = 'approved';
    },
  };
}

export interface Figures {
  budget: string;
  actual: string;
  remaining: string;
  executionRate: string | null;
}
export type ReportLine = Figures & { account: string; months: string[] };

const figures = (budget: Yuan, actual: Yuan): Figures => ({ budget: text(budget), actual: text(actual), remaining: text(budget.minus(actual)), executionRate: rate(actual, budget) });

/**
 * The report as the contract reads it: every income and expense account with a line in the
 * version in force (else the draft) or with postings in the year, its actual the year's
 * movement in its normal direction, month by month in the community's time zone.
 */
export function reportView(state: State) {
  const newest = state.budget.at(-1);
  if (!newest) return null;
  const measured: BudgetVersion = state.budget.findLast((v) => v.status === 'approved') ?? newest;
  const planned = new Map(measured.lines.map((l) => [l.account, yuan(l.amount)]));
  const months = Array.from({ length: 12 }, (_, i) => `${state.year}-${String(i + 1).padStart(2, '0')}`);
  const lines: Array<ReportLine & { type: string }> = [];
  for (const [code, type] of CHART) {
    if (type !== 'income' && type !== 'expense') continue;
    const moved = months.map((m) => state.journal.monthly.get(`${code} ${m}`));
    if (!planned.has(code) && moved.every((m) => m === undefined)) continue;
    const actuals = moved.map((m) => normal(code, m ?? ZERO));
    lines.push({ account: code, type, ...figures(planned.get(code) ?? ZERO, total(actuals)), months: actuals.map(text) });
  }
  const expenses = lines.filter((l) => l.type === 'expense');
  return {
    status: newest.status,
    version: measured.version,
    lines: lines.map(({ type: _type, ...line }) => line),
    totals: figures(total(expenses.map((l) => yuan(l.budget))), total(expenses.map((l) => yuan(l.actual)))),
  };
}
