import { formatMoney, Money, sum } from '../../shared/money.js';
import { localDate } from '../../shared/time.js';
import type { TradeBillRow } from './providers/tradebill.js';
import { instantOfBeijingTime } from './providers/tradebill.js';
import type { BillCheck } from './payments.schemas.js';

/** An order as the comparison needs it. */
export interface CheckedOrder {
  id: string;
  communityId: string;
  outTradeNo: string;
  unitId: string;
  amount: string;
  status: 'created' | 'paid';
  transactionId: string | null;
  paidAt: Date | null;
}

/** The Beijing days whose bills hold every instant of a community's local day (one, or two). */
export function billDatesFor(day: string, timezone: string): string[] {
  const noon = new Date(`${day}T12:00:00Z`);
  const candidates = [-1, 0, 1].map((shift) => new Date(noon.getTime() + shift * 86_400_000).toISOString().slice(0, 10));
  return candidates.filter((billDate) => {
    const first = localDate(new Date(`${billDate}T00:00:00+08:00`), timezone);
    const last = localDate(new Date(`${billDate}T23:59:59.999+08:00`), timezone);
    return first <= day && day <= last;
  });
}

/**
 * Compares the provider's bill rows with the community's orders for one local day. Rows are
 * the community's when their out_trade_no is one of its orders; a row no order of any
 * community knows is only counted, since a merchant serves every community of the deployment
 * and a manager sees only their own. Only payments (交易状态 SUCCESS) are compared: the
 * service makes no refunds.
 *
 * - matched: a payment booked with the same transaction and amount;
 * - paidNotBooked: the provider took the money, the order is not paid here (a lost
 *   notification), or was paid by another transaction;
 * - amountDiffers: the order and the payment disagree on the amount;
 * - bookedNotInBill: an order booked that day of which the bill knows nothing.
 */
export function compareBill(input: {
  communityId: string;
  day: string;
  timezone: string;
  rows: readonly TradeBillRow[];
  /** Orders of any community named by the rows. */
  ordersOfRows: readonly CheckedOrder[];
  /** The community's orders booked on the day. */
  bookedThatDay: readonly CheckedOrder[];
}): Omit<BillCheck, 'date' | 'timezone' | 'billDates' | 'simulated'> {
  const byTradeNo = new Map(input.ordersOfRows.map((o) => [o.outTradeNo, o]));
  const result: Omit<BillCheck, 'date' | 'timezone' | 'billDates' | 'simulated' | 'consistent' | 'totals'> = {
    matched: [],
    paidNotBooked: [],
    amountDiffers: [],
    bookedNotInBill: [],
    unattributed: 0,
  };
  const billed = new Set<string>();
  const inBill: string[] = [];
  for (const row of input.rows) {
    if (row.tradeState !== 'SUCCESS') continue;
    const tradedAt = instantOfBeijingTime(row.tradeTime);
    if (localDate(tradedAt, input.timezone) !== input.day) continue;
    const order = byTradeNo.get(row.outTradeNo);
    if (!order) {
      result.unattributed++;
      continue;
    }
    if (order.communityId !== input.communityId) continue;
    billed.add(order.outTradeNo);
    const amount = formatMoney(row.settlementAmount);
    inBill.push(amount);
    const base = { orderId: order.id, unitId: order.unitId, outTradeNo: order.outTradeNo, transactionId: row.transactionId, tradedAt: tradedAt.toISOString() };
    if (!new Money(amount).eq(order.amount)) {
      result.amountDiffers.push({ ...base, billAmount: amount, orderAmount: formatMoney(order.amount), status: order.status });
    } else if (order.status !== 'paid' || order.transactionId !== row.transactionId) {
      result.paidNotBooked.push({ ...base, amount, status: order.status, bookedTransactionId: order.transactionId });
    } else {
      result.matched.push({ ...base, amount, paidAt: order.paidAt!.toISOString() });
    }
  }
  for (const order of input.bookedThatDay) {
    if (billed.has(order.outTradeNo)) continue;
    result.bookedNotInBill.push({ orderId: order.id, unitId: order.unitId, outTradeNo: order.outTradeNo, transactionId: order.transactionId, amount: formatMoney(order.amount), paidAt: order.paidAt!.toISOString() });
  }
  const consistent = result.paidNotBooked.length === 0 && result.amountDiffers.length === 0 && result.bookedNotInBill.length === 0;
  return {
    ...result,
    totals: { bill: formatMoney(sum(inBill)), booked: formatMoney(sum(input.bookedThatDay.map((o) => o.amount))) },
    consistent,
  };
}
