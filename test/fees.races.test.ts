import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { SHIPPED_MIGRATIONS } from '../src/db/migrate.js';
import { formatMoney } from '../src/shared/money.js';
import { TEST_PASSWORD_HASH_COST } from './support/constants.js';
import { client, setupCommunity, startHarness, type Harness } from './support/harness.js';
import { addMoney, addUnits, balances, billPeriod, expectLedgerVerifies, setRate } from './support/fees.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('racing fee writers', () => {
  it('ten payments racing for one unit all land, settle exactly and never over-settle a bill', async () => {
    const c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
    const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '89.50' }]);
    await setRate(c, '2.35', '2026-01');
    await billPeriod(c, '2026-01'); // 210.33

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        c.manager.api.post(`/v1/communities/${c.id}/fee-payments`, { unitId: unit, amount: '30.00', method: 'cash', reference: `R${i}` }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(addMoney(...replies.map((r) => r.body.toBills))).toBe('210.33');
    expect(addMoney(...replies.map((r) => r.body.toAdvance))).toBe('89.67');
    // Seven payments settle 30.00 each (2.40 each), one settles the last 0.33 (0.0264 -> 0.03).
    expect(addMoney(...replies.map((r) => r.body.remuneration))).toBe('16.83');
    expect(replies.filter((r) => r.body.toBills === '30.00')).toHaveLength(7);

    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${unit}/statement`);
    expect(statement.body).toMatchObject({ bills: [{ period: '2026-01', amount: '210.33', paid: '210.33' }], due: '0.00', advance: '89.67' });
    expect(statement.body.payments).toHaveLength(10);
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '300.00', '1101': '0.00', '2101': '89.67', '2201': '16.83', '5001': '16.83' });
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  // A payment is allocated over the bills read before any lock, then written by one statement
  // that locks them and checks they are unchanged (fees_record_payment). Two API processes
  // paying the same unit race exactly there: the loser is refused 40001, writing nothing, and
  // its transaction runs again over the bills as they now are.
  it('two API processes paying one unit: every payment lands once, allocated over the bills as they stood', async () => {
    const c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
    const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '89.50' }]);
    await setRate(c, '2.35', '2026-01');
    await billPeriod(c, '2026-01'); // 210.33
    const url = inject('databaseUrl');
    const config = loadConfig({ DATABASE_URL: url, PASSWORD_HASH_COST: TEST_PASSWORD_HASH_COST, LOG_LEVEL: 'silent' });
    const db = createDatabase(url, 4);
    const other = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
    try {
      await other.ready();
      const elsewhere = client(other, c.manager.token);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? c.manager.api : elsewhere).post(`/v1/communities/${c.id}/fee-payments`, { unitId: unit, amount: '30.00', method: 'cash', reference: `P${i}` }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(addMoney(...replies.map((r) => r.body.toBills))).toBe('210.33');
      expect(addMoney(...replies.map((r) => r.body.toAdvance))).toBe('89.67');
      expect(addMoney(...replies.map((r) => r.body.remuneration))).toBe('16.83');
      expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '300.00', '1101': '0.00', '2101': '89.67', '2201': '16.83' });
      await expectLedgerVerifies(c.owner.api, c.id);
    } finally {
      await other.close();
      await db.destroy();
    }
  });

  it('the payment statement refuses bills that changed since they were read, and writes nothing', async () => {
    const c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
    const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '89.50' }]);
    await setRate(c, '2.35', '2026-01');
    await billPeriod(c, '2026-01');
    const stale = await h.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ count: string }>`SELECT count(*)::text AS count FROM fee_payments WHERE community_id = ${c.id}`.execute(tx);
      const refusal = await sql`SELECT * FROM fees_record_payment(${c.id}, ${unit}, ${'another-bill:0.00'}, '[]'::jsonb, '{}'::jsonb, '[]'::jsonb)`
        .execute(tx)
        .then(() => null, (error: { code?: string }) => error.code);
      return { before: rows[0]!.count, refusal };
    });
    expect(stale.refusal).toBe('40001');
    const { rows } = await sql<{ count: string }>`SELECT count(*)::text AS count FROM fee_payments WHERE community_id = ${c.id}`.execute(h.db);
    expect(rows[0]!.count).toBe(stale.before);
  });

  it('payments racing a billing run leave the advance either applied by the run or settling the new bill', async () => {
    const c = await setupCommunity(h.app, { managementFeeRate: '0.10' });
    const [u1, u2] = await addUnits(c, [
      { code: '1', building: 'A', areaM2: '60.33' },
      { code: '2', building: 'B', areaM2: '120.25' },
    ]);
    await setRate(c, '2.00', '2026-01');
    // 60.33 × 2 = 120.66 and 120.25 × 2 = 240.50 a month.
    await billPeriod(c, '2026-01');
    const [run, ...payments] = await Promise.all([
      c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-02' }),
      ...[u1, u2, u1, u2].map((unitId) => c.manager.api.post(`/v1/communities/${c.id}/fee-payments`, { unitId, amount: '200.00', method: 'bank' })),
    ]);
    expect(run!.status).toBe(201);
    expect(payments.map((p) => p.status)).toEqual([201, 201, 201, 201]);

    // Whatever the order, 800.00 came in against 722.32 billed: u1 paid 400.00 against 241.32
    // and keeps 158.68 in advance; u2 paid 400.00 against 481.00 and still owes 81.00.
    const accounts = await balances(c.owner.api, c.id);
    expect(accounts).toMatchObject({ '1001': '800.00', '4001': '722.32', '1101': '81.00', '2101': '158.68' });
    const [s1, s2] = await Promise.all([u1, u2].map((u) => c.manager.api.get(`/v1/communities/${c.id}/units/${u}/statement`)));
    expect([s1!.body.due, s1!.body.advance, s2!.body.due, s2!.body.advance]).toEqual(['0.00', '158.68', '81.00', '0.00']);
    // Remuneration: 10% of everything that settled a bill, 641.32, rounded per settlement.
    expect(accounts['5001']).toBe(accounts['2201']);
    const accrued = await h.db
      .selectFrom('bill_settlements')
      .select((eb) => eb.fn.sum<string>('remuneration').as('total'))
      .where('community_id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(formatMoney(accrued.total)).toBe(accounts['5001']);
    const summaries = await Promise.all(['2026-01', '2026-02'].map((p) => c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=${p}`)));
    expect(addMoney(...summaries.map((s) => s.body.collected))).toBe('641.32');
    expect(addMoney(...summaries.map((s) => s.body.due))).toBe(accounts['1101']);
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it('three racing runs for one period bill it exactly once', async () => {
    const c = await setupCommunity(h.app);
    await addUnits(c, [{ code: '1', building: 'A', areaM2: '10.00' }]);
    await setRate(c, '3.00', '2026-01');
    const replies = await Promise.all(
      Array.from({ length: 3 }, () => c.manager.api.post(`/v1/communities/${c.id}/billing-runs`, { period: '2026-03' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.code === 'invalid_state')).toBe(true);
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1101': '30.00', '4001': '30.00' });
  });
});

describe('the database keeps the fee rules itself', () => {
  it('refuses to settle a bill beyond its amount, a second run of a period, and a negative advance', async () => {
    const c = await setupCommunity(h.app);
    const [unit] = await addUnits(c, [{ code: '1', building: 'A', areaM2: '10.00' }]);
    await setRate(c, '3.00', '2026-01');
    await billPeriod(c, '2026-01');
    await expect(
      h.db.updateTable('bills').set({ paid: '30.01' }).where('community_id', '=', c.id).execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'bills_paid_within_amount' });
    const run = await h.db.selectFrom('billing_runs').selectAll().where('community_id', '=', c.id).executeTakeFirstOrThrow();
    await expect(
      h.db.insertInto('billing_runs').values({ ...run, id: 'another', created_at: undefined }).execute(),
    ).rejects.toMatchObject({ code: '23505', constraint: 'billing_runs_period_once' });
    await expect(
      h.db.insertInto('unit_fee_advances').values({ community_id: c.id, unit_id: unit!, advance: '-0.01' }).execute(),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
