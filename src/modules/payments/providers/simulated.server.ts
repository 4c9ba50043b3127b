import { createHash, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Executor } from '../../../db/database.js';
import type { PaymentsTables } from '../payments.tables.js';
import { notificationFor, recordSimulatedTrade, signBody, simulatedTransaction, simulatedTradeBill, type SimulatorKeys } from './simulated.js';
import { parseAuthorization, requestMessage } from './wechat.client.js';
import { CLOCK_SKEW_SECONDS } from './wechat.js';

/**
 * The simulated WeChat Pay as a server of its own, at an address WECHATPAY_API_BASE can name:
 * the service talks to it exactly as to api.mch.weixin.qq.com, and it checks the merchant as
 * the provider does. It serves
 * - `POST /v3/pay/transactions/jsapi`: JSAPI prepay, the merchant's signature verified with
 *   the merchant's public key, the order's fields checked; answers `{prepay_id}`, signed;
 * - `GET /v3/bill/tradebill?bill_date=&bill_type=ALL` and the `download_url` it names: the
 *   day's trade bill from its own record of completed transactions;
 * - `POST /simulator/pay/<prepay_id>`: the payer confirming in WeChat. It records the
 *   transaction, then sends the signed, encrypted notification to the order's notify_url and
 *   answers what that said.
 * Its answers are signed with the platform key, as the real provider's are. `behaviour` lets a
 * test make it fail (`'fail'`: 500 to every API call) or fall silent (`'silent'`: never answers).
 */
export interface SimulatedServerOptions {
  db: Executor<PaymentsTables>;
  /** The platform's keys and the merchant it serves. */
  keys: SimulatorKeys;
  /** The merchant's API certificate: its public key and serial. */
  merchant: { serial: string; publicKey: KeyObject };
}

interface Prepay {
  outTradeNo: string;
  totalFen: number;
  openid: string;
  notifyUrl: string;
  description: string;
}

export interface SimulatedServer {
  url: string;
  behaviour: 'normal' | 'fail' | 'silent';
  prepays: Map<string, Prepay>;
  /** The payer pays a prepay session: records the trade and notifies; answers the notification's status. */
  pay(prepayId: string, options?: { notify?: boolean; amountFen?: number }): Promise<{ transactionId: string; notifyStatus: number | null }>;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSimulatedProvider(options: SimulatedServerOptions, port = 0, host = '127.0.0.1'): Promise<SimulatedServer> {
  const { keys, merchant, db } = options;
  const prepays = new Map<string, Prepay>();
  const bills = new Map<string, Buffer>();
  const hanging = new Set<ServerResponse>();

  const send = (response: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    response.writeHead(status, { ...signBody(body, keys), 'content-type': 'application/json' });
    response.end(body);
  };
  const problem = (response: ServerResponse, status: number, code: string, message: string) => send(response, status, { code, message });

  /** The merchant's signature over this very request, as the provider checks it. */
  function authorized(request: IncomingMessage, body: string): string | null {
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth) return 'Authorization is not WECHATPAY2-SHA256-RSA2048';
    if (auth.mchid !== keys.mchid) return 'mchid is not this merchant';
    if (auth.serial_no !== merchant.serial) return 'serial_no names no certificate of this merchant';
    if (!/^\d{1,12}$/.test(auth.timestamp) || Math.abs(Date.now() / 1000 - Number(auth.timestamp)) > CLOCK_SKEW_SECONDS) return 'timestamp is more than 5 minutes off';
    const verifier = createVerify('RSA-SHA256');
    verifier.update(requestMessage(request.method ?? '', request.url ?? '', auth.timestamp, auth.nonce_str, body));
    try {
      return verifier.verify(merchant.publicKey, auth.signature, 'base64') ? null : 'signature does not verify';
    } catch {
      return 'signature does not verify';
    }
  }

  async function jsapi(response: ServerResponse, body: string) {
    let order: Record<string, any>;
    try {
      order = JSON.parse(body) as Record<string, any>;
    } catch {
      return problem(response, 400, 'PARAM_ERROR', 'body is not JSON');
    }
    const totalFen = order.amount?.total;
    if (order.appid !== keys.appid || order.mchid !== keys.mchid) return problem(response, 400, 'APPID_MCHID_NOT_MATCH', 'appid and mchid do not match');
    if (typeof order.out_trade_no !== 'string' || !/^[0-9A-Za-z_|*-]{6,32}$/.test(order.out_trade_no)) return problem(response, 400, 'PARAM_ERROR', 'out_trade_no');
    if (!Number.isSafeInteger(totalFen) || totalFen <= 0) return problem(response, 400, 'PARAM_ERROR', 'amount.total');
    if (typeof order.payer?.openid !== 'string' || !order.payer.openid) return problem(response, 400, 'PARAM_ERROR', 'payer.openid');
    if (typeof order.notify_url !== 'string' || !/^https?:\/\//.test(order.notify_url)) return problem(response, 400, 'PARAM_ERROR', 'notify_url');
    if (typeof order.description !== 'string' || !order.description) return problem(response, 400, 'PARAM_ERROR', 'description');
    const prepayId = `wx${Date.now().toString(36)}${randomBytes(12).toString('hex')}`;
    prepays.set(prepayId, { outTradeNo: order.out_trade_no, totalFen, openid: order.payer.openid, notifyUrl: order.notify_url, description: order.description });
    return send(response, 200, { prepay_id: prepayId });
  }

  async function tradebill(url: URL, response: ServerResponse) {
    const billDate = url.searchParams.get('bill_date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(billDate)) return problem(response, 400, 'PARAM_ERROR', 'bill_date');
    if (!['ALL', 'SUCCESS', null].includes(url.searchParams.get('bill_type'))) return problem(response, 400, 'PARAM_ERROR', 'bill_type');
    const bytes = Buffer.from(await simulatedTradeBill(db, keys.mchid, billDate), 'utf8');
    const token = randomBytes(16).toString('hex');
    bills.set(token, bytes);
    return send(response, 200, { hash_type: 'SHA1', hash_value: createHash('sha1').update(bytes).digest('hex'), download_url: `${server.url}/v3/billdownload/file?token=${token}` });
  }

  async function pay(prepayId: string, payOptions: { notify?: boolean; amountFen?: number } = {}) {
    const prepay = prepays.get(prepayId);
    if (!prepay) throw new Error(`no prepay ${prepayId}`);
    const transaction = simulatedTransaction(keys, prepay.outTradeNo, payOptions.amountFen ?? prepay.totalFen);
    const trade = await recordSimulatedTrade(db, transaction, { openid: prepay.openid, description: prepay.description });
    if (payOptions.notify === false) return { transactionId: trade.transaction_id, notifyStatus: null };
    const notification = notificationFor({ ...transaction, transaction_id: trade.transaction_id }, keys);
    const answer = await fetch(prepay.notifyUrl, { method: 'POST', headers: notification.headers, body: notification.body });
    return { transactionId: trade.transaction_id, notifyStatus: answer.status };
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const body = await bodyOf(request);
    if (request.method === 'POST' && url.pathname.startsWith('/simulator/pay/')) {
      const result = await pay(decodeURIComponent(url.pathname.slice('/simulator/pay/'.length)));
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify(result));
    }
    if (self.behaviour === 'silent') {
      hanging.add(response);
      return;
    }
    if (self.behaviour === 'fail') return problem(response, 500, 'SYSTEM_ERROR', 'the simulated provider is failing on purpose');
    const refusal = authorized(request, body);
    if (refusal) return problem(response, 401, 'SIGN_ERROR', refusal);
    if (request.method === 'POST' && url.pathname === '/v3/pay/transactions/jsapi') return jsapi(response, body);
    if (request.method === 'GET' && url.pathname === '/v3/bill/tradebill') return tradebill(url, response);
    if (request.method === 'GET' && url.pathname === '/v3/billdownload/file') {
      const bytes = bills.get(url.searchParams.get('token') ?? '');
      if (!bytes) return problem(response, 404, 'RESOURCE_NOT_EXISTS', 'no such bill');
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      return response.end(bytes);
    }
    return problem(response, 404, 'NOT_FOUND', 'no such API');
  }

  const server: Server & { url?: string } = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) problem(response, 500, 'SYSTEM_ERROR', (error as Error).message);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  server.url = `http://${host}:${address.port}`;

  const self: SimulatedServer = {
    url: server.url,
    behaviour: 'normal',
    prepays,
    pay,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}
