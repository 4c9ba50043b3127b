import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../src/shared/money.js';
import { setupCommunity, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('racing writers', () => {
  it('200 concurrent incomes give the exact sum and gapless seqs', async () => {
    const c = await setupCommunity(h.app);
    const amounts = Array.from({ length: 200 }, (_, i) => `${i + 1}.${String(i % 100).padStart(2, '0')}`);
    const replies = await Promise.all(
      amounts.map((amount) => c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount, payer: 'Racer' })),
    );
    expect(replies.map((r) => r.status)).toEqual(amounts.map(() => 201));
    const expected = amounts.reduce((s, a) => s.plus(a), new Money(0)).toFixed(2);
    const fundReply = await c.owner.api.get(`/v1/communities/${c.id}/fund`);
    expect(fundReply.body.balance).toBe(expected);
    expect(fundReply.body.ledgerHead.seq).toBe(200);
    const entries = await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500`);
    expect(entries.body.items.map((e: any) => e.seq)).toEqual(amounts.map((_, i) => i + 1));
    const verify = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`);
    expect(verify.body).toMatchObject({ ok: true, entries: 200, problems: [] });
  });

  it('ten racing requests with one Idempotency-Key land once and all answer alike', async () => {
    const c = await setupCommunity(h.app);
    const body = { category: 'leasing', amount: '777.77', payer: 'Tenant' };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => c.manager.api.post(`/v1/communities/${c.id}/income`, body, { 'idempotency-key': 'once' })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const fundReply = await c.owner.api.get(`/v1/communities/${c.id}/fund`);
    expect(fundReply.body.balance).toBe('777.77');
    expect(fundReply.body.ledgerHead.seq).toBe(1);
  });

  it('racing reversals of one entry reverse it once', async () => {
    const c = await setupCommunity(h.app);
    const income = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '40', payer: 'x' });
    const path = `/v1/communities/${c.id}/entries/${income.body.entryId}/reversal`;
    const replies = await Promise.all(
      c.cosigners.map((s) => s.api.post(path, { reason: 'race', signingPassword: s.signingPassword })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/fund`)).body.balance).toBe('0.00');
  });

  it('verify and export taken while others post see one consistent snapshot', async () => {
    const c = await setupCommunity(h.app);
    const writes = Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: `${i + 1}.01`, payer: 'Racer' }),
      ),
    );
    const reads = Promise.all([
      ...Array.from({ length: 6 }, () => c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)),
      ...Array.from({ length: 4 }, () => c.owner.api.get(`/v1/communities/${c.id}/ledger/export?format=hledger`)),
    ]);
    const [written, read] = await Promise.all([writes, reads]);
    expect(written.every((r) => r.status === 201)).toBe(true);
    for (const reply of read.slice(0, 6)) expect(reply.body).toMatchObject({ ok: true, problems: [] });
    for (const reply of read.slice(6)) {
      // The fund's postings in the journal add up to the balance the journal asserts for it.
      const lines = reply.text.split('\n').filter((l) => l.includes('assets:1001 '));
      const assertion = lines.find((l) => l.includes(' = '))!;
      const posted = lines.filter((l) => !l.includes(' = ') && !l.startsWith('account ')).reduce((t, l) => t.plus(/(-?[0-9.]+) CNY$/.exec(l)![1]!), new Money(0));
      expect(posted.toFixed(2)).toBe(/= (-?[0-9.]+) CNY$/.exec(assertion)![1]);
    }
  });
});
