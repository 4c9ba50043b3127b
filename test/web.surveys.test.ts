import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { webStage } from './support/web-stage.js';

/**
 * 发起测评 and 投票明细 in real Chromium: the community admin starts a survey with the form,
 * an owner scores it and the results show; the supervisor reads who voted how on a vote (the
 * ballot that counts and the one it replaced), while an owner never sees it nor asks the API
 * for it. axe-core at 360 px on each new screen.
 */
const stage = webStage();

/** Every GET of a vote's ballots this page sends. */
function ballotReads(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'GET' && /\/v1\/communities\/[^/]+\/votes\/[^/]+\/ballots/.test(request.url())) seen.push(request.url());
  });
  return seen;
}

describe('发起测评 and 投票明细 in 信义家', () => {
  it('the admin starts a survey with the form; an owner scores it; the results show', async () => {
    const findings: string[] = [];
    const admin = await stage.phone.signIn(stage.demo.admin);
    await admin.getByRole('link', { name: '满意度测评' }).click();
    await admin.getByRole('heading', { name: '满意度测评' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(admin, '/surveys (admin)')));
    await stage.phone.shot(admin, 'surveys-admin');
    await admin.getByRole('link', { name: '发起测评' }).click();
    await admin.getByRole('heading', { name: '发起满意度测评' }).waitFor();
    // The usual items come pre-filled; the title follows the period chosen.
    expect(await admin.locator('.survey-items input[type=text]').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value))).toEqual([
      '保洁',
      '安保',
      '绿化',
      '维修响应',
      '客服态度',
    ]);
    await admin.getByLabel('测评期间').selectOption('2026-Q4');
    expect(await admin.getByLabel('测评名称').inputValue()).toBe('2026年第四季度物业服务满意度测评');

    // A blank item, a repeated one and a past deadline are said at the top and at the field.
    await admin.getByLabel('第 4 项', { exact: true }).fill('');
    await admin.getByRole('button', { name: '添加一项' }).click();
    await admin.getByLabel('第 6 项', { exact: true }).fill('保洁');
    await admin.getByLabel('截止时间').fill('2020-01-01T18:00');
    await admin.getByRole('button', { name: '发起测评' }).click();
    const summary = admin.locator('.error-summary');
    await summary.getByRole('link', { name: '请填写第 4 项的名称，或删除这一项。' }).waitFor();
    await summary.getByRole('link', { name: '“保洁”重复了，请删除重复的一项。' }).waitFor();
    await summary.getByRole('link', { name: '截止时间须晚于现在。' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(admin, '/start-survey (errors)')));
    await stage.phone.shot(admin, 'start-survey-errors');

    await admin.getByRole('button', { name: '删除第 6 项“保洁”' }).click();
    await admin.getByRole('button', { name: '删除第 4 项' }).click();
    await admin.getByRole('button', { name: '＋ 停车管理' }).click();
    await admin.getByLabel('测评名称').fill('2026年第四季度物业服务满意度');
    const closes = new Date(Date.now() + 10 * 86_400_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(closes).replace(' ', 'T');
    await admin.getByLabel('截止时间').fill(local);
    await stage.phone.shot(admin, 'start-survey');
    findings.push(...(await stage.phone.problemsAt360(admin, '/start-survey')));
    await admin.getByRole('button', { name: '发起测评' }).click();
    await admin.waitForURL(/\/surveys\/[^/]+$/);
    await admin.getByRole('heading', { name: '2026年第四季度物业服务满意度' }).waitFor();
    const surveyId = new URL(admin.url()).pathname.split('/').pop()!;
    const c = `/v1/communities/${stage.demo.communityId}`;
    const created = (await stage.demo.call(await stage.demo.login(stage.demo.admin), 'GET', `${c}/surveys/${surveyId}`)).body;
    expect(created.period).toBe('2026-Q4');
    expect(created.items.map((i: { key: string; label: string }) => [i.key, i.label])).toEqual([
      ['cleaning', '保洁'],
      ['security', '安保'],
      ['greening', '绿化'],
      ['service', '客服态度'],
      ['parking', '停车管理'],
    ]);
    expect(Math.abs(Date.parse(created.closesAt) - closes.getTime())).toBeLessThan(60_000);

    // An owner finds it, scores every item, and reads the averages.
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.getByRole('link', { name: '满意度测评' }).click();
    expect(await owner.getByRole('link', { name: '发起测评' }).count()).toBe(0);
    await owner.locator('.survey-item', { hasText: '2026年第四季度物业服务满意度' }).getByText('您还没有评分').waitFor();
    await owner.getByRole('link', { name: /2026年第四季度物业服务满意度/ }).click();
    for (const [label, score] of <Array<[string, string]>>[
      ['保洁', '5 分 很满意'],
      ['安保', '4 分 满意'],
      ['绿化', '4 分 满意'],
      ['客服态度', '3 分 一般'],
      ['停车管理', '2 分 不满意'],
    ]) {
      await owner.getByRole('group', { name: label }).getByLabel(score).check();
    }
    await owner.getByRole('button', { name: '提交评分' }).click();
    await owner.getByText('谢谢您的评分，已记录。').waitFor();
    // Two members hold a unit (the owner and a co-signer): one response is half.
    await owner.getByTestId('response-rate').filter({ hasText: '50.00%' }).waitFor();
    await owner.locator('.trend-row', { hasText: '停车管理' }).getByText('2.00 分').waitFor();

    await admin.reload();
    await admin.getByTestId('response-rate').filter({ hasText: '50.00%' }).waitFor();
    await admin.locator('.trend-row', { hasText: '保洁' }).getByText('5.00 分').waitFor();
    findings.push(...(await stage.phone.problemsAt360(admin, '/surveys/:id (results)')));
    await stage.phone.shot(admin, 'start-survey-results');
    expect(findings).toEqual([]);
  }, 90_000);

  it('the supervisor reads who voted how, with the changed ballot; an owner sees no such section and never asks for it', async () => {
    const findings: string[] = [];
    const c = `/v1/communities/${stage.demo.communityId}`;
    const vote = await stage.demo.call(await stage.demo.login(stage.demo.admin), 'POST', `${c}/votes`, {
      title: '更换小区监控系统',
      matter: 'ordinary',
      closesAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
    });
    expect(vote.status).toBe(201);
    const ownerToken = await stage.demo.login(stage.demo.owner);
    const ballots = `${c}/votes/${vote.body.id}/ballots`;
    expect((await stage.demo.call(ownerToken, 'POST', ballots, { choice: 'for' })).status).toBe(201);
    expect((await stage.demo.call(await stage.demo.login(stage.demo.cosigners[0]), 'POST', ballots, { choice: 'abstain' })).status).toBe(201);
    expect((await stage.demo.call(ownerToken, 'POST', ballots, { choice: 'against' })).status).toBe(201);

    const owner = await stage.phone.signIn(stage.demo.owner);
    const ownerReads = ballotReads(owner);
    await owner.goto(`${stage.server.base}/votes/${vote.body.id}`);
    await owner.getByRole('heading', { name: '更换小区监控系统' }).waitFor();
    await owner.getByTestId('vote-outcome').waitFor();
    expect(await owner.getByRole('link', { name: /投票明细/ }).count()).toBe(0);
    // Even typed in, the screen says who may read it and does not ask the API.
    await owner.goto(`${stage.server.base}/votes/${vote.body.id}/ballots`);
    await owner.getByText('投票明细仅小区管理员和监督单位可以查看。').waitFor();
    expect(await owner.locator('.ballot-owner').count()).toBe(0);
    expect(ownerReads).toEqual([]);
    expect((await stage.demo.call(ownerToken, 'GET', ballots)).status).toBe(403);

    const supervisor = await stage.phone.signIn(stage.demo.supervisor);
    await supervisor.goto(`${stage.server.base}/votes/${vote.body.id}`);
    await supervisor.getByRole('heading', { name: '更换小区监控系统' }).waitFor();
    await stage.phone.shot(supervisor, 'vote-supervisor');
    await supervisor.getByRole('link', { name: '投票明细：谁投了什么' }).click();
    await supervisor.waitForURL(/\/ballots$/);
    await supervisor.getByRole('heading', { name: '投票明细' }).waitFor();
    await supervisor.getByTestId('ballot-count').filter({ hasText: '共 2 位业主投票，其中 1 位更改过。' }).waitFor();
    const wang = supervisor.locator('.ballot-owner', { hasText: stage.demo.owner.displayName });
    await wang.locator('.ballot-head').getByText('反对').waitFor();
    await wang.getByText('1号楼 1-1-101').waitFor();
    expect(await wang.locator('.ballot-history li').allTextContents()).toEqual([expect.stringMatching(/^同意 · \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/)]);
    const zhang = supervisor.locator('.ballot-owner', { hasText: stage.demo.cosigners[0].displayName });
    await zhang.locator('.ballot-head').getByText('弃权').waitFor();
    await zhang.getByText('1号楼 1-2-302').waitFor();
    expect(await zhang.locator('.ballot-history').count()).toBe(0);
    // In the order of their units: 1-1-101 before 1-2-302.
    expect(await supervisor.locator('.ballot-name').allTextContents()).toEqual([stage.demo.owner.displayName, stage.demo.cosigners[0].displayName]);
    // The time as the community's clock shows it.
    const at = (await stage.demo.call(await stage.demo.login(stage.demo.supervisor), 'GET', ballots)).body.items.at(-1).at as string;
    const shown = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(at));
    await wang.getByText(new RegExp(`日 ${shown}$`)).first().waitFor();
    findings.push(...(await stage.phone.problemsAt360(supervisor, '/votes/:id/ballots')));
    await stage.phone.shot(supervisor, 'vote-ballots');
    expect(findings).toEqual([]);
  }, 90_000);
});
