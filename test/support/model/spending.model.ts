import type { AmountSpec, Op, Target } from './commands.js';
import { REMUNERATION_PAYABLE } from './commands.js';
import { downToFen, FEN, text, Yuan, yuan, ZERO } from './money.js';
import {
  countWrongKey,
  fitsMoney,
  gate,
  nowMonth,
  refuse,
  REFUSE,
  signingFor,
  who,
  type Call,
  type Plan,
  type Refusal,
  type SpendState,
  type SpendStatus,
  type State,
} from './state.js';

/**
 * The model of spend requests and reversals. Each refusal is predicted in the order the
 * contract and the service decide it: who you are (outsiders 404, roles 403), then whether
 * you may decide on this request (the submitter never may), your key, what you decided
 * before, the request's state, and last the money.
 */

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

const REJECT_REASON = 'The quote is too high';
const CANCEL_REASON = 'No longer needed';
const BANK_REFERENCE = 'ICBC-20261126-0001';
const WRONG_DIGEST = 'f'.repeat(64);

/** An amount given outright, or a share of `base` (down to the fen, nudged, never below a fen). */
export function resolveAmount(spec: AmountSpec, base: () => Yuan): { text: string; value: Yuan } {
  if ('abs' in spec) return { text: spec.abs, value: yuan(spec.abs) };
  const share = downToFen(Yuan.max(base(), ZERO).times(spec.percent).div(100)).plus(FEN.times(spec.nudge));
  const value = share.lte(0) ? FEN : share;
  return { text: text(value), value };
}

/** What the steward may still ask for: 2201's credit balance less what open 2201 requests ask. */
export function payable(state: State): Yuan {
  const open = state.requests.filter((r) => r.account === REMUNERATION_PAYABLE && (r.status === 'pending' || r.status === 'approved'));
  return open.reduce((left, r) => left.minus(r.amount), state.journal.owed(REMUNERATION_PAYABLE));
}

function pickRequest(state: State, target: Target, suits: SpendStatus[]): SpendState | undefined {
  const fitting = state.requests.filter((r) => suits.includes(r.status));
  const pool = target.fit && fitting.length > 0 ? fitting : state.requests;
  return pool.length > 0 ? pool[target.pick % pool.length] : undefined;
}

const label = (state: State, r: SpendState) =>
  `request #${state.requests.indexOf(r) + 1} (${r.status}, ${text(r.amount)} on ${r.account}, submitted by ${r.submitter}, keys ${r.approvals.join('+') || 'none'})`;

const first = (...checks: Array<Refusal | false | undefined>): Refusal | undefined => checks.find((c): c is Refusal => Boolean(c));

function release(state: State, request: SpendState): void {
  state.journal.reserved = state.journal.reserved.minus(request.amount);
}

export function planSpend(state: State, op: OpOf<'spend'>): Plan {
  const by = who(op.by, 'manager');
  const amount = resolveAmount(op.amount, () => (op.account === REMUNERATION_PAYABLE ? payable(state) : state.journal.available()));
  const body = {
    title: op.account === REMUNERATION_PAYABLE ? 'Steward remuneration' : 'Repair of the east gate',
    amount: amount.text,
    account: op.account,
    payee: { name: 'Hangzhou Gate Repair Co.', account: '6222 0212 3456 7890 1234' },
    description: 'Quote attached.',
  };
  const call: Call = { by, method: 'POST', path: '/spend-requests', body };
  const describe = `${by} asks ${amount.text} on ${op.account} (available ${text(state.journal.available())}, payable ${text(payable(state))})`;
  const refusal = first(
    !fitsMoney(amount.value) && REFUSE.validation,
    gate(state.people[by], ['manager']),
    op.account === REMUNERATION_PAYABLE && amount.value.gt(payable(state)) && REFUSE.invalidState,
    amount.value.gt(state.journal.available()) && REFUSE.insufficientFunds,
  );
  if (refusal) return refuse(describe, call, refusal);
  let id = '';
  return {
    describe,
    call,
    expect: { status: 201, body: { status: 'pending', amount: text(amount.value), account: op.account, approvalCount: 0 } },
    commit: (reply) => {
      id = reply.id;
      state.requests.push({
        id: reply.id,
        digest: reply.digest,
        amount: amount.value,
        account: op.account,
        submitter: by,
        status: 'pending',
        decided: new Set(),
        approvals: [],
        timeline: [{ event: 'submitted', actor: by }],
      });
      state.journal.reserved = state.journal.reserved.plus(amount.value);
    },
    request: () => id,
  };
}

export function planApprove(state: State, op: OpOf<'approve'>): Plan | undefined {
  const request = pickRequest(state, op.target, ['pending']);
  if (!request) return undefined;
  const by = who(op.by, 'c1', request.submitter);
  const signing = signingFor(state, by, op.signing);
  const call: Call = { by, method: 'POST', path: `/spend-requests/${request.id}/approvals`, body: { digest: op.digest === 'right' ? request.digest : WRONG_DIGEST }, signing };
  const describe = `${by} approves ${label(state, request)}${signing === 'wrong' ? ' with a wrong key' : ''}${op.digest === 'wrong' ? ' naming another digest' : ''}`;
  const refusal = first(
    gate(state.people[by], ['cosigner']),
    by === request.submitter && REFUSE.selfApproval,
    signing === 'wrong' && REFUSE.badSigning,
    request.decided.has(by) && REFUSE.alreadyDecided,
    request.status !== 'pending' && REFUSE.invalidState,
    op.digest === 'wrong' && REFUSE.digestMismatch,
  );
  if (refusal) return refused(state, by, refuse(describe, call, refusal), request);
  const keys = request.approvals.length + 1;
  const required = state.spec.requiredApprovals;
  return {
    describe,
    call,
    expect: { status: 200, body: { status: keys === required ? 'approved' : 'pending', approvalCount: keys } },
    commit: () => {
      request.decided.add(by);
      request.approvals.push(by);
      request.timeline.push({ event: 'key', actor: by, note: `${keys}/${required}` });
      if (keys === required) {
        request.status = 'approved';
        request.timeline.push({ event: 'approved', actor: by });
      }
    },
    request: () => request.id,
  };
}

export function planReject(state: State, op: OpOf<'reject'>): Plan | undefined {
  const request = pickRequest(state, op.target, ['pending', 'approved']);
  if (!request) return undefined;
  const by = who(op.by, 'c1', request.submitter);
  const signing = signingFor(state, by, op.signing);
  const call: Call = { by, method: 'POST', path: `/spend-requests/${request.id}/rejections`, body: { reason: REJECT_REASON }, signing };
  const describe = `${by} rejects ${label(state, request)}${signing === 'wrong' ? ' with a wrong key' : ''}`;
  const refusal = first(
    gate(state.people[by], ['cosigner']),
    by === request.submitter && REFUSE.selfApproval,
    signing === 'wrong' && REFUSE.badSigning,
    request.decided.has(by) && REFUSE.alreadyDecided,
    request.status !== 'pending' && request.status !== 'approved' && REFUSE.invalidState,
  );
  if (refusal) return refused(state, by, refuse(describe, call, refusal), request);
  return {
    describe,
    call,
    expect: { status: 200, body: { status: 'rejected' } },
    commit: () => {
      request.decided.add(by);
      request.status = 'rejected';
      request.timeline.push({ event: 'rejected', actor: by, note: REJECT_REASON });
      release(state, request);
    },
    request: () => request.id,
  };
}

export function planCancel(state: State, op: OpOf<'cancel'>): Plan | undefined {
  const request = pickRequest(state, op.target, ['pending', 'approved']);
  if (!request) return undefined;
  const by = who(op.by, 'manager', request.submitter);
  const call: Call = { by, method: 'POST', path: `/spend-requests/${request.id}/cancellation`, body: { reason: CANCEL_REASON } };
  const describe = `${by} cancels ${label(state, request)}`;
  const person = state.people[by];
  const refusal = first(
    !person.member && !person.platformAdmin && REFUSE.notFound,
    by !== request.submitter && REFUSE.forbidden,
    request.status !== 'pending' && request.status !== 'approved' && REFUSE.invalidState,
  );
  if (refusal) return { ...refuse(describe, call, refusal), request: () => request.id };
  return {
    describe,
    call,
    expect: { status: 200, body: { status: 'cancelled' } },
    commit: () => {
      request.status = 'cancelled';
      request.timeline.push({ event: 'cancelled', actor: by, note: CANCEL_REASON });
      release(state, request);
    },
    request: () => request.id,
  };
}

export function planPayout(state: State, op: OpOf<'payout'>): Plan | undefined {
  const request = pickRequest(state, op.target, ['approved']);
  if (!request) return undefined;
  const by = who(op.by, 'manager', request.submitter);
  const call: Call = { by, method: 'POST', path: `/spend-requests/${request.id}/payout`, body: { bankReference: BANK_REFERENCE } };
  const describe = `${by} pays out ${label(state, request)}`;
  const refusal = first(
    gate(state.people[by], ['manager']),
    request.status !== 'approved' && REFUSE.invalidState,
    request.account === REMUNERATION_PAYABLE && state.journal.owed(REMUNERATION_PAYABLE).lt(request.amount) && REFUSE.invalidState,
  );
  if (refusal) return { ...refuse(describe, call, refusal), request: () => request.id };
  return {
    describe,
    call,
    expect: { status: 200, body: { status: 'paid', bankReference: BANK_REFERENCE } },
    commit: (reply) => {
      request.status = 'paid';
      request.timeline.push({ event: 'paid', actor: by, note: BANK_REFERENCE });
      release(state, request);
      state.journal.post(
        [
          [request.account, request.amount],
          ['1001', request.amount.neg()],
        ],
        nowMonth(state),
        { id: reply.entryId, kind: 'payout' },
      );
    },
    request: () => request.id,
  };
}

/** A co-signer reverses an income (nothing else is reversed this way), at most once, never below what is reserved. */
export function planReverse(state: State, op: OpOf<'reverse'>): Plan | undefined {
  const known = state.journal.known;
  const reversible = known.filter((e) => e.kind === 'income' && !e.reversed);
  const pool = op.fit && reversible.length > 0 ? reversible : known;
  const entry = pool[op.pick % Math.max(1, pool.length)];
  if (!entry) return undefined;
  const by = who(op.by, 'c1');
  const signing = signingFor(state, by, op.signing);
  const call: Call = { by, method: 'POST', path: `/entries/${entry.id}/reversal`, body: { reason: 'Recorded twice' }, signing };
  const fund = entry.lines.find(([code]) => code === '1001')?.[1] ?? ZERO;
  const describe = `${by} reverses ${entry.reversed ? 'the reversed ' : 'the '}${entry.kind} entry #${known.indexOf(entry) + 1} (fund ${text(fund)}, available ${text(state.journal.available())})`;
  const refusal = first(
    gate(state.people[by], ['cosigner']),
    entry.kind !== 'income' && REFUSE.invalidState,
    signing === 'wrong' && REFUSE.badSigning,
    entry.reversed && REFUSE.invalidState,
    fund.gt(state.journal.available()) && REFUSE.insufficientFunds,
  );
  if (refusal) return refused(state, by, refuse(describe, call, refusal));
  return {
    describe,
    call,
    expect: { status: 201, body: { kind: 'reversal' } },
    commit: (reply) => {
      entry.reversed = true;
      state.journal.post(entry.lines.map(([code, amount]) => [code, amount.neg()]), nowMonth(state), { id: reply.id, kind: 'reversal' });
    },
  };
}

/** A refusal; a wrong key that reached the check is counted against its holder. */
export function refused(state: State, by: Plan['call']['by'], plan: Plan, request?: SpendState): Plan {
  if (plan.expect.code === REFUSE.badSigning.code) countWrongKey(state, by);
  return request ? { ...plan, request: () => request.id } : plan;
}
