import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMonth } from '../src/shared/time.js';
import { addUnits, balances, billPeriod, expectLedgerVerifies, pay, setRate } from './support/fees.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** The month after this one in the zone, as `YYYY-MM`. */
function nextPeriod(timezone: string): string {
  const [year, month] = localMonth(new Date(), timezone).split('-').map(Number) as [number, number];
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

const monthIndex = (period: string) => Number(period.slice(5, 7)) - 1;

async function entriesOf(c: Community): Promise<any[]> {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500`);
  expect(reply.status).toBe(200);
  return reply.body.items;
}

/** The budget report of a year, after drafting a budget on the fee and remuneration accounts. */
async function reportOf(c: Community, year: string): Promise<Map<string, string[]>> {
  const drafted = await c.manager.api.put(`/v1/communities/${c.id}/budgets/${year}`, {
    lines: [{ account: '4001', amount: '10000' }, { account: '5001', amount: '800' }],
  });
  expect(drafted.status, drafted.text).toBe(200);
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/budgets/${year}/report`);
  expect(reply.status).toBe(200);
  return new Map(reply.body.lines.map((l: { account: string; months: string[] }) => [l.account, l.months]));
}

describe("a period's fees belong to that period, whenever they are billed", () => {
  it("next month's fees, billed this month, are next month's income in the budget report", async () => {
    const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
    await addUnits(c, [{ code: '1-101', building: '1', areaM2: '100' }]);
    await setRate(c, '2.50');
    const period = nextPeriod('Asia/Shanghai');
    const run = await billPeriod(c, period);

    const entry = (await entriesOf(c)).find((e) => e.id === run.entryId);
    expect(entry.occurredAt).toBe(new Date(`${period}-01T00:00:00+08:00`).toISOString());
    const months = (await reportOf(c, period.slice(0, 4))).get('4001')!;
    const expected = Array(12).fill('0.00');
    expected[monthIndex(period)] = '250.00';
    expect(months).toEqual(expected);
  });

  it.each([
    ['Asia/Shanghai', '2026-02-28T16:00:00.000Z'],
    ['America/New_York', '2026-03-01T05:00:00.000Z'],
  ])('a late run for March is dated 00:00 on 1 March in %s', async (timezone, instant) => {
    const c = await setupCommunity(h.app, { timezone });
    await addUnits(c, [{ code: '1-101', building: '1', areaM2: '40' }]);
    await setRate(c, '2.00', '2026-01');
    const run = await billPeriod(c, '2026-03');

    expect((await entriesOf(c)).find((e) => e.id === run.entryId).occurredAt).toBe(instant);
    expect((await reportOf(c, '2026')).get('4001')).toEqual(['0.00', '0.00', '80.00', ...Array(9).fill('0.00')]);
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it('the advance a run applies, and the remuneration earned on it, are dated with the period, and the books still agree', async () => {
    const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai', managementFeeRate: '0.08' });
    const [paidAhead, owing] = (await addUnits(c, [
      { code: '1-101', building: '1', areaM2: '100' },
      { code: '2-201', building: '2', areaM2: '60' },
    ])) as [string, string];
    await setRate(c, '2.50');
    // 300.00 paid before any bill: all of it is an advance (2101).
    expect(await pay(c, paidAhead, '300.00')).toMatchObject({ toBills: '0.00', toAdvance: '300.00', remuneration: '0.00' });
    const period = nextPeriod('Asia/Shanghai');
    const run = await billPeriod(c, period);
    // 100 m² × 2.50 = 250.00 taken from the advance; 8% of it is 20.00.
    expect(run).toMatchObject({ total: '400.00', advanceApplied: '250.00', remuneration: '20.00' });

    const start = new Date(`${period}-01T00:00:00+08:00`).toISOString();
    const fromRun = (await entriesOf(c)).filter((e) => e.source?.type === 'billing_run');
    expect(fromRun.map((e) => [e.kind, e.occurredAt])).toEqual([
      ['fee_bill', start],
      ['remuneration', start],
    ]);
    const report = await reportOf(c, period.slice(0, 4));
    expect(report.get('4001')![monthIndex(period)]).toBe('400.00');
    expect(report.get('5001')![monthIndex(period)]).toBe('20.00');

    // Statements, the fee summary and the accounts tell one story.
    const summary = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=${period}`);
    expect(summary.body).toMatchObject({ period, billed: '400.00', collected: '250.00', collectionRate: '0.6250' });
    const statementOf = async (unit: string) => (await c.manager.api.get(`/v1/communities/${c.id}/units/${unit}/statement`)).body;
    expect(await statementOf(paidAhead)).toMatchObject({ bills: [{ period, amount: '250.00', paid: '250.00' }], due: '0.00', advance: '50.00' });
    expect(await statementOf(owing)).toMatchObject({ bills: [{ period, amount: '150.00', paid: '0.00' }], due: '150.00', advance: '0.00' });
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '300.00', '1101': '150.00', '2101': '50.00', '2201': '20.00', '4001': '400.00', '5001': '20.00' });
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it('refuses a period before 1970, when the books begin', async () => {
    const c = await setupCommunity(h.app);
    await addUnits(c, [{ code: '1-101', building: '1', areaM2: '40' }]);
    await setRate(c, '2.00');
    const reply = await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '1969-12' });
    expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect((await billPeriod(c, '1970-01')).total).toBe('80.00');
  });
});
