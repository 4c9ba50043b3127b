import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../src/shared/money.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';

/**
 * Random sequences of operations run against the API and against a model of what the books
 * must then hold. After every step the invariants are checked through the API itself.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const CATEGORY_ACCOUNT = { parking: '4101', advertising: '4102', leasing: '4103', other: '4199' } as const;
type Category = keyof typeof CATEGORY_ACCOUNT;

interface Model {
  balances: Map<string, Money>; // debits minus credits
  incomes: Array<{ entryId: string; account: string; amount: string; reversed: boolean }>;
  entries: number;
}

type Op =
  | { kind: 'income'; category: Category; amount: string }
  | { kind: 'reverse'; pick: number }
  | { kind: 'bad-income'; amount: unknown }
  | { kind: 'reverse-twice'; pick: number };

const amountArb = fc
  .tuple(fc.bigInt({ min: 0n, max: 9_999_999_999_999n }), fc.integer({ min: 0, max: 99 }))
  .filter(([i, f]) => i > 0n || f > 0)
  .map(([i, f]) => (f === 0 ? `${i}` : `${i}.${String(f).padStart(2, '0')}`));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('income' as const), category: fc.constantFrom(...(Object.keys(CATEGORY_ACCOUNT) as Category[])), amount: amountArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse-twice' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bad-income' as const),
      amount: fc.oneof(fc.double(), fc.constantFrom('0', '-5', '1.005', '12345678901234', '1e2', ' ', 'NaN'), fc.string().filter((t) => !/^[0-9]{1,13}(\.[0-9]{1,2})?$/.test(t))),
    }),
  },
);

async function snapshot(c: Community) {
  const api = c.owner.api;
  const [accounts, fundReply, verify, entries] = await Promise.all([
    api.get(`/v1/communities/${c.id}/accounts`),
    api.get(`/v1/communities/${c.id}/fund`),
    api.get(`/v1/communities/${c.id}/ledger/verify`),
    api.get(`/v1/communities/${c.id}/entries?limit=500`),
  ]);
  return { accounts: accounts.body.items, fund: { ...fundReply.body, asOf: undefined }, verify: verify.body, entries: entries.body.items };
}

function checkInvariants(model: Model, s: Awaited<ReturnType<typeof snapshot>>) {
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
  const available = new Money(s.fund.available);
  expect(available.eq(new Money(s.fund.balance).minus(s.fund.reserved))).toBe(true);
  expect(available.gte(0)).toBe(true);
}

function move(model: Model, account: string, delta: Money) {
  model.balances.set(account, (model.balances.get(account) ?? new Money(0)).plus(delta));
}

async function apply(c: Community, model: Model, op: Op, before: Awaited<ReturnType<typeof snapshot>>) {
  const api = c.manager.api;
  const signer = c.cosigners[0];
  if (op.kind === 'income') {
    const reply = await api.post(`/v1/communities/${c.id}/income`, { category: op.category, amount: op.amount, payer: 'Model' });
    expect(reply.status).toBe(201);
    const account = CATEGORY_ACCOUNT[op.category];
    move(model, '1001', new Money(op.amount));
    move(model, account, new Money(op.amount).neg());
    model.incomes.push({ entryId: reply.body.entryId, account, amount: op.amount, reversed: false });
    model.entries++;
    return;
  }
  if (op.kind === 'bad-income') {
    const reply = await api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: op.amount, payer: 'Model' });
    expect(reply.status).toBe(400);
    expect(await snapshot(c)).toEqual(before); // a refused operation leaves the books byte-identical
    return;
  }
  const target = model.incomes[op.pick % Math.max(1, model.incomes.length)];
  if (!target) return;
  const path = `/v1/communities/${c.id}/entries/${target.entryId}/reversal`;
  const reply = await signer.api.post(path, { reason: 'model', signingPassword: signer.signingPassword });
  if (target.reversed) {
    expect(reply.status).toBe(409);
    expect(await snapshot(c)).toEqual(before);
    return;
  }
  expect(reply.status).toBe(201);
  target.reversed = true;
  move(model, '1001', new Money(target.amount).neg());
  move(model, target.account, new Money(target.amount));
  model.entries++;
  if (op.kind === 'reverse-twice') {
    const again = await signer.api.post(path, { reason: 'model', signingPassword: signer.signingPassword });
    expect(again.status).toBe(409);
  }
}

describe('the ledger against a reference model', () => {
  it('keeps every invariant after every step of random operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 10 }), async (ops) => {
        const c = await setupCommunity(h.app);
        const model: Model = { balances: new Map(), incomes: [], entries: 0 };
        for (const op of ops) {
          const before = await snapshot(c);
          await apply(c, model, op, before);
          checkInvariants(model, await snapshot(c));
        }
      }),
      { numRuns: 12 },
    );
  });
});
