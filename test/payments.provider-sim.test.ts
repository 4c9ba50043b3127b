import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { authorization } from '../src/modules/payments/providers/wechat.client.js';
import { verifySignature } from '../src/modules/payments/providers/wechat.js';
import { ROOT, freePort } from './support/web-server.js';

/**
 * `npm run provider:sim -- serve`: the simulated WeChat Pay as a process of its own, as a
 * person would run it next to a service configured for production with a merchant key.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'xinyi-provider-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run provider:sim -- serve', () => {
  it('listens, prints the variables for the service, verifies the merchant and answers signed; keeps its keys across starts', async () => {
    const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const merchantPem = path.join(dir, 'merchant.pub.pem');
    writeFileSync(merchantPem, merchant.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const keysDir = path.join(dir, 'keys');

    const run = async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/provider-sim.ts', 'serve', '--merchant-public-key', merchantPem, '--merchant-serial', 'MERCHANT01', '--port', String(port), '--keys-dir', keysDir], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: inject('databaseUrl') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      for (let i = 0; i < 200 && !output.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain(`listening at http://127.0.0.1:${port}`);
      return { port, output, stop: async () => (child.kill('SIGTERM'), exited) };
    };

    const first = await run();
    try {
      expect(first.output).toMatch(/WECHATPAY_API_BASE=http:\/\/127\.0\.0\.1:\d+/);
      const serial = /WECHATPAY_PLATFORM_SERIAL=(\w+)/.exec(first.output)![1]!;
      const mchid = /WECHATPAY_MCHID=(\w+)/.exec(first.output)![1]!;
      const appid = /WECHATPAY_APPID=(\w+)/.exec(first.output)![1]!;
      const body = JSON.stringify({ appid, mchid, description: '小区物业费', out_trade_no: 'XYSIM0000001', notify_url: 'https://example.org/n', amount: { total: 100, currency: 'CNY' }, payer: { openid: 'o1' } });
      const url = '/v3/pay/transactions/jsapi';
      const post = (auth: string) => fetch(`http://127.0.0.1:${first.port}${url}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
      const answer = await post(authorization({ mchid, serial: 'MERCHANT01', privateKey: merchant.privateKey }, 'POST', url, body));
      expect(answer.status).toBe(200);
      const bytes = Buffer.from(await answer.arrayBuffer());
      expect(JSON.parse(bytes.toString()).prepay_id).toMatch(/^wx/);
      const platform = createPublicKey(readFileSync(path.join(keysDir, 'platform.pub.pem'), 'utf8'));
      const header = (name: string) => answer.headers.get(name) ?? undefined;
      expect(() =>
        verifySignature({ timestamp: header('wechatpay-timestamp'), nonce: header('wechatpay-nonce'), signature: header('wechatpay-signature'), serial: header('wechatpay-serial') }, bytes, { serial, publicKey: platform, apiV3Key: '' }),
      ).not.toThrow();
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
      expect((await post(authorization({ mchid, serial: 'MERCHANT01', privateKey: other.privateKey }, 'POST', url, body))).status).toBe(401);
    } finally {
      await first.stop();
    }
    // A second start keeps the platform key the service was configured with.
    const second = await run();
    await second.stop();
    expect(/WECHATPAY_PLATFORM_SERIAL=(\w+)/.exec(second.output)![1]).toBe(/WECHATPAY_PLATFORM_SERIAL=(\w+)/.exec(first.output)![1]);
  }, 60_000);
});
