import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../src/shared/money.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { approve, cancel, payout, reject, repair, requestsUrl } from './support/spending.js';

/**
 * Random sequences of operations run against the API and against a model of what the books
 * must then hold: incomes, reversals, spend requests reserved, paid, rejected and cancelled,
 * and refused operations (bad money, overdrafts, double reversals). After every step the
 * invariants are checked through the API itself, and a refused operation must leave the books
 * byte-identical.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const CATEGORY_ACCOUNT = { parking: '4101', advertising: '4102', leasing: '4103', other: '4199' } as const;
type Category = keyof typeof CATEGORY_ACCOUNT;
const EXPENSES = ['5102', '5105', '5199'] as const;

interface Model {
  balances: Map<string, Money>; // debits minus credits
  reserved: Money;
  incomes: Array<{ entryId: string; account: string; amount: string; reversed: boolean }>;
  requests: Array<{ id: string; digest: string; amount: string; account: string; open: boolean }>;
  entries: number;
}

type Op =
  | { kind: 'income'; category: Category; amount: string }
  | { kind: 'bad-income'; amount: unknown }
  | { kind: 'reverse'; pick: number; twice: boolean }
  | { kind: 'spend'; amount: string; account: (typeof EXPENSES)[number] }
  | { kind: 'pay' | 'reject' | 'cancel'; pick: number };

const amountArb = fc
  .tuple(fc.bigInt({ min: 0n, max: 99_999n }), fc.integer({ min: 0, max: 99 }))
  .filter(([i, f]) => i > 0n || f > 0)
  .map(([i, f]) => (f === 0 ? `${i}` : `${i}.${String(f).padStart(2, '0')}`));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('income' as const), category: fc.constantFrom(...(Object.keys(CATEGORY_ACCOUNT) as Category[])), amount: amountArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('bad-income' as const),
      amount: fc.oneof(fc.double(), fc.constantFrom('0', '-5', '1.005', '12345678901234', '1e2', ' ', 'NaN'), fc.string().filter((t) => !/^[0-9]{1,13}(\.[0-9]{1,2})?$/.test(t))),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat(), twice: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('spend' as const), amount: amountArb, account: fc.constantFrom(...EXPENSES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
);

async function snapshot(c: Community) {
  const api = c.owner.api;
  const [accounts, fundReply, verify, entries, requests] = await Promise.all([
    api.get(`/v1/communities/${c.id}/accounts`),
    api.get(`/v1/communities/${c.id}/fund`),
    api.get(`/v1/communities/${c.id}/ledger/verify`),
    api.get(`/v1/communities/${c.id}/entries?limit=500`),
    api.get(`${requestsUrl(c)}?limit=500`),
  ]);
  return {
    accounts: accounts.body.items,
    fund: { ...fundReply.body, asOf: undefined },
    verify: verify.body,
    entries: entries.body.items,
    requests: requests.body.items,
  };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

function available(model: Model): Money {
  return (model.balances.get('1001') ?? new Money(0)).minus(model.reserved);
}

function checkInvariants(model: Model, s: Snapshot) {
  expect(s.verify).toMatchObject({ ok: true, entries: model.entries, problems: [] });
  for (const entry of s.entries) {
    const debits = entry.postings.reduce((t: Money, p: any) => t.plus(p.debit), new Money(0));
    const credits = entry.postings.reduce((t: Money, p: any) => t.plus(p.credit), new Money(0));
    expect(debits.eq(credits)).toBe(true);
  }
  for (const account of s.accounts) {
    const raw = model.balances.get(account.code) ?? new Money(0);
    const normal = account.type === 'asset' || account.type === 'expense' ? raw : raw.neg();
    expect(`${account.code}:${account.balance}`).toBe(`${account.code}:${normal.toFixed(2)}`);
  }
  expect(s.fund.reserved).toBe(model.reserved.toFixed(2));
  expect(s.fund.available).toBe(available(model).toFixed(2));
  expect(new Money(s.fund.available).eq(new Money(s.fund.balance).minus(s.fund.reserved))).toBe(true);
  expect(new Money(s.fund.available).gte(0)).toBe(true);
}

function move(model: Model, account: string, delta: Money) {
  model.balances.set(account, (model.balances.get(account) ?? new Money(0)).plus(delta));
}

/** Applies one operation to the API and the model; returns false when it was (rightly) refused. */
async function apply(c: Community, model: Model, op: Op): Promise<boolean> {
  const base = `/v1/communities/${c.id}`;
  const signer = c.cosigners[0];
  switch (op.kind) {
    case 'income': {
      const reply = await c.manager.api.post(`${base}/income`, { category: op.category, amount: op.amount, payer: 'Model' });
      expect(reply.status).toBe(201);
      const account = CATEGORY_ACCOUNT[op.category];
      move(model, '1001', new Money(op.amount));
      move(model, account, new Money(op.amount).neg());
      model.incomes.push({ entryId: reply.body.entryId, account, amount: op.amount, reversed: false });
      model.entries++;
      return true;
    }
    case 'bad-income': {
      const reply = await c.manager.api.post(`${base}/income`, { category: 'parking', amount: op.amount, payer: 'Model' });
      expect(reply.status).toBe(400);
      return false;
    }
    case 'reverse': {
      const target = model.incomes[op.pick % Math.max(1, model.incomes.length)];
      if (!target) return false;
      const path = `${base}/entries/${target.entryId}/reversal`;
      const reply = await signer.api.post(path, { reason: 'model', signingPassword: signer.signingPassword });
      if (target.reversed || new Money(target.amount).gt(available(model))) {
        expect({ status: reply.status, code: reply.body.code }).toEqual({
          status: 409,
          code: target.reversed ? 'invalid_state' : 'insufficient_funds',
        });
        return false;
      }
      expect(reply.status).toBe(201);
      target.reversed = true;
      move(model, '1001', new Money(target.amount).neg());
      move(model, target.account, new Money(target.amount));
      model.entries++;
      if (op.twice) expect((await signer.api.post(path, { reason: 'again', signingPassword: signer.signingPassword })).status).toBe(409);
      return true;
    }
    case 'spend': {
      const reply = await c.manager.api.post(requestsUrl(c), repair({ amount: op.amount, account: op.account }));
      if (new Money(op.amount).gt(available(model))) {
        expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 409, code: 'insufficient_funds' });
        return false;
      }
      expect(reply.status).toBe(201);
      model.reserved = model.reserved.plus(op.amount);
      model.requests.push({ id: reply.body.id, digest: reply.body.digest, amount: new Money(op.amount).toFixed(2), account: op.account, open: true });
      return true;
    }
    default: {
      const open = model.requests.filter((r) => r.open);
      const request = open[op.pick % Math.max(1, open.length)];
      if (!request) return false;
      if (op.kind === 'pay') {
        expect((await approve(c, c.cosigners[1], request)).status).toBe(200);
        expect((await approve(c, c.cosigners[2], request)).status).toBe(200);
        expect((await payout(c, request)).status).toBe(200);
        move(model, '1001', new Money(request.amount).neg());
        move(model, request.account, new Money(request.amount));
        model.entries++;
      } else {
        const reply = op.kind === 'reject' ? await reject(c, signer, request) : await cancel(c, request);
        expect(reply.status).toBe(200);
      }
      request.open = false;
      model.reserved = model.reserved.minus(request.amount);
      return true;
    }
  }
}

describe('the books against a reference model', () => {
  it('keep every invariant after every step of random operations, and refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const c = await setupCommunity(h.app);
        const model: Model = { balances: new Map(), reserved: new Money(0), incomes: [], requests: [], entries: 0 };
        let before = await snapshot(c);
        for (const op of ops) {
          const changed = await apply(c, model, op);
          const after = await snapshot(c);
          if (!changed) expect(after).toEqual(before);
          checkInvariants(model, after);
          before = after;
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 15) },
    );
  });
});
