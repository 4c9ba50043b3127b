import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { SHIPPED_MIGRATIONS } from '../src/db/migrate.js';
import { createPaymentsService } from '../src/modules/payments/payments.service.js';
import { paymentSettings } from '../src/modules/payments/payments.settings.js';
import { encryptResource, notificationFor, signBody, simulatedTransaction, type SimulatorKeys } from '../src/modules/payments/providers/simulated.js';
import type { WechatTransaction } from '../src/modules/payments/providers/wechat.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { addUnits, balances, billPeriod, expectLedgerVerifies, setRate } from './support/fees.js';
import { TEST_PASSWORD_HASH_COST } from './support/constants.js';

let h: Harness;
let keys: SimulatorKeys;

beforeAll(async () => {
  h = await startHarness();
  keys = await h.app.services.payments.simulatorKeys();
});
afterAll(() => h?.close());

const NOTIFY = '/v1/payments/wechat/notify';

/** Posts a notification as the provider does: raw body bytes, the four headers, no token. */
async function notify(notification: { headers: Record<string, string>; body: string }) {
  const response = await h.app.inject({ method: 'POST', url: NOTIFY, headers: notification.headers, payload: notification.body });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
}

/** A community whose unit 1-101 owes 210.33 for 2026-01, and an owner of that unit. */
async function billedUnit(rate = '0.10') {
  const c = await setupCommunity(h.app, { managementFeeRate: rate });
  const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '89.50' }]);
  await setRate(c, '2.35', '2026-01');
  await billPeriod(c, '2026-01');
  const owner = await c.addMember(['owner'], { unitIds: [unit!] });
  return { c, unit: unit!, owner };
}

async function openOrder(c: Community, api: Community['owner']['api'], unitId: string, amount?: string) {
  const reply = await api.post(`/v1/communities/${c.id}/payment-orders`, { unitId, provider: 'wechat', ...(amount ? { amount } : {}) });
  expect(reply.status, reply.text).toBe(201);
  return reply.body as { id: string; outTradeNo: string; amount: string; status: string; payParams: { cashierUrl?: string } };
}

const fen = (amount: string) => Number(amount.replace('.', ''));

async function feePayments(c: Community, unitId: string) {
  const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${unitId}/statement`);
  expect(statement.status).toBe(200);
  return statement.body;
}

function expectNotificationProblem(reply: { status: number; body: any; headers: any }, status: number, code: string) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(String(reply.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code });
  expect(typeof reply.body.message).toBe('string');
  expect(reply.body.message.length).toBeGreaterThan(0);
}

describe('payment orders', () => {
  it("an owner opens an order for what the unit owes, and reads it with its cashier link", async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    expect(order).toMatchObject({ provider: 'wechat', unitId: unit, amount: '210.33', status: 'created' });
    expect(order.outTradeNo).toMatch(/^[0-9A-Za-z_|*-]{6,32}$/);
    expect(order.payParams.cashierUrl).toBe(`/pay/simulated/${order.outTradeNo}`);
    const read = await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: order.id, outTradeNo: order.outTradeNo, status: 'created', paidAt: null });
    const again = await openOrder(c, c.manager.api, unit, '50');
    expect(again.amount).toBe('50.00');
    expect(again.outTradeNo).not.toBe(order.outTradeNo);
  });

  it("an owner of another unit may neither open nor read the unit's orders", async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    expect((await c.owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat' })).status).toBe(403);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`)).status).toBe(403);
    expect((await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/nope`)).status).toBe(404);
    expect((await c.manager.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: 'nope', provider: 'wechat' })).status).toBe(404);
  });

  it('a unit that owes nothing needs an amount; bad amounts and providers are refused', async () => {
    const c = await setupCommunity(h.app);
    const [unit] = await addUnits(c, [{ code: '2', building: '2', areaM2: '50.00' }]);
    const none = await c.manager.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat' });
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('invalid_state');
    for (const body of [{ unitId: unit, provider: 'alipay' }, { unitId: unit, provider: 'wechat', amount: '0' }, { unitId: unit, provider: 'wechat', amount: 5 }]) {
      const reply = await c.manager.api.post(`/v1/communities/${c.id}/payment-orders`, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
    }
    expect((await openOrder(c, c.manager.api, unit!, '100')).amount).toBe('100.00');
  });

  it('without the simulator or the WeChat Pay variables, opening an order says payment is not configured', async () => {
    const { c, unit } = await billedUnit();
    const config = loadConfig({ DATABASE_URL: 'postgres://x', PAYMENTS_SIMULATED: '0' });
    const off = createPaymentsService(h.db, config, { communities: h.app.services.communities, fees: h.app.services.fees });
    const manager = { userId: (await c.manager.api.get('/v1/me')).body.id as string, isPlatformAdmin: false };
    await expect(off.createOrder(c.id, manager, { unitId: unit, provider: 'wechat' })).rejects.toMatchObject({ code: 'invalid_state', message: expect.stringMatching(/not configured/) });
  });

  it('the simulator is on by default, off in production, and PAYMENTS_SIMULATED set explicitly wins', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wechat = {
      WECHATPAY_MCHID: '1230000109',
      WECHATPAY_APPID: 'wxd678efh567hg6787',
      WECHATPAY_PLATFORM_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      WECHATPAY_PLATFORM_SERIAL: 'ABC123',
      WECHATPAY_APIV3_KEY: 'a'.repeat(32),
    };
    const mode = (env: Record<string, string>) => paymentSettings(loadConfig(env)).mode;
    expect(mode({})).toBe('simulated');
    expect(mode({ NODE_ENV: 'production' })).toBe('off');
    expect(mode({ NODE_ENV: 'production', PAYMENTS_SIMULATED: '1' })).toBe('simulated');
    expect(mode({ NODE_ENV: 'production', ...wechat })).toBe('wechat');
    expect(mode({ PAYMENTS_SIMULATED: '0', ...wechat })).toBe('wechat');
    expect(mode({ PAYMENTS_SIMULATED: '0' })).toBe('off');
    expect(() => loadConfig({ WECHATPAY_APIV3_KEY: 'short' })).toThrow(/WECHATPAY_APIV3_KEY/);
  });
});

describe('the WeChat Pay notification', () => {
  it('the cashier page pays the order: the fee payment posts once by wechat with the transaction id', async () => {
    const { c, unit, owner } = await billedUnit('0.08');
    const order = await openOrder(c, owner.api, unit);
    const page = await h.app.inject({ method: 'GET', url: order.payParams.cashierUrl! });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('¥210.33');
    const paid = await h.app.inject({ method: 'POST', url: `${order.payParams.cashierUrl}/pay`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(paid.statusCode, paid.body).toBe(303);
    const read = await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`);
    expect(read.body).toMatchObject({ status: 'paid', payParams: {} });
    const statement = await feePayments(c, unit);
    expect(statement.payments).toHaveLength(1);
    expect(statement.payments[0]).toMatchObject({ amount: '210.33', method: 'wechat', reference: read.body.transactionId });
    expect(statement.due).toBe('0.00');
    // Remuneration accrues on what was collected: 8% of 210.33 is 16.8264 -> 16.83.
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '210.33', '1101': '0.00', '2201': '16.83', '5001': '16.83' });
    const summary = await c.owner.api.get(`/v1/communities/${c.id}/fee-summary?period=2026-01`);
    expect(summary.body).toMatchObject({ collected: '210.33' });
    expect((await h.app.inject({ method: 'GET', url: order.payParams.cashierUrl! })).body).toContain('已支付');
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it('every forged, stale, mis-signed, mis-encrypted, wrong-amount, wrong-merchant or unknown-order notification books nothing', async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    const transaction = simulatedTransaction(keys, order.outTradeNo, fen(order.amount));
    const good = notificationFor(transaction, keys);
    const now = Math.floor(Date.now() / 1000);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const resourceBody = (resource: object) => JSON.stringify({ id: 'EV-1', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', resource });
    const signed = (body: string) => ({ headers: signBody(body, keys), body });
    const withTransaction = (t: WechatTransaction) => notificationFor(t, keys);
    const without = (header: string) => ({ headers: Object.fromEntries(Object.entries(good.headers).filter(([name]) => name !== header)), body: good.body });

    const cases: Array<[string, { headers: Record<string, string>; body: string }, number, string]> = [
      ['no Wechatpay-Signature', without('wechatpay-signature'), 401, 'signature_invalid'],
      ['no Wechatpay-Timestamp', without('wechatpay-timestamp'), 401, 'signature_invalid'],
      ['no Wechatpay-Nonce', without('wechatpay-nonce'), 401, 'signature_invalid'],
      ['no Wechatpay-Serial', without('wechatpay-serial'), 401, 'signature_invalid'],
      ['signed by another key', { headers: signBody(good.body, { privateKey: other.privateKey, serial: keys.serial }), body: good.body }, 401, 'signature_invalid'],
      ['a body changed after signing', { headers: good.headers, body: good.body.replace('"encrypt-resource"', '"encrypt-resourcE"') }, 401, 'signature_invalid'],
      ['a nonce changed after signing', { headers: { ...good.headers, 'wechatpay-nonce': 'x'.repeat(32) }, body: good.body }, 401, 'signature_invalid'],
      ['a signature that is not base64 of anything', { headers: { ...good.headers, 'wechatpay-signature': '!!!' }, body: good.body }, 401, 'signature_invalid'],
      ['six minutes old', { headers: signBody(good.body, keys, now - 360), body: good.body }, 401, 'signature_invalid'],
      ['six minutes ahead', { headers: signBody(good.body, keys, now + 360), body: good.body }, 401, 'signature_invalid'],
      ['a timestamp that is no number', { headers: { ...good.headers, 'wechatpay-timestamp': 'soon' }, body: good.body }, 401, 'signature_invalid'],
      ['an unknown serial', { headers: signBody(good.body, { privateKey: keys.privateKey, serial: 'FFFF' }), body: good.body }, 401, 'signature_invalid'],
      ['encrypted under another APIv3 key', signed(resourceBody(encryptResource(JSON.stringify(transaction), 'b'.repeat(32)))), 401, 'signature_invalid'],
      ['a ciphertext flipped in its tag', signed(resourceBody({ ...encryptResource(JSON.stringify(transaction), keys.apiV3Key), ciphertext: flipLastByte(encryptResource(JSON.stringify(transaction), keys.apiV3Key).ciphertext) })), 401, 'signature_invalid'],
      ['other associated data', signed(resourceBody({ ...encryptResource(JSON.stringify(transaction), keys.apiV3Key, 'n0nce0123456'), nonce: 'n0nce0123456', associated_data: 'refund' })), 401, 'signature_invalid'],
      ['another algorithm', signed(resourceBody({ ...encryptResource(JSON.stringify(transaction), keys.apiV3Key), algorithm: 'AES_128_CBC' })), 401, 'signature_invalid'],
      ['a body that is not JSON', signed('not json'), 401, 'signature_invalid'],
      ['one fen short', withTransaction({ ...transaction, amount: { total: fen(order.amount) - 1 } }), 409, 'invalid_state'],
      ['one fen over', withTransaction({ ...transaction, amount: { total: fen(order.amount) + 1 } }), 409, 'invalid_state'],
      ['another merchant', withTransaction({ ...transaction, mchid: '1900009999' }), 409, 'invalid_state'],
      ['an unknown out_trade_no', withTransaction({ ...transaction, out_trade_no: `XY${randomBytes(8).toString('hex')}` }), 409, 'invalid_state'],
    ];
    for (const [name, notification, status, code] of cases) {
      const reply = await notify(notification);
      try {
        expectNotificationProblem(reply, status, code);
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
    }
    // A trade that did not succeed is acknowledged and books nothing.
    expect((await notify(withTransaction({ ...transaction, trade_state: 'CLOSED' }))).status).toBe(204);
    expect((await notify(withTransaction({ ...transaction, trade_state: 'NOTPAY' }))).status).toBe(204);

    expect((await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`)).body.status).toBe('created');
    expect((await feePayments(c, unit)).payments).toHaveLength(0);
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '0.00', '1101': '210.33' });
    // The genuine one still works afterwards.
    expect((await notify(good)).status).toBe(204);
    expect((await feePayments(c, unit)).payments).toHaveLength(1);
  });

  it('a repeated notification, replayed byte for byte or signed afresh, changes nothing', async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    const transaction = simulatedTransaction(keys, order.outTradeNo, fen(order.amount));
    const first = notificationFor(transaction, keys);
    expect((await notify(first)).status).toBe(204);
    expect((await notify(first)).status).toBe(204);
    expect((await notify(notificationFor(transaction, keys))).status).toBe(204);
    // A later trade_state for a paid order does not unpay it either.
    expect((await notify(notificationFor({ ...transaction, trade_state: 'REFUND' }, keys))).status).toBe(204);
    expect((await feePayments(c, unit)).payments).toHaveLength(1);
    expect((await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`)).body).toMatchObject({ status: 'paid', transactionId: transaction.transaction_id });
    expect((await balances(c.owner.api, c.id))['1001']).toBe('210.33');
  });

  it('ten concurrent copies of one notification book it once', async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    const transaction = simulatedTransaction(keys, order.outTradeNo, fen(order.amount));
    // Half are byte-for-byte copies of one, half signed afresh, as a retrying provider sends them.
    const one = notificationFor(transaction, keys);
    const copies = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : notificationFor(transaction, keys)));
    const replies = await Promise.all(copies.map(notify));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(204));
    const statement = await feePayments(c, unit);
    expect(statement.payments).toHaveLength(1);
    expect(statement).toMatchObject({ due: '0.00', advance: '0.00' });
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '210.33', '1101': '0.00', '2201': '21.03' });
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it("a notification racing a manager's cash payment for the same bill never over-settles it", async () => {
    const { c, unit, owner } = await billedUnit();
    const order = await openOrder(c, owner.api, unit);
    const notification = notificationFor(simulatedTransaction(keys, order.outTradeNo, fen(order.amount)), keys);
    const [online, cash] = await Promise.all([
      notify(notification),
      c.manager.api.post(`/v1/communities/${c.id}/fee-payments`, { unitId: unit, amount: '210.33', method: 'cash' }),
    ]);
    expect(online.status).toBe(204);
    expect(cash.status).toBe(201);
    // The bill is settled once; whichever came second became the unit's advance.
    const statement = await feePayments(c, unit);
    expect(statement.bills).toMatchObject([{ period: '2026-01', amount: '210.33', paid: '210.33' }]);
    expect(statement).toMatchObject({ due: '0.00', advance: '210.33' });
    expect(statement.payments.map((p: { method: string }) => p.method).sort()).toEqual(['cash', 'wechat']);
    // Remuneration accrues on what settled a bill only: 10% of 210.33.
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '420.66', '1101': '0.00', '2101': '210.33', '2201': '21.03', '5001': '21.03' });
    await expectLedgerVerifies(c.owner.api, c.id);
  });

  it('the notification route needs no bearer token, and failures never leak as 500s', async () => {
    const reply = await notify({ headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expectNotificationProblem(reply, 401, 'signature_invalid');
    const empty = await h.app.inject({ method: 'POST', url: NOTIFY });
    expect(empty.statusCode).toBe(401);
  });
});

function flipLastByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  const last = bytes.length - 1;
  bytes.writeUInt8(bytes.readUInt8(last) ^ 0x01, last);
  return bytes.toString('base64');
}

describe('the real WeChat Pay configuration', () => {
  it('verifies with the platform key from the environment (a PEM file), and the simulator is off', async () => {
    const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dir = mkdtempSync(path.join(tmpdir(), 'xinyi-wechatpay-'));
    const pemFile = path.join(dir, 'platform.pem');
    writeFileSync(pemFile, platform.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const apiV3Key = 'K'.repeat(16) + 'v3v3v3v3v3v3v3v3';
    const url = inject('databaseUrl');
    const config = loadConfig({
      DATABASE_URL: url,
      PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST),
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '4',
      NODE_ENV: 'production',
      WECHATPAY_MCHID: '1230000109',
      WECHATPAY_APPID: 'wxd678efh567hg6787',
      WECHATPAY_PLATFORM_PUBLIC_KEY: pemFile,
      WECHATPAY_PLATFORM_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      WECHATPAY_APIV3_KEY: apiV3Key,
    });
    const db = createDatabase(url, config.DB_POOL_SIZE);
    const app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
    try {
      await app.ready();
      const c = await setupCommunity(app);
      const [unit] = await addUnits(c, [{ code: '9', building: '9', areaM2: '10.00' }]);
      const created = await c.manager.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', amount: '88.80' });
      expect(created.status, created.text).toBe(201);
      expect(created.body.payParams).toEqual({});
      expect((await app.inject({ method: 'GET', url: `/pay/simulated/${created.body.outTradeNo}` })).statusCode).toBe(404);

      const real = { privateKey: platform.privateKey, serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', apiV3Key, mchid: '1230000109', appid: 'wxd678efh567hg6787', publicKey: platform.publicKey };
      const transaction = simulatedTransaction(real, created.body.outTradeNo, 8880);
      const post = (n: { headers: Record<string, string>; body: string }) => app.inject({ method: 'POST', url: NOTIFY, headers: n.headers, payload: n.body });
      // The simulator's keys mean nothing here: another serial, another key.
      expect((await post(notificationFor(transaction, keys))).statusCode).toBe(401);
      expect((await post(notificationFor(transaction, real))).statusCode).toBe(204);
      const read = await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/${created.body.id}`);
      expect(read.body).toMatchObject({ status: 'paid', transactionId: transaction.transaction_id });
      expect((await balances(c.owner.api, c.id))['1001']).toBe('88.80');
    } finally {
      await app.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
