import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funded, startHarness, type Community, type Harness } from './support/harness.js';
import { evidenceId } from './support/evidence.js';
import { jpeg, pdf } from './support/images.js';
import { accrue, cancel, fundOf, problem, repair, requestsUrl } from './support/spending.js';

/**
 * A submission is one statement under the community's head lock (spending_submit), and its
 * answer is built from what the submission knew and what that statement returned, without
 * reading the request back. These stories hold it to the request as anyone reads it later,
 * and to the rules the statement now keeps under the lock.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());


/** Submits and reads the same request back as its submitter: the two bodies, as sent. */
async function postedAndRead(c: Community, body: Record<string, unknown>) {
  const posted = await c.manager.api.post(requestsUrl(c), body);
  expect(posted.status, posted.text).toBe(201);
  const read = await c.manager.api.get(`${requestsUrl(c)}/${posted.body.id}`);
  expect(read.status).toBe(200);
  return { posted, read };
}

const statuses = (replies: Array<{ status: number; body: any }>) =>
  replies.map((r) => `${r.status}${r.status >= 400 ? ` ${r.body.code}` : ''}`).sort();

describe('the answer to a submission is the request as it is read afterwards', () => {
  it('a plain request, and one with no payee account, description or budget year', async () => {
    const c = await funded(h.app, '5000.00');
    for (const body of [repair(), repair({ payee: { name: 'Cleaner Li' }, description: undefined, budgetYear: undefined })]) {
      const { posted, read } = await postedAndRead(c, body);
      expect(posted.text).toBe(read.text);
      expect(posted.body).toMatchObject({ status: 'pending', approvals: [], attachments: [], timeline: [{ event: 'submitted' }] });
    }
  });

  it('with evidence, a repair and a passed owners’ vote: every step and attachment as read back', async () => {
    const c = await funded(h.app, '5000.00');
    const unit = (await c.admin.post(`/v1/communities/${c.id}/units`, { code: '1-101', building: '1', areaM2: '88.00' })).body.id;
    const owner = await c.addMember(['owner'], { unitIds: [unit] });
    const vote = await c.cosigners[0].api.post(`/v1/communities/${c.id}/votes`, {
      title: '更换水泵',
      matter: 'ordinary',
      closesAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect(vote.status).toBe(201);
    expect((await owner.api.post(`/v1/communities/${c.id}/votes/${vote.body.id}/ballots`, { choice: 'for' })).status).toBe(201);
    const reported = await c.owner.api.post(`/v1/communities/${c.id}/repairs`, { title: '水泵漏水', location: '3号楼地下室' });
    expect(reported.status).toBe(201);
    const quote = await evidenceId(h.app, c, c.manager, pdf(), 'application/pdf');
    const photo = await evidenceId(h.app, c, c.manager, jpeg(), 'image/jpeg');
    await new Promise((r) => setTimeout(r, 1700));

    const { posted, read } = await postedAndRead(c, repair({ attachments: [photo, quote], repairId: reported.body.id, voteId: vote.body.id }));
    expect(posted.text).toBe(read.text);
    expect(posted.body.timeline.map((e: any) => [e.event, e.ref ?? null, e.attachments?.length ?? 0])).toEqual([
      ['submitted', null, 2],
      ['repair', reported.body.trackingNo, 0],
      ['vote', vote.body.id, 0],
    ]);
    expect(posted.body.attachments.map((a: any) => a.id)).toEqual([photo, quote]);
    // The repair's timeline shows the request in turn.
    const repairNow = await c.owner.api.get(`/v1/communities/${c.id}/repairs/${reported.body.id}`);
    expect(repairNow.body.timeline.at(-1)).toMatchObject({ event: 'spend.submitted', ref: posted.body.trackingNo });
  });

  it('the feed item names the tracking number, and a title with % signs reads as it was written', async () => {
    const c = await funded(h.app, '5000.00');
    const title = '100% 完成 %s %1$s %%';
    const { posted, read } = await postedAndRead(c, repair({ title, amount: '12.34' }));
    expect(posted.text).toBe(read.text);
    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=50`)).body.items as any[];
    expect(feed.at(-1)).toMatchObject({
      type: 'spend.submitted',
      ref: posted.body.trackingNo,
      amount: '12.34',
      account: '5105',
      summary: `支出申请 ${posted.body.trackingNo} 已提交：${title} ¥12.34`,
    });
  });
});

describe('racing submissions, under the head lock', () => {
  it('two requests racing for the last available yuan: exactly one is taken, and reserved never exceeds the balance', async () => {
    const c = await funded(h.app, '100.00');
    await c.manager.api.post(requestsUrl(c), repair({ amount: '99.00' }));
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all([1, 2].map(() => c.manager.api.post(requestsUrl(c), repair({ amount: '1.00' }))));
      expect(statuses(replies)).toEqual(['201', '409 insufficient_funds']);
      expect(await fundOf(c)).toMatchObject({ balance: '100.00', reserved: '100.00', available: '0.00' });
      // Free the yuan again for the next round.
      const taken = replies.find((r) => r.status === 201)!;
      expect((await cancel(c, taken.body)).status).toBe(200);
    }
    const rows = await h.db.selectFrom('spend_requests').select(['status']).where('community_id', '=', c.id).execute();
    expect(rows).toHaveLength(6);
  });

  it('two requests racing for the steward’s last accrued remuneration: one is taken, the other is told what is payable', async () => {
    const c = await funded(h.app, '1000.00');
    await accrue(h, c, '50.00');
    const replies = await Promise.all([1, 2].map(() => c.manager.api.post(requestsUrl(c), repair({ account: '2201', amount: '30' }))));
    expect(statuses(replies)).toEqual(['201', '409 invalid_state']);
    const refused = replies.find((r) => r.status !== 201)!;
    problem(refused, 409, 'invalid_state');
    expect(refused.body.detail).toBe('Only 20.00 CNY of accrued remuneration (2201) is payable, less than 30.00');
    expect(await fundOf(c)).toMatchObject({ reserved: '30.00' });
  });
});
