import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Config } from '../../config.js';

/**
 * Which WeChat Pay the service talks to, decided once from the environment (API.md, "Online
 * fee payment"): `PAYMENTS_SIMULATED` set explicitly wins; unset, the simulator is on unless
 * `NODE_ENV=production`. Without the simulator, the five notification variables configure the
 * real provider; the merchant key only turns on prepay. With neither, payment is off.
 */
export type PaymentSettings =
  | { mode: 'off' }
  | { mode: 'simulated' }
  | {
      mode: 'wechat';
      mchid: string;
      appid: string;
      platformSerial: string;
      platformPublicKey: KeyObject;
      apiV3Key: string;
      /** Where the merchant API answers (WECHATPAY_API_BASE). */
      apiBase: string;
      /**
       * Set only when both merchant variables are: JSAPI prepay and the trade bill are called
       * only then, with the notify_url prepay hands the provider.
       */
      merchant: { privateKey: KeyObject; serial: string; notifyUrl: string } | null;
    };

/** PEM text as given, or the contents of the file it names. */
function pemOf(value: string, name: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new Error(`Invalid environment: ${name} is neither PEM text nor a readable file (${(error as Error).message})`);
  }
}

export function paymentSettings(config: Config): PaymentSettings {
  const simulated = config.PAYMENTS_SIMULATED !== undefined ? config.PAYMENTS_SIMULATED === '1' : config.NODE_ENV !== 'production';
  if (simulated) return { mode: 'simulated' };
  const { WECHATPAY_MCHID: mchid, WECHATPAY_APPID: appid, WECHATPAY_PLATFORM_SERIAL: platformSerial, WECHATPAY_APIV3_KEY: apiV3Key } = config;
  const publicKeyText = config.WECHATPAY_PLATFORM_PUBLIC_KEY;
  if (!mchid || !appid || !platformSerial || !apiV3Key || !publicKeyText) return { mode: 'off' };
  const platformPublicKey = createPublicKey(pemOf(publicKeyText, 'WECHATPAY_PLATFORM_PUBLIC_KEY'));
  const merchantKey = config.WECHATPAY_MERCHANT_PRIVATE_KEY;
  let merchant: { privateKey: KeyObject; serial: string; notifyUrl: string } | null = null;
  if (merchantKey && config.WECHATPAY_MERCHANT_SERIAL) {
    // Prepay must tell the provider where to notify: refuse to start rather than open orders nobody hears of.
    if (!config.WECHATPAY_NOTIFY_URL) throw new Error('Invalid environment: WECHATPAY_NOTIFY_URL is required with WECHATPAY_MERCHANT_PRIVATE_KEY (prepay hands it to WeChat Pay)');
    merchant = { privateKey: createPrivateKey(pemOf(merchantKey, 'WECHATPAY_MERCHANT_PRIVATE_KEY')), serial: config.WECHATPAY_MERCHANT_SERIAL, notifyUrl: config.WECHATPAY_NOTIFY_URL };
  }
  return { mode: 'wechat', mchid, appid, platformSerial, platformPublicKey, apiV3Key, apiBase: config.WECHATPAY_API_BASE, merchant };
}
