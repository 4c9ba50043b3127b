import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Two ways to play the simulated WeChat Pay.
 *
 * `npm run provider:sim -- <outTradeNo> [--close] [--url http://127.0.0.1:3000]`: the payer at
 * the simulated WeChat Pay cashier of a running service (PAYMENTS_SIMULATED on, the default
 * outside production). It confirms (or, with --close, cancels) the order as the cashier page's
 * button does; the service's in-process simulator then sends its signed, encrypted
 * notification to /v1/payments/wechat/notify, and the order's status tells what came of it.
 * The simulator's keys never leave the service: this script only presses the button.
 *
 * `npm run provider:sim -- serve --merchant-public-key merchant.pub.pem --merchant-serial S
 * [--port 8090] [--keys-dir ./.data/provider-sim]`: the simulated WeChat Pay as a server of its
 * own (src/modules/payments/providers/simulated.server.ts) for a service running as in
 * production with a merchant key: JSAPI prepay, the trade bill, and `POST
 * /simulator/pay/<prepay_id>` for the payer. It keeps its platform key, serial and APIv3 key in
 * --keys-dir (made on first run) and its record of trades in DATABASE_URL's database (the
 * service's, migrated), and prints the variables to start the service with.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.XINYI_URL ?? 'http://127.0.0.1:3000' },
    close: { type: 'boolean', default: false },
    port: { type: 'string', default: '8090' },
    'keys-dir': { type: 'string', default: './.data/provider-sim' },
    'merchant-public-key': { type: 'string' },
    'merchant-serial': { type: 'string' },
  },
});

async function serve(): Promise<void> {
  const { createDatabase } = await import('../src/db/database.js');
  const { startSimulatedProvider } = await import('../src/modules/payments/providers/simulated.server.js');
  const publicKeyFile = values['merchant-public-key'];
  const merchantSerial = values['merchant-serial'];
  if (!publicKeyFile || !merchantSerial || !process.env.DATABASE_URL) {
    process.stderr.write('usage: DATABASE_URL=… npm run provider:sim -- serve --merchant-public-key <pem> --merchant-serial <serial> [--port 8090] [--keys-dir dir]\n');
    process.exit(2);
  }
  const dir = path.resolve(values['keys-dir']!);
  const file = path.join(dir, 'platform.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const stored = {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      serial: randomBytes(20).toString('hex').toUpperCase(),
      apiV3Key: randomBytes(16).toString('hex'),
      mchid: '1900000109',
      appid: 'wxsimulated0000000',
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    writeFileSync(path.join(dir, 'platform.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }).toString());
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { privateKeyPem: string; serial: string; apiV3Key: string; mchid: string; appid: string };
  const privateKey = createPrivateKey(stored.privateKeyPem);
  const keys = { ...stored, privateKey, publicKey: createPublicKey(privateKey) };
  const db = createDatabase(process.env.DATABASE_URL, 2);
  const server = await startSimulatedProvider(
    { db, keys, merchant: { serial: merchantSerial, publicKey: createPublicKey(readFileSync(publicKeyFile, 'utf8')) } },
    Number(values.port),
  );
  process.stdout.write(
    [
      `simulated WeChat Pay listening at ${server.url}`,
      'start the service with:',
      '  PAYMENTS_SIMULATED=0',
      `  WECHATPAY_API_BASE=${server.url}`,
      `  WECHATPAY_MCHID=${keys.mchid}`,
      `  WECHATPAY_APPID=${keys.appid}`,
      `  WECHATPAY_PLATFORM_PUBLIC_KEY=${path.join(dir, 'platform.pub.pem')}`,
      `  WECHATPAY_PLATFORM_SERIAL=${keys.serial}`,
      `  WECHATPAY_APIV3_KEY=${keys.apiV3Key}`,
      `  WECHATPAY_MERCHANT_SERIAL=${merchantSerial}   (and WECHATPAY_MERCHANT_PRIVATE_KEY, WECHATPAY_NOTIFY_URL)`,
      `the payer pays an order: curl -X POST ${server.url}/simulator/pay/<prepay_id from payParams.package>`,
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await server.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

async function press(outTradeNo: string | undefined): Promise<void> {
  if (!outTradeNo || !/^[0-9A-Za-z_|*-]{6,32}$/.test(outTradeNo)) {
    process.stderr.write('usage: npm run provider:sim -- <outTradeNo> [--close] [--url http://127.0.0.1:3000]\n       npm run provider:sim -- serve --help\n');
    process.exit(2);
  }
  const cashier = new URL(`/pay/simulated/${outTradeNo}`, values.url);
  const before = await fetch(cashier);
  if (before.status !== 200) {
    process.stderr.write(`no simulated order ${outTradeNo} at ${cashier.href} (${before.status})\n`);
    process.exit(1);
  }
  const pressed = await fetch(`${cashier.href}/${values.close ? 'close' : 'pay'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: cashier.origin },
    body: '',
    redirect: 'manual',
  });
  if (pressed.status !== 303) {
    process.stderr.write(`the cashier answered ${pressed.status}: ${await pressed.text()}\n`);
    process.exit(1);
  }
  const after = await (await fetch(cashier)).text();
  process.stdout.write(`${values.close ? 'cancelled' : after.includes('已支付') ? 'paid' : 'sent'}: ${outTradeNo} (${cashier.href})\n`);
}

if (positionals[0] === 'serve') await serve();
else await press(positionals[0]);
