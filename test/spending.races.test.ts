import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funded, startHarness, type Community, type Harness } from './support/harness.js';
import { approve, balanceOf, cancel, fundOf, payout, reject, repair, requestsUrl, submit, twoKeys } from './support/spending.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());


const statuses = (replies: Array<{ status: number; body: any }>) =>
  replies.map((r) => `${r.status}${r.status >= 400 ? ` ${r.body.code}` : ''}`).sort();

async function feedTypes(c: Community): Promise<string[]> {
  const rows = await h.db.selectFrom('feed_items').select('type').where('community_id', '=', c.id).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

async function verified(c: Community) {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`);
  expect(reply.body).toMatchObject({ ok: true, problems: [] });
}

describe('racing spend requests', () => {
  it('N+10 concurrent reservations when N fit: exactly N succeed and available never goes below zero', async () => {
    const n = 10;
    const c = await funded(h.app, '1000.00');
    const replies = await Promise.all(
      Array.from({ length: n + 10 }, () => c.manager.api.post(requestsUrl(c), repair({ amount: '100' }))),
    );
    expect(statuses(replies)).toEqual([...Array(n).fill('201'), ...Array(10).fill('409 insufficient_funds')].sort());
    expect(await fundOf(c)).toMatchObject({ balance: '1000.00', reserved: '1000.00', available: '0.00' });
    const numbers = replies.filter((r) => r.status === 201).map((r) => Number(r.body.trackingNo.slice(-6)));
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect((await feedTypes(c)).filter((t) => t === 'spend.submitted')).toHaveLength(n);
  });

  it('six concurrent approvals by three co-signers, twice each: approved, nobody counted twice', async () => {
    const c = await funded(h.app, '5000.00');
    expect((await c.admin.put(`/v1/communities/${c.id}/policy`, { requiredApprovals: 3 })).status).toBe(200);
    const request = await submit(c);
    const replies = await Promise.all(c.cosigners.flatMap((who) => [approve(c, who, request), approve(c, who, request)]));
    expect(statuses(replies)).toEqual(['200', '200', '200', '409 already_decided', '409 already_decided', '409 already_decided']);
    const seen = (await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body;
    expect(seen.status).toBe('approved');
    expect(seen.approvals.map((a: any) => a.by).sort()).toEqual(c.cosigners.map((p) => p.id).sort());
    expect(seen.timeline.map((e: any) => [e.event, e.note])).toEqual([
      ['submitted', undefined],
      ['key', '1/3'],
      ['key', '2/3'],
      ['key', '3/3'],
      ['approved', undefined],
    ]);
    expect((await feedTypes(c)).filter((t) => t === 'spend.approved')).toHaveLength(1);
  });

  it('with two keys required, racing co-signers approve it exactly once with exactly two keys', async () => {
    const c = await funded(h.app, '5000.00');
    const request = await submit(c);
    const replies = await Promise.all(c.cosigners.flatMap((who) => [approve(c, who, request), approve(c, who, request)]));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(2);
    for (const r of replies.filter((r) => r.status !== 200)) expect(['already_decided', 'invalid_state']).toContain(r.body.code);
    const seen = (await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body;
    expect(seen.status).toBe('approved');
    expect(new Set(seen.approvals.map((a: any) => a.by)).size).toBe(2);
    expect(seen.approvals).toHaveLength(2);
    expect((await feedTypes(c)).filter((t) => t === 'spend.approved')).toHaveLength(1);
  });

  it('ten concurrent payouts pay once and debit the fund once', async () => {
    const c = await funded(h.app, '2000.00');
    const request = await submit(c);
    await twoKeys(c, request);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => payout(c, request, `BANK-${i}`)));
    expect(statuses(replies)).toEqual(['200', ...Array(9).fill('409 invalid_state')]);
    expect(await fundOf(c)).toMatchObject({ balance: '719.50', reserved: '0.00', available: '719.50' });
    expect(await balanceOf(c, '5105')).toBe('1280.50');
    const entries = (await c.owner.api.get(`/v1/communities/${c.id}/entries`)).body.items;
    expect(entries.filter((e: any) => e.kind === 'payout')).toHaveLength(1);
    expect((await feedTypes(c)).filter((t) => t === 'spend.paid')).toHaveLength(1);
    await verified(c);
  });

  it('a payout racing a cancellation or a rejection: exactly one wins and the books agree', async () => {
    const c = await funded(h.app, '10000.00');
    let paidTotal = 0;
    for (let round = 0; round < 6; round++) {
      const request = await submit(c, { amount: '100' });
      await twoKeys(c, request);
      const stop = round % 2 === 0 ? cancel(c, request) : reject(c, c.cosigners[2], request);
      const [paid, stopped] = await Promise.all([payout(c, request, `R-${round}`), stop]);
      expect([paid.status, stopped.status].sort()).toEqual([200, 409]);
      const loser = paid.status === 200 ? stopped : paid;
      expect(loser.body.code).toBe('invalid_state');
      const final = (await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body;
      expect(final.status).toBe(paid.status === 200 ? 'paid' : round % 2 === 0 ? 'cancelled' : 'rejected');
      if (paid.status === 200) paidTotal += 100;
      const balance = (10000 - paidTotal).toFixed(2);
      expect(await fundOf(c)).toMatchObject({ balance, reserved: '0.00', available: balance });
    }
    expect(await balanceOf(c, '5105')).toBe(paidTotal.toFixed(2));
    await verified(c);
  });
});
