import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pdf, png } from './support/images.js';
import { webStage } from './support/web-stage.js';

/**
 * 信义家's repairs and evidence in real Chromium: a resident reports a broken lamp with a photo
 * from the phone's camera field, the steward moves it step by step, the resident confirms it,
 * the request that pays for it carries a quote and a photo, and a co-signer sees exactly the
 * files the key signs. Each new screen is checked at 360 px with axe-core.
 */
const stage = webStage();

const photo = (name: string) => ({ name, mimeType: 'image/png', buffer: png({ exif: true }) });

/** Waits until every thumbnail on the page has been read from the server and decoded. */
async function thumbnailsLoaded(page: Page, selector: string, count: number): Promise<void> {
  const decoded = `[...document.querySelectorAll(${JSON.stringify(selector)})].filter((i) => i.complete && i.naturalWidth > 0).length`;
  await expect.poll(() => page.evaluate(decoded)).toBe(count);
}

/** Set by the first story, followed by the next ones. */
let repair: { id: string; trackingNo: string };

describe('报事报修 and evidence in 信义家', () => {
  it('an owner reports a broken lamp with a photo from the camera, sees the tracking number and the repair’s page', async () => {
    const page = await stage.phone.signIn(stage.demo.owner);
    const findings: string[] = [];
    await page.getByRole('link', { name: '我要报修' }).click();
    await page.getByRole('heading', { name: '我要报修' }).waitFor();
    const input = page.locator('#repair-photos');
    expect(await input.evaluate((i) => [i.getAttribute('type'), i.getAttribute('accept'), i.getAttribute('capture'), i.hasAttribute('multiple')])).toEqual([
      'file',
      'image/*',
      'environment',
      true,
    ]);
    findings.push(...(await stage.phone.problemsAt360(page, '/report-repair')));

    await page.getByRole('button', { name: '提交报修' }).click();
    await page.locator('.error-summary a', { hasText: '请写明要修什么' }).waitFor();
    // A file that says it is a PNG but is not: the server refuses it, the page says so and offers a retry.
    await input.setInputFiles({ name: 'not-a-photo.png', mimeType: 'image/png', buffer: Buffer.from('<html>not an image</html>') });
    await page.locator('.upload-failed', { hasText: '只能上传' }).waitFor();
    await page.getByRole('button', { name: '重试 not-a-photo.png' }).waitFor();
    await stage.phone.shot(page, 'report-repair-errors');
    await page.getByRole('button', { name: '移除 not-a-photo.png' }).click();

    await page.getByLabel('报修事项').fill('楼道灯不亮');
    await page.getByLabel('位置').fill('1号楼1单元3楼楼梯间');
    await page.getByLabel('详细描述（选填）').fill('晚上楼梯间一片漆黑，老人上下楼不安全。');
    await input.setInputFiles([photo('IMG_0412.png')]);
    await page.locator('.upload-done', { hasText: '已上传' }).waitFor();
    await stage.phone.shot(page, 'report-repair-photo');
    await page.getByRole('button', { name: '提交报修' }).click();
    await page.getByRole('heading', { name: '报修已提交' }).waitFor();
    const trackingNo = (await page.locator('.tracking-big').textContent())!;
    expect(trackingNo).toMatch(/^BX-\d{4}-\d+-\d{6}$/);
    await stage.phone.shot(page, 'report-repair-done');

    await page.getByRole('link', { name: '查看报修进度' }).click();
    await page.waitForURL(`**/track/${trackingNo}`);
    await page.locator('.status', { hasText: '已报修' }).first().waitFor();
    await thumbnailsLoaded(page, '.evidence img', 1);
    expect(await page.locator('.steps').textContent()).toContain('派单');
    // The owner may withdraw it while nobody has taken it; the steward's buttons are not theirs.
    await page.getByRole('button', { name: '撤销报修' }).waitFor();
    expect(await page.getByRole('button', { name: '派单' }).count()).toBe(0);
    findings.push(...(await stage.phone.problemsAt360(page, '/track/BX (owner)')));
    await stage.phone.shot(page, 'track-repair-reported');

    const token = await stage.demo.login(stage.demo.owner);
    const found = await stage.demo.call(token, 'GET', `/v1/track/${trackingNo}`);
    expect(found.body).toMatchObject({ status: 'reported', title: '楼道灯不亮', reportedBy: { id: stage.demo.owner.id } });
    expect(found.body.timeline[0].attachments).toHaveLength(1);
    repair = { id: found.body.id, trackingNo };

    await page.getByRole('link', { name: '‹ 报修列表' }).click();
    await page.locator('.request', { hasText: '楼道灯不亮' }).waitFor();
    expect(await page.getByRole('button', { name: '我的报修' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByLabel('状态').selectOption('confirmed');
    await page.getByText('还没有“已确认”的报修').waitFor();
    await page.getByLabel('状态').selectOption('all');
    await page.locator('.request', { hasText: '楼道灯不亮' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(page, '/repairs')));
    await stage.phone.shot(page, 'repairs-owner');
    expect(findings).toEqual([]);
  });

  it('the manager assigns, starts and finishes it with a note and a photo; the reporter confirms it on the open page', async () => {
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.goto(`${stage.server.base}/track/${repair.trackingNo}`);
    await owner.locator('.status', { hasText: '已报修' }).first().waitFor();

    const manager = await stage.phone.signIn(stage.demo.manager);
    const findings: string[] = [];
    await manager.goto(`${stage.server.base}/track/${repair.trackingNo}`);
    await manager.getByRole('button', { name: '派单' }).click();
    await manager.getByLabel('派单说明（选填）').fill('已派水电班王师傅，今天下午上门');
    await manager.getByRole('button', { name: '确认派单' }).click();
    await manager.getByText('已派单。').waitFor();
    await manager.getByRole('button', { name: '开始维修' }).click();
    await manager.getByRole('button', { name: '确认开始维修' }).click();
    await manager.locator('.status', { hasText: '维修中' }).first().waitFor();
    await manager.getByRole('button', { name: '完工' }).click();
    await manager.getByLabel('完工说明（选填）').fill('更换声控灯头 1 个');
    await manager.locator('#repair-done-photos').setInputFiles([photo('after.png')]);
    await manager.locator('.upload-done').waitFor();
    findings.push(...(await stage.phone.problemsAt360(manager, '/track/BX (完工 form)')));
    await stage.phone.shot(manager, 'track-repair-done-form');
    await manager.getByRole('button', { name: '确认完工' }).click();
    await manager.locator('.status', { hasText: '已完工' }).first().waitFor();
    await thumbnailsLoaded(manager, '.timeline .evidence img', 1);
    // The steward cannot confirm the work it did: that is for the reporter or a co-signer.
    expect(await manager.getByRole('button', { name: '确认完成' }).count()).toBe(0);

    // The reporter's open page follows the live feed: the work is done, and theirs to confirm.
    await owner.getByRole('button', { name: '确认完成' }).waitFor({ timeout: 10_000 });
    await owner.getByRole('button', { name: '重新报修' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/track/BX (done, reporter)')));
    await owner.getByRole('button', { name: '确认完成' }).click();
    await owner.getByLabel('评价（选填）').fill('灯亮了，谢谢王师傅');
    await owner.getByRole('button', { name: '确认已修好' }).click();
    await owner.locator('.status', { hasText: '已确认' }).first().waitFor();
    expect(await owner.locator('.timeline-what').allTextContents()).toEqual(['确认修好', '完工', '开始维修', '派单', '报修']);
    expect(await owner.locator('.timeline').textContent()).toContain('已派水电班王师傅');
    await stage.phone.shot(owner, 'track-repair-confirmed');

    const body = (await stage.demo.call(await stage.demo.login(stage.demo.owner), 'GET', `/v1/communities/${stage.demo.communityId}/repairs/${repair.id}`)).body;
    expect(body.status).toBe('confirmed');
    expect(body.timeline.map((s: { event: string }) => s.event)).toEqual(['reported', 'assigned', 'started', 'done', 'confirmed']);
    expect(body.timeline[3].attachments).toHaveLength(1);
    expect(findings).toEqual([]);
  });

  it('the manager asks to pay for it with a quote and a photo; a co-signer sees those very files and that the digest covers them', async () => {
    const manager = await stage.phone.signIn(stage.demo.manager);
    const findings: string[] = [];
    await manager.goto(`${stage.server.base}/track/${repair.trackingNo}`);
    await manager.getByRole('link', { name: '提交支出申请' }).click();
    await manager.getByRole('heading', { name: '提交支出申请' }).waitFor();
    await expect.poll(() => manager.getByLabel('关联报修（选填）').inputValue()).toBe(repair.id);
    await manager.getByLabel('支出事项').fill('1号楼楼梯间声控灯更换');
    await manager.getByLabel('金额（元）').fill('186');
    await manager.getByLabel('支出科目').selectOption('5105');
    await manager.getByLabel('收款方', { exact: true }).fill('明亮照明工程部');
    await manager.locator('#spend-files').setInputFiles([
      { name: '报价单.pdf', mimeType: 'application/pdf', buffer: pdf() },
      photo('现场.png'),
    ]);
    await expect.poll(() => manager.locator('.upload-done').count()).toBe(2);
    findings.push(...(await stage.phone.problemsAt360(manager, '/submit-request (with files)')));
    await stage.phone.shot(manager, 'submit-request-evidence');
    await manager.getByRole('button', { name: '提交申请' }).click();
    await manager.waitForURL(/\/track\/XY-/);
    const trackingNo = decodeURIComponent(new URL(manager.url()).pathname.split('/').pop()!);
    await manager.getByRole('link', { name: repair.trackingNo }).first().waitFor();

    const token = await stage.demo.login(stage.demo.manager);
    const request = (await stage.demo.call(token, 'GET', `/v1/track/${trackingNo}`)).body;
    expect(request.repairId).toBe(repair.id);
    expect(request.attachments.map((a: { contentType: string }) => a.contentType)).toEqual(['application/pdf', 'image/png']);

    const cosigner = stage.demo.cosigners[1];
    const page = await stage.phone.signIn(cosigner);
    await page.goto(`${stage.server.base}/track/${trackingNo}`);
    const signing = page.locator('.card', { hasText: '审批这笔支出' });
    await signing.getByText('xinyi-spend/v2').waitFor();
    await signing.getByText('这 2 份凭证').waitFor();
    await signing.locator('.pdf-chip', { hasText: '1. PDF 文件' }).waitFor();
    await thumbnailsLoaded(page, '.signing .evidence img', 1);
    // Each file shows the start of the SHA-256 the digest covers, in the order signed.
    const fingerprints = await signing.locator('.fingerprint').evaluateAll((codes) => codes.map((c) => c.getAttribute('title')));
    expect(fingerprints).toEqual(request.attachments.map((a: { sha256: string }) => a.sha256));
    // The PDF opens from the server, for a member's cookie, as a PDF.
    const href = await signing.locator('.evidence-pdf a').getAttribute('href');
    const served = await page.evaluate(async (url) => {
      const r = await fetch(url!);
      return [r.status, r.headers.get('content-type')];
    }, href);
    expect(served).toEqual([200, 'application/pdf']);
    findings.push(...(await stage.phone.problemsAt360(page, '/track/XY (co-signer, evidence)')));
    await stage.phone.shot(page, 'cosigner-evidence');

    // Two keys, then the payout with the invoice: it shows on the 付款 step for everyone.
    for (const c of [stage.demo.cosigners[1], stage.demo.cosigners[2]]) {
      const t = await stage.demo.login(c);
      const approved = await stage.demo.call(t, 'POST', `/v1/communities/${stage.demo.communityId}/spend-requests/${request.id}/approvals`, {
        signingPassword: c.signingPassword,
        digest: request.digest,
      });
      expect(approved.status).toBe(200);
    }
    await manager.reload();
    await manager.getByLabel('银行流水号').fill('BOC202611260042');
    await manager.locator('#payout-files').setInputFiles([{ name: '发票.pdf', mimeType: 'application/pdf', buffer: pdf() }]);
    await manager.locator('.upload-done').waitFor();
    await manager.getByRole('button', { name: '确认已付款' }).click();
    await manager.locator('.status', { hasText: '已支付' }).first().waitFor();
    await manager.locator('.timeline-paid .pdf-chip').waitFor();
    await stage.phone.shot(manager, 'track-request-paid-evidence');

    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.goto(`${stage.server.base}/track/${repair.trackingNo}`);
    await owner.locator('.plain-list', { hasText: trackingNo }).getByText('已支付').waitFor();
    expect(await owner.locator('.timeline-what').first().textContent()).toContain('维修款已支付');
    await stage.phone.shot(owner, 'track-repair-paid');
    expect(findings).toEqual([]);
  });
});
