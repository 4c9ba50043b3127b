import { describe, expect, it } from 'vitest';
import { webStage } from './support/web-stage.js';

/**
 * 业主表决 in real Chromium: the community admin opens a vote with the form, an owner casts a
 * ballot and changes it, everyone reads the totals by area and headcount; a closed vote says
 * 通过 or 未通过. axe-core at 360 px on each new screen.
 */
const stage = webStage();

describe('业主表决 in 信义家', () => {
  it('the admin opens a vote; an owner votes 同意, changes to 反对 and sees the totals; a closed vote shows its outcome', async () => {
    const findings: string[] = [];
    const admin = await stage.phone.signIn(stage.demo.admin);
    await admin.getByRole('link', { name: '业主表决' }).click();
    await admin.getByRole('heading', { name: '业主表决' }).waitFor();
    await admin.getByRole('link', { name: '发起表决' }).click();
    await admin.getByRole('heading', { name: '发起业主表决' }).waitFor();
    await admin.getByRole('button', { name: '发起表决' }).click();
    await admin.locator('.error-summary a', { hasText: '请填写表决事项' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(admin, '/open-vote (errors)')));
    await admin.getByLabel('表决事项').fill('续聘安居物业为本小区物业服务企业');
    await admin.getByLabel('说明（可不填）').fill('合同期三年，物业费单价不变。');
    await admin.getByLabel(/^一般事项/).check();
    const closes = new Date(Date.now() + 3 * 86_400_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(closes).replace(' ', 'T');
    await admin.getByLabel('截止时间').fill(local);
    await stage.phone.shot(admin, 'open-vote');
    await admin.getByRole('button', { name: '发起表决' }).click();
    await admin.waitForURL(/\/votes\/[^/]+$/);
    await admin.getByRole('heading', { name: '续聘安居物业为本小区物业服务企业' }).waitFor();
    // The admin holds no unit: no ballot, only the totals.
    expect(await admin.getByRole('button', { name: '投票' }).count()).toBe(0);
    const voteId = new URL(admin.url()).pathname.split('/').pop()!;
    const vote = (await stage.demo.call(await stage.demo.login(stage.demo.admin), 'GET', `/v1/communities/${stage.demo.communityId}/votes/${voteId}`)).body;
    expect(vote.matter).toBe('ordinary');
    expect(Math.abs(Date.parse(vote.closesAt) - closes.getTime())).toBeLessThan(60_000);

    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.getByRole('link', { name: '业主表决' }).click();
    await owner.locator('.vote-item', { hasText: '续聘安居物业' }).getByText('进行中').waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/votes')));
    await stage.phone.shot(owner, 'votes');
    await owner.getByRole('link', { name: /续聘安居物业/ }).click();
    await owner.getByText('一般事项（同意须过半数）').waitFor();
    await owner.getByRole('button', { name: '投票' }).click();
    await owner.locator('#choice-error').waitFor();
    await owner.getByLabel('同意').check();
    await owner.getByRole('button', { name: '投票' }).click();
    await owner.getByTestId('my-ballot').filter({ hasText: '您已投：同意，截止前可更改' }).waitFor();
    const totals = owner.locator('.vote-totals');
    await totals.locator('tr', { hasText: '同意' }).getByText('89.50 m²').waitFor();
    await owner.getByLabel('反对').check();
    await owner.getByRole('button', { name: '更改投票' }).click();
    await owner.getByTestId('my-ballot').filter({ hasText: '您已投：反对，截止前可更改' }).waitFor();
    await totals.locator('tr', { hasText: '反对' }).getByText('89.50 m²').waitFor();
    expect(await totals.locator('tr', { hasText: '同意' }).locator('td').allTextContents()).toEqual(['0.00 m²', '0 人']);
    expect(await totals.locator('tr', { hasText: '参与表决' }).locator('td').allTextContents()).toEqual(['89.50 m²', '1 人']);
    expect(await totals.locator('tr', { hasText: '全体业主' }).locator('td').allTextContents()).toEqual([vote.eligible.area + ' m²', `${vote.eligible.owners} 人`]);
    await owner.getByText('参与尚未达到三分之二，截止后公布结果').waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/votes/:id (ballot)')));
    await stage.phone.shot(owner, 'vote-ballot');

    // A vote that closes within seconds: the page then says its outcome, and the ballot is gone.
    const c = `/v1/communities/${stage.demo.communityId}`;
    const cosigner = await stage.demo.login(stage.demo.cosigners[0]);
    const quick = await stage.demo.call(cosigner, 'POST', `${c}/votes`, {
      title: '利用小区广场设置快递柜',
      matter: 'special',
      closesAt: new Date(Date.now() + 2500).toISOString(),
    });
    expect(quick.status).toBe(201);
    expect((await stage.demo.call(await stage.demo.login(stage.demo.owner), 'POST', `${c}/votes/${quick.body.id}/ballots`, { choice: 'for' })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await owner.goto(`${stage.server.base}/votes/${quick.body.id}`);
    await owner.getByText('参与尚未达到三分之二，表决结果：未通过').waitFor();
    await owner.getByText('特别事项（同意须达四分之三）').waitFor();
    await owner.getByText('您投了：同意').waitFor();
    expect(await owner.getByRole('button', { name: /投票/ }).count()).toBe(0);
    findings.push(...(await stage.phone.problemsAt360(owner, '/votes/:id (closed)')));
    await stage.phone.shot(owner, 'vote-closed');
    // Open ones first on the list; the closed one says 未通过; the feed names both in words.
    await owner.goto(`${stage.server.base}/votes`);
    await owner.locator('.vote-item', { hasText: '快递柜' }).getByText('未通过').waitFor();
    const titles = await owner.locator('.vote-item .request-title').allTextContents();
    expect(titles[0]).toContain('续聘安居物业');
    await owner.goto(`${stage.server.base}/`);
    await owner.locator('.feed-item', { hasText: '业主表决开始' }).first().waitFor();
    expect(findings).toEqual([]);
  }, 60_000);

  it('缴费 on 我的房屋 opens a WeChat Pay order, its cashier, and shows 已支付 when the owner comes back', async () => {
    const findings: string[] = [];
    // The owner paid this month in full; next month's bill gives them something to pay.
    const now = new Date();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const period = `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
    const billed = await stage.demo.call(await stage.demo.login(stage.demo.manager), 'POST', `/v1/communities/${stage.demo.communityId}/billing-runs`, { period });
    expect(billed.status, JSON.stringify(billed.body)).toBeLessThan(300);
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.getByRole('link', { name: '我的房屋' }).click();
    await owner.locator('.card', { hasText: '待缴' }).getByRole('button', { name: '缴费' }).first().waitFor();
    const card = owner.locator('.card', { hasText: '待缴' }).first();
    const due = (await card.locator('dd').first().textContent())!;
    expect(due).not.toBe('¥0.00');
    await card.getByRole('button', { name: '缴费' }).click();
    await card.locator('.pay-order', { hasText: '待支付' }).waitFor();
    await card.locator('.pay-order').getByText(due).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/my-units (order)')));
    await stage.phone.shot(owner, 'pay-order');
    const [cashier] = await Promise.all([owner.context().waitForEvent('page'), card.getByRole('link', { name: '前往微信支付' }).click()]);
    await cashier.getByRole('button', { name: '确认支付' }).click();
    await cashier.getByText('已支付').waitFor();
    await cashier.close();
    await owner.bringToFront();
    // Coming back re-reads the order; the button does the same when the browser keeps focus elsewhere.
    await card.getByRole('button', { name: '刷新订单状态' }).click({ timeout: 2000 }).catch(() => undefined);
    await card.locator('.pay-order', { hasText: '已支付' }).waitFor();
    await card.locator('.plain-list li', { hasText: '微信' }).first().waitFor();
    await stage.phone.shot(owner, 'pay-paid');
    findings.push(...(await stage.phone.problemsAt360(owner, '/my-units (paid)')));
    expect(findings).toEqual([]);
  }, 60_000);

  it('an owner scores each item 1-5 with a comment; everyone reads the averages, the response rate and the scores over time', async () => {
    const findings: string[] = [];
    const c = `/v1/communities/${stage.demo.communityId}`;
    const admin = await stage.demo.login(stage.demo.admin);
    const closesAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const items = [
      { key: 'cleaning', label: '保洁' },
      { key: 'security', label: '安保' },
    ];
    const earlier = await stage.demo.call(admin, 'POST', `${c}/surveys`, { title: '2026年第三季度物业服务满意度', period: '2026-Q3', closesAt, items });
    expect(earlier.status).toBe(201);
    const cosignerOwner = await stage.demo.login(stage.demo.cosigners[0]);
    expect((await stage.demo.call(cosignerOwner, 'POST', `${c}/surveys/${earlier.body.id}/responses`, { scores: { cleaning: 3, security: 4 } })).status).toBe(201);
    const latest = await stage.demo.call(admin, 'POST', `${c}/surveys`, { title: '2026年第四季度物业服务满意度', period: '2026-Q4', closesAt, items });
    expect(latest.status).toBe(201);

    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.getByRole('link', { name: '满意度测评' }).click();
    await owner.locator('.survey-item', { hasText: '第四季度' }).getByText('您还没有评分').waitFor();
    await owner.getByRole('link', { name: /第四季度/ }).click();
    await owner.getByRole('button', { name: '提交评分' }).click();
    await owner.locator('.error-summary a', { hasText: '请为“保洁”打分' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/surveys/:id (errors)')));
    await owner.getByRole('group', { name: '保洁' }).getByLabel('5 分 很满意').check();
    await owner.getByRole('group', { name: '安保' }).getByLabel('4 分 满意').check();
    await owner.getByLabel('意见和建议（可不填）').fill('夜间巡逻可以再勤一些。');
    await stage.phone.shot(owner, 'survey-form');
    await owner.getByRole('button', { name: '提交评分' }).click();
    await owner.getByText('谢谢您的评分，已记录。').waitFor();
    await owner.getByTestId('response-rate').filter({ hasText: '50.00%' }).waitFor();
    await owner.locator('.trend-row', { hasText: '保洁' }).getByText('5.00 分').waitFor();
    expect(await owner.getByRole('button', { name: '提交评分' }).count()).toBe(0);
    findings.push(...(await stage.phone.problemsAt360(owner, '/surveys/:id (results)')));
    await stage.phone.shot(owner, 'survey-results');

    await owner.getByRole('link', { name: '‹ 全部测评' }).click();
    const trend = owner.locator('.trend', { hasText: '保洁' });
    await trend.locator('.trend-row', { hasText: '2026-Q4' }).getByText('5.00').waitFor();
    expect(await trend.locator('.trend-period').allTextContents()).toEqual(['2026-Q3', '2026-Q4']);
    findings.push(...(await stage.phone.problemsAt360(owner, '/surveys')));
    await stage.phone.shot(owner, 'surveys');
    expect(findings).toEqual([]);
  }, 60_000);
});
