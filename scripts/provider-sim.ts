import { parseArgs } from 'node:util';

/**
 * `npm run provider:sim -- <outTradeNo> [--close] [--url http://127.0.0.1:3000]`: the payer at
 * the simulated WeChat Pay cashier of a running service (PAYMENTS_SIMULATED on, the default
 * outside production). It confirms (or, with --close, cancels) the order as the cashier page's
 * button does; the service's in-process simulator then sends its signed, encrypted
 * notification to /v1/payments/wechat/notify, and the order's status tells what came of it.
 * The simulator's keys never leave the service: this script only presses the button.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: 'string', default: process.env.XINYI_URL ?? 'http://127.0.0.1:3000' }, close: { type: 'boolean', default: false } },
});
const outTradeNo = positionals[0];
if (!outTradeNo || !/^[0-9A-Za-z_|*-]{6,32}$/.test(outTradeNo)) {
  process.stderr.write('usage: npm run provider:sim -- <outTradeNo> [--close] [--url http://127.0.0.1:3000]\n');
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
