import { sql } from 'kysely';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../src/db/database.js';
import { png } from './support/images.js';
import { webStage } from './support/web-stage.js';

/**
 * 信义家's owners' say in real Chromium: after the payout the resident who reported the repair
 * and a co-signer record their verdicts (验收); any member asks about a line of the books in
 * public and the steward answers (质询); a question left past its seven days shows in red.
 */
const stage = webStage();
/** A paid request that pays for the owner's repair: the owner is its reporter. */
let paid: { id: string; trackingNo: string };

/** The repair, its quote and its request, two keys and the payout, through the API as the people would. */
async function paidRepair(): Promise<{ id: string; trackingNo: string }> {
  const c = `/v1/communities/${stage.demo.communityId}`;
  const [owner, manager] = await Promise.all([stage.demo.login(stage.demo.owner), stage.demo.login(stage.demo.manager)]);
  const must = async (token: string, method: string, path: string, body?: unknown) => {
    const reply = await stage.demo.call(token, method, path, body);
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const uploaded = await fetch(`${stage.server.base}${c}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner}`, 'content-type': 'image/png' },
    body: png(),
  });
  const photo = ((await uploaded.json()) as { id: string }).id;
  const repair = await must(owner, 'POST', `${c}/repairs`, { title: '单元门禁失灵', location: '2号楼1单元', attachments: [photo] });
  const request = await must(manager, 'POST', `${c}/spend-requests`, {
    title: '2号楼1单元门禁主板更换',
    amount: '860.00',
    account: '5105',
    payee: { name: '安居门禁服务部' },
    repairId: repair.id,
    attachments: [photo],
  });
  for (const cosigner of [stage.demo.cosigners[0], stage.demo.cosigners[1]]) {
    await must(await stage.demo.login(cosigner), 'POST', `${c}/spend-requests/${request.id}/approvals`, {
      signingPassword: cosigner.signingPassword,
      digest: request.digest,
    });
  }
  await must(manager, 'POST', `${c}/spend-requests/${request.id}/payout`, { bankReference: 'ICBC202611260088' });
  return { id: request.id, trackingNo: request.trackingNo };
}

beforeAll(async () => {
  paid = await paidRepair();
}, 120_000);

describe('验收 and 质询 in 信义家', () => {
  it('after the payout the reporter records 有异议 with a photo and a co-signer 已验收; both verdicts are on the timeline and in the feed', async () => {
    const findings: string[] = [];
    const owner = await stage.phone.signIn(stage.demo.owner);
    // A paid request with no repair of theirs is not the owner's to judge.
    await owner.goto(`${stage.server.base}/track/${stage.demo.paidRequest.trackingNo}`);
    await owner.locator('.card', { hasText: '验收' }).getByText('还没有人验收').waitFor();
    expect(await owner.getByRole('button', { name: '提交验收' }).count()).toBe(0);

    await owner.goto(`${stage.server.base}/track/${paid.trackingNo}`);
    await owner.getByRole('button', { name: '提交验收' }).click();
    await owner.locator('#verdict-error', { hasText: '请选择验收结论' }).waitFor();
    await owner.getByLabel('有异议').check();
    await owner.getByLabel('验收说明').fill('刷卡仍然时灵时不灵，晚上要按好几次。');
    await owner.locator('#verdict-photos').setInputFiles([{ name: 'door.png', mimeType: 'image/png', buffer: png({ exif: true }) }]);
    await owner.locator('.upload-done').waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/track/XY (验收 form)')));
    await stage.phone.shot(owner, 'accept-work-form');
    await owner.getByRole('button', { name: '提交验收' }).click();
    await owner.locator('.verdicts li', { hasText: '王秀英' }).getByText('有异议').waitFor();
    await owner.locator('.timeline-disputed .evidence img').waitFor();
    expect(await owner.getByRole('button', { name: '提交验收' }).count()).toBe(0);

    const cosigner = await stage.phone.signIn(stage.demo.cosigners[2]);
    await cosigner.goto(`${stage.server.base}/track/${paid.trackingNo}`);
    await cosigner.getByLabel('已验收').check();
    await cosigner.getByLabel('验收说明').fill('现场看过，新主板已装好，门禁正常。');
    await cosigner.getByRole('button', { name: '提交验收' }).click();
    await cosigner.locator('.verdicts li', { hasText: stage.demo.cosigners[2].displayName }).getByText('已验收').waitFor();
    expect(await cosigner.locator('.timeline-what').allTextContents()).toEqual(
      expect.arrayContaining(['验收通过', '验收有异议']),
    );
    findings.push(...(await stage.phone.problemsAt360(cosigner, '/track/XY (verdicts)')));
    await stage.phone.shot(cosigner, 'accept-work-verdicts');

    const body = (await stage.demo.call(await stage.demo.login(stage.demo.owner), 'GET', `/v1/track/${paid.trackingNo}`)).body;
    expect(body.acceptance.map((v: { by: string; verdict: string }) => [v.by, v.verdict])).toEqual([
      [stage.demo.owner.id, 'disputed'],
      [stage.demo.cosigners[2].id, 'accepted'],
    ]);
    // The open 首页 named both in residents' words.
    await owner.goto(`${stage.server.base}/`);
    await owner.locator('.feed-item', { hasText: '验收有异议' }).first().waitFor();
    await owner.locator('.feed-item', { hasText: '支出已验收' }).first().waitFor();
    expect(findings).toEqual([]);
  });

  it('an owner asks about a line of 收支明细 in public; the manager answers with a document; everyone reads both', async () => {
    const findings: string[] = [];
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.goto(`${stage.server.base}/entries`);
    const entry = owner.locator('.entry', { hasText: '3号楼电梯年度维保' }).first();
    await entry.locator('summary').click();
    await entry.getByRole('link', { name: '对这笔有疑问？发起质询 ›' }).click();
    await owner.getByRole('heading', { name: '发起质询' }).waitFor();
    await owner.getByText(/收支明细第 \d+ 笔/).waitFor();
    await owner.getByRole('button', { name: '公开提问' }).click();
    await owner.locator('.error-summary a', { hasText: '请写下您的问题' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/ask (errors)')));
    await owner.getByLabel('您的问题').fill('电梯维保一年 3280.5 元，合同里包不包含更换配件？');
    await owner.getByRole('button', { name: '公开提问' }).click();
    await owner.waitForURL(/\/challenges\/[^/?]+\?asked=1$/);
    await owner.getByText('质询已公开').waitFor();
    await owner.locator('.status', { hasText: '待答复' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/challenges/:id (open)')));
    await stage.phone.shot(owner, 'challenge-asked');
    const id = new URL(owner.url()).pathname.split('/').pop()!;

    const manager = await stage.phone.signIn(stage.demo.manager);
    await manager.goto(`${stage.server.base}/challenges`);
    await manager.locator('.request', { hasText: '合同里包不包含更换配件' }).getByRole('link').click();
    await manager.getByRole('button', { name: '公开答复' }).click();
    await manager.locator('#answer-text-error').waitFor();
    await manager.getByLabel('答复').fill('不包含。配件按实更换，另行提交支出申请；合同见附件。');
    await manager.locator('#answer-files').setInputFiles([{ name: '维保合同.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') }]);
    await manager.locator('.upload-done').waitFor();
    await manager.getByRole('button', { name: '公开答复' }).click();
    await manager.getByText('答复已公开').waitFor();
    await manager.locator('.status', { hasText: '已答复' }).waitFor();

    // The asker's open page follows the feed: the answer arrives without reload.
    await owner.getByText('合同见附件').waitFor({ timeout: 10_000 });
    await owner.locator('.pdf-chip').waitFor();
    await stage.phone.shot(owner, 'challenge-answered');
    await owner.goto(`${stage.server.base}/challenges`);
    await owner.getByRole('button', { name: '已答复' }).click();
    await owner.locator('.request', { hasText: '合同里包不包含更换配件' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/challenges')));
    const read = (await stage.demo.call(await stage.demo.login(stage.demo.supervisor), 'GET', `/v1/communities/${stage.demo.communityId}/challenges/${id}`)).body;
    expect(read).toMatchObject({ status: 'answered', subject: { type: 'entry' }, askedBy: { displayName: '王秀英' } });
    expect(read.answer.attachments).toHaveLength(1);
    expect(findings).toEqual([]);
  });

  it('a question about a spend request left unanswered past seven days shows in red, on 首页 and in the list', async () => {
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.goto(`${stage.server.base}/track/${paid.trackingNo}`);
    await owner.getByRole('link', { name: '对这笔支出有疑问？向物业管家公开质询 ›' }).click();
    await owner.getByText('2号楼1单元门禁主板更换').waitFor();
    await owner.getByLabel('您的问题').fill('门禁主板 860 元，有没有比过价？');
    await owner.getByRole('button', { name: '公开提问' }).click();
    await owner.waitForURL(/\/challenges\//);
    const id = new URL(owner.url()).pathname.split('/').pop()!;

    // Eight days pass: the question moves back in time as a whole (the guard keeps due = asked + 7 days).
    const db = createDatabase(inject('databaseUrl'), 1);
    try {
      await sql`ALTER TABLE challenges DISABLE TRIGGER challenges_guard`.execute(db);
      try {
        await sql`UPDATE challenges SET asked_at = asked_at - interval '8 days', due_at = due_at - interval '8 days' WHERE id = ${id}`.execute(db);
      } finally {
        await sql`ALTER TABLE challenges ENABLE TRIGGER challenges_guard`.execute(db);
      }
    } finally {
      await db.destroy();
    }

    const supervisor = await stage.phone.signIn(stage.demo.supervisor);
    await supervisor.locator('.alarm', { hasText: '1 条业主质询逾期未答复' }).waitFor();
    const findings = await stage.phone.problemsAt360(supervisor, '/ (overdue)');
    await stage.phone.shot(supervisor, 'home-overdue');
    await supervisor.locator('.alarm a').click();
    await supervisor.getByRole('button', { name: '已逾期' }).click();
    const item = supervisor.locator('.request.overdue', { hasText: '有没有比过价' });
    await item.locator('.status', { hasText: '已逾期' }).waitFor();
    const colour = await item.locator('.status').evaluate((s) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(s).backgroundColor);
    expect(colour).toBe('rgb(143, 36, 30)');
    findings.push(...(await stage.phone.problemsAt360(supervisor, '/challenges (overdue)')));
    await stage.phone.shot(supervisor, 'challenges-overdue');
    expect(findings).toEqual([]);
  });
});
