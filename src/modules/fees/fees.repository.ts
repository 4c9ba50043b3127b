import { sql } from 'kysely';
import type { Executor, StatementTx, Tx } from '../../db/database.js';
import type { EntryItem } from '../ledger/ledger.service.js';
import type { OpenBill } from './fees.allocation.js';
import type { FeesTables } from './fees.tables.js';

/**
 * Every SQL statement of the fees module, on its own tables only (units are the communities
 * module's: the service asks it). Functions that lock rows demand a transaction.
 */
type Db = Executor<FeesTables>;
type FeesTx = Tx<FeesTables>;

export function insertSchedule(tx: FeesTx, row: { communityId: string; id: string; effectiveFrom: string; ratePerM2: string; setBy: string }) {
  return tx
    .insertInto('fee_schedules')
    .values({ community_id: row.communityId, id: row.id, effective_from: row.effectiveFrom, rate_per_m2: row.ratePerM2, set_by: row.setBy })
    .execute();
}

export function listSchedules(db: Db, communityId: string) {
  return db
    .selectFrom('fee_schedules')
    .select(['effective_from', 'rate_per_m2', 'set_at', 'set_by'])
    .where('community_id', '=', communityId)
    .orderBy('effective_from', 'desc')
    .orderBy('set_at', 'desc')
    .execute();
}

/**
 * When a period begins in the community's time zone: 00:00 local on its first day. Reckoned
 * by PostgreSQL, which files every posting under its local month the same way.
 */
export async function periodStart(db: Db, period: string, timezone: string): Promise<Date> {
  const { rows } = await sql<{ at: Date }>`SELECT (${`${period}-01`}::timestamp AT TIME ZONE ${timezone}) AS at`.execute(db);
  return rows[0]!.at;
}

export function findRunByPeriod(db: Db, communityId: string, period: string) {
  return db.selectFrom('billing_runs').select('id').where('community_id', '=', communityId).where('period', '=', period).executeTakeFirst();
}

/** What each unit holds in advance (units without a row hold nothing); read under the head lock by a billing run. */
export function advances(tx: FeesTx, communityId: string) {
  return tx.selectFrom('unit_fee_advances').select(['unit_id', 'advance']).where('community_id', '=', communityId).execute();
}

export interface RunRow {
  communityId: string;
  id: string;
  period: string;
  ratePerM2: string;
  bills: number;
  total: string;
  advanceApplied: string;
  remuneration: string;
  entrySeq: number;
  createdBy: string;
}

export function insertRun(tx: FeesTx, r: RunRow) {
  return tx
    .insertInto('billing_runs')
    .values({
      community_id: r.communityId,
      id: r.id,
      period: r.period,
      rate_per_m2: r.ratePerM2,
      bills: r.bills,
      total: r.total,
      advance_applied: r.advanceApplied,
      remuneration: r.remuneration,
      entry_seq: r.entrySeq,
      created_by: r.createdBy,
    })
    .returning('created_at')
    .executeTakeFirstOrThrow();
}

export interface NewBill {
  id: string;
  unit_id: string;
  area_m2: string;
  amount: string;
}

/** Inserts a run's bills in one statement, however many units the community has. */
export async function insertBills(tx: FeesTx, communityId: string, runId: string, period: string, ratePerM2: string, bills: NewBill[]) {
  await sql`
    INSERT INTO bills (community_id, id, run_id, unit_id, period, area_m2, rate_per_m2, amount, paid)
    SELECT ${communityId}, b.id, ${runId}, b.unit_id, ${period}, b.area_m2, ${ratePerM2}::numeric, b.amount, 0
      FROM jsonb_to_recordset(${JSON.stringify(bills)}::jsonb) AS b(id text, unit_id text, area_m2 numeric, amount numeric)`.execute(tx);
}

/** Unpaid bills as `fees_record_payments_each` compares them: `id:paid`, by period then id, in code-unit (C) order. */
export function billsSeen(bills: ReadonlyArray<{ id: string; period: string; paid: string }>): string {
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...bills]
    .sort((a, b) => byCode(a.period, b.period) || byCode(a.id, b.id))
    .map((b) => `${b.id}:${b.paid}`)
    .join(',');
}

/**
 * The unpaid bills of each (community, unit) asked, oldest first, in one round trip, read
 * without a lock: what a lane's payments are allocated over. Each lookup is by its own
 * community's key.
 */
export async function unpaidBillsEach(db: Db, asks: ReadonlyArray<{ communityId: string; unitId: string }>): Promise<OpenBill[][]> {
  const { rows } = await sql<{ bills: OpenBill[] }>`
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object('id', b.id, 'period', b.period, 'amount', b.amount::text, 'paid', b.paid::text)
                                      ORDER BY b.period, b.id)
                       FROM bills b
                      WHERE b.community_id = w.community_id AND b.unit_id = w.unit_id AND b.paid < b.amount), '[]'::jsonb) AS bills
      FROM unnest(${asks.map((a) => a.communityId)}::text[], ${asks.map((a) => a.unitId)}::text[])
             WITH ORDINALITY AS w(community_id, unit_id, ord)
     ORDER BY w.ord`.execute(db);
  return rows.map((r) => r.bills);
}

/** One fee payment as `fees_record_payments_each` reads it (see the migration 2026-11-30T1100). */
export interface PaymentItem {
  communityId: string;
  unitId: string;
  /** The unit's unpaid bills the payment was allocated over, as billsSeen writes them. */
  seen: string;
  /** The payment's entry, then its remuneration's. */
  entries: EntryItem[];
  payment: {
    id: string;
    amount: string;
    method: string;
    reference: string | null;
    paidAt: string;
    toBills: string;
    toAdvance: string;
    remuneration: string;
    recordedBy: string;
  };
  settlements: Array<Pick<SettlementRow, 'id' | 'bill_id' | 'amount' | 'remuneration'>>;
}

/** What the unit owes and holds in advance right after a payment, and the seq of its entry. */
export interface PaymentRecorded {
  entry_seq: number;
  due: string;
  advance: string;
}

/**
 * Everything one fee payment writes, under the community's head lock, in one statement (the
 * function `fees_record_payment`): it refuses with 40001, writing nothing, when the unit's
 * unpaid bills are no longer those it was allocated over.
 */
export async function recordPayment(tx: FeesTx, item: PaymentItem): Promise<PaymentRecorded> {
  const { rows } = await sql<PaymentRecorded>`
    SELECT entry_seq, due::text AS due, advance::text AS advance
      FROM fees_record_payment(${item.communityId}, ${item.unitId}, ${item.seen}, ${JSON.stringify(item.entries)}::jsonb,
                               ${JSON.stringify(item.payment)}::jsonb, ${JSON.stringify(item.settlements)}::jsonb)`.execute(tx);
  return rows[0]!;
}

/**
 * The fee payments of any number of communities in one statement (`fees_record_payments_each`),
 * which is a transaction of its own on the pool. Answers each item in order: recorded, or
 * `busy` (its community's head was held and `skipLocked` asked not to wait) or `stale` (its
 * unit's bills changed since it was allocated); those wrote nothing.
 */
export async function recordPaymentsEach(
  executor: FeesTx | StatementTx<FeesTables>,
  items: readonly PaymentItem[],
  skipLocked: boolean,
): Promise<Array<PaymentRecorded | 'busy' | 'stale'>> {
  const { rows } = await sql<PaymentRecorded & { status: 'done' | 'busy' | 'stale' }>`
    SELECT status, entry_seq, due::text AS due, advance::text AS advance
      FROM fees_record_payments_each(${JSON.stringify(items)}::jsonb, ${skipLocked}) ORDER BY ord`.execute(executor);
  return rows.map(({ status, ...recorded }) => (status === 'done' ? recorded : status));
}

export interface SettlementRow {
  id: string;
  bill_id: string;
  payment_id: string | null;
  run_id: string | null;
  amount: string;
  remuneration: string;
}

/** Records settlements and adds them to their bills' `paid` (the CHECK refuses over-settling). */
export async function insertSettlements(tx: FeesTx, communityId: string, settledAt: Date, rows: SettlementRow[]) {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows);
  // One statement, one round trip: the bills' paid grows by what settles them, and the
  // settlements are kept. (The deferred check that a bill's paid equals its settlements runs
  // at commit, when both are written.)
  await sql`
    WITH settled AS (
      SELECT x.id, x.bill_id, x.payment_id, x.run_id, x.amount, x.remuneration
        FROM jsonb_to_recordset(${json}::jsonb)
             AS x(id text, bill_id text, payment_id text, run_id text, amount numeric, remuneration numeric)
    ), paid AS (
      UPDATE bills b SET paid = b.paid + s.total
        FROM (SELECT bill_id, sum(amount) AS total FROM settled GROUP BY 1) s
       WHERE b.community_id = ${communityId} AND b.id = s.bill_id
    )
    INSERT INTO bill_settlements (community_id, id, bill_id, payment_id, run_id, amount, remuneration, settled_at)
    SELECT ${communityId}, id, bill_id, payment_id, run_id, amount, remuneration, ${settledAt} FROM settled`.execute(tx);
}

/** Takes applied advances off units (the CHECK refuses a negative advance). */
export async function consumeAdvances(tx: FeesTx, communityId: string, rows: Array<{ unit_id: string; amount: string }>) {
  if (rows.length === 0) return;
  await sql`
    UPDATE unit_fee_advances a SET advance = a.advance - x.amount
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(unit_id text, amount numeric)
     WHERE a.community_id = ${communityId} AND a.unit_id = x.unit_id`.execute(tx);
}

/** What the unit owes and holds in advance. */
export async function unitBalance(db: Db, communityId: string, unitId: string) {
  const { rows } = await sql<{ due: string; advance: string }>`
    SELECT (SELECT coalesce(sum(amount - paid), 0) FROM bills
             WHERE community_id = ${communityId} AND unit_id = ${unitId} AND paid < amount) AS due,
           (SELECT coalesce(sum(advance), 0) FROM unit_fee_advances
             WHERE community_id = ${communityId} AND unit_id = ${unitId}) AS advance`.execute(db);
  return rows[0]!;
}

export function billsOf(db: Db, communityId: string, unitId: string) {
  return db
    .selectFrom('bills')
    .select(['period', 'amount', 'paid', 'rate_per_m2'])
    .where('community_id', '=', communityId)
    .where('unit_id', '=', unitId)
    .orderBy('period')
    .execute();
}

export function paymentsOf(db: Db, communityId: string, unitId: string) {
  return db
    .selectFrom('fee_payments')
    .select(['id', 'amount', 'method', 'reference', 'paid_at', 'to_bills', 'to_advance'])
    .where('community_id', '=', communityId)
    .where('unit_id', '=', unitId)
    .orderBy('paid_at')
    .orderBy('created_at')
    .execute();
}

/** A period's bills, one per unit billed: how much billed, how much settled. */
export function periodBills(db: Db, communityId: string, period: string) {
  return db
    .selectFrom('bills')
    .select(['unit_id', 'amount', 'paid'])
    .where('community_id', '=', communityId)
    .where('period', '=', period)
    .execute();
}

/** Every unit that owes money: how much, on how many bills, since which period. */
export function arrearsByUnit(db: Db, communityId: string) {
  return db
    .selectFrom('bills')
    .select([
      'unit_id',
      sql<string>`sum(amount - paid)`.as('due'),
      sql<number>`count(*)::int`.as('unpaid_bills'),
      sql<string>`min(period)`.as('oldest_period'),
    ])
    .where('community_id', '=', communityId)
    .where(sql<boolean>`paid < amount`)
    .groupBy('unit_id')
    .execute();
}

/** The references of the community's fee payments that carry one, by the entry that booked each. */
export function paymentReferences(db: Db, communityId: string) {
  return db
    .selectFrom('fee_payments')
    .select(['entry_seq', 'reference'])
    .where('community_id', '=', communityId)
    .where('reference', 'is not', null)
    .execute();
}
