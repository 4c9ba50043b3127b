import { CATEGORIES, type ActorName, type Op, type WorldSpec } from './commands.js';
import { planApproveBudget, planDraftBudget, reportView } from './budgets.model.js';
import { dueOf, planBill, planPayFee, planSetRate } from './fees.model.js';
import { text, yuan, ZERO } from './money.js';
import { planApprove, planCancel, planPayout, planReject, planReverse, planSpend } from './spending.model.js';
import { CHART, gate, Journal, localMonth, nowMonth, normal, refuse, REFUSE, type Call, type Person, type Plan, type SpendState, type State } from './state.js';

/**
 * The reference model of one community's books: plain TypeScript over decimal.js, kept
 * apart from the service's code. `plan` predicts what the API must answer to a command and
 * what then changes; `view` is everything the API must then show.
 */
export class Model {
  readonly state: State;

  constructor(spec: WorldSpec, people: Record<ActorName, Person>, units: Array<{ id: string; areaM2: string }>) {
    const year = Number(localMonth(new Date(), spec.timezone).slice(0, 4));
    this.state = {
      spec,
      people,
      year,
      firstPeriod: spec.firstPeriod === 'january' ? `${year}-01` : `${year - 1}-11`,
      journal: new Journal(),
      requests: [],
      units: units.map((u) => ({ id: u.id, area: yuan(u.areaM2), bills: [], advance: ZERO })),
      rates: [],
      billed: [],
      budget: [],
      wrongKeys: new Map(),
    };
  }

  /** What the API must answer to `op`, or undefined when the op has nothing to act on yet. */
  plan(op: Op): Plan | undefined {
    const s = this.state;
    switch (op.kind) {
      case 'income':
        return planIncome(s, op);
      case 'bad-income':
        return refuse(`manager records income of ${JSON.stringify(op.amount)}`, incomeCall('manager', 'parking', op.amount), REFUSE.validation);
      case 'spend':
        return planSpend(s, op);
      case 'approve':
        return planApprove(s, op);
      case 'reject':
        return planReject(s, op);
      case 'cancel':
        return planCancel(s, op);
      case 'payout':
        return planPayout(s, op);
      case 'reverse':
        return planReverse(s, op);
      case 'set-rate':
        return planSetRate(s, op);
      case 'bill':
        return planBill(s, op);
      case 'pay-fee':
        return planPayFee(s, op);
      case 'draft-budget':
        return planDraftBudget(s, op);
      case 'approve-budget':
        return planApproveBudget(s, op);
    }
  }

  /** Everything the books must show now, in the shape `observe` reduces the API's answers to. */
  view() {
    const { journal, people, requests, units, budget } = this.state;
    const newest = budget.at(-1);
    return {
      fund: { balance: text(journal.balance('1001')), reserved: text(journal.reserved), available: text(journal.available()) },
      accounts: Object.fromEntries(CHART.map(([code]) => [code, text(normal(code, journal.balance(code)))])),
      verify: { ok: true, entries: journal.entries },
      requests: requests.map((r) => ({ id: r.id, status: r.status, amount: text(r.amount), account: r.account, approvalCount: r.approvals.length })),
      statements: units.map((u) => ({
        unit: u.id,
        due: text(dueOf(u)),
        advance: text(u.advance),
        bills: u.bills.map((b) => ({ period: b.period, amount: text(b.amount), paid: text(b.paid) })),
      })),
      budget: newest
        ? {
            version: newest.version,
            status: newest.status,
            draftedBy: people[newest.drafter].id,
            approvals: newest.approvals.map((a) => people[a].id),
            lines: newest.lines,
          }
        : null,
      report: reportView(this.state),
    };
  }

  /** A request's whole story: status, keys in order, and its parcel-style timeline. */
  requestView(id: string) {
    const r = this.state.requests.find((q) => q.id === id);
    if (!r) throw new Error(`model bug: no request ${id}`);
    return describeRequest(this.state, r);
  }
}

export type View = ReturnType<Model['view']>;
export type RequestView = ReturnType<Model['requestView']>;

function describeRequest(state: State, r: SpendState) {
  const id = (name: ActorName) => state.people[name].id;
  return {
    id: r.id,
    status: r.status,
    amount: text(r.amount),
    account: r.account,
    digest: r.digest,
    submittedBy: id(r.submitter),
    approvals: r.approvals.map(id),
    timeline: r.timeline.map((s) => ({ event: s.event, actor: id(s.actor), ...(s.note === undefined ? {} : { note: s.note }) })),
  };
}

const incomeCall = (by: ActorName, category: string, amount: unknown): Call => ({
  by,
  method: 'POST',
  path: '/income',
  body: { category, amount, payer: 'Model payer' },
});

function planIncome(state: State, op: Extract<Op, { kind: 'income' }>): Plan {
  const by = op.by === 'submitter' ? 'manager' : op.by;
  const call = incomeCall(by, op.category, op.amount);
  const describe = `${by} records ${op.category} income of ${op.amount}`;
  const refusal = gate(state.people[by], ['manager']);
  if (refusal) return refuse(describe, call, refusal);
  const account = CATEGORIES[op.category];
  const amount = yuan(op.amount);
  return {
    describe,
    call,
    expect: { status: 201, body: { amount: text(amount), account, category: op.category } },
    commit: (reply) => {
      state.journal.post(
        [
          ['1001', amount],
          [account, amount.neg()],
        ],
        nowMonth(state),
        { id: reply.entryId, kind: 'income' },
      );
    },
  };
}
