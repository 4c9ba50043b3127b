import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, forbidden, invalidState, notFound } from '../../shared/errors.js';
import { formatMoney, Money } from '../../shared/money.js';
import type { Principal } from '../auth/auth.principal.js';
import { hasRole, type CommunitiesService } from '../communities/communities.service.js';
import type { FeesService } from '../fees/fees.service.js';
import { positiveAmount } from '../ledger/ledger.service.js';
import { loadSimulatorKeys, notificationFor, simulatedTransaction, type SignedNotification, type SimulatorKeys } from './providers/simulated.js';
import { decryptTransaction, verifySignature, type NotificationHeaders, type NotificationKeys } from './providers/wechat.js';
import * as repo from './payments.repository.js';
import { paymentSettings } from './payments.settings.js';
import type { PaymentOrder, PaymentOrderBody } from './payments.schemas.js';

export type PaymentsService = ReturnType<typeof createPaymentsService>;

type OrderRow = NonNullable<Awaited<ReturnType<typeof repo.findOrder>>>;

const NOT_CONFIGURED = 'Online payment is not configured: set the WECHATPAY_* variables or PAYMENTS_SIMULATED=1';

/** Where a browser opens the simulated cashier for an order. */
export const cashierPath = (outTradeNo: string) => `/pay/simulated/${outTradeNo}`;

/** An out_trade_no WeChat Pay accepts: `XY`, the UTC date and 72 random bits, 28 characters. */
function newOutTradeNo(now = new Date()): string {
  return `XY${now.toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(9).toString('hex')}`;
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
      // Prepay (JSAPI) needs the merchant key and is not called yet: real orders carry `{}`.
      payParams: order.simulated && order.status === 'created' ? { cashierUrl: cashierPath(order.out_trade_no) } : {},
      createdAt: order.created_at.toISOString(),
      paidAt: order.paid_at?.toISOString() ?? null,
      transactionId: order.transaction_id,
      feePaymentId: order.fee_payment_id,
    };
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
      const amount = body.amount === undefined ? await deps.fees.amountDue(communityId, body.unitId) : positiveAmount(body.amount);
      if (new Money(amount).lte(0)) throw invalidState('The unit owes nothing; name an amount to pay in advance');
      const order = await repo.insertOrder(db, {
        community_id: communityId,
        id: randomUUID(),
        out_trade_no: newOutTradeNo(),
        provider: 'wechat',
        simulated: settings.mode === 'simulated',
        unit_id: body.unitId,
        amount: formatMoney(amount),
        created_by: principal.userId,
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
      return notificationFor(simulatedTransaction(keys, order.out_trade_no, fenOf(order.amount), tradeState), keys);
    },

    /** The simulator's keys, for tests and `npm run provider:sim` that sign as the provider. */
    simulatorKeys,
  };
}
