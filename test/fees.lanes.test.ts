import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMoney, addUnits, balances, billPeriod, expectLedgerVerifies, setRate } from './support/fees.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { holdHead } from './support/locks.js';
import { expectProblem } from './support/problems.js';

/**
 * Fee payments without an Idempotency-Key wait in lanes and go out together, many
 * communities in one statement (fees_record_payments_each). These tests hold the lane to
 * what a payment alone promises: each unit's bills settled oldest first and exactly, each
 * caller answered with the unit's balance right after their own payment, refusals given one
 * by one, and a community whose head another writer holds answered when it is free.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A community whose units A (89.50 m²) and B (60.00 m²) are billed 2026-01 and 2026-02 at 2.35/m². */
async function billedCommunity(): Promise<{ c: Community; a: string; b: string }> {
  const c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
  const [a, b] = await addUnits(c, [
    { code: '1-101', building: '1', areaM2: '89.50' }, // 210.33 a month
    { code: '2-201', building: '2', areaM2: '60.00' }, // 141.00 a month
  ]);
  await setRate(c, '2.35', '2026-01');
  await billPeriod(c, '2026-01');
  await billPeriod(c, '2026-02');
  return { c, a: a!, b: b! };
}

const payments = (c: Community) => `/v1/communities/${c.id}/fee-payments`;

describe('fee payments in lanes', () => {
  it('of many communities at once: each unit settles oldest first, each answer is the unit right after that payment, refusals one by one', async () => {
    const cities = await Promise.all(Array.from({ length: 6 }, billedCommunity));
    const [first, second] = cities;
    const replies = await Promise.all([
      ...cities.flatMap(({ c, a, b }) => [
        ...Array.from({ length: 4 }, () => c.manager.api.post(payments(c), { unitId: a, amount: '100.00', method: 'cash' })),
        c.manager.api.post(payments(c), { unitId: b, amount: '500.00', method: 'wechat' }),
      ]),
      // In the same burst: an owner, a manager naming another community, no amount, an
      // unknown unit, a time to come.
      first!.c.owner.api.post(payments(first!.c), { unitId: first!.a, amount: '1.00', method: 'cash' }),
      first!.c.manager.api.post(payments(second!.c), { unitId: second!.a, amount: '1.00', method: 'cash' }),
      first!.c.manager.api.post(payments(first!.c), { unitId: first!.a, amount: '0.00', method: 'cash' }),
      first!.c.manager.api.post(payments(first!.c), { unitId: randomUUID(), amount: '1.00', method: 'cash' }),
      first!.c.manager.api.post(payments(first!.c), { unitId: first!.a, amount: '1.00', method: 'cash', paidAt: '2099-01-01T00:00:00Z' }),
    ]);
    const refused = replies.splice(cities.length * 5);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 201));
    expectProblem(refused[0]!, 403, 'forbidden');
    expectProblem(refused[1]!, 404, 'not_found');
    expectProblem(refused[2]!, 400, 'validation_failed');
    expectProblem(refused[3]!, 404, 'not_found');
    expectProblem(refused[4]!, 400, 'validation_failed');

    for (const [i, { c, a, b }] of cities.entries()) {
      const mine = replies.slice(i * 5, i * 5 + 5).map((r) => r.body);
      const onA = mine.slice(0, 4);
      // Unit A owes 420.66 over two months: four payments of 100.00 settle 400.00 of it, and
      // each caller was told what A owed right after their own payment.
      expect(addMoney(...onA.map((p) => p.toBills))).toBe('400.00');
      expect(new Set(onA.map((p) => p.unitDue))).toEqual(new Set(['320.66', '220.66', '120.66', '20.66']));
      expect(onA.every((p) => p.toAdvance === '0.00' && p.unitAdvance === '0.00')).toBe(true);
      // The one whose payment crossed from January into February settled both, oldest first.
      expect(onA.find((p) => p.unitDue === '120.66')!.settled).toEqual([
        { period: '2026-01', amount: '10.33' },
        { period: '2026-02', amount: '89.67' },
      ]);
      expect(mine[4]).toMatchObject({ toBills: '282.00', toAdvance: '218.00', unitDue: '0.00', unitAdvance: '218.00' });

      const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${a}/statement`);
      expect(statement.body, `community ${i}`).toMatchObject({
        bills: [
          { period: '2026-01', amount: '210.33', paid: '210.33' },
          { period: '2026-02', amount: '210.33', paid: '189.67' },
        ],
        due: '20.66',
        advance: '0.00',
      });
      expect((await c.manager.api.get(`/v1/communities/${c.id}/units/${b}/statement`)).body).toMatchObject({ due: '0.00', advance: '218.00' });
      // Remuneration is 8% of each settling amount, rounded per settlement: 8.00 x 2 on A's
      // whole hundreds, 0.83 + 7.17 on the one split across months, 8.00 again, 11.28 x 2 on B.
      expect(await balances(c.owner.api, c.id), `community ${i}`).toMatchObject({
        '1001': '900.00',
        '1101': '20.66',
        '2101': '218.00',
        '2201': '54.56',
        '5001': '54.56',
      });
      await expectLedgerVerifies(c.owner.api, c.id);
    }
  });

  it('a community whose head another writer holds is answered once it is free, while the lane goes on', async () => {
    const cities = await Promise.all(Array.from({ length: 5 }, billedCommunity));
    const [busy, ...others] = cities;
    const { release, other } = await holdHead(h.db, busy!.c.id);
    const pay = ({ c, a }: (typeof cities)[number], amount: string) => c.manager.api.post(payments(c), { unitId: a, amount, method: 'cash' });
    const waiting = Promise.all([pay(busy!, '300.00'), pay(busy!, '300.00')]);
    // Every other community's payments are answered while the busy one's head is still held.
    for (let round = 0; round < 2; round++) {
      const replies = await Promise.all(others.map((o) => pay(o, '100.00')));
      expect(replies.map((r) => r.status)).toEqual(others.map(() => 201));
    }
    release();
    await other;
    const late = await waiting;
    expect(late.map((r) => r.status)).toEqual([201, 201]);
    // 600.00 against 420.66 owed: one of the two settles bills only, the other finishes them
    // and leaves 179.34 in advance, whichever went first.
    expect(addMoney(...late.map((r) => r.body.toBills))).toBe('420.66');
    expect(addMoney(...late.map((r) => r.body.toAdvance))).toBe('179.34');
    expect(late.map((r) => r.body.unitDue).sort()).toEqual(['0.00', '120.66']);
    for (const [i, { c, a }] of cities.entries()) {
      const due = i === 0 ? '0.00' : '220.66';
      expect((await c.manager.api.get(`/v1/communities/${c.id}/units/${a}/statement`)).body, `community ${i}`).toMatchObject({ due });
      await expectLedgerVerifies(c.owner.api, c.id);
    }
  });

  it('the statement leaves out, unwritten, a payment whose bills moved and one whose head is held', async () => {
    const [moved, busy, fine] = await Promise.all([billedCommunity(), billedCommunity(), billedCommunity()]);
    const item = ({ c, a }: { c: Community; a: string }, seen: string) => {
      const id = randomUUID();
      const paidAt = new Date().toISOString();
      return {
        communityId: c.id,
        unitId: a,
        seen,
        entries: [
          {
            entryId: randomUUID(),
            kind: 'fee_payment',
            memo: 'Lane test',
            sourceType: 'fee_payment',
            sourceId: id,
            occurredAt: paidAt,
            reversesSeq: null,
            postings: [
              { account: '1001', debit: '5.00', credit: '0.00' },
              { account: '2101', debit: '0.00', credit: '5.00' },
            ],
            feed: null,
          },
        ],
        payment: { id, amount: '5.00', method: 'cash', reference: null, paidAt, toBills: '0.00', toAdvance: '5.00', remuneration: '0.00', recordedBy: c.manager.id },
        settlements: [],
      };
    };
    const seenOf = async (c: Community, unitId: string) => {
      const { rows } = await sql<{ seen: string }>`
        SELECT string_agg(id || ':' || paid::text, ',' ORDER BY period COLLATE "C", id COLLATE "C") AS seen
          FROM bills WHERE community_id = ${c.id} AND unit_id = ${unitId} AND paid < amount`.execute(h.db);
      return rows[0]!.seen;
    };
    // A payment allocated over bills that have moved since: it names a paid amount they no longer show.
    const stale = (await seenOf(moved.c, moved.a)).replace(/:0\.00(,|$)/, ':1.00$1');
    const items = [item(moved, stale), item(busy, await seenOf(busy.c, busy.a)), item(fine, await seenOf(fine.c, fine.a))];
    const { release, other } = await holdHead(h.db, busy.c.id);
    const { rows } = await sql<{ ord: number; status: string; due: string | null; advance: string | null }>`
      SELECT ord, status, due::text AS due, advance::text AS advance FROM fees_record_payments_each(${JSON.stringify(items)}::jsonb, true)`.execute(h.db);
    release();
    await other;
    expect(rows).toEqual([
      { ord: 1, status: 'stale', due: null, advance: null },
      { ord: 2, status: 'busy', due: null, advance: null },
      { ord: 3, status: 'done', due: '420.66', advance: '5.00' },
    ]);
    for (const [c, advance] of [[moved.c, '0.00'], [busy.c, '0.00'], [fine.c, '5.00']] as const) {
      expect((await balances(c.owner.api, c.id))['2101'], c.id).toBe(advance);
      await expectLedgerVerifies(c.owner.api, c.id);
    }
  });
});
