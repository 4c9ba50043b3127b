import type { Reply } from '../harness.js';
import type { RequestView, View } from './model.js';
import type { World } from './world.js';

/**
 * Reads the books through the API, as the manager sees them, and reduces the answers to the
 * shape of the model's view. `head` (the ledger head) is kept apart: the model cannot
 * predict hashes, but a refused command must leave it as it was. The year's budget and its
 * report are read once the model knows a budget, or when `budgets` asks (after a budget
 * command); before that both are taken to be absent, saving two reads a step.
 */
export async function observe(world: World, budgets = false): Promise<{ view: View; head: unknown }> {
  const { model, base } = world;
  const api = world.community.manager.api;
  const { year, units } = model.state;
  const ok = (reply: Reply, what: string) => {
    if (reply.status !== 200) throw new Error(`${what}: ${reply.status} ${reply.text}`);
    return reply.body;
  };
  const maybe = (reply: Reply, what: string) => (reply.status === 404 ? null : ok(reply, what));
  const absent: Reply = { status: 404, body: undefined, headers: {}, text: '' };
  const readBudgets = budgets || model.state.budget.length > 0;
  const [fund, accounts, verify, requests, budget, report, ...statements] = await Promise.all([
    api.get(`${base}/fund`),
    api.get(`${base}/accounts`),
    api.get(`${base}/ledger/verify`),
    api.get(`${base}/spend-requests?limit=500`),
    readBudgets ? api.get(`${base}/budgets/${year}`) : absent,
    readBudgets ? api.get(`${base}/budgets/${year}/report`) : absent,
    ...units.map((u) => api.get(`${base}/units/${u.id}/statement`)),
  ]);
  const f = ok(fund, 'fund');
  const b = maybe(budget, 'budget');
  const r = maybe(report, 'report');
  const view: View = {
    fund: { balance: f.balance, reserved: f.reserved, available: f.available },
    accounts: Object.fromEntries(ok(accounts, 'accounts').items.map((a: any) => [a.code, a.balance])),
    verify: { ok: ok(verify, 'verify').ok, entries: verify.body.entries },
    requests: ok(requests, 'spend requests').items.map((q: any) => ({ id: q.id, status: q.status, amount: q.amount, account: q.account, approvalCount: q.approvalCount })),
    statements: statements.map((s, i) => {
      const body = ok(s, `statement of unit ${i + 1}`);
      return {
        unit: body.unit.id,
        due: body.due,
        advance: body.advance,
        bills: body.bills.map((bill: any) => ({ period: bill.period, amount: bill.amount, paid: bill.paid })),
      };
    }),
    budget: b && {
      version: b.version,
      status: b.status,
      draftedBy: b.draftedBy.id,
      approvals: b.approvals.map((a: any) => a.by.id),
      lines: b.lines.map((l: any) => ({ account: l.account, amount: l.amount })),
    },
    report: r && {
      status: r.status,
      version: r.version,
      lines: r.lines.map((l: any) => ({
        account: l.account,
        budget: l.budget,
        actual: l.actual,
        remaining: l.remaining,
        executionRate: l.executionRate,
        months: l.months,
      })),
      totals: { budget: r.totals.budget, actual: r.totals.actual, remaining: r.totals.remaining, executionRate: r.totals.executionRate },
    },
  };
  return { view, head: f.ledgerHead };
}

/** One spend request as the API tells it, in the shape of the model's `requestView`. */
export async function observeRequest(world: World, id: string): Promise<RequestView> {
  const reply = await world.community.manager.api.get(`${world.base}/spend-requests/${id}`);
  if (reply.status !== 200) throw new Error(`spend request: ${reply.status} ${reply.text}`);
  const r = reply.body;
  return {
    id: r.id,
    status: r.status,
    amount: r.amount,
    account: r.account,
    digest: r.digest,
    submittedBy: r.submittedBy.id,
    approvals: r.approvals.map((a: any) => a.by),
    timeline: r.timeline.map((s: any) => ({ event: s.event, actor: s.actor.id, ...(s.note === undefined ? {} : { note: s.note }) })),
  };
}
