import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { billDatesFor } from '../src/modules/payments/payments.bill-check.js';
import { createPaymentsService } from '../src/modules/payments/payments.service.js';
import { notificationFor, recordSimulatedTrade, simulatedTradeBill, simulatedTransaction, type SimulatorKeys } from '../src/modules/payments/providers/simulated.js';
import { beijingTime, formatTradeBill, parseTradeBill, TRADEBILL_HEADER } from '../src/modules/payments/providers/tradebill.js';
import { formatMoney, sum } from '../src/shared/money.js';
import { localDate } from '../src/shared/time.js';
import { addUnits, billPeriod, setRate } from './support/fees.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

/**
 * The provider's daily bill against the orders (README, "The provider's bill against the
 * orders"): the in-process simulated WeChat Pay keeps its own record of what it completed and
 * serves it in WeChat Pay's trade-bill shape; GET …/payment-orders/bill-check compares it.
 */
let h: Harness;
let keys: SimulatorKeys;

beforeAll(async () => {
  h = await startHarness();
  keys = await h.app.services.payments.simulatorKeys();
});
afterAll(() => h?.close());

const fen = (amount: string) => Number(amount.replace('.', ''));

async function billedUnits(c: Community, count: number) {
  const units = await addUnits(
    c,
    Array.from({ length: count }, (_, i) => ({ code: `1-${101 + i}`, building: '1', areaM2: '89.50' })),
  );
  await setRate(c, '2.35', '2026-01');
  await billPeriod(c, '2026-01');
  return units;
}

async function openOrder(c: Community, unitId: string, amount?: string) {
  const reply = await c.manager.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId, provider: 'wechat', ...(amount ? { amount } : {}) });
  expect(reply.status, reply.text).toBe(201);
  return reply.body as { id: string; outTradeNo: string; amount: string; payParams: { cashierUrl: string } };
}

const payAtCashier = async (cashierUrl: string) =>
  expect((await h.app.inject({ method: 'POST', url: `${cashierUrl}/pay`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })).statusCode).toBe(303);

const today = (timezone = 'Asia/Shanghai') => localDate(new Date(), timezone);

describe("WeChat Pay's trade bill, as the simulator writes it", () => {
  it('has the header, every field backticked, and the summary rows; it reads back', () => {
    const rows = [
      { tradeTime: '2026-11-29 10:00:00', appid: 'wx1', mchid: '1900000109', transactionId: '4200000001', outTradeNo: 'XY0000001', openid: 'o-1', tradeType: 'JSAPI', tradeState: 'SUCCESS', settlementAmount: '210.33', orderAmount: '210.33', description: '物业费' },
      { tradeTime: '2026-11-29 23:59:59', appid: 'wx1', mchid: '1900000109', transactionId: '4200000002', outTradeNo: 'XY0000002', openid: 'o-2', tradeType: 'JSAPI', tradeState: 'SUCCESS', settlementAmount: '0.01', orderAmount: '0.01', description: '物业费' },
    ];
    const text = formatTradeBill(rows, (a) => formatMoney(sum(a)));
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(TRADEBILL_HEADER.join(','));
    expect(lines[1]).toMatch(/^`2026-11-29 10:00:00,`wx1,`1900000109,/);
    expect(lines[1]!.split(',').every((f) => f.startsWith('`'))).toBe(true);
    expect(lines[3]).toBe('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');
    expect(lines[4]).toBe('`2,`210.34,`0.00,`0.00,`0.00000,`210.34,`0.00');
    const bill = parseTradeBill(`\uFEFF${text}`);
    expect(bill.rows).toEqual(rows);
    expect(bill.summary).toEqual({ count: 2, settlementTotal: '210.34', orderTotal: '210.34' });
  });

  it('a bill without its summary, with a miscount or a short row is refused', () => {
    const text = formatTradeBill([{ tradeTime: '2026-11-29 10:00:00', appid: 'wx1', mchid: 'm', transactionId: 't', outTradeNo: 'XY0000001', openid: '', tradeType: 'JSAPI', tradeState: 'SUCCESS', settlementAmount: '1.00', orderAmount: '1.00', description: 'x' }], (a) => formatMoney(sum(a)));
    const lines = text.trimEnd().split('\r\n');
    expect(() => parseTradeBill(lines.slice(0, 3).join('\r\n'))).toThrow(/summary/);
    expect(() => parseTradeBill([...lines.slice(0, 3), '`2,`1.00,`0.00,`0.00,`0.00000,`1.00,`0.00'].join('\r\n'))).toThrow(/counts/);
    expect(() => parseTradeBill([lines[0], lines[1]!.split(',').slice(1).join(','), ...lines.slice(2)].join('\r\n'))).toThrow(/fields/);
    expect(() => parseTradeBill('')).toThrow();
  });

  it("a community's day falls in one Beijing bill day, or two away from UTC+8", () => {
    expect(billDatesFor('2026-11-29', 'Asia/Shanghai')).toEqual(['2026-11-29']);
    expect(billDatesFor('2026-11-29', 'Asia/Chongqing')).toEqual(['2026-11-29']);
    expect(billDatesFor('2026-11-29', 'UTC')).toEqual(['2026-11-29', '2026-11-30']);
    expect(billDatesFor('2026-11-29', 'America/New_York')).toEqual(['2026-11-29', '2026-11-30']);
    expect(billDatesFor('2026-11-29', 'Pacific/Kiritimati')).toEqual(['2026-11-28', '2026-11-29']);
  });

  it("the simulator's bill for a day lists what it completed that Beijing day, for its merchant only", async () => {
    const outTradeNo = `XYB${randomBytes(8).toString('hex')}`;
    const transaction = { ...simulatedTransaction(keys, outTradeNo, 12345), success_time: '2026-03-01T15:59:59.000Z' };
    await recordSimulatedTrade(h.db, transaction, { openid: 'o-payer' });
    // Recorded once: the provider completes an out_trade_no at most once.
    await recordSimulatedTrade(h.db, { ...transaction, transaction_id: 'another' });
    const bill = parseTradeBill(await simulatedTradeBill(h.db, keys.mchid, '2026-03-01'));
    expect(bill.rows.filter((r) => r.outTradeNo === outTradeNo)).toEqual([
      expect.objectContaining({ tradeTime: '2026-03-01 23:59:59', transactionId: transaction.transaction_id, settlementAmount: '123.45', openid: 'o-payer', tradeState: 'SUCCESS' }),
    ]);
    expect(parseTradeBill(await simulatedTradeBill(h.db, keys.mchid, '2026-03-02')).rows.some((r) => r.outTradeNo === outTradeNo)).toBe(false);
    expect(parseTradeBill(await simulatedTradeBill(h.db, '1900009999', '2026-03-01')).rows).toEqual([]);
    expect(beijingTime(new Date('2026-03-01T16:00:00Z'))).toBe('2026-03-02 00:00:00');
  });
});

describe('GET …/payment-orders/bill-check', () => {
  it('sorts every order of the day: matched, paid but not booked, booked but not billed, another amount', async () => {
    const c = await setupCommunity(h.app);
    const [a, b, d, e] = await billedUnits(c, 4);

    // Paid at the cashier: the provider records it and the notification books it.
    const matched = await openOrder(c, a!);
    await payAtCashier(matched.payParams.cashierUrl);
    // The provider completed it, but its notification never arrived.
    const lost = await openOrder(c, b!);
    await h.app.services.payments.simulatedNotification(lost.outTradeNo, 'SUCCESS');
    // Booked by a notification the provider's record knows nothing of.
    const unbilled = await openOrder(c, d!, '50.00');
    const forged = notificationFor(simulatedTransaction(keys, unbilled.outTradeNo, fen(unbilled.amount)), keys);
    expect((await h.app.inject({ method: 'POST', url: '/v1/payments/wechat/notify', headers: forged.headers, payload: forged.body })).statusCode).toBe(204);
    // The provider took another amount than the order's.
    const other = await openOrder(c, e!, '80.00');
    await recordSimulatedTrade(h.db, simulatedTransaction(keys, other.outTradeNo, 7999));
    // A payment no order of any community knows: counted, never shown.
    await recordSimulatedTrade(h.db, simulatedTransaction(keys, `XYU${randomBytes(8).toString('hex')}`, 100));

    const reply = await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${today()}`);
    expect(reply.status, reply.text).toBe(200);
    const check = reply.body;
    expect(check).toMatchObject({ date: today(), timezone: 'Asia/Shanghai', billDates: [today()], simulated: true, consistent: false });
    expect(check.matched).toEqual([expect.objectContaining({ orderId: matched.id, outTradeNo: matched.outTradeNo, amount: '210.33', unitId: a })]);
    expect(check.paidNotBooked).toEqual([expect.objectContaining({ orderId: lost.id, amount: '210.33', status: 'created', bookedTransactionId: null })]);
    expect(check.bookedNotInBill).toEqual([expect.objectContaining({ orderId: unbilled.id, amount: '50.00' })]);
    expect(check.amountDiffers).toEqual([expect.objectContaining({ orderId: other.id, billAmount: '79.99', orderAmount: '80.00', status: 'created' })]);
    expect(check.totals).toEqual({ bill: '500.65', booked: '260.33' });
    expect(check.unattributed).toBeGreaterThanOrEqual(1);

    // Once the lost notification arrives, that order matches.
    const late = await h.app.services.payments.simulatedNotification(lost.outTradeNo, 'SUCCESS');
    expect((await h.app.inject({ method: 'POST', url: '/v1/payments/wechat/notify', headers: late.headers, payload: late.body })).statusCode).toBe(204);
    const again = (await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${today()}`)).body;
    expect(again.paidNotBooked).toEqual([]);
    expect(again.matched.map((m: { orderId: string }) => m.orderId).sort()).toEqual([matched.id, lost.id].sort());
  });

  it("shows a community only its own orders, and a day without payments is consistent", async () => {
    const [c1, c2] = [await setupCommunity(h.app), await setupCommunity(h.app)];
    const [u1] = await billedUnits(c1, 1);
    const order = await openOrder(c1, u1!);
    await payAtCashier(order.payParams.cashierUrl);
    const theirs = (await c2.manager.api.get(`/v1/communities/${c2.id}/payment-orders/bill-check?date=${today()}`)).body;
    expect(theirs).toMatchObject({ consistent: true, matched: [], paidNotBooked: [], bookedNotInBill: [], amountDiffers: [], totals: { bill: '0.00', booked: '0.00' } });
    const ours = (await c1.manager.api.get(`/v1/communities/${c1.id}/payment-orders/bill-check?date=${today()}`)).body;
    expect(ours).toMatchObject({ consistent: true, totals: { bill: '210.33', booked: '210.33' } });
    const before = (await c1.manager.api.get(`/v1/communities/${c1.id}/payment-orders/bill-check?date=2026-01-01`)).body;
    expect(before).toMatchObject({ consistent: true, matched: [] });
  });

  it("a community away from UTC+8 reads both Beijing bill days that hold its day", async () => {
    const c = await setupCommunity(h.app, { timezone: 'America/New_York' });
    const [u] = await billedUnits(c, 1);
    const order = await openOrder(c, u!);
    await payAtCashier(order.payParams.cashierUrl);
    const day = today('America/New_York');
    const check = (await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${day}`)).body;
    expect(check.billDates).toHaveLength(2);
    expect(check).toMatchObject({ timezone: 'America/New_York', consistent: true });
    expect(check.matched).toEqual([expect.objectContaining({ orderId: order.id })]);
  });

  it('is for managers; a date that is no calendar day is refused', async () => {
    const c = await setupCommunity(h.app);
    expectProblem(await c.owner.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${today()}`), 403, 'forbidden');
    expectProblem(await c.cosigners[0].api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${today()}`), 403, 'forbidden');
    for (const date of ['2026-02-30', '2026-1-01', 'today', '']) {
      expectProblem(await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${date}`), 400, 'validation_failed');
    }
    expectProblem(await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check`), 400, 'validation_failed');
    const outsider = await setupCommunity(h.app);
    expectProblem(await outsider.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${today()}`), 404, 'not_found');
  });

  it('the real WeChat Pay without a merchant key says the bill is not available', async () => {
    const c = await setupCommunity(h.app);
    const config = loadConfig({
      DATABASE_URL: 'postgres://x',
      NODE_ENV: 'production',
      WECHATPAY_MCHID: '1230000109',
      WECHATPAY_APPID: 'wxd678efh567hg6787',
      WECHATPAY_PLATFORM_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      WECHATPAY_PLATFORM_SERIAL: 'ABC123',
      WECHATPAY_APIV3_KEY: 'a'.repeat(32),
    });
    const real = createPaymentsService(h.db, config, { communities: h.app.services.communities, fees: h.app.services.fees });
    const manager = { userId: (await c.manager.api.get('/v1/me')).body.id as string, isPlatformAdmin: false };
    await expect(real.billCheck(c.id, manager, today())).rejects.toMatchObject({ code: 'invalid_state', status: 409, message: expect.stringMatching(/merchant key/) });
  });
});
