import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, Money } from '../../shared/money.js';
import type { Principal } from '../auth/auth.principal.js';
import { hasRole, requireRole, type CommunitiesService } from '../communities/communities.service.js';
import type { FeesService } from '../fees/fees.service.js';
import { positiveAmount } from '../ledger/ledger.service.js';
import { billDatesFor, compareBill } from './payments.bill-check.js';
import { providerFor } from './providers/provider.js';
import { loadSimulatorKeys, notificationFor, recordSimulatedTrade, simulatedTransaction, type SignedNotification, type SimulatorKeys } from './providers/simulated.js';
import { parseTradeBill, type TradeBillRow } from './providers/tradebill.js';
import { decryptTransaction, verifySignature, type NotificationHeaders, type NotificationKeys } from './providers/wechat.js';
import * as repo from './payments.repository.js';
import { paymentSettings } from './payments.settings.js';
import type { BillCheck, PaymentOrder, PaymentOrderBody } from './payments.schemas.js';

export type PaymentsService = ReturnType<typeof createPaymentsService>;

type OrderRow = NonNullable<Awaited<ReturnType<typeof repo.findOrder>>>;

const NOT_CONFIGURED = 'Online payment is not configured: set the WECHATPAY_* variables or PAYMENTS_SIMULATED=1';
const NO_BILL =
  "The provider's bill is not available: WeChat Pay serves it only to a merchant key (WECHATPAY_MERCHANT_PRIVATE_KEY and WECHATPAY_MERCHANT_SERIAL), which is not configured";
/** What the payer sees in WeChat for the order (WeChat Pay's `description`, at most 127 bytes). */
const DESCRIPTION = '小区物业费';

/** Where a browser opens the simulated cashier for an order. */
export const cashierPath = (outTradeNo: string) => `/pay/simulated/${outTradeNo}`;

/** An out_trade_no WeChat Pay accepts: `XY`, the UTC date and 72 random bits, 28 characters. */
function newOutTradeNo(now = new Date()): string {
  return `XY${now.toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(9).toString('hex')}`;
}

function validDay(text: string): boolean {
  const at = new Date(`${text}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}

/** An amount in fen as WeChat Pay counts it; money has at most two decimals. */
export function fenOf(amount: string): number {
  const fen = new Money(amount).times(100);
  if (!fen.isInteger()) throw new Error(`Invariant broken: ${amount} is not whole fen`);
  return fen.toNumber();
}

export function createPaymentsService(db: Database, config: Config, deps: { communities: CommunitiesService; fees: FeesService }) {
  const settings = paymentSettings(config);
  let simulator: Promise<SimulatorKeys> | undefined;
  const simulatorKeys = () => {
    simulator ??= loadSimulatorKeys(db).catch((error: unknown) => {
      simulator = undefined;
      throw error;
    });
    return simulator;
  };
  const provider = providerFor(settings, db, simulatorKeys);

  /** The keys a notification must verify and decrypt under, and the merchant it must name. */
  async function notificationKeys(): Promise<NotificationKeys & { mchid: string }> {
    if (settings.mode === 'simulated') return simulatorKeys();
    if (settings.mode === 'wechat') return { serial: settings.platformSerial, publicKey: settings.platformPublicKey, apiV3Key: settings.apiV3Key, mchid: settings.mchid };
    throw new AppError('signature_invalid', NOT_CONFIGURED);
  }

  function view(order: OrderRow): PaymentOrder {
    return {
      id: order.id,
      outTradeNo: order.out_trade_no,
      provider: order.provider,
      unitId: order.unit_id,
      amount: formatMoney(order.amount),
      status: order.status,
      payParams: payParamsOf(order),
      createdAt: order.created_at.toISOString(),
      paidAt: order.paid_at?.toISOString() ?? null,
      transactionId: order.transaction_id,
      feePaymentId: order.fee_payment_id,
    };
  }

  /**
   * What the payer's client needs while the order is open: the simulator's cashier, or the
   * JSAPI invoke's parameters signed afresh over the order's prepay session; `{}` otherwise.
   */
  function payParamsOf(order: OrderRow): PaymentOrder['payParams'] {
    if (order.status !== 'created') return {};
    if (order.simulated) return { cashierUrl: cashierPath(order.out_trade_no) };
    if (order.prepay_id && provider.payParams) return { ...provider.payParams(order.prepay_id) };
    return {};
  }

  /** An owner of the unit or a manager; anyone else learns nothing about the unit's orders. */
  async function requireOrderRights(communityId: string, principal: Principal, unitId: string) {
    const member = await deps.communities.member(communityId, principal);
    if (hasRole(member, 'manager')) return;
    if (!(await deps.communities.isOwnerOf(db, communityId, principal.userId, unitId))) throw forbidden('Only an owner of the unit or a manager may pay its fees online');
  }

  return {
    settings,

    async createOrder(communityId: string, principal: Principal, body: PaymentOrderBody): Promise<PaymentOrder> {
      if (!(await deps.communities.findUnit(db, communityId, body.unitId))) {
        await deps.communities.member(communityId, principal);
        throw notFound('unit');
      }
      await requireOrderRights(communityId, principal, body.unitId);
      if (settings.mode === 'off') throw invalidState(NOT_CONFIGURED);
      if (provider.prepay && body.openid === undefined) throw validationFailed("openid is required: JSAPI prepay needs the payer's openid under WECHATPAY_APPID");
      const amount = body.amount === undefined ? await deps.fees.amountDue(communityId, body.unitId) : positiveAmount(body.amount);
      if (new Money(amount).lte(0)) throw invalidState('The unit owes nothing; name an amount to pay in advance');
      const outTradeNo = newOutTradeNo();
      // Prepay first, store after: a provider that fails or does not answer leaves no order
      // behind (503, nothing written); a prepay session whose order was never stored expires
      // at the provider unpaid, since nobody ever saw its parameters.
      const prepayId = provider.prepay ? await provider.prepay({ outTradeNo, description: DESCRIPTION, amountFen: fenOf(amount), openid: body.openid! }) : null;
      const order = await repo.insertOrder(db, {
        community_id: communityId,
        id: randomUUID(),
        out_trade_no: outTradeNo,
        provider: 'wechat',
        simulated: settings.mode === 'simulated',
        unit_id: body.unitId,
        amount: formatMoney(amount),
        created_by: principal.userId,
        prepay_id: prepayId,
      });
      return view(order);
    },

    async getOrder(communityId: string, principal: Principal, id: string): Promise<PaymentOrder> {
      const order = await repo.findOrder(db, communityId, id);
      if (!order) {
        await deps.communities.member(communityId, principal);
        throw notFound('payment order');
      }
      await requireOrderRights(communityId, principal, order.unit_id);
      return view(order);
    },

    /**
     * Acts on a provider notification (API.md): verifies and decrypts it, then, on SUCCESS with
     * the order's exact amount, books the fee payment and marks the order paid in one
     * transaction under the order's row lock, so copies racing or repeated book it once.
     * Returns normally for 204; throws `signature_invalid` or `invalid_state` otherwise.
     */
    async acceptNotification(headers: NotificationHeaders, body: Buffer): Promise<void> {
      const keys = await notificationKeys();
      verifySignature(headers, body, keys);
      const transaction = decryptTransaction(body, keys.apiV3Key);
      if (transaction.mchid !== keys.mchid) throw invalidState('The notification is for another merchant');
      const known = await repo.findOrderByTradeNo(db, transaction.out_trade_no);
      if (!known) throw invalidState('No payment order has this out_trade_no');
      if (transaction.trade_state !== 'SUCCESS') return;
      if (transaction.amount.total !== fenOf(known.amount)) throw invalidState(`The amount paid (${transaction.amount.total} fen) is not the order's (${fenOf(known.amount)} fen)`);
      await inTransaction(db, async (tx) => {
        const order = await repo.lockOrderByTradeNo(tx, transaction.out_trade_no);
        if (!order || order.status === 'paid') return;
        const paidAt = new Date();
        const payment = await deps.fees.recordProviderPayment(tx, {
          communityId: order.community_id,
          unitId: order.unit_id,
          amount: formatMoney(order.amount),
          method: 'wechat',
          reference: transaction.transaction_id,
          paidAt,
          recordedBy: order.created_by,
        });
        await repo.markPaid(tx, order, { transactionId: transaction.transaction_id, feePaymentId: payment.id, paidAt });
      });
    },

    /** The simulated cashier's order, or null when there is none to pay (unknown, paid, real). */
    async cashierOrder(outTradeNo: string) {
      if (settings.mode !== 'simulated') return null;
      const order = await repo.findOrderByTradeNo(db, outTradeNo);
      return order?.simulated ? { outTradeNo: order.out_trade_no, amount: formatMoney(order.amount), status: order.status } : null;
    },

    /** What the simulated provider sends when the payer confirms (or cancels) at its cashier. */
    async simulatedNotification(outTradeNo: string, tradeState: 'SUCCESS' | 'CLOSED'): Promise<SignedNotification> {
      const order = await repo.findOrderByTradeNo(db, outTradeNo);
      if (settings.mode !== 'simulated' || !order?.simulated) throw notFound('payment order');
      const keys = await simulatorKeys();
      const transaction = simulatedTransaction(keys, order.out_trade_no, fenOf(order.amount), tradeState);
      if (tradeState !== 'SUCCESS') return notificationFor(transaction, keys);
      // The provider completes the trade before it notifies, and keeps it for its bill.
      const trade = await recordSimulatedTrade(db, transaction);
      return notificationFor({ ...transaction, transaction_id: trade.transaction_id, success_time: trade.success_time.toISOString() }, keys);
    },

    /**
     * The provider's bill against the community's orders for one of its days (manager): fetched
     * through the adapter, one or two Beijing bill days, compared order by order. 409 when the
     * provider serves no bill here (no merchant key); 503 when it fails or does not answer.
     */
    async billCheck(communityId: string, principal: Principal, day: string): Promise<BillCheck> {
      requireRole(await deps.communities.member(communityId, principal), 'manager');
      if (!validDay(day)) throw validationFailed('date is not a calendar day YYYY-MM-DD');
      if (settings.mode === 'off') throw invalidState(NOT_CONFIGURED);
      if (!provider.tradeBill) throw invalidState(NO_BILL);
      const community = await deps.communities.findCommunity(db, communityId);
      if (!community) throw notFound('community');
      const billDates = billDatesFor(day, community.timezone);
      const rows: TradeBillRow[] = [];
      for (const billDate of billDates) {
        const text = await provider.tradeBill(billDate);
        try {
          rows.push(...parseTradeBill(text).rows);
        } catch (error) {
          throw new AppError('unavailable', `The provider's bill for ${billDate} is not one: ${(error as Error).message}`, { 'retry-after': '30' });
        }
      }
      const { from, to } = await repo.localDayBounds(db, day, community.timezone);
      const [ordersOfRows, bookedThatDay] = await Promise.all([repo.ordersByTradeNos(db, [...new Set(rows.map((r) => r.outTradeNo))]), repo.ordersPaidBetween(db, communityId, from, to)]);
      const checked = (o: OrderRow) => ({
        id: o.id,
        communityId: o.community_id,
        outTradeNo: o.out_trade_no,
        unitId: o.unit_id,
        amount: formatMoney(o.amount),
        status: o.status,
        transactionId: o.transaction_id,
        paidAt: o.paid_at,
      });
      const compared = compareBill({ communityId, day, timezone: community.timezone, rows, ordersOfRows: ordersOfRows.map(checked), bookedThatDay: bookedThatDay.map(checked) });
      return { date: day, timezone: community.timezone, billDates, simulated: settings.mode === 'simulated', ...compared };
    },

    /** The simulator's keys, for tests and `npm run provider:sim` that sign as the provider. */
    simulatorKeys,
  };
}
