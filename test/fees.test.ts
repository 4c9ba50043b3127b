import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { addMoney, addUnits, balances, billPeriod, expectLedgerVerifies, pay, setRate } from './support/fees.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/*
 * A realistic two months of one community, rate 2.35 CNY/m², steward's rate 8%:
 *   unit A 89.50 m² -> 210.325  -> 210.33 (building 1)
 *   unit B 120.25 m² -> 282.5875 -> 282.59 (building 2)
 *   unit C 60.33 m² -> 141.7755 -> 141.78 (building 1)
 * Every figure below is worked out by hand, to the fen.
 */
describe('a community bills, collects and reports two months of property fees', () => {
  let c: Community;
  let a: string, b: string, cUnit: string;
  let ownerOfC: Community['owner'];

  beforeAll(async () => {
    c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
    [a, b, cUnit] = await addUnits(c, [
      { code: '1-101', building: '1', areaM2: '89.50' },
      { code: '2-201', building: '2', areaM2: '120.25' },
      { code: '1-102', building: '1', areaM2: '60.33' },
    ]) as [string, string, string];
    ownerOfC = await c.addMember(['owner'], { unitIds: [cUnit] });
  });

  it('sets the rate and shows it with its history', async () => {
    const schedule = await setRate(c, '2.35', '2026-09');
    expect(schedule).toMatchObject({ ratePerM2: '2.35', effectiveFrom: '2026-09' });
    expect(schedule.history).toEqual([{ ratePerM2: '2.35', effectiveFrom: '2026-09', setAt: expect.any(String), setBy: c.manager.id }]);
    const read = await c.owner.api.get(`/v1/communities/${c.id}/fee-schedule`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(schedule);
  });

  it('bills September: one bill per unit, area × rate half-up, one entry Dr 1101 / Cr 4001', async () => {
    const run = await billPeriod(c, '2026-09');
    expect(run).toMatchObject({ period: '2026-09', bills: 3, total: '634.70', ratePerM2: '2.35', advanceApplied: '0.00', remuneration: '0.00' });
    const entries = await c.owner.api.get(`/v1/communities/${c.id}/entries`);
    const billEntries = entries.body.items.filter((e: any) => e.kind === 'fee_bill');
    expect(billEntries).toHaveLength(1);
    expect(billEntries[0].id).toBe(run.entryId);
    expect(billEntries[0].postings).toEqual([
      { account: '1101', debit: '634.70', credit: '0.00' },
      { account: '4001', debit: '0.00', credit: '634.70' },
    ]);
    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${a}/statement`);
    expect(statement.body.bills).toEqual([{ period: '2026-09', amount: '210.33', paid: '0.00', due: '210.33', ratePerM2: '2.35' }]);
  });

  it('takes a partial payment from A and an overpayment from B, accruing 8% to the fen', async () => {
    const partial = await pay(c, a, '100');
    expect(partial).toMatchObject({ amount: '100.00', toBills: '100.00', toAdvance: '0.00', remuneration: '8.00', unitDue: '110.33', unitAdvance: '0.00' });
    expect(partial.settled).toEqual([{ period: '2026-09', amount: '100.00' }]);

    // 282.59 × 0.08 = 22.6072 -> 22.61; the 17.41 left over is B's advance.
    const over = await pay(c, b, '300.00', 'bank');
    expect(over).toMatchObject({ toBills: '282.59', toAdvance: '17.41', remuneration: '22.61', unitDue: '0.00', unitAdvance: '17.41' });

    expect(await balances(c.owner.api, c.id)).toMatchObject({
      '1001': '400.00',
      '1101': '252.11',
      '2101': '17.41',
      '2201': '30.61',
      '4001': '634.70',
      '5001': '30.61',
    });
  });

  it('publishes each payment on the feed without naming the household', async () => {
    // Read from the feed's outbox table, which the ledger writes with the payment's entry.
    const items = await h.db
      .selectFrom('feed_items')
      .select(['type', 'amount', 'account', 'summary', 'ref'])
      .where('community_id', '=', c.id)
      .where('type', '=', 'fee.paid')
      .orderBy('seq')
      .execute();
    expect(items.map((i) => [i.amount, i.account, i.summary])).toEqual([
      ['100.00', '1001', '物业费到账 ¥100.00（楼栋：1，微信支付）'],
      ['300.00', '1001', '物业费到账 ¥300.00（楼栋：2，银行转账）'],
    ]);
    for (const item of items) expect(item.summary).not.toMatch(/1-101|2-201|1-102/);
    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${b}/statement`);
    expect(items[1]!.ref).toBe(statement.body.payments[0].id);
  });

  it('summarises September per building with 4-decimal collection rates', async () => {
    const summary = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-09`);
    expect(summary.status).toBe(200);
    // 382.59 / 634.70 = 0.60279…
    expect(summary.body).toEqual({
      period: '2026-09',
      billed: '634.70',
      collected: '382.59',
      due: '252.11',
      collectionRate: '0.6028',
      byBuilding: [
        { building: '1', units: 2, billed: '352.11', collected: '100.00', due: '252.11', collectionRate: '0.2840' },
        { building: '2', units: 1, billed: '282.59', collected: '282.59', due: '0.00', collectionRate: '1.0000' },
      ],
    });
    expect(summary.text).not.toContain(c.owner.username);
    expect(summary.text).not.toContain('1-101');
  });

  it("bills October and consumes B's advance at once, with remuneration on it", async () => {
    // 17.41 × 0.08 = 1.3928 -> 1.39
    const run = await billPeriod(c, '2026-10');
    expect(run).toMatchObject({ bills: 3, total: '634.70', advanceApplied: '17.41', remuneration: '1.39' });
    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${b}/statement`);
    expect(statement.body).toMatchObject({
      unit: { id: b, code: '2-201', building: '2', areaM2: '120.25' },
      bills: [
        { period: '2026-09', amount: '282.59', paid: '282.59', due: '0.00' },
        { period: '2026-10', amount: '282.59', paid: '17.41', due: '265.18' },
      ],
      due: '265.18',
      advance: '0.00',
    });
    expect(statement.body.payments).toEqual([
      { id: expect.any(String), amount: '300.00', method: 'bank', reference: null, paidAt: expect.any(String), toBills: '282.59', toAdvance: '17.41' },
    ]);
  });

  it('settles the oldest bill first and rounds remuneration per settled bill', async () => {
    // 110.33 settles September (× 0.08 = 8.8264 -> 8.83), 210.33 October (16.8264 -> 16.83).
    const payment = await pay(c, a, '320.66', 'cash');
    expect(payment.settled).toEqual([
      { period: '2026-09', amount: '110.33' },
      { period: '2026-10', amount: '210.33' },
    ]);
    expect(payment).toMatchObject({ toBills: '320.66', toAdvance: '0.00', remuneration: '25.66', unitDue: '0.00' });
  });

  it('agrees with the ledger to the fen: accounts, statements, summaries, arrears', async () => {
    const accounts = await balances(c.supervisor.api, c.id);
    expect(accounts).toMatchObject({
      '1001': '720.66',
      '1101': '548.74',
      '2101': '0.00',
      '2201': '57.66', // 8.00 + 22.61 + 1.39 + 25.66
      '4001': '1269.40',
      '5001': '57.66',
    });
    await expectLedgerVerifies(c.owner.api, c.id);

    const dues = await Promise.all([a, b, cUnit].map((u) => c.manager.api.get(`/v1/communities/${c.id}/units/${u}/statement`)));
    expect(dues.map((s) => s.body.due)).toEqual(['0.00', '265.18', '283.56']);
    expect(addMoney(...dues.map((s) => s.body.due))).toBe(accounts['1101']);

    const sept = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-09`);
    const oct = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-10`);
    expect(sept.body).toMatchObject({ billed: '634.70', collected: '492.92', collectionRate: '0.7766' });
    expect(oct.body).toMatchObject({ billed: '634.70', collected: '227.74', collectionRate: '0.3588' });
    // Whatever was billed and not collected is exactly what 1101 still holds.
    expect(addMoney(sept.body.due, oct.body.due)).toBe(accounts['1101']);

    const arrears = await c.cosigners[0].api.get(`/v1/communities/${c.id}/arrears`);
    expect(arrears.status).toBe(200);
    expect(arrears.body).toEqual({
      items: [
        { unitId: cUnit, code: '1-102', building: '1', due: '283.56', unpaidBills: 2, oldestUnpaidPeriod: '2026-09' },
        { unitId: b, code: '2-201', building: '2', due: '265.18', unpaidBills: 1, oldestUnpaidPeriod: '2026-10' },
      ],
      nextAfter: null,
    });
  });

  it('pages the arrears list', async () => {
    const first = await c.manager.api.get(`/v1/communities/${c.id}/arrears?limit=1`);
    expect(first.body.items.map((i: any) => i.code)).toEqual(['1-102']);
    expect(first.body.nextAfter).toEqual(expect.any(String));
    const second = await c.manager.api.get(`/v1/communities/${c.id}/arrears?limit=1&after=${first.body.nextAfter}`);
    expect(second.body).toMatchObject({ items: [{ code: '2-201' }], nextAfter: null });
  });

  it("lets an owner read their own unit's statement but not a neighbour's, nor the arrears list", async () => {
    const own = await ownerOfC.api.get(`/v1/communities/${c.id}/units/${cUnit}/statement`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ due: '283.56', advance: '0.00', payments: [] });
    const neighbour = await ownerOfC.api.get(`/v1/communities/${c.id}/units/${a}/statement`);
    expect(neighbour.status).toBe(403);
    expect(neighbour.body.code).toBe('forbidden');
    const arrears = await ownerOfC.api.get(`/v1/communities/${c.id}/arrears`);
    expect(arrears.status).toBe(403);
    expect(arrears.body.code).toBe('forbidden');
  });

  it('lets a later overpayment wait as an advance and pays the steward through 2201 only', async () => {
    const payment = await pay(c, cUnit, '300.00', 'alipay');
    // 141.78 (Sep) + 141.78 (Oct) settle, × 0.08 = 11.3424 -> 11.34 each; 16.44 waits.
    expect(payment).toMatchObject({ toBills: '283.56', toAdvance: '16.44', remuneration: '22.68', unitDue: '0.00', unitAdvance: '16.44' });
    const accounts = await balances(c.owner.api, c.id);
    expect(accounts).toMatchObject({ '1001': '1020.66', '1101': '265.18', '2101': '16.44', '2201': '80.34', '5001': '80.34' });
    await expectLedgerVerifies(c.owner.api, c.id);
  });
});
