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
