import { createCipheriv, createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { Executor } from '../../../db/database.js';
import * as repo from '../payments.repository.js';
import type { PaymentsTables } from '../payments.tables.js';
import { formatMoney, Money, sum } from '../../../shared/money.js';
import { beijingDay, beijingTime, formatTradeBill } from './tradebill.js';
import { signedMessage, type NotificationKeys, type WechatTransaction } from './wechat.js';

/**
 * A simulated WeChat Pay: its own platform key pair, serial, APIv3 key and merchant, and a
 * notification signed and encrypted exactly as the real provider's, so that the one verifier
 * in wechat.ts is what tests and the demo exercise.
 *
 * The keys are generated once and kept in the database (payment_simulator_keys), not in a
 * file under DATA_DIR: with DATABASE_URL there may be no DATA_DIR at all, and several API
 * processes serving one database must verify what any of them signed. They protect play
 * money only; the real provider's keys come from the environment and are never stored.
 */
export interface SimulatorKeys extends NotificationKeys {
  privateKey: KeyObject;
  mchid: string;
  appid: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}

function generate() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    private_key_pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serial: randomBytes(20).toString('hex').toUpperCase(),
    apiv3_key: randomText(32),
    mchid: '1900000109',
    appid: 'wxsimulated0000000',
  };
}

/** The simulator's keys: read, or generated and stored on first use (first writer wins). */
export async function loadSimulatorKeys(db: Executor<PaymentsTables>): Promise<SimulatorKeys> {
  let row = await repo.simulatorKeys(db);
  if (!row) {
    await repo.insertSimulatorKeysOnce(db, generate());
    row = await repo.simulatorKeys(db);
  }
  if (!row) throw new Error('Invariant broken: the simulator keys were stored and are gone');
  return {
    serial: row.serial,
    publicKey: createPublicKey(row.public_key_pem),
    privateKey: createPrivateKey(row.private_key_pem),
    apiV3Key: row.apiv3_key,
    mchid: row.mchid,
    appid: row.appid,
  };
}

export interface SignedNotification {
  headers: Record<string, string>;
  body: string;
}

/** Encrypts a resource as the provider does: AES-256-GCM, base64 ciphertext with the tag appended. */
export function encryptResource(plaintext: string, apiV3Key: string, nonce = randomText(12), associatedData = 'transaction') {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  return { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: associatedData, nonce };
}

/** Signs body bytes as the provider does: the four Wechatpay-* headers. */
export function signBody(body: string, keys: Pick<SimulatorKeys, 'privateKey' | 'serial'>, timestamp = Math.floor(Date.now() / 1000), nonce = randomText(32)) {
  const signer = createSign('RSA-SHA256');
  signer.update(signedMessage(String(timestamp), nonce, body));
  return {
    'wechatpay-timestamp': String(timestamp),
    'wechatpay-nonce': nonce,
    'wechatpay-signature': signer.sign(keys.privateKey, 'base64'),
    'wechatpay-serial': keys.serial,
    'content-type': 'application/json',
  };
}

/** The notification the provider sends for a transaction, signed and encrypted afresh. */
export function notificationFor(transaction: WechatTransaction, keys: SimulatorKeys): SignedNotification {
  const success = transaction.trade_state === 'SUCCESS';
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    resource_type: 'encrypt-resource',
    event_type: success ? 'TRANSACTION.SUCCESS' : 'TRANSACTION.CLOSED',
    summary: success ? '支付成功' : '交易关闭',
    resource: encryptResource(JSON.stringify(transaction), keys.apiV3Key),
  });
  return { headers: signBody(body, keys), body };
}

/** A transaction as WeChat Pay reports a JSAPI payment, for an order of `totalFen`. */
export function simulatedTransaction(keys: Pick<SimulatorKeys, 'mchid' | 'appid'>, outTradeNo: string, totalFen: number, tradeState = 'SUCCESS'): WechatTransaction {
  return {
    mchid: keys.mchid,
    appid: keys.appid,
    out_trade_no: outTradeNo,
    transaction_id: `4200${Date.now()}${randomBytes(6).toString('hex')}`.slice(0, 32),
    trade_state: tradeState,
    success_time: new Date().toISOString(),
    amount: { total: totalFen, currency: 'CNY' },
  };
}

/** Records a transaction as completed on the provider's side (once per out_trade_no). */
export async function recordSimulatedTrade(db: Executor<PaymentsTables>, transaction: WechatTransaction, extra: { openid?: string | null; description?: string } = {}) {
  return repo.insertSimulatorTrade(db, {
    transaction_id: transaction.transaction_id,
    mchid: transaction.mchid,
    appid: transaction.appid ?? '',
    out_trade_no: transaction.out_trade_no,
    openid: extra.openid ?? null,
    amount: formatMoney(new Money(transaction.amount.total).div(100)),
    success_time: transaction.success_time ? new Date(transaction.success_time) : new Date(),
    description: extra.description ?? '物业费',
  });
}

/** The merchant's trade bill for a Beijing day, from the simulator's own record, as WeChat Pay writes it. */
export async function simulatedTradeBill(db: Executor<PaymentsTables>, mchid: string, billDate: string): Promise<string> {
  const { from, to } = beijingDay(billDate);
  const trades = await repo.simulatorTradesBetween(db, mchid, from, to);
  return formatTradeBill(
    trades.map((t) => ({
      tradeTime: beijingTime(t.success_time),
      appid: t.appid,
      mchid: t.mchid,
      transactionId: t.transaction_id,
      outTradeNo: t.out_trade_no,
      openid: t.openid ?? '',
      tradeType: 'JSAPI',
      tradeState: t.trade_state,
      settlementAmount: formatMoney(t.amount),
      orderAmount: formatMoney(t.amount),
      description: t.description,
    })),
    (amounts) => formatMoney(sum(amounts)),
  );
}
