import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { addUnits, balances, billPeriod, pay, setRate } from './support/fees.js';

let h: Harness;
let c: Community;
let units: string[];

beforeAll(async () => {
  h = await startHarness();
  c = await setupCommunity(h.app, { managementFeeRate: '0.10' });
  units = await addUnits(c, [
    { code: 'A-1', building: 'A', areaM2: '100.00' },
    { code: 'B-1', building: 'B', areaM2: '50.55' },
  ]);
});
afterAll(() => h?.close());

const problem = (reply: { status: number; body: any; headers: any }, status: number, code: string) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.body.code).toBe(code);
};

describe('the fee schedule', () => {
  it('refuses to bill before any rate is set', async () => {
    const fresh = await setupCommunity(h.app);
    await addUnits(fresh, [{ code: '1', building: '1', areaM2: '10' }]);
    problem(await fresh.manager.api.post(`/v1/communities/${fresh.id}/billing-runs`, { period: '2026-01' }), 409, 'invalid_state');
    const schedule = await fresh.owner.api.get(`/v1/communities/${fresh.id}/fee-schedule`);
    expect(schedule.body).toEqual({ ratePerM2: null, effectiveFrom: null, history: [] });
  });

  it('refuses a community without units to bill', async () => {
    const empty = await setupCommunity(h.app);
    await setRate(empty, '2.00');
    problem(await empty.manager.api.post(`/v1/communities/${empty.id}/billing-runs`, { period: '2026-01' }), 409, 'invalid_state');
  });

  it('keeps the history of rates and bills each period at the rate in effect then', async () => {
    const other = await setupCommunity(h.app);
    const [unit] = await addUnits(other, [{ code: '1', building: '1', areaM2: '88.88' }]);
    await setRate(other, '2.00', '2026-02');
    const admin = await other.admin.put(`/v1/communities/${other.id}/fee-schedule`, { ratePerM2: '2.5', effectiveFrom: '2026-06' });
    expect(admin.status).toBe(200);
    expect(admin.body.history.map((r: any) => [r.effectiveFrom, r.ratePerM2])).toEqual([
      ['2026-06', '2.50'],
      ['2026-02', '2.00'],
    ]);
    // The current month (2026-11 or later) is billed at the latest rate.
    expect(admin.body).toMatchObject({ ratePerM2: '2.50', effectiveFrom: '2026-06' });
    // 88.88 × 2.00 = 177.76; 88.88 × 2.50 = 222.20; before the first rate's month, the first rate.
    expect((await billPeriod(other, '2026-05')).total).toBe('177.76');
    expect((await billPeriod(other, '2026-06')).total).toBe('222.20');
    expect((await billPeriod(other, '2026-01')).total).toBe('177.76');
    const statement = await other.manager.api.get(`/v1/communities/${other.id}/units/${unit}/statement`);
    expect(statement.body.bills.map((b: any) => [b.period, b.ratePerM2, b.amount])).toEqual([
      ['2026-01', '2.00', '177.76'],
      ['2026-05', '2.00', '177.76'],
      ['2026-06', '2.50', '222.20'],
    ]);
  });

  it('defaults the month a rate takes effect to the current month in the community time zone', async () => {
    const other = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
    const schedule = await setRate(other, '1.80');
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    expect(schedule).toMatchObject({ ratePerM2: '1.80', effectiveFrom: month });
  });

  it.each([
    ['zero', { ratePerM2: '0' }],
    ['negative', { ratePerM2: '-1.00' }],
    ['five decimals', { ratePerM2: '2.12345' }],
    ['so large a bill could overflow the money rule', { ratePerM2: '10000' }],
    ['a number', { ratePerM2: 2.35 }],
    ['missing', {}],
    ['a bad month', { ratePerM2: '2.00', effectiveFrom: '2026-13' }],
    ['a short month', { ratePerM2: '2.00', effectiveFrom: '2026-1' }],
    ['an unknown field', { ratePerM2: '2.00', currency: 'CNY' }],
  ])('refuses a rate that is %s', async (_name, body) => {
    problem(await c.manager.api.put(`/v1/communities/${c.id}/fee-schedule`, body), 400, 'validation_failed');
  });

  it('lets only a manager or admin set the rate', async () => {
    for (const person of [c.owner, c.supervisor, c.cosigners[0]]) {
      problem(await person.api.put(`/v1/communities/${c.id}/fee-schedule`, { ratePerM2: '9.99' }), 403, 'forbidden');
    }
    const outsider = await setupCommunity(h.app);
    problem(await outsider.manager.api.put(`/v1/communities/${c.id}/fee-schedule`, { ratePerM2: '9.99' }), 404, 'not_found');
  });
});

describe('billing runs', () => {
  beforeAll(async () => {
    await setRate(c, '2.00', '2026-01');
  });

  it.each([['2026-13'], ['26-1'], ['2026-1'], ['2026-00'], ['2026/01'], [''], ['2026-01-01']])('refuses the period %j', async (period) => {
    problem(await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period }), 400, 'validation_failed');
  });

  it('refuses a period that is not a string or is missing', async () => {
    problem(await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: 202601 }), 400, 'validation_failed');
    problem(await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, {}), 400, 'validation_failed');
  });

  it('lets only a manager run billing', async () => {
    for (const person of [c.owner, c.supervisor, c.cosigners[0]]) {
      problem(await person.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-01' }), 403, 'forbidden');
    }
    problem(await c.admin.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-01' }), 403, 'forbidden');
  });

  it('bills a period once: a second run is 409 and changes nothing', async () => {
    // 100.00 × 2 = 200.00; 50.55 × 2 = 101.10
    const run = await billPeriod(c, '2026-01');
    expect(run).toMatchObject({ bills: 2, total: '301.10' });
    const before = await balances(c.owner.api, c.id);
    const entriesBefore = (await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500`)).body.items.length;
    problem(await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-01' }), 409, 'invalid_state');
    expect(await balances(c.owner.api, c.id)).toEqual(before);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500`)).body.items).toHaveLength(entriesBefore);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-01`)).body).toMatchObject({ billed: '301.10' });
  });

  it('replays a run under the same Idempotency-Key instead of refusing it', async () => {
    const headers = { 'idempotency-key': 'bill-2026-02' };
    const first = await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-02' }, headers);
    const again = await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-02' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    problem(await c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-03' }, headers), 422, 'idempotency_conflict');
  });

  it('does not let a cosigner reverse a fee entry behind the bills', async () => {
    const entries = (await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500`)).body.items;
    const billEntry = entries.find((e: any) => e.kind === 'fee_bill');
    const [cosigner] = c.cosigners;
    const reply = await cosigner.api.post(`/v1/communities/${c.id}/entries/${billEntry.id}/reversal`, {
      reason: 'try',
      signingPassword: cosigner.signingPassword,
    });
    problem(reply, 409, 'invalid_state');
  });
});

describe('fee payments', () => {
  const url = () => `/v1/communities/${c.id}/fee-payments`;

  it.each([
    ['zero', '0'],
    ['zero with decimals', '0.00'],
    ['negative', '-5.00'],
    ['three decimals', '1.234'],
    ['an exponent', '1e3'],
    ['blank', ''],
    ['padded', ' 5'],
    ['too many digits', '12345678901234'],
    ['a number', 12.5],
    ['NaN', 'NaN'],
  ])('refuses an amount that is %s', async (_name, amount) => {
    problem(await c.manager.api.post(url(), { unitId: units[0], amount, method: 'cash' }), 400, 'validation_failed');
  });

  it.each([['card'], ['CASH'], [''], [null]])('refuses the method %j', async (method) => {
    problem(await c.manager.api.post(url(), { unitId: units[0], amount: '10.00', method }), 400, 'validation_failed');
  });

  it('refuses payments dated in the future, unknown fields and missing units', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    problem(await c.manager.api.post(url(), { unitId: units[0], amount: '10.00', method: 'cash', paidAt: future }), 400, 'validation_failed');
    problem(await c.manager.api.post(url(), { unitId: units[0], amount: '10.00', method: 'cash', payer: 'x' }), 400, 'validation_failed');
    problem(await c.manager.api.post(url(), { amount: '10.00', method: 'cash' }), 400, 'validation_failed');
  });

  it('answers an unknown unit, or a unit of another community, with 404', async () => {
    problem(await c.manager.api.post(url(), { unitId: 'no-such-unit', amount: '10.00', method: 'cash' }), 404, 'not_found');
    const other = await setupCommunity(h.app);
    const [foreign] = await addUnits(other, [{ code: 'X', building: 'X', areaM2: '10' }]);
    problem(await c.manager.api.post(url(), { unitId: foreign, amount: '10.00', method: 'cash' }), 404, 'not_found');
  });

  it('lets only a manager record a payment', async () => {
    for (const person of [c.owner, c.supervisor, c.cosigners[0]]) {
      problem(await person.api.post(url(), { unitId: units[0], amount: '10.00', method: 'cash' }), 403, 'forbidden');
    }
  });

  it('records a payment once per Idempotency-Key and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'receipt-0001' };
    const body = { unitId: units[1], amount: '50.00', method: 'wechat', reference: 'WX-1', paidAt: '2026-02-03T04:05:06.000Z' };
    const first = await c.manager.api.post(url(), body, headers);
    const again = await c.manager.api.post(url(), body, headers);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amount: '50.00', method: 'wechat', reference: 'WX-1', paidAt: '2026-02-03T04:05:06.000Z', toBills: '50.00', remuneration: '5.00' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    problem(await c.manager.api.post(url(), { ...body, amount: '51.00' }, headers), 422, 'idempotency_conflict');
    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${units[1]}/statement`);
    expect(statement.body.payments).toHaveLength(1);
  });
});

describe('reading fees', () => {
  it('answers an unknown unit with 404 and a neighbour with 403', async () => {
    problem(await c.manager.api.get(`/v1/communities/${c.id}/units/nope/statement`), 404, 'not_found');
    problem(await c.owner.api.get(`/v1/communities/${c.id}/units/${units[0]}/statement`), 403, 'forbidden');
    const outsider = await setupCommunity(h.app);
    problem(await outsider.manager.api.get(`/v1/communities/${c.id}/units/${units[0]}/statement`), 404, 'not_found');
  });

  it('shows every unit to staff and oversight', async () => {
    for (const api of [c.manager.api, c.cosigners[1].api, c.supervisor.api, c.admin]) {
      expect((await api.get(`/v1/communities/${c.id}/units/${units[0]}/statement`)).status).toBe(200);
    }
  });

  it('lets an owner of two units read both', async () => {
    const owner = await c.addMember(['owner'], { unitIds: units });
    for (const unit of units) expect((await owner.api.get(`/v1/communities/${c.id}/units/${unit}/statement`)).status).toBe(200);
  });

  it('gives every member the summary, with null rates for a period never billed', async () => {
    const reply = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2025-01`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ period: '2025-01', billed: '0.00', collected: '0.00', due: '0.00', collectionRate: null, byBuilding: [] });
  });

  it('refuses a summary without a proper period', async () => {
    problem(await c.owner.api.get(`/v1/communities/${c.id}/fee-summary`), 400, 'validation_failed');
    problem(await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-13`), 400, 'validation_failed');
    problem(await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=26-1`), 400, 'validation_failed');
  });

  it('keeps the arrears list from owners and refuses a forged cursor', async () => {
    problem(await c.owner.api.get(`/v1/communities/${c.id}/arrears`), 403, 'forbidden');
    expect((await c.supervisor.api.get(`/v1/communities/${c.id}/arrears`)).status).toBe(200);
    expect((await c.admin.get(`/v1/communities/${c.id}/arrears`)).status).toBe(200);
    problem(await c.manager.api.get(`/v1/communities/${c.id}/arrears?after=garbage`), 400, 'validation_failed');
    problem(await c.manager.api.get(`/v1/communities/${c.id}/arrears?limit=0`), 400, 'validation_failed');
  });

  it('lists a unit in arrears until it has paid everything', async () => {
    const arrears = await c.manager.api.get(`/v1/communities/${c.id}/arrears`);
    const byCode = Object.fromEntries(arrears.body.items.map((i: any) => [i.code, i]));
    // 200.00 × 2 months; B-1: 101.10 × 2 - 50.00 paid.
    expect(byCode['A-1']).toMatchObject({ due: '400.00', unpaidBills: 2, oldestUnpaidPeriod: '2026-01' });
    expect(byCode['B-1']).toMatchObject({ due: '152.20', unpaidBills: 2, oldestUnpaidPeriod: '2026-01' });
    await pay(c, units[0]!, '400.00');
    const after = await c.manager.api.get(`/v1/communities/${c.id}/arrears`);
    expect(after.body.items.map((i: any) => i.code)).toEqual(['B-1']);
  });
});
