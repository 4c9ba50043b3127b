import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { PaymentsTables } from './payments.tables.js';

type Db = Executor<PaymentsTables>;

export interface NewOrder {
  community_id: string;
  id: string;
  out_trade_no: string;
  provider: 'wechat';
  simulated: boolean;
  unit_id: string;
  amount: string;
  created_by: string;
  prepay_id: string | null;
}

export function insertOrder(db: Db, order: NewOrder) {
  return db.insertInto('payment_orders').values(order).returningAll().executeTakeFirstOrThrow();
}

export function findOrder(db: Db, communityId: string, id: string) {
  return db.selectFrom('payment_orders').selectAll().where('community_id', '=', communityId).where('id', '=', id).executeTakeFirst();
}

/** Locks the order until the caller's commit, so one notification at a time decides it. */
export function lockOrderByTradeNo(tx: Tx<PaymentsTables>, outTradeNo: string) {
  return tx.selectFrom('payment_orders').selectAll().where('out_trade_no', '=', outTradeNo).forUpdate().executeTakeFirst();
}

export function findOrderByTradeNo(db: Db, outTradeNo: string) {
  return db.selectFrom('payment_orders').selectAll().where('out_trade_no', '=', outTradeNo).executeTakeFirst();
}

export function markPaid(tx: Tx<PaymentsTables>, order: { community_id: string; id: string }, paid: { transactionId: string; feePaymentId: string; paidAt: Date }) {
  return tx
    .updateTable('payment_orders')
    .set({ status: 'paid', transaction_id: paid.transactionId, fee_payment_id: paid.feePaymentId, paid_at: paid.paidAt })
    .where('community_id', '=', order.community_id)
    .where('id', '=', order.id)
    .where('status', '=', 'created')
    .executeTakeFirstOrThrow();
}

export function simulatorKeys(db: Db) {
  return db.selectFrom('payment_simulator_keys').selectAll().where('id', '=', 1).executeTakeFirst();
}

/** Keeps the first keys written: processes racing at their first start agree on one set. */
export async function insertSimulatorKeysOnce(db: Db, keys: Omit<PaymentsTables['payment_simulator_keys'], 'id' | 'created_at'> & { created_at?: never }) {
  await db.insertInto('payment_simulator_keys').values({ id: 1, ...keys }).onConflict((oc) => oc.column('id').doNothing()).execute();
}

/** Records a completed transaction once: the provider completes an out_trade_no at most once. */
export async function insertSimulatorTrade(db: Db, trade: { transaction_id: string; mchid: string; appid: string; out_trade_no: string; openid: string | null; amount: string; success_time: Date; description?: string }) {
  const inserted = await db
    .insertInto('payment_simulator_trades')
    .values({ ...trade, trade_state: 'SUCCESS' })
    .onConflict((oc) => oc.columns(['mchid', 'out_trade_no']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? db.selectFrom('payment_simulator_trades').selectAll().where('mchid', '=', trade.mchid).where('out_trade_no', '=', trade.out_trade_no).executeTakeFirstOrThrow();
}

/** The merchant's transactions completed in [from, to), oldest first. */
export function simulatorTradesBetween(db: Db, mchid: string, from: Date, to: Date) {
  return db
    .selectFrom('payment_simulator_trades')
    .selectAll()
    .where('mchid', '=', mchid)
    .where('success_time', '>=', from)
    .where('success_time', '<', to)
    .orderBy('success_time')
    .orderBy('transaction_id')
    .execute();
}

/** The community's orders booked (paid) in [from, to). */
export function ordersPaidBetween(db: Db, communityId: string, from: Date, to: Date) {
  return db
    .selectFrom('payment_orders')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('status', '=', 'paid')
    .where('paid_at', '>=', from)
    .where('paid_at', '<', to)
    .orderBy('paid_at')
    .execute();
}

/** The orders of any community with these out_trade_no. */
export function ordersByTradeNos(db: Db, outTradeNos: readonly string[]) {
  if (outTradeNos.length === 0) return Promise.resolve([]);
  return db.selectFrom('payment_orders').selectAll().where('out_trade_no', 'in', outTradeNos).execute();
}

/** The instants [from, to) of a calendar day in a time zone, as PostgreSQL's zone data has it. */
export async function localDayBounds(db: Db, day: string, timezone: string) {
  const { rows } = await sql<{ from: Date; to: Date }>`
    SELECT (${day}::date::timestamp AT TIME ZONE ${timezone}::text) AS "from",
           ((${day}::date + 1)::timestamp AT TIME ZONE ${timezone}::text) AS "to"`.execute(db);
  return rows[0]!;
}
