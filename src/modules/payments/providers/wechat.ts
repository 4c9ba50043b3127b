import { createDecipheriv, createVerify, type KeyObject } from 'node:crypto';
import { AppError } from '../../../shared/errors.js';

/**
 * WeChat Pay API v3's asynchronous notification, verified as the provider signs it: the
 * `Wechatpay-Signature` is RSA-SHA256 (PKCS#1 v1.5), base64, over
 * `timestamp\nnonce\nbody\n` with the platform key named by `Wechatpay-Serial`; the body's
 * `resource` is AEAD_AES_256_GCM under the APIv3 key, the ciphertext base64 with the 16-byte
 * tag at its end. The order of the checks follows the maintained SDKs (the official Go SDK's
 * `core/notify` and `core/auth/verifiers`, wechatpay-node-v3's `verifySign` and
 * `decipher_gcm`): headers, clock, serial, signature, then decryption.
 */
export interface NotificationKeys {
  serial: string;
  publicKey: KeyObject;
  apiV3Key: string;
}

export interface NotificationHeaders {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
  serial: string | undefined;
}

/** The decrypted transaction: the fields we act on; the rest is kept by the provider. */
export interface WechatTransaction {
  mchid: string;
  appid?: string;
  out_trade_no: string;
  transaction_id: string;
  trade_state: string;
  success_time?: string;
  amount: { total: number; currency?: string };
}

/** How far the notification's clock may be from ours, either way. */
export const CLOCK_SKEW_SECONDS = 300;

const refused = (detail: string) => new AppError('signature_invalid', detail);

/** The message the signature covers; the body is the exact bytes received. */
export function signedMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), Buffer.isBuffer(body) ? body : Buffer.from(body), Buffer.from('\n')]);
}

/** Throws `signature_invalid` unless the headers sign these body bytes; returns nothing else. */
export function verifySignature(headers: NotificationHeaders, body: Buffer, keys: NotificationKeys, now = Date.now()): void {
  const { timestamp, nonce, signature, serial } = headers;
  if (!timestamp || !nonce || !signature || !serial) throw refused('The Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers are all required');
  if (!/^\d{1,12}$/.test(timestamp)) throw refused('Wechatpay-Timestamp is not a Unix time in seconds');
  if (Math.abs(now / 1000 - Number(timestamp)) > CLOCK_SKEW_SECONDS) throw refused('Wechatpay-Timestamp is more than 5 minutes off');
  if (serial !== keys.serial) throw refused('Wechatpay-Serial names no platform certificate we know');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(signedMessage(timestamp, nonce, body));
  let valid = false;
  try {
    valid = verifier.verify(keys.publicKey, signature, 'base64');
  } catch {
    valid = false;
  }
  if (!valid) throw refused('Wechatpay-Signature does not verify');
}

interface Resource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
}

function resourceOf(body: Buffer): Resource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw refused('The notification body is not JSON');
  }
  const resource = (parsed as { resource?: Partial<Resource> } | null)?.resource;
  if (!resource || typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string' || resource.algorithm !== 'AEAD_AES_256_GCM') {
    throw refused('The notification carries no AEAD_AES_256_GCM resource');
  }
  if (resource.associated_data !== undefined && typeof resource.associated_data !== 'string') throw refused('associated_data is not text');
  return resource as Resource;
}

/** Decrypts the resource with the APIv3 key; any failure (tag, key, nonce, JSON) is `signature_invalid`. */
export function decryptTransaction(body: Buffer, apiV3Key: string): WechatTransaction {
  const resource = resourceOf(body);
  let plain: string;
  try {
    const data = Buffer.from(resource.ciphertext, 'base64');
    if (data.length <= 16) throw new Error('short');
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw refused('The notification resource does not decrypt under the APIv3 key');
  }
  let transaction: Partial<WechatTransaction>;
  try {
    transaction = JSON.parse(plain) as Partial<WechatTransaction>;
  } catch {
    throw refused('The decrypted resource is not JSON');
  }
  const t = transaction;
  if (
    typeof t.mchid !== 'string' ||
    typeof t.out_trade_no !== 'string' ||
    typeof t.transaction_id !== 'string' ||
    typeof t.trade_state !== 'string' ||
    typeof t.amount?.total !== 'number' ||
    !Number.isSafeInteger(t.amount.total)
  ) {
    // It decrypted, so the provider sent it: a transaction we cannot read is a state problem.
    throw new AppError('invalid_state', 'The decrypted transaction lacks mchid, out_trade_no, transaction_id, trade_state or amount.total');
  }
  return t as WechatTransaction;
}
