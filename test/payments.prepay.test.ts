import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { SHIPPED_MIGRATIONS } from '../src/db/migrate.js';
import type { App } from '../src/http/app-types.js';
import { startSimulatedProvider, type SimulatedServer } from '../src/modules/payments/providers/simulated.server.js';
import type { SimulatorKeys } from '../src/modules/payments/providers/simulated.js';
import { authorization } from '../src/modules/payments/providers/wechat.client.js';
import { localDate } from '../src/shared/time.js';
import { TEST_PASSWORD_HASH_COST } from './support/constants.js';
import { addUnits, balances, billPeriod, expectLedgerVerifies, setRate } from './support/fees.js';
import { setupCommunity, type Community } from './support/harness.js';
import { expectProblem } from './support/problems.js';

/**
 * JSAPI prepay end to end: the service runs as in production with a merchant key, its
 * WECHATPAY_API_BASE pointing at a simulated WeChat Pay listening on a real port, which
 * verifies the merchant's signature, answers signed, and (when the payer pays) notifies the
 * service over HTTP at its notify_url.
 */
const MCHID = '1230000109';
const APPID = 'wxd678efh567hg6787';
const MERCHANT_SERIAL = '3775B6A45ACD588826D15E583A95F5DD2C9C5B0E';
const PLATFORM_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const providerKeys: SimulatorKeys = { ...platform, serial: PLATFORM_SERIAL, apiV3Key: 'V3'.repeat(16), mchid: MCHID, appid: APPID };

/** The merchant's settings for WeChat Pay: its ids, the platform's key and serial, its own key. */
const merchantSettings = () => ({
  WECHATPAY_MCHID: MCHID,
  WECHATPAY_APPID: APPID,
  WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  WECHATPAY_PLATFORM_SERIAL: PLATFORM_SERIAL,
  WECHATPAY_APIV3_KEY: providerKeys.apiV3Key,
  WECHATPAY_MERCHANT_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  WECHATPAY_MERCHANT_SERIAL: MERCHANT_SERIAL,
});

let db: Database;
let app: App;
let provider: SimulatedServer;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const url = inject('databaseUrl');
  db = createDatabase(url, 6);
  provider = await startSimulatedProvider({ db, keys: providerKeys, merchant: { serial: MERCHANT_SERIAL, publicKey: merchant.publicKey } });
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: url,
    PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST),
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: '6',
    NODE_ENV: 'production',
    ...merchantSettings(),
    WECHATPAY_API_BASE: provider.url,
    WECHATPAY_NOTIFY_URL: `http://127.0.0.1:${port}/v1/payments/wechat/notify`,
  });
  app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS });
  await app.listen({ port, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await provider?.close();
  await db?.destroy();
});

async function billedUnit() {
  const c = await setupCommunity(app);
  const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '89.50' }]);
  await setRate(c, '2.35', '2026-01');
  await billPeriod(c, '2026-01');
  const owner = await c.addMember(['owner'], { unitIds: [unit!] });
  return { c, unit: unit!, owner };
}

const ordersOf = async (c: Community) =>
  Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM payment_orders WHERE community_id = ${c.id}`.execute(db)).rows[0]!.n);

const openid = () => `o${randomBytes(12).toString('hex')}`;

describe('JSAPI prepay with a merchant key', () => {
  it("an owner's order is opened by prepay; its payParams invoke JSAPI; paying notifies the service, which books it", async () => {
    const { c, unit, owner } = await billedUnit();
    const payer = openid();
    const created = await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: payer });
    expect(created.status, created.text).toBe(201);
    const order = created.body;
    expect(order).toMatchObject({ amount: '210.33', status: 'created' });
    const params = order.payParams;
    expect(Object.keys(params).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(params).toMatchObject({ appId: APPID, signType: 'RSA', package: expect.stringMatching(/^prepay_id=wx/) });
    expect(Math.abs(Number(params.timeStamp) - Date.now() / 1000)).toBeLessThan(60);
    // The paySign is the merchant's, over appId\ntimeStamp\nnonceStr\npackage\n.
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`);
    expect(verifier.verify(merchant.publicKey, params.paySign, 'base64')).toBe(true);

    // The provider holds the prepay as asked: the order's trade number, amount in fen, payer, notify_url.
    const prepayId = params.package.slice('prepay_id='.length);
    expect(provider.prepays.get(prepayId)).toMatchObject({ outTradeNo: order.outTradeNo, totalFen: 21033, openid: payer, notifyUrl: expect.stringMatching(/\/v1\/payments\/wechat\/notify$/) });

    // Read again, the parameters are signed afresh over the same prepay session.
    const read = await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`);
    expect(read.body.payParams.package).toBe(params.package);

    // The payer pays in WeChat: the provider notifies the service over HTTP, which books it.
    const paid = await provider.pay(prepayId);
    expect(paid.notifyStatus).toBe(204);
    const after = await owner.api.get(`/v1/communities/${c.id}/payment-orders/${order.id}`);
    expect(after.body).toMatchObject({ status: 'paid', transactionId: paid.transactionId, payParams: {} });
    const statement = await c.manager.api.get(`/v1/communities/${c.id}/units/${unit}/statement`);
    expect(statement.body.payments).toEqual([expect.objectContaining({ amount: '210.33', method: 'wechat', reference: paid.transactionId })]);
    expect(statement.body.due).toBe('0.00');
    expect(await balances(c.owner.api, c.id)).toMatchObject({ '1001': '210.33', '1101': '0.00', '2201': '21.03' });
    await expectLedgerVerifies(c.owner.api, c.id);

    // And the provider's bill, fetched with the merchant key, agrees with the books.
    const day = localDate(new Date(), 'Asia/Shanghai');
    const check = await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${day}`);
    expect(check.status, check.text).toBe(200);
    expect(check.body).toMatchObject({ simulated: false, consistent: true, totals: { bill: '210.33', booked: '210.33' } });
    expect(check.body.matched).toEqual([expect.objectContaining({ orderId: order.id, transactionId: paid.transactionId })]);
  });

  it('the bill check sees a payment whose notification was lost', async () => {
    const { c, unit, owner } = await billedUnit();
    const order = (await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: openid() })).body;
    await provider.pay(order.payParams.package.slice('prepay_id='.length), { notify: false });
    const check = await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${localDate(new Date(), 'Asia/Shanghai')}`);
    expect(check.body).toMatchObject({ consistent: false, paidNotBooked: [expect.objectContaining({ orderId: order.id, amount: '210.33', status: 'created' })] });
  });

  it('without an openid the order is refused, naming the field, and nothing is called or stored', async () => {
    const { c, unit, owner } = await billedUnit();
    const prepays = provider.prepays.size;
    const reply = await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat' });
    expectProblem(reply, 400, 'validation_failed');
    expect(reply.body.detail).toMatch(/openid/);
    expectProblem(await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: 'has space' }), 400, 'validation_failed');
    expect(provider.prepays.size).toBe(prepays);
    expect(await ordersOf(c)).toBe(0);
  });

  it('a provider that fails or does not answer is 503 unavailable, and no order is left behind', async () => {
    const { c, unit, owner } = await billedUnit();
    try {
      provider.behaviour = 'fail';
      const failed = await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: openid() });
      expectProblem(failed, 503, 'unavailable');
      expect(failed.body.detail).toMatch(/WeChat Pay refused the request \(500 SYSTEM_ERROR/);
      expect(failed.headers['retry-after']).toBeDefined();

      provider.behaviour = 'silent';
      const started = Date.now();
      const silent = await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: openid() });
      expectProblem(silent, 503, 'unavailable');
      expect(silent.body.detail).toMatch(/did not answer within 5 s/);
      expect(Date.now() - started).toBeLessThan(8_000);
      const bill = await c.manager.api.get(`/v1/communities/${c.id}/payment-orders/bill-check?date=${localDate(new Date(), 'Asia/Shanghai')}`);
      expectProblem(bill, 503, 'unavailable');
    } finally {
      provider.behaviour = 'normal';
    }
    expect(await ordersOf(c)).toBe(0);
    // The service is none the worse: the next order opens.
    expect((await owner.api.post(`/v1/communities/${c.id}/payment-orders`, { unitId: unit, provider: 'wechat', openid: openid() })).status).toBe(201);
    expect(await ordersOf(c)).toBe(1);
  }, 20_000);

  it("the simulated provider checks the merchant's signature as WeChat Pay does, and the service checks its answers", async () => {
    const body = JSON.stringify({ appid: APPID, mchid: MCHID, description: 'x', out_trade_no: 'XY12345678', notify_url: 'https://example.org/n', amount: { total: 1 }, payer: { openid: 'o1' } });
    const post = (auth: string, payload = body) =>
      fetch(`${provider.url}/v3/pay/transactions/jsapi`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: payload });
    const signedBy = (privateKey: typeof merchant.privateKey, serial = MERCHANT_SERIAL, mchid = MCHID) => authorization({ mchid, serial, privateKey }, 'POST', '/v3/pay/transactions/jsapi', body);
    expect((await post(signedBy(merchant.privateKey))).status).toBe(200);
    expect((await post(signedBy(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey))).status).toBe(401);
    expect((await post(signedBy(merchant.privateKey, 'OTHER'))).status).toBe(401);
    expect((await post(signedBy(merchant.privateKey, MERCHANT_SERIAL, '1900009999'))).status).toBe(401);
    expect((await post(signedBy(merchant.privateKey), body.replace('"total":1', '"total":2'))).status).toBe(401);
    expect((await post('Bearer nothing')).status).toBe(401);
    const stale = authorization({ mchid: MCHID, serial: MERCHANT_SERIAL, privateKey: merchant.privateKey }, 'POST', '/v3/pay/transactions/jsapi', body, String(Math.floor(Date.now() / 1000) - 600));
    expect((await post(stale)).status).toBe(401);

    // An answer signed by another platform key is the provider failing: 503, nothing stored.
    const impostor = await startSimulatedProvider({
      db,
      keys: { ...providerKeys, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) },
      merchant: { serial: MERCHANT_SERIAL, publicKey: merchant.publicKey },
    });
    try {
      const { createWechatClient } = await import('../src/modules/payments/providers/wechat.client.js');
      const client = createWechatClient({
        apiBase: impostor.url,
        appid: APPID,
        notifyUrl: 'https://example.org/n',
        merchant: { mchid: MCHID, serial: MERCHANT_SERIAL, privateKey: merchant.privateKey },
        platform: { serial: PLATFORM_SERIAL, publicKey: platform.publicKey },
      });
      await expect(client.prepay({ outTradeNo: 'XY12345679', description: 'x', amountFen: 1, openid: 'o1' })).rejects.toMatchObject({ code: 'unavailable', message: /does not verify/ });
    } finally {
      await impostor.close();
    }
  });

  it('a merchant key without WECHATPAY_NOTIFY_URL is refused at start', async () => {
    const { paymentSettings } = await import('../src/modules/payments/payments.settings.js');
    const env = {
      NODE_ENV: 'production',
      ...merchantSettings(),
    };
    expect(() => paymentSettings(loadConfig(env))).toThrow(/WECHATPAY_NOTIFY_URL/);
    expect(paymentSettings(loadConfig({ ...env, WECHATPAY_NOTIFY_URL: 'https://pay.example.org/v1/payments/wechat/notify' }))).toMatchObject({ mode: 'wechat', apiBase: 'https://api.mch.weixin.qq.com' });
  });
});
