import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';
import { evidenceId } from './support/evidence.js';
import { jpeg, png } from './support/images.js';
import { payout, problem, requestsUrl, submit, twoKeys } from './support/spending.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const accept = (c: Community, who: Person, id: string, body: Record<string, unknown>) => who.api.post(`${requestsUrl(c)}/${id}/acceptance`, body);
const challengesUrl = (c: Community) => `/v1/communities/${c.id}/challenges`;

/** A repair reported by `reporter`, paid for by a two-key request that names it. */
async function paidRepair(c: Community, reporter: Person) {
  await fund(c, '5000.00');
  const repair = (await reporter.api.post(`/v1/communities/${c.id}/repairs`, { title: '单元门禁坏了', location: '5号楼1单元' })).body;
  const request = await submit(c, { title: '修门禁', amount: '300.00', repairId: repair.id });
  await twoKeys(c, request);
  expect((await payout(c, request, 'ICBC-DOOR')).status).toBe(200);
  return { repair, request };
}

describe('验收: the resident who reported the repair, and the co-signers, say whether the money bought it', () => {
  it('the reporter accepts with a photo, a co-signer disputes: both on the timeline, in the request and in the feed', async () => {
    const c = await setupCommunity(h.app);
    const resident = await c.addMember(['owner']);
    const { repair, request } = await paidRepair(c, resident);
    const photo = await evidenceId(h.app, c, resident, jpeg({ exif: true }), 'image/jpeg');
    const accepted = await accept(c, resident, request.id, { verdict: 'accepted', note: '门禁好了', attachments: [photo] });
    expect(accepted.status).toBe(200);
    const disputed = await accept(c, c.cosigners[2], request.id, { verdict: 'disputed', note: '发票金额与报价不符' });
    expect(disputed.status).toBe(200);
    const body = disputed.body;
    expect(body.status).toBe('paid');
    expect(body.acceptance).toEqual([
      { by: resident.id, displayName: expect.any(String), verdict: 'accepted', note: '门禁好了', at: expect.any(String), attachments: [expect.objectContaining({ id: photo })] },
      { by: c.cosigners[2].id, displayName: expect.any(String), verdict: 'disputed', note: '发票金额与报价不符', at: expect.any(String), attachments: [] },
    ]);
    expect(body.timeline.map((e: any) => e.event)).toEqual(['submitted', 'repair', 'key', 'key', 'approved', 'paid', 'accepted', 'disputed']);
    expect(body.timeline[6]).toMatchObject({ actor: { id: resident.id }, note: '门禁好了', attachments: [expect.objectContaining({ id: photo })] });
    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=500`)).body.items;
    const verdicts = feed.filter((i: any) => i.type === 'spend.accepted' || i.type === 'spend.disputed');
    expect(verdicts.map((i: any) => [i.type, i.ref, i.summary])).toEqual([
      ['spend.accepted', request.trackingNo, `支出 ${request.trackingNo} 已验收：修门禁 ¥300.00`],
      ['spend.disputed', request.trackingNo, `支出 ${request.trackingNo} 验收有异议：修门禁 ¥300.00`],
    ]);
    expect(verdicts[1].note).toBe('发票金额与报价不符');
    // The repair shows the request that paid for it.
    const seen = (await c.owner.api.get(`/v1/track/${repair.trackingNo}`)).body;
    expect(seen.spendRequests).toEqual([{ id: request.id, trackingNo: request.trackingNo, status: 'paid', amount: '300.00' }]);
  });

  it('one verdict per person: a second is 409 already_decided, even the other verdict', async () => {
    const c = await setupCommunity(h.app);
    const { request } = await paidRepair(c, c.owner);
    expect((await accept(c, c.owner, request.id, { verdict: 'accepted', note: '好' })).status).toBe(200);
    problem(await accept(c, c.owner, request.id, { verdict: 'disputed', note: '又坏了' }), 409, 'already_decided');
    problem(await accept(c, c.owner, request.id, { verdict: 'accepted', note: '好' }), 409, 'already_decided');
    expect((await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body.acceptance).toHaveLength(1);
  });

  it('not before the payout, not by anyone else, not without a note', async () => {
    const c = await setupCommunity(h.app);
    await fund(c, '1000.00');
    const pending = await submit(c, { amount: '50.00' });
    problem(await accept(c, c.cosigners[0], pending.id, { verdict: 'accepted', note: 'ok' }), 409, 'invalid_state');
    const { request } = await paidRepair(c, c.owner);
    const neighbour = await c.addMember(['owner']);
    problem(await accept(c, neighbour, request.id, { verdict: 'accepted', note: 'ok' }), 403, 'forbidden');
    problem(await accept(c, c.manager, request.id, { verdict: 'accepted', note: 'ok' }), 403, 'forbidden');
    problem(await accept(c, c.supervisor, request.id, { verdict: 'accepted', note: 'ok' }), 403, 'forbidden');
    problem(await accept(c, c.owner, request.id, { verdict: 'maybe', note: 'ok' }), 400, 'validation_failed');
    problem(await accept(c, c.owner, request.id, { verdict: 'accepted' }), 400, 'validation_failed');
    problem(await accept(c, c.owner, request.id, { verdict: 'accepted', note: 'ok', attachments: ['missing'] }), 404, 'not_found');
    // The refused attempts recorded nothing.
    expect((await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body.acceptance).toEqual([]);
    const other = await setupCommunity(h.app);
    problem(await accept(other, other.cosigners[0], request.id, { verdict: 'accepted', note: 'ok' }), 404, 'not_found');
    problem(await accept(c, other.cosigners[0], request.id, { verdict: 'accepted', note: 'ok' }), 404, 'not_found');
    await expect(
      sql`INSERT INTO spend_acceptances (community_id, request_id, user_id, verdict, note, step) VALUES (${c.id}, ${pending.id}, ${c.cosigners[0].id}, 'accepted', 'x', 1)`.execute(h.db),
    ).rejects.toThrow(/not paid/);
  });
});

describe('质询: an owner asks in public, the steward answers within seven days', () => {
  it('questions on an entry, a spend request and a budget; the manager answers with a document; everyone reads both', async () => {
    const c = await setupCommunity(h.app);
    await fund(c, '2000.00');
    const entry = (await c.owner.api.get(`/v1/communities/${c.id}/entries`)).body.items[0];
    const request = await submit(c, { amount: '100.00' });
    expect((await c.manager.api.put(`/v1/communities/${c.id}/budgets/2026`, { lines: [{ account: '5105', amount: '1000.00' }] })).status).toBe(200);

    const asked = await c.owner.api.post(challengesUrl(c), { subject: { type: 'spend-request', id: request.id }, question: '这个水泵为什么要换？' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'open', overdue: false, subject: { type: 'spend-request', id: request.id }, askedBy: { id: c.owner.id }, answer: null });
    expect(Date.parse(asked.body.dueAt) - Date.parse(asked.body.askedAt)).toBe(7 * 24 * 3600 * 1000);
    expect((await c.supervisor.api.post(challengesUrl(c), { subject: { type: 'entry', id: entry.id }, question: '这笔收入是谁付的？' })).status).toBe(201);
    expect((await c.owner.api.post(challengesUrl(c), { subject: { type: 'budget', id: '2026' }, question: '维修预算为何翻倍？' })).status).toBe(201);

    const doc = await evidenceId(h.app, c, c.manager, png(), 'image/png');
    const answered = await c.manager.api.post(`${challengesUrl(c)}/${asked.body.id}/answer`, { answer: '旧泵漏水，见检测报告', attachments: [doc] });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'answered', overdue: false, answer: { text: '旧泵漏水，见检测报告', by: { id: c.manager.id }, attachments: [expect.objectContaining({ id: doc })] } });
    problem(await c.manager.api.post(`${challengesUrl(c)}/${asked.body.id}/answer`, { answer: '再答一次' }), 409, 'invalid_state');

    const open = (await c.cosigners[0].api.get(`${challengesUrl(c)}?status=open`)).body.items;
    expect(open.map((i: any) => i.subject.type)).toEqual(['entry', 'budget']);
    const all = (await c.owner.api.get(`${challengesUrl(c)}?limit=2`)).body;
    expect(all.items).toHaveLength(2);
    expect((await c.owner.api.get(`${challengesUrl(c)}?after=${all.nextAfter}`)).body.items).toHaveLength(1);
    expect((await c.owner.api.get(`${challengesUrl(c)}?status=answered`)).body.items.map((i: any) => i.id)).toEqual([asked.body.id]);

    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=500`)).body.items;
    expect(feed.filter((i: any) => i.type.startsWith('challenge.')).map((i: any) => i.type)).toEqual([
      'challenge.opened', 'challenge.opened', 'challenge.opened', 'challenge.answered',
    ]);
    expect(feed.find((i: any) => i.type === 'challenge.opened').summary).toBe('业主质询：这个水泵为什么要换？（7天内答复）');
  });

  it('a question left open past its seven days shows as overdue to everyone', async () => {
    const c = await setupCommunity(h.app);
    const request = await (async () => {
      await fund(c, '100.00');
      return submit(c, { amount: '10.00' });
    })();
    const asked = (await c.owner.api.post(challengesUrl(c), { subject: { type: 'spend-request', id: request.id }, question: '为什么？' })).body;
    // Eight days pass: the question is moved back in time as a whole (the guard keeps due = asked + 7 days).
    await sql`ALTER TABLE challenges DISABLE TRIGGER challenges_guard`.execute(h.db);
    try {
      await sql`UPDATE challenges SET asked_at = asked_at - interval '8 days', due_at = due_at - interval '8 days' WHERE community_id = ${c.id}`.execute(h.db);
    } finally {
      await sql`ALTER TABLE challenges ENABLE TRIGGER challenges_guard`.execute(h.db);
    }
    const seen = (await c.supervisor.api.get(`${challengesUrl(c)}/${asked.id}`)).body;
    expect(seen).toMatchObject({ status: 'open', overdue: true });
    expect((await c.owner.api.get(`${challengesUrl(c)}?status=overdue`)).body.items.map((i: any) => i.id)).toEqual([asked.id]);
    const late = (await c.manager.api.post(`${challengesUrl(c)}/${asked.id}/answer`, { answer: '迟到的答复' })).body;
    expect(late).toMatchObject({ status: 'answered', overdue: false });
    expect((await c.owner.api.get(`${challengesUrl(c)}?status=overdue`)).body.items).toEqual([]);
  });

  it('questions on things that do not exist, or belong elsewhere, are 404; only a manager answers', async () => {
    const [c, other] = await Promise.all([setupCommunity(h.app), setupCommunity(h.app)]);
    await fund(other, '100.00');
    const foreignRequest = await submit(other, { amount: '10.00' });
    const foreignEntry = (await other.owner.api.get(`/v1/communities/${other.id}/entries`)).body.items[0];
    for (const subject of [
      { type: 'entry', id: 'no-such-entry' },
      { type: 'entry', id: foreignEntry.id },
      { type: 'spend-request', id: foreignRequest.id },
      { type: 'spend-request', id: 'nope' },
      { type: 'budget', id: '2026' },
      { type: 'budget', id: 'next-year' },
    ]) {
      problem(await c.owner.api.post(challengesUrl(c), { subject, question: '?' }), 404, 'not_found');
    }
    problem(await c.owner.api.post(challengesUrl(c), { subject: { type: 'unit', id: 'x' }, question: '?' }), 400, 'validation_failed');
    problem(await c.owner.api.post(challengesUrl(c), { subject: { type: 'budget', id: '2026' }, question: '   ' }), 400, 'validation_failed');
    expect((await c.owner.api.get(challengesUrl(c))).body.items).toEqual([]);

    await fund(c, '100.00');
    const request = await submit(c, { amount: '10.00' });
    const asked = (await c.owner.api.post(challengesUrl(c), { subject: { type: 'spend-request', id: request.id }, question: '?' })).body;
    problem(await c.owner.api.post(`${challengesUrl(c)}/${asked.id}/answer`, { answer: '我自己答' }), 403, 'forbidden');
    problem(await c.cosigners[0].api.post(`${challengesUrl(c)}/${asked.id}/answer`, { answer: '共管人答' }), 403, 'forbidden');
    problem(await other.manager.api.post(`${challengesUrl(c)}/${asked.id}/answer`, { answer: '外人答' }), 404, 'not_found');
    problem(await other.manager.api.post(`${challengesUrl(other)}/${asked.id}/answer`, { answer: '外人答' }), 404, 'not_found');
    problem(await other.owner.api.get(`${challengesUrl(c)}/${asked.id}`), 404, 'not_found');
    problem(await c.manager.api.post(`${challengesUrl(c)}/nope/answer`, { answer: 'x' }), 404, 'not_found');
    await expect(sql`UPDATE challenges SET question = 'changed' WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/never changes/);
    await expect(sql`DELETE FROM challenges WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/append-only/);
  });
});

