import { api, createCommunity, login } from '../support/api.js';
import { envNumber, equal, fixed2, moneySum, passwordHashCost, pooled, PgStatWindow, printChecks, reportProfiles, stackOptions, truth, type Check, type Log, type PartOutcome } from '../support/common.js';
import { drive, isOk, statusSummary, type DriveResult, type Task } from '../support/driver.js';
import { addMember, addUnits, billAll, listAll, type BenchPerson } from '../support/setup.js';
import { quantile } from '../support/stats.js';
import { startStack, type Stack } from '../support/stack.js';
import { Money } from '../../src/shared/money.js';

/**
 * Part 2, the money-write table (`npm run bench:money`): every write that moves money, one
 * after another on ONE hot community, each through HTTP at BENCH_MONEY_CONNECTIONS (16) for
 * BENCH_MONEY_SECONDS (5) or until its prepared objects run out:
 *
 *   fee payments   POST …/fee-payments of 10.00 to BENCH_MONEY_UNITS (400) units, each billed
 *                  200.00 for the current month before the clock starts (round robin, so every
 *                  payment settles 10.00 of a bill and accrues 1.00 of remuneration)
 *   submissions    POST …/spend-requests of 12.34 (account 5105), the fund funded beforehand
 *   approvals      POST …/approvals by two distinct co-signers for every request submitted
 *                  above (both keys of a request are sent side by side, as two co-signers
 *                  approving at once would), BENCH_MONEY_COSIGNERS (4) taking turns in pairs
 *   payouts        POST …/payout of every request the approvals made `approved`, topped up
 *                  beforehand (not measured) to BENCH_MONEY_PAYOUTS (200) approved requests
 *
 * Each kind's books are then checked exactly (decimal.js): the fund's balance and reserved,
 * fees receivable, fees received in advance, remuneration, the expense account and every
 * request's status agree with what succeeded, and /ledger/verify is ok.
 *
 * Approvals verify a signing password with scrypt at the API's cost (BENCH_PASSWORD_HASH_COST,
 * 10 here; the production default is 15, ~100 ms of a core per verification on this machine,
 * which alone caps approvals near 20/s on 2 cores whatever the write path does).
 */
const CONNECTIONS = envNumber('BENCH_MONEY_CONNECTIONS', 16);
const SECONDS = envNumber('BENCH_MONEY_SECONDS', 5);
const UNITS = envNumber('BENCH_MONEY_UNITS', 400);
const MIN_PAYOUTS = envNumber('BENCH_MONEY_PAYOUTS', 200, { zeroAllowed: true });
/**
 * Co-signers taking turns in pairs: each request's two keys come from one pair. With two, each
 * would have 8 approvals in flight at once, and the API counts every attempt in flight
 * against its limit of 10 failed attempts a minute (auth.throttle.ts: counted before the
 * check, cleared on success), so more than 10 correct approvals at once by one co-signer are
 * answered 429 rate_limited.
 */
const COSIGNERS = Math.max(2, 2 * Math.round(envNumber('BENCH_MONEY_COSIGNERS', 4) / 2));
const AREA = '100.00';
const RATE = '2.00';
const BILL = new Money(AREA).times(RATE);
const FEE_PAYMENT = '10.00';
const FEE_RATE = '0.10'; // createCommunity's managementFeeRate
const SPEND = '12.34';
const FUNDING = '10000000.00';

interface Kind {
  name: string;
  result: DriveResult;
  checks: Check[];
}

export async function runMoney(log: Log): Promise<PartOutcome> {
  log(`one hot community, ${CONNECTIONS} connections, up to ${SECONDS} s per kind, ${UNITS} billed units; scrypt cost ${passwordHashCost()}`);
  const stack = await startStack(log, stackOptions('money'));
  try {
    return await measure(stack, log);
  } finally {
    await stack.close();
    reportProfiles('money', log);
  }
}

async function measure(stack: Stack, log: Log): Promise<PartOutcome> {
  const base = stack.baseUrl;
  const adminToken = await login(base, 'admin', stack.adminPassword);
  const community = await createCommunity(base, adminToken, 'money', true);
  const cid = community.id;
  const manager = community.managerToken!;
  const url = (route: string) => `${base}/v1/communities/${cid}${route}`;
  log('preparing (not measured): co-signers, units, fee rate, a billing run, the funding income');
  const cosigners = await Promise.all(Array.from({ length: COSIGNERS }, () => addMember(base, adminToken, cid, ['cosigner'])));
  const pairOf = (i: number): [BenchPerson, BenchPerson] => [cosigners[(2 * i) % COSIGNERS]!, cosigners[(2 * i + 1) % COSIGNERS]!];
  const units = await addUnits(base, adminToken, cid, UNITS, AREA);
  const run = await billAll(base, manager, cid, RATE);
  await api(base, manager)('POST', `/v1/communities/${cid}/income`, { category: 'other', amount: FUNDING, payer: 'Bench funding' });
  const start = await books(stack, manager, cid);
  // BENCH_PG_STAT: the database's work per kind, printed after each phase.
  // Each phase's answers are logged at once, so that they are seen even if a later step breaks.
  const measured = async (kind: string, phase: () => Promise<DriveResult>): Promise<DriveResult> => {
    const window = new PgStatWindow(stack.databaseUrl, stack.pgStatStatements);
    await window.begin();
    const result = await phase();
    await window.end();
    log(`  ${kind}: ${statusSummary(result.outcomes)} in ${result.seconds.toFixed(1)} s`);
    window.print(log, kind);
    return result;
  };

  // Fee payments, round robin over the billed units.
  log(`measuring fee payments (${UNITS} units billed ${fixed2(BILL)} each in ${run.period})`);
  let paymentNo = 0;
  const payments = await measured('fee payments', () => drive({
    connections: CONNECTIONS,
    seconds: SECONDS,
    next: () => {
      const unitId = units[paymentNo++ % units.length]!;
      return { method: 'POST', url: url('/fee-payments'), token: manager, body: { unitId, amount: FEE_PAYMENT, method: 'wechat' }, tag: unitId };
    },
  }));
  const afterPayments = await books(stack, manager, cid);
  const paymentChecks = feeBooks(start, afterPayments, payments, units.length);

  // Spend submissions.
  log('measuring spend submissions');
  let submissionNo = 0;
  const submissions = await measured('spend submissions', () => drive({
    connections: CONNECTIONS,
    seconds: SECONDS,
    keepBodies: true,
    next: () => ({ method: 'POST', url: url('/spend-requests'), token: manager, body: { title: `Bench repair ${++submissionNo}`, amount: SPEND, account: '5105', payee: { name: 'Bench Repair Co.' } } }),
  }));
  const submitted = submissions.outcomes.filter(isOk).map((o) => o.body as { id: string; digest: string; status: string });
  const afterSubmissions = await books(stack, manager, cid);
  const submissionChecks = [
    equal('fund balance unchanged', afterSubmissions.balance, afterPayments.balance),
    equal(`reserved grew by ${SPEND} x 2xx`, fixed2(new Money(afterSubmissions.reserved).minus(afterPayments.reserved)), fixed2(new Money(SPEND).times(submitted.length))),
    equal('pending requests = 2xx', afterSubmissions.statuses.pending ?? 0, submitted.length),
    equal('every 2xx answered status pending', submitted.filter((r) => r.status === 'pending').length, submitted.length),
  ];

  // Approvals: two distinct co-signers' keys on every submitted request.
  log(`measuring approvals (${submitted.length} pending requests, 2 keys each)`);
  const approvalTasks: Task[] = submitted.flatMap((r, i) =>
    pairOf(i).map((c: BenchPerson) => ({ method: 'POST' as const, url: url(`/spend-requests/${r.id}/approvals`), token: c.token, body: { signingPassword: c.signingPassword, digest: r.digest }, tag: r.id })),
  );
  let approvalNo = 0;
  const approvals = await measured('approvals', () => drive({ connections: CONNECTIONS, seconds: SECONDS, next: () => approvalTasks[approvalNo++] ?? null }));
  const keys = new Map<string, number>();
  for (const o of approvals.outcomes.filter(isOk)) keys.set(o.tag as string, (keys.get(o.tag as string) ?? 0) + 1);
  const approvedIds = [...keys].filter(([, n]) => n === 2).map(([id]) => id);
  const afterApprovals = await books(stack, manager, cid);
  const approvalChecks = [
    equal('no request got a third key', [...keys.values()].filter((n) => n > 2).length, 0),
    equal('approved requests = those with two accepted keys', afterApprovals.statuses.approved ?? 0, approvedIds.length),
    equal('pending requests = the rest', afterApprovals.statuses.pending ?? 0, submitted.length - approvedIds.length),
    equal('reserved unchanged', afterApprovals.reserved, afterSubmissions.reserved),
    equal('fund balance unchanged', afterApprovals.balance, afterSubmissions.balance),
  ];

  // Payouts of every approved request, topped up (not measured) when the approvals above left
  // fewer than BENCH_MONEY_PAYOUTS, so that the phase has enough to pay.
  const extra = await topUpApproved(base, url, manager, pairOf, MIN_PAYOUTS - approvedIds.length, log);
  const afterTopUp = await books(stack, manager, cid);
  approvedIds.push(...extra);
  log(`measuring payouts (${approvedIds.length} approved requests)`);
  let payoutNo = 0;
  const payouts = await measured('payouts', () => drive({
    connections: CONNECTIONS,
    seconds: SECONDS,
    next: () => {
      const id = approvedIds[payoutNo++];
      return id ? { method: 'POST', url: url(`/spend-requests/${id}/payout`), token: manager, body: { bankReference: `BENCH-${payoutNo}` }, tag: id } : null;
    },
  }));
  const paid = payouts.outcomes.filter(isOk).length;
  const afterPayouts = await books(stack, manager, cid);
  const out = new Money(SPEND).times(paid);
  const verify = await api(base, manager)<{ ok: boolean; problems: string[] }>('GET', `/v1/communities/${cid}/ledger/verify`);
  const payoutChecks = [
    equal(`fund balance fell by ${SPEND} x 2xx`, afterPayouts.balance, fixed2(new Money(afterTopUp.balance).minus(out))),
    equal(`reserved fell by ${SPEND} x 2xx`, afterPayouts.reserved, fixed2(new Money(afterTopUp.reserved).minus(out))),
    equal(`repairs (5105) = ${SPEND} x 2xx`, afterPayouts.accounts['5105'], fixed2(out)),
    equal('paid requests = 2xx', afterPayouts.statuses.paid ?? 0, paid),
    equal('approved requests = the unpaid rest', afterPayouts.statuses.approved ?? 0, approvedIds.length - paid),
    equal('top-up: every request prepared was approved', extra.length, Math.max(0, MIN_PAYOUTS - (approvedIds.length - extra.length))),
    truth('/ledger/verify ok (all four kinds)', verify.ok, verify.ok ? 'true' : verify.problems.slice(0, 5).join('; ')),
  ];

  const kinds: Kind[] = [
    { name: 'fee payments', result: payments, checks: paymentChecks },
    { name: 'spend submissions', result: submissions, checks: submissionChecks },
    { name: 'approvals (keys)', result: approvals, checks: approvalChecks },
    { name: 'payouts', result: payouts, checks: payoutChecks },
  ];
  return report(kinds);
}

/** `count` more requests submitted and approved by a pair of co-signers, 8 at a time; their ids. */
async function topUpApproved(base: string, url: (route: string) => string, manager: string, pairOf: (i: number) => BenchPerson[], count: number, log: Log): Promise<string[]> {
  if (count <= 0) return [];
  log(`preparing ${count} more approved requests for the payouts (not measured)`);
  const ids = await pooled(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    const r = await api(base, manager)<{ id: string; digest: string }>('POST', new URL(url('/spend-requests')).pathname, { title: `Bench top-up ${i + 1}`, amount: SPEND, account: '5105', payee: { name: 'Bench Repair Co.' } });
    for (const c of pairOf(i)) await api(base, c.token)('POST', new URL(url(`/spend-requests/${r.id}/approvals`)).pathname, { signingPassword: c.signingPassword, digest: r.digest });
    return r.id;
  });
  return ids;
}

interface Books {
  balance: string;
  reserved: string;
  accounts: Record<string, string>;
  statuses: Record<string, number>;
}

async function books(stack: Stack, token: string, cid: string): Promise<Books> {
  const call = api(stack.baseUrl, token);
  const fund = await call<{ balance: string; reserved: string }>('GET', `/v1/communities/${cid}/fund`);
  const { items } = await call<{ items: { code: string; balance: string }[] }>('GET', `/v1/communities/${cid}/accounts`);
  const requests = await listAll<{ status: string }>(stack.baseUrl, token, `/v1/communities/${cid}/spend-requests`);
  const statuses: Record<string, number> = {};
  for (const r of requests) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { balance: fund.balance, reserved: fund.reserved, accounts: Object.fromEntries(items.map((a) => [a.code, a.balance])), statuses };
}

/**
 * What the fee payments must have done, unit by unit: each payment settles what the unit
 * still owes up to its amount (the rest is paid in advance) and accrues the remuneration rate
 * times what it settled, rounded half-up to the fen per payment.
 */
function feeBooks(before: Books, after: Books, result: DriveResult, unitCount: number): Check[] {
  const perUnit = new Map<string, number>();
  for (const o of result.outcomes.filter(isOk)) perUnit.set(o.tag as string, (perUnit.get(o.tag as string) ?? 0) + 1);
  let settled = new Money(0);
  let advance = new Money(0);
  let remuneration = new Money(0);
  for (const count of perUnit.values()) {
    let owed = BILL;
    for (let i = 0; i < count; i++) {
      const settles = Money.min(owed, FEE_PAYMENT);
      owed = owed.minus(settles);
      settled = settled.plus(settles);
      advance = advance.plus(new Money(FEE_PAYMENT).minus(settles));
      remuneration = remuneration.plus(settles.times(FEE_RATE).toDecimalPlaces(2, Money.ROUND_HALF_UP));
    }
  }
  const ok = result.outcomes.filter(isOk).length;
  const paidIn = moneySum(Array.from({ length: ok }, () => FEE_PAYMENT));
  const delta = (code: string) => fixed2(new Money(after.accounts[code] ?? '0').minus(before.accounts[code] ?? '0'));
  return [
    equal(`fund balance grew by ${FEE_PAYMENT} x 2xx`, fixed2(new Money(after.balance).minus(before.balance)), fixed2(paidIn)),
    equal('fees receivable (1101) fell by what settled', delta('1101'), fixed2(settled.negated())),
    equal('fees received in advance (2101) grew by the excess', delta('2101'), fixed2(advance)),
    equal('steward remuneration (5001) grew by 10% of what settled, per payment', delta('5001'), fixed2(remuneration)),
    equal('fees receivable before = the bills', before.accounts['1101'], fixed2(BILL.times(unitCount))),
  ];
}

function report(kinds: Kind[]): PartOutcome {
  const rows = kinds.map((k) => {
    const ok = k.result.outcomes.filter(isOk);
    const times = ok.map((o) => o.ms);
    const non2xx = k.result.outcomes.length - ok.length;
    const booksOk = k.checks.every((c) => c.ok);
    return {
      line: `${k.name.padEnd(18)} ${String(ok.length).padStart(6)} ${(ok.length / k.result.seconds).toFixed(1).padStart(8)}/s ${quantile(times, 0.5).toFixed(1).padStart(8)} ${quantile(times, 0.99).toFixed(1).padStart(8)} ${String(non2xx).padStart(7)}   ${booksOk ? 'exact' : 'WRONG'}`,
      detail: non2xx > 0 ? `    ${k.name}: ${statusSummary(k.result.outcomes)}` : undefined,
      booksOk,
    };
  });
  const booksOk = rows.every((r) => r.booksOk);
  const summary = [
    `one hot community, ${CONNECTIONS} connections each, times in ms (2xx only); approvals by ${COSIGNERS} co-signers in pairs, scrypt cost ${passwordHashCost()} for their signing passwords`,
    `kind                   2xx     rate      p50      p99 non-2xx   books`,
    ...rows.map((r) => r.line),
    ...rows.flatMap((r) => (r.detail ? [r.detail] : [])),
    `BOOKS  ${booksOk ? 'PASS' : 'FAIL'}  every kind's books reconcile exactly with what succeeded`,
  ];
  const details = kinds.flatMap((k) => [`  ${k.name}:`, ...printChecks(k.checks).map((l) => `  ${l}`)]);
  console.log(['', ...details, '', ...summary, ''].join('\n'));
  return { booksOk, summary };
}
