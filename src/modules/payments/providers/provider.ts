import type { Executor } from '../../../db/database.js';
import type { PaymentSettings } from '../payments.settings.js';
import type { PaymentsTables } from '../payments.tables.js';
import { simulatedTradeBill, type SimulatorKeys } from './simulated.js';
import { createWechatClient, requestPayment, type JsapiPayParams, type PrepayRequest } from './wechat.client.js';

/**
 * What the payments service asks of a provider, whichever it is. A capability the provider
 * does not have here is null, and the service says so to the caller:
 * - `prepay`: the real WeChat Pay with a merchant key (JSAPI); the simulator opens orders at
 *   its cashier instead, and without a merchant key nothing is called;
 * - `tradeBill`: a Beijing day's trade bill as the provider's CSV, from the real WeChat Pay
 *   with a merchant key, or from the in-process simulator's own record.
 */
export interface PaymentProvider {
  prepay: ((request: PrepayRequest) => Promise<string>) | null;
  payParams: ((prepayId: string) => JsapiPayParams) | null;
  tradeBill: ((billDate: string) => Promise<string>) | null;
}

export function providerFor(settings: PaymentSettings, db: Executor<PaymentsTables>, simulatorKeys: () => Promise<SimulatorKeys>): PaymentProvider {
  if (settings.mode === 'simulated') {
    return { prepay: null, payParams: null, tradeBill: async (billDate) => simulatedTradeBill(db, (await simulatorKeys()).mchid, billDate) };
  }
  if (settings.mode === 'off' || !settings.merchant) return { prepay: null, payParams: null, tradeBill: null };
  const merchant = { mchid: settings.mchid, serial: settings.merchant.serial, privateKey: settings.merchant.privateKey };
  const client = createWechatClient({
    apiBase: settings.apiBase,
    appid: settings.appid,
    notifyUrl: settings.merchant.notifyUrl,
    merchant,
    platform: { serial: settings.platformSerial, publicKey: settings.platformPublicKey },
  });
  return { prepay: client.prepay, payParams: (prepayId) => requestPayment(settings.appid, prepayId, merchant), tradeBill: client.tradeBill };
}
