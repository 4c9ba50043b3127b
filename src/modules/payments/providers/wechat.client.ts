import { createHash, createSign, randomBytes, type KeyObject } from 'node:crypto';
import { AppError } from '../../../shared/errors.js';
import { verifySignature, type NotificationKeys } from './wechat.js';

/**
 * The merchant's side of WeChat Pay API v3, with node:crypto only, as the official Go SDK
 * (wechatpay-apiv3/wechatpay-go) does it:
 * - every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
 *   timestamp="…",serial_no="…",signature="…"`, the signature RSA-SHA256 with the merchant's
 *   private key over `METHOD\nURL\ntimestamp\nnonce\nbody\n` (URL: path and query), as in
 *   `core/auth/credentials/wechat_pay_credential.go`;
 * - every answer is verified with the platform key (`Wechatpay-*` headers over
 *   `timestamp\nnonce\nbody\n`), as `core/auth/validators/wechat_pay_response_validator.go`
 *   does, except a bill file's download, which is checked against the hash the signed
 *   tradebill answer gave;
 * - the JSAPI invoke's parameters are `{appId, timeStamp, nonceStr, package:"prepay_id=…",
 *   signType:"RSA", paySign}`, paySign over `appId\ntimeStamp\nnonceStr\npackage\n`, as
 *   `services/payments/jsapi/api_jsapi_request_payment.go` builds them.
 */
export interface MerchantKey {
  mchid: string;
  serial: string;
  privateKey: KeyObject;
}

export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface PrepayRequest {
  outTradeNo: string;
  description: string;
  amountFen: number;
  openid: string;
}

/** How long a call to the provider may take before it counts as not answering. */
export const PROVIDER_TIMEOUT_MS = 5_000;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const nonce = (length = 32) => [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');

function rsaSign(message: string, key: KeyObject): string {
  const signer = createSign('RSA-SHA256');
  signer.update(message);
  return signer.sign(key, 'base64');
}

/** The message a merchant request's signature covers. */
export const requestMessage = (method: string, url: string, timestamp: string, nonceStr: string, body: string) => `${method}\n${url}\n${timestamp}\n${nonceStr}\n${body}\n`;

export function authorization(merchant: MerchantKey, method: string, url: string, body: string, timestamp = String(Math.floor(Date.now() / 1000)), nonceStr = nonce()): string {
  const signature = rsaSign(requestMessage(method, url, timestamp, nonceStr, body), merchant.privateKey);
  return `WECHATPAY2-SHA256-RSA2048 mchid="${merchant.mchid}",nonce_str="${nonceStr}",timestamp="${timestamp}",serial_no="${merchant.serial}",signature="${signature}"`;
}

/** The fields of an Authorization header, or null when it is not WeChat Pay's. */
export function parseAuthorization(header: string | undefined): Record<'mchid' | 'nonce_str' | 'timestamp' | 'serial_no' | 'signature', string> | null {
  const m = /^WECHATPAY2-SHA256-RSA2048 (.*)$/.exec(header ?? '');
  if (!m) return null;
  const fields = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((f) => [f[1]!, f[2]!]));
  const { mchid, nonce_str, timestamp, serial_no, signature } = fields;
  if (!mchid || !nonce_str || !timestamp || !serial_no || !signature) return null;
  return { mchid, nonce_str, timestamp, serial_no, signature };
}

/** The JSAPI invoke's parameters for a prepay session, signed afresh. */
export function requestPayment(appid: string, prepayId: string, merchant: Pick<MerchantKey, 'privateKey'>, now = Date.now()): JsapiPayParams {
  const timeStamp = String(Math.floor(now / 1000));
  const nonceStr = nonce();
  const pkg = `prepay_id=${prepayId}`;
  return { appId: appid, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign: rsaSign(`${appid}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, merchant.privateKey) };
}

const unavailable = (detail: string) => new AppError('unavailable', detail, { 'retry-after': '30' });

export interface WechatClientOptions {
  apiBase: string;
  appid: string;
  notifyUrl: string;
  merchant: MerchantKey;
  /** The platform key that signs the provider's answers (the APIv3 key is not needed here). */
  platform: Pick<NotificationKeys, 'serial' | 'publicKey'>;
  timeoutMs?: number;
}

/** WeChat Pay's merchant API: JSAPI prepay and the trade bill. Every failure is a typed AppError. */
export function createWechatClient(options: WechatClientOptions) {
  const base = new URL(options.apiBase);
  const timeoutMs = options.timeoutMs ?? PROVIDER_TIMEOUT_MS;

  /** A signed call; answers the raw response with its body read, or throws `unavailable`. */
  async function call(method: 'GET' | 'POST', target: URL, body = '') {
    const url = `${target.pathname}${target.search}`;
    let response: Response;
    let bytes: Buffer;
    try {
      response = await fetch(target, {
        method,
        headers: {
          accept: 'application/json',
          authorization: authorization(options.merchant, method, url, body),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          'user-agent': 'xinyi-ledger',
        },
        ...(method === 'POST' ? { body } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw unavailable(timedOut ? `WeChat Pay did not answer within ${timeoutMs / 1000} s` : `WeChat Pay could not be reached (${(error as Error).message})`);
    }
    return { response, bytes };
  }

  /** The answer's signature, checked with the platform key; a forged answer is the provider failing. */
  function verified(response: Response, bytes: Buffer): void {
    try {
      verifySignature(
        {
          timestamp: response.headers.get('wechatpay-timestamp') ?? undefined,
          nonce: response.headers.get('wechatpay-nonce') ?? undefined,
          signature: response.headers.get('wechatpay-signature') ?? undefined,
          serial: response.headers.get('wechatpay-serial') ?? undefined,
        },
        bytes,
        { ...options.platform, apiV3Key: '' },
      );
    } catch (error) {
      throw unavailable(`WeChat Pay's answer does not verify: ${(error as Error).message}`);
    }
  }

  function json(bytes: Buffer): Record<string, unknown> {
    try {
      const parsed: unknown = JSON.parse(bytes.toString('utf8'));
      if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
    } catch {
      // Falls through to the refusal below.
    }
    throw unavailable('WeChat Pay answered something other than JSON');
  }

  function refused(status: number, bytes: Buffer): AppError {
    let code = '';
    let message = '';
    try {
      ({ code = '', message = '' } = JSON.parse(bytes.toString('utf8')) as { code?: string; message?: string });
    } catch {
      // No problem body: the status says it.
    }
    if (code === 'NO_STATEMENT_EXIST' || code === 'STATEMENT_CREATING') {
      return new AppError('invalid_state', `WeChat Pay has no bill for that day yet (${code}): bills are ready the next day, after 10:00 Beijing time`);
    }
    return unavailable(`WeChat Pay refused the request (${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''})`);
  }

  return {
    /** JSAPI prepay: the prepay_id of a new payment session for the order. */
    async prepay(request: PrepayRequest): Promise<string> {
      const body = JSON.stringify({
        appid: options.appid,
        mchid: options.merchant.mchid,
        description: request.description,
        out_trade_no: request.outTradeNo,
        notify_url: options.notifyUrl,
        amount: { total: request.amountFen, currency: 'CNY' },
        payer: { openid: request.openid },
      });
      const { response, bytes } = await call('POST', new URL('/v3/pay/transactions/jsapi', base), body);
      if (response.status !== 200) throw refused(response.status, bytes);
      verified(response, bytes);
      const prepayId = json(bytes).prepay_id;
      if (typeof prepayId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(prepayId)) throw unavailable('WeChat Pay answered the prepay without a prepay_id');
      return prepayId;
    },

    /** The trade bill (ALL) of a Beijing day, as the CSV text the provider serves. */
    async tradeBill(billDate: string): Promise<string> {
      const apply = new URL('/v3/bill/tradebill', base);
      apply.search = new URLSearchParams({ bill_date: billDate, bill_type: 'ALL' }).toString();
      const { response, bytes } = await call('GET', apply);
      if (response.status !== 200) throw refused(response.status, bytes);
      verified(response, bytes);
      const { download_url: downloadUrl, hash_type: hashType, hash_value: hashValue } = json(bytes);
      if (typeof downloadUrl !== 'string' || hashType !== 'SHA1' || typeof hashValue !== 'string') throw unavailable('WeChat Pay answered the bill without a download_url and its SHA1');
      const download = new URL(downloadUrl);
      // Our signed Authorization goes to the provider only.
      if (download.origin !== base.origin) throw unavailable(`WeChat Pay named a bill download elsewhere (${download.origin})`);
      const file = await call('GET', download);
      if (file.response.status !== 200) throw refused(file.response.status, file.bytes);
      if (createHash('sha1').update(file.bytes).digest('hex') !== hashValue.toLowerCase()) throw unavailable("The downloaded bill does not match WeChat Pay's SHA1");
      return file.bytes.toString('utf8');
    },
  };
}

export type WechatClient = ReturnType<typeof createWechatClient>;
