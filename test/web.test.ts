import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import { TEST_ADMIN_PASSWORD } from './support/constants.js';
import { seedDemo, type Demo, type DemoPerson } from './support/web.js';
import { buildWebIfStale, launchChromium, ROOT, SCREENSHOTS, startServer, type RunningServer } from './support/web-server.js';

/**
 * 信义家 in real Chromium against a real server process: each role's story, the session
 * cookie and its CSRF rules, and axe-core's WCAG 2 AA rules on every screen.
 */
let server: RunningServer;
let browser: Browser;
let demo: Demo;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  buildWebIfStale();
  server = await startServer(inject('databaseUrl'));
  [browser, demo] = await Promise.all([launchChromium(), seedDemo(server.base, TEST_ADMIN_PASSWORD)]);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

async function newPage(width = 390): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 844 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

async function signIn(person: DemoPerson, width = 390): Promise<Page> {
  const page = await newPage(width);
  await page.goto(`${server.base}/`);
  await page.getByLabel('用户名').fill(person.username);
  await page.getByLabel('密码', { exact: true }).fill(person.password);
  await page.getByLabel('密码', { exact: true }).press('Enter');
  await page.locator('.topbar').waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `web-${name}.png`), fullPage: true });

async function fundBalance(token: string): Promise<string> {
  return (await demo.call(token, 'GET', `/v1/communities/${demo.communityId}/fund`)).body.balance;
}

const yuan = (amount: string) => `¥${amount.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;

describe('信义家 in a browser', () => {
  it('shows the sign-in form the contract names, and an owner sees the same balance as /fund', async () => {
    const page = await newPage();
    await page.goto(`${server.base}/budget`);
    await expect.poll(() => page.locator('input[name="username"]').count()).toBe(1);
    expect(await page.locator('input[name="password"]').getAttribute('type')).toBe('password');
    expect(await page.getByRole('button', { name: '登录' }).count()).toBe(1);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toContain('width=device-width');
    await shot(page, 'sign-in');

    const owner = await signIn(demo.owner);
    const token = await demo.login(demo.owner);
    const balance = await fundBalance(token);
    await expect.poll(() => owner.getByTestId('balance').textContent()).toBe(yuan(balance));
    await owner.getByText('账本校验通过').waitFor();
    const tabs = await owner.getByRole('navigation', { name: '主导航' }).getByRole('link').allTextContents();
    expect(tabs).toEqual(['首页', '收支明细', '年度预算', '物业费', '支出', '我的房屋']);
    await shot(owner, 'owner-home');
  });

  it('我的房屋 only for members who hold a unit, 待我审批 only for co-signers; seven tabs still fit 360 px', async () => {
    const root = await demo.login({ username: 'admin', password: TEST_ADMIN_PASSWORD });
    const unitless = { username: `owner_nounit_${Date.now()}`, password: 'pw-no-unit-here-1', displayName: '赵无房' };
    const added = await demo.call(root, 'POST', `/v1/communities/${demo.communityId}/members`, { ...unitless, roles: ['owner'] });
    expect(added.status).toBe(201);
    const tabsOf = (page: Page) => page.getByRole('navigation', { name: '主导航' }).getByRole('link').allTextContents();
    const owner = await signIn({ ...unitless, id: added.body.id }, 360);
    expect(await tabsOf(owner)).toEqual(['首页', '收支明细', '年度预算', '物业费', '支出']);

    const cosignerOwner = await signIn(demo.cosigners[0], 360);
    expect(await tabsOf(cosignerOwner)).toEqual(['首页', '收支明细', '年度预算', '物业费', '支出', '我的房屋', '待我审批']);
    const overflow = await cosignerOwner.evaluate(`({
      page: document.documentElement.scrollWidth,
      clipped: [...document.querySelectorAll('nav.tabs a')].filter((a) => a.scrollWidth > a.clientWidth).map((a) => a.textContent),
    })`);
    expect(overflow).toEqual({ page: 360, clipped: [] });
    // The viewport, not the full page: the fixed tab bar where a phone shows it.
    await cosignerOwner.screenshot({ path: path.join(SCREENSHOTS, 'web-tabs-seven-360.png') });
  });

  it('an income recorded through the API appears on the open page within seconds, without reload', async () => {
    const page = await signIn(demo.owner);
    await page.getByText('实时更新中').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const manager = await demo.login(demo.manager);
    const recorded = await demo.call(manager, 'POST', `/v1/communities/${demo.communityId}/income`, {
      category: 'advertising',
      amount: '8888.88',
      payer: '社区团购 广告位',
    });
    expect(recorded.status).toBe(201);
    const balance = await fundBalance(manager);
    await page.locator('.feed-item', { hasText: '¥8,888.88' }).first().waitFor({ timeout: 5_000 });
    await expect.poll(() => page.getByTestId('balance').textContent(), { timeout: 5_000 }).toBe(yuan(balance));
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('after an outage the open page reconnects by itself, on the same session, and misses nothing', async () => {
    const page = await signIn(demo.owner);
    await page.getByText('实时更新中').waitFor();
    const port = Number(new URL(server.base).port);
    await server.stop();
    await page.getByText('连接中…').waitFor({ timeout: 5_000 });
    const manager = await demo.login(demo.manager).catch(() => undefined);
    expect(manager).toBeUndefined();
    // Another process (here: the same code restarted) serves the session: nothing lived in memory.
    server = await startServer(inject('databaseUrl'), {}, port);
    const token = await demo.login(demo.manager);
    const recorded = await demo.call(token, 'POST', `/v1/communities/${demo.communityId}/income`, {
      category: 'parking',
      amount: '321.09',
      payer: '重启之后的停车费',
    });
    expect(recorded.status).toBe(201);
    await page.locator('.feed-item', { hasText: '¥321.09' }).first().waitFor({ timeout: 15_000 });
    await page.getByText('实时更新中').waitFor();
    expect(await page.locator('.feed-item', { hasText: '¥321.09' }).count()).toBe(1);
  });

  it('a co-signer approves on the request page, seeing what the key signs, and the API shows the key', async () => {
    const cosigner = demo.cosigners[0];
    const page = await signIn(cosigner);
    await page.goto(`${server.base}/track/${demo.pendingRequest.trackingNo}`);
    await page.getByText('壹仟贰佰捌拾元伍角整').waitFor();
    await page.getByText(demo.pendingRequest.digest).waitFor();
    await page.getByText('明亮照明工程部').first().waitFor();
    expect(await page.locator('.steps').textContent()).toContain('审批 0/2');
    await shot(page, 'cosigner-approve');
    await page.getByLabel('签名密码').fill(cosigner.signingPassword!);
    await page.getByRole('button', { name: '批准' }).click();
    await expect.poll(() => page.locator('.steps').textContent(), { timeout: 5_000 }).toContain('审批 1/2');
    const token = await demo.login(cosigner);
    const request = await demo.call(token, 'GET', `/v1/communities/${demo.communityId}/spend-requests/${demo.pendingRequest.id}`);
    expect(request.body.approvals.map((a: { by: string }) => a.by)).toEqual([cosigner.id]);
    expect(request.body.timeline.map((t: { event: string }) => t.event)).toContain('key');
    await shot(page, 'cosigner-approved');
  });

  it('an owner cannot reach co-signer or manager actions, and the server refuses them too', async () => {
    const page = await signIn(demo.owner);
    await page.goto(`${server.base}/track/${demo.pendingRequest.trackingNo}`);
    await page.locator('.steps').waitFor();
    expect(await page.getByLabel('签名密码').count()).toBe(0);
    expect(await page.getByRole('button', { name: '批准' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: '驳回' }).count()).toBe(0);
    await page.goto(`${server.base}/record-income`);
    await page.getByText('您的身份不能记录公共收益').waitFor();

    // The page hides the buttons; the API is the guard. Even with the CSRF token, roles decide.
    const refused = await page.evaluate(
      async ({ cid, id, digest }) => {
        const me = (await (await fetch('/v1/me')).json()) as { csrfToken: string };
        const post = (url: string, body: unknown) =>
          fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify(body) }).then(
            async (r) => [r.status, ((await r.json()) as { code: string }).code],
          );
        return [
          await post(`/v1/communities/${cid}/spend-requests/${id}/approvals`, { signingPassword: 'guess-guess-guess', digest }),
          await post(`/v1/communities/${cid}/income`, { category: 'parking', amount: '1.00', payer: 'x' }),
        ];
      },
      { cid: demo.communityId, id: demo.pendingRequest.id, digest: demo.pendingRequest.digest },
    );
    expect(refused).toEqual([
      [403, 'forbidden'],
      [403, 'forbidden'],
    ]);
  });

  it('a POST with the session cookie but without our Origin or the CSRF token is 403 and changes nothing', async () => {
    const signin = await fetch(`${server.base}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.base },
      body: JSON.stringify({ username: demo.manager.username, password: demo.manager.password }),
    });
    expect(signin.status).toBe(204);
    const setCookie = signin.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^xinyi_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const cookie = setCookie.split(';')[0]!;
    const me = (await (await fetch(`${server.base}/v1/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // /v1/auth/login stays bearer-only: a cookie changes nothing there.
    const bearerOnly = await fetch(`${server.base}/v1/auth/login`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(((await bearerOnly.json()) as { code: string }).code).toBe('validation_failed');

    const manager = await demo.login(demo.manager);
    const before = await fundBalance(manager);
    const income = JSON.stringify({ category: 'parking', amount: '50.00', payer: '月租车位' });
    const attempt = (headers: Record<string, string>) =>
      fetch(`${server.base}/v1/communities/${demo.communityId}/income`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: income,
      });
    const refusals: Record<string, string>[] = [
      {},
      { 'x-csrf-token': me.csrfToken },
      { origin: server.base },
      // One character off (never the same: a token ending in A gets a B).
      { origin: server.base, 'x-csrf-token': `${me.csrfToken.slice(0, -1)}${me.csrfToken.endsWith('A') ? 'B' : 'A'}` },
      { origin: 'http://evil.example', 'x-csrf-token': me.csrfToken },
      { origin: server.base, 'x-csrf-token': me.csrfToken, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of refusals) {
      const reply = await attempt(headers);
      expect(reply.status, JSON.stringify(headers)).toBe(403);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
      expect(((await reply.json()) as { code: string }).code).toBe('forbidden');
    }
    expect(await fundBalance(manager)).toBe(before);
    expect((await attempt({ origin: server.base, 'x-csrf-token': me.csrfToken })).status).toBe(201);

    // Signing in from another site's form is refused too.
    const foreign = await fetch(`${server.base}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ username: demo.manager.username, password: demo.manager.password }),
    });
    expect(foreign.status).toBe(403);
  });

  it('a stale, tampered, foreign or signed-out session gets the sign-in form', async () => {
    const page = await signIn(demo.supervisor);
    const context = page.context();
    const [session] = await context.cookies();
    expect(session).toMatchObject({ name: 'xinyi_session', httpOnly: true, sameSite: 'Strict' });

    const showsSignIn = async (value: string) => {
      await context.clearCookies();
      await context.addCookies([{ name: 'xinyi_session', value, url: server.base }]);
      await page.goto(`${server.base}/spend-requests`);
      await page.getByRole('button', { name: '登录' }).waitFor({ timeout: 5_000 });
    };
    await showsSignIn(`${session!.value.slice(0, -2)}xy`); // tampered
    await showsSignIn('Zm9yZWlnbi1zZXNzaW9uLWZyb20tZWxzZXdoZXJlLXg'); // issued by no one here
    await showsSignIn('not a session');

    const db = createDatabase(inject('databaseUrl'), 1);
    try {
      const stale = await signIn(demo.supervisor);
      const [cookie] = await stale.context().cookies();
      const csrf = await stale.evaluate(async () => ((await (await fetch('/v1/me')).json()) as { csrfToken: string }).csrfToken);
      // A month later: past both the idle and the absolute lifetime.
      await sql`UPDATE web_sessions SET created_at = now() - interval '31 days', last_seen_at = now() - interval '8 days',
                expires_at = now() - interval '1 day' WHERE csrf_token = ${csrf}`.execute(db);
      await stale.goto(`${server.base}/fees`);
      await stale.getByRole('button', { name: '登录' }).waitFor({ timeout: 5_000 });
      expect(cookie?.value).toBeTruthy();
    } finally {
      await db.destroy();
    }

    const out = await signIn(demo.supervisor);
    const [before] = await out.context().cookies();
    await out.getByRole('button', { name: '退出' }).click();
    await out.getByRole('button', { name: '登录' }).waitFor();
    const replayed = await fetch(`${server.base}/v1/me`, { headers: { cookie: `xinyi_session=${before!.value}` } });
    expect(replayed.status).toBe(401);
  });

  it('serves the app from the same origin: index.html uncached, hashed assets cached for a year and compressed; /v1 stays JSON', async () => {
    const index = await fetch(`${server.base}/track/XY-2026-1-000001`, { headers: { 'accept-encoding': 'br' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const asset = await fetch(server.base + script, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.headers.get('cache-control')).toContain('max-age=31536000');
    expect(asset.headers.get('content-encoding')).toBe('br');
    const missing = await fetch(`${server.base}/v1/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(readFileSync(path.join(ROOT, 'dist/web/index.html'), 'utf8')).toContain('<html lang="zh-CN">');
  });

  it('a manager records income and submits a request from the app', async () => {
    const page = await signIn(demo.manager);
    await page.goto(`${server.base}/record-income`);
    await page.getByLabel('收益类别').selectOption('leasing');
    await page.getByLabel('金额（元）').fill('2400.5');
    await page.getByText('贰仟肆佰元伍角整').waitFor();
    await page.getByLabel('付款方').fill('小区门口早餐摊位');
    await page.getByRole('button', { name: '确认入账' }).click();
    await page.getByText('已入账').waitFor();
    await page.getByText('¥2,400.50').first().waitFor();

    await page.goto(`${server.base}/submit-request`);
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByText('请修改以下内容').waitFor();
    await shot(page, 'manager-submit-errors');
    await page.getByLabel('支出事项').fill('2号楼单元门禁维修');
    await page.getByLabel('金额（元）').fill('650');
    await page.getByLabel('支出科目').selectOption('5105');
    await page.getByLabel('收款方', { exact: true }).fill('安居门禁服务部');
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.waitForURL(/\/track\/XY-/);
    await page.getByText('2号楼单元门禁维修').first().waitFor();
    expect(await page.locator('.steps').textContent()).toContain('审批 0/2');
  });

  it('首页 reads the latest 20 feed items once; 收支明细 pages newest first and asks the server for the month; the notice reads that month only', async () => {
    const page = await newPage();
    const feedReads: string[] = [];
    const entryReads: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/feed')) feedReads.push(url.search);
      if (url.pathname.endsWith('/entries')) entryReads.push(url.search);
    });
    await page.goto(`${server.base}/`);
    await page.getByLabel('用户名').fill(demo.owner.username);
    await page.getByLabel('密码', { exact: true }).fill(demo.owner.password);
    await page.getByLabel('密码', { exact: true }).press('Enter');
    await page.getByText('实时更新中').waitFor();
    expect(feedReads).toEqual(['?order=desc&limit=20']);
    const latest = (await demo.call(await demo.login(demo.owner), 'GET', `/v1/communities/${demo.communityId}/feed?order=desc&limit=20`)).body;
    expect(await page.locator('.feed-item').count()).toBe(latest.items.length);

    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    await page.getByRole('link', { name: '收支明细', exact: true }).click();
    await page.locator('.entry').first().waitFor();
    expect(entryReads).toContain('?order=desc&limit=50');
    const newest = await page.locator('.entry .small').first().textContent();
    const head = (await demo.call(await demo.login(demo.owner), 'GET', `/v1/communities/${demo.communityId}/fund`)).body.ledgerHead.seq;
    expect(newest).toContain(`第 ${head} 笔`);
    const [y, m] = month.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    entryReads.length = 0;
    await page.getByLabel('月份').selectOption(month);
    await expect.poll(() => entryReads).toContain(`?order=desc&limit=50&from=${month}-01&to=${month}-${last}`);
    await page.locator('.entry').first().waitFor();
    await page.getByRole('button', { name: '支出', exact: true }).click();
    await page.locator('.entry', { hasText: '3号楼电梯年度维保' }).waitFor();
    await shot(page, 'entries-month-out');

    entryReads.length = 0;
    await page.goto(`${server.base}/notice/${demo.communityId}/${month}`);
    await page.getByText('扫码查看实时账本').waitFor();
    expect(entryReads.length).toBeGreaterThan(0);
    for (const read of entryReads) expect(read).toContain(`from=${month}-01&to=${month}-${last}`);
  });

  it('a manager drafts the year budget line by line, with errors next to the field and in a summary', async () => {
    const page = await signIn(demo.manager);
    await page.getByRole('link', { name: '编制年度预算' }).click();
    await page.getByRole('heading', { name: '编制年度预算' }).waitFor();
    const year = new Date().getFullYear() + 1;
    await page.getByLabel('预算年度').selectOption(String(year));
    await page.getByText('本年度还没有预算').waitFor();
    await page.getByRole('button', { name: '保存预算草案' }).click();
    await page.getByText('请修改以下内容').waitFor();
    await page.getByLabel('5102 保洁').fill('36,000');
    await page.getByLabel('5107 电梯维保').fill('12000.555');
    await page.getByRole('button', { name: '保存预算草案' }).click();
    await page.locator('.error-summary a', { hasText: '保洁' }).waitFor();
    expect(await page.locator('.field-error').count()).toBe(2);
    expect(await page.locator('#budget-line-5102-error').textContent()).toContain('保洁');
    await shot(page, 'draft-budget-errors');
    await page.locator('.error-summary a', { hasText: '电梯维保' }).click();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('budget-line-5107');

    await page.getByLabel('5102 保洁').fill('38000');
    await page.getByLabel('5107 电梯维保').fill('12000.5');
    await page.getByLabel('4101 停车收益').fill('160000');
    await page.getByLabel('5199 其他支出').fill('0');
    await expect.poll(() => page.locator('.budget-total').first().textContent()).toContain('¥50,000.50');
    await page.getByRole('button', { name: '保存预算草案' }).click();
    await page.getByText(`已保存 ${year} 年度预算第 1 版草案`).waitFor();
    await shot(page, 'draft-budget-saved');
    const budget = (await demo.call(await demo.login(demo.manager), 'GET', `/v1/communities/${demo.communityId}/budgets/${year}`)).body;
    expect(budget).toMatchObject({ status: 'draft', version: 1, totals: { expense: '50000.50', income: '160000.00' } });
    expect(budget.lines.map((l: { account: string; amount: string }) => [l.account, l.amount])).toEqual(
      expect.arrayContaining([
        ['5102', '38000.00'],
        ['5107', '12000.50'],
        ['5199', '0.00'],
        ['4101', '160000.00'],
      ]),
    );
    // The page reads the draft back: a second save rewrites it.
    await page.reload();
    await page.getByLabel('预算年度').selectOption(String(year));
    await expect.poll(() => page.getByLabel('5102 保洁').inputValue()).toBe('38000.00');
    await page.getByText('保存将改写这份草案').waitFor();
  });

  it('an admin sets the fee rate from a month on; a wrong rate is refused next to the field', async () => {
    const page = await signIn(demo.admin);
    await page.goto(`${server.base}/fees`);
    await page.getByRole('link', { name: '设定单价' }).click();
    await page.getByRole('heading', { name: '设定物业费单价' }).waitFor();
    await page.getByText('2.35 元/平方米·月').first().waitFor();
    await page.getByLabel('单价（元/平方米·月）').fill('0');
    await page.getByRole('button', { name: '保存单价' }).click();
    await page.locator('#fee-rate-error', { hasText: '必须大于零' }).waitFor();
    await page.locator('.error-summary', { hasText: '必须大于零' }).waitFor();
    await page.getByLabel('单价（元/平方米·月）').fill('2.4567');
    await page.getByText('100 平方米的房屋每月 ¥245.67').waitFor();
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    const [y, m] = month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    await page.getByLabel('生效月份').selectOption(next);
    await page.getByRole('button', { name: '保存单价' }).click();
    await page.getByText('物业费 2.4567 元/平方米·月').waitFor();
    await shot(page, 'fee-rate-saved');
    const schedule = (await demo.call(await demo.login(demo.admin), 'GET', `/v1/communities/${demo.communityId}/fee-schedule`)).body;
    expect(schedule.ratePerM2).toBe('2.35');
    expect(schedule.history[0]).toMatchObject({ ratePerM2: '2.4567', effectiveFrom: next });
  });

  it('every screen fits 360 px and has no serious or critical axe-core finding (WCAG 2 AA)', async () => {
    const axe = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    const plan: [DemoPerson, string[]][] = [
      [demo.owner, ['/', '/entries', '/budget', '/fees', '/spend-requests', `/track/${demo.paidRequest.trackingNo}`, '/my-units']],
      [demo.cosigners[1], ['/approvals', `/track/${demo.pendingRequest.trackingNo}`]],
      [demo.manager, ['/', '/fees', '/record-income', '/submit-request', '/billing', '/draft-budget', '/fee-rate']],
      [demo.admin, ['/budget', '/members-units', `/notice/${demo.communityId}/${month}`]],
    ];
    const findings: string[] = [];
    for (const [person, paths] of plan) {
      const page = await signIn(person, 360);
      // A feed item sliding in is half transparent for a moment; axe would measure that frame.
      await page.emulateMedia({ reducedMotion: 'reduce' });
      for (const screen of paths) {
        await page.goto(server.base + screen);
        await page.locator('h1').first().waitFor();
        await page.locator('.loading, .boot').first().waitFor({ state: 'detached', timeout: 5_000 });
        const width = await page.evaluate('document.documentElement.scrollWidth');
        if ((width as number) > 360) findings.push(`${screen}: ${String(width)}px wide at 360`);
        await page.addScriptTag({ content: axe }).catch(() => page.evaluate(axe));
        const violations = await page.evaluate(async () => {
          const result = await (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          });
          return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        });
        findings.push(...violations.map((v) => `${screen}: ${v}`));
        await page.setViewportSize({ width: 390, height: 844 });
        await shot(page, `${screen.split('/')[1] || 'home'}-${person.username.split('_')[0]}`);
        await page.setViewportSize({ width: 360, height: 844 });
      }
    }
    expect(findings).toEqual([]);
  });
});
