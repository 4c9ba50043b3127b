import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';
import { evidenceId } from './support/evidence.js';
import { jpeg, pdf, GPS_MARK } from './support/images.js';
import { problem, repair as spendBody, requestsUrl, twoKeys } from './support/spending.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const repairsUrl = (c: Community) => `/v1/communities/${c.id}/repairs`;
const report = (c: Community, who: Person, body: Record<string, unknown> = {}) =>
  who.api.post(repairsUrl(c), { title: '3号楼楼道灯不亮', location: '3号楼2单元4楼', ...body });
const act = (c: Community, who: Person, id: string, event: string, extra: Record<string, unknown> = {}) =>
  who.api.post(`${repairsUrl(c)}/${id}/events`, { event, ...extra });

describe('from the broken lamp to the receipt: a resident reports, the steward repairs, the money follows', () => {
  it('reported with a photo, assigned, started, done, paid under two keys, confirmed: each step on both timelines', async () => {
    const c = await setupCommunity(h.app);
    await fund(c, '5000.00');
    const photo = await evidenceId(h.app, c, c.owner, jpeg({ exif: true }), 'image/jpeg');
    const reported = await report(c, c.owner, { description: '晚上一片漆黑', attachments: [photo] });
    expect(reported.status).toBe(201);
    const r = reported.body;
    expect(r).toMatchObject({ status: 'reported', title: '3号楼楼道灯不亮', location: '3号楼2单元4楼', reportedBy: { id: c.owner.id } });
    expect(r.trackingNo).toMatch(/^BX-\d{4}-\d+-000001$/);
    expect(r.timeline).toEqual([
      { at: expect.any(String), event: 'reported', actor: expect.objectContaining({ id: c.owner.id }), attachments: [expect.objectContaining({ id: photo })] },
    ]);
    const second = await report(c, c.supervisor, { title: '电梯异响' });
    expect(second.body.trackingNo).toMatch(/-000002$/);

    expect((await act(c, c.manager, r.id, 'assigned', { note: '电工老王' })).body.status).toBe('assigned');
    expect((await act(c, c.manager, r.id, 'started')).body.status).toBe('started');

    const quote = await evidenceId(h.app, c, c.manager, pdf(), 'application/pdf');
    const submitted = await c.manager.api.post(requestsUrl(c), spendBody({ title: '更换楼道灯', amount: '120.00', repairId: r.id, attachments: [quote] }), { 'idempotency-key': 'lamp-1' });
    expect(submitted.status).toBe(201);
    const request = submitted.body;
    expect(request.repairId).toBe(r.id);
    expect(request.timeline.map((e: any) => [e.event, e.ref])).toEqual([['submitted', undefined], ['repair', r.trackingNo]]);
    // Idempotent like every money-moving request: the retry replays, nothing is reserved twice.
    const retry = await c.manager.api.post(requestsUrl(c), spendBody({ title: '更换楼道灯', amount: '120.00', repairId: r.id, attachments: [quote] }), { 'idempotency-key': 'lamp-1' });
    expect(retry.body.id).toBe(request.id);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/fund`)).body.reserved).toBe('120.00');

    await twoKeys(c, request);
    // The invoice goes with the payout, on its 'paid' step.
    const invoice = await evidenceId(h.app, c, c.manager, pdf(), 'application/pdf');
    const paidOut = await c.manager.api.post(`${requestsUrl(c)}/${request.id}/payout`, { bankReference: 'ICBC-LAMP', attachments: [invoice] });
    expect(paidOut.status).toBe(200);
    expect(paidOut.body.timeline.at(-1)).toMatchObject({ event: 'paid', attachments: [expect.objectContaining({ id: invoice })] });
    expect((await act(c, c.manager, r.id, 'done', { note: '已更换LED灯' })).body.status).toBe('done');
    const confirmed = await act(c, c.owner, r.id, 'confirmed', { note: '灯亮了，谢谢' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('confirmed');

    const tracked = await c.cosigners[2].api.get(`/v1/track/${r.trackingNo}`);
    expect(tracked.status).toBe(200);
    expect(tracked.body.timeline.map((e: any) => [e.event, e.ref ?? e.note ?? null])).toEqual([
      ['reported', null],
      ['assigned', '电工老王'],
      ['started', null],
      ['spend.submitted', request.trackingNo],
      ['spend.paid', request.trackingNo],
      ['done', '已更换LED灯'],
      ['confirmed', '灯亮了，谢谢'],
    ]);
    expect(tracked.body.spendRequests).toEqual([{ id: request.id, trackingNo: request.trackingNo, status: 'paid', amount: '120.00' }]);
    const times = tracked.body.timeline.map((e: any) => e.at);
    expect([...times].sort()).toEqual(times);

    // The resident who reported it accepts the work (验收), and an owner asks in public why it
    // cost what it did (质询); the steward answers. The request's one timeline tells it all.
    const accepted = await c.owner.api.post(`${requestsUrl(c)}/${request.id}/acceptance`, { verdict: 'accepted', note: '灯亮了，验收合格' });
    expect(accepted.status).toBe(200);
    const paid = (await c.owner.api.get(`/v1/track/${request.trackingNo}`)).body;
    expect(paid.timeline.map((e: any) => e.event)).toEqual(['submitted', 'repair', 'key', 'key', 'approved', 'paid', 'accepted']);
    expect(paid.acceptance).toEqual([expect.objectContaining({ by: c.owner.id, verdict: 'accepted', note: '灯亮了，验收合格' })]);
    const asked = await c.owner.api.post(`/v1/communities/${c.id}/challenges`, { subject: { type: 'spend-request', id: request.id }, question: '换一盏灯为什么要120元？' });
    expect(asked.status).toBe(201);
    const answered = await c.manager.api.post(`/v1/communities/${c.id}/challenges/${asked.body.id}/answer`, { answer: '含两盏LED灯与人工，报价单见附件', attachments: [quote] });
    expect(answered.status).toBe(200);
    const challenges = (await c.supervisor.api.get(`/v1/communities/${c.id}/challenges`)).body.items;
    expect(challenges).toEqual([expect.objectContaining({ id: asked.body.id, status: 'answered', overdue: false })]);

    // The photo shown to the community carries no location.
    const bytes = await h.app.inject({ method: 'GET', url: `/v1/communities/${c.id}/attachments/${photo}`, headers: { authorization: `Bearer ${c.supervisor.token}` } });
    expect(bytes.rawPayload.includes(GPS_MARK)).toBe(false);

    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=500`)).body.items;
    const repairItems = feed.filter((i: any) => i.ref === r.trackingNo);
    expect(repairItems.map((i: any) => i.type)).toEqual(['repair.reported', 'repair.updated', 'repair.updated', 'repair.updated', 'repair.updated']);
    expect(repairItems[0].summary).toBe(`报修 ${r.trackingNo} 已登记：3号楼楼道灯不亮（3号楼2单元4楼）`);
    expect(repairItems[1].summary).toBe(`报修 ${r.trackingNo} 已派单：3号楼楼道灯不亮`);
    expect(repairItems.at(-1).summary).toBe(`报修 ${r.trackingNo} 已确认修好：3号楼楼道灯不亮`);
    expect(repairItems[0].actor).toEqual({ id: c.owner.id, displayName: expect.any(String) });
  });

  it('a repair done badly is reopened by a co-signer and worked again', async () => {
    const c = await setupCommunity(h.app);
    const r = (await report(c, c.owner)).body;
    for (const e of ['assigned', 'started', 'done']) expect((await act(c, c.manager, r.id, e)).status).toBe(200);
    expect((await act(c, c.cosigners[0], r.id, 'reopened', { note: '还是不亮' })).body.status).toBe('reopened');
    expect((await act(c, c.manager, r.id, 'started')).body.status).toBe('started');
    expect((await act(c, c.manager, r.id, 'done')).body.status).toBe('done');
    expect((await act(c, c.owner, r.id, 'confirmed')).body.status).toBe('confirmed');
  });

  it('the reporter withdraws a report before anyone takes it', async () => {
    const c = await setupCommunity(h.app);
    const r = (await report(c, c.owner)).body;
    expect((await act(c, c.owner, r.id, 'cancelled', { note: '自己修好了' })).body.status).toBe('cancelled');
    problem(await act(c, c.manager, r.id, 'assigned'), 409, 'invalid_state');
  });
});

describe('who may do what to a repair, and in which order', () => {
  let c: Community;
  let r: any;
  beforeAll(async () => {
    c = await setupCommunity(h.app);
    r = (await report(c, c.owner)).body;
  });

  it('an owner acting as the manager is 403 and changes nothing', async () => {
    for (const e of ['assigned', 'started', 'done']) problem(await act(c, c.owner, r.id, e), 403, 'forbidden');
    problem(await act(c, c.cosigners[0], r.id, 'assigned'), 403, 'forbidden');
    expect((await c.owner.api.get(`${repairsUrl(c)}/${r.id}`)).body.status).toBe('reported');
  });

  it('only the reporter cancels, only the reporter or a co-signer confirms', async () => {
    problem(await act(c, c.manager, r.id, 'cancelled'), 403, 'forbidden');
    problem(await act(c, c.supervisor, r.id, 'confirmed'), 403, 'forbidden');
    problem(await act(c, c.manager, r.id, 'reopened'), 403, 'forbidden');
  });

  it('events out of order are 409 invalid_state', async () => {
    problem(await act(c, c.manager, r.id, 'started'), 409, 'invalid_state');
    problem(await act(c, c.manager, r.id, 'done'), 409, 'invalid_state');
    problem(await act(c, c.owner, r.id, 'confirmed'), 409, 'invalid_state');
    expect((await act(c, c.manager, r.id, 'assigned')).status).toBe(200);
    problem(await act(c, c.manager, r.id, 'assigned'), 409, 'invalid_state');
    problem(await act(c, c.owner, r.id, 'cancelled'), 409, 'invalid_state');
    const seen = (await c.owner.api.get(`${repairsUrl(c)}/${r.id}`)).body;
    expect(seen.timeline.map((e: any) => e.event)).toEqual(['reported', 'assigned']);
  });

  it('bad bodies are 400: unknown events and fields, blank titles, duplicate photos', async () => {
    problem(await act(c, c.manager, r.id, 'paid'), 400, 'validation_failed');
    problem(await act(c, c.manager, r.id, 'started', { status: 'done' }), 400, 'validation_failed');
    problem(await report(c, c.owner, { title: '   ' }), 400, 'validation_failed');
    problem(await report(c, c.owner, { location: undefined }), 400, 'validation_failed');
    const photo = await evidenceId(h.app, c, c.owner, jpeg(), 'image/jpeg');
    problem(await report(c, c.owner, { attachments: [photo, photo] }), 400, 'validation_failed');
    problem(await report(c, c.owner, { attachments: ['nope'] }), 404, 'not_found');
  });

  it('the database refuses a move the service would refuse, and a rewritten report', async () => {
    await expect(sql`UPDATE repairs SET status = 'confirmed' WHERE community_id = ${c.id} AND id = ${r.id}`.execute(h.db)).rejects.toThrow(/may not go from assigned to confirmed/);
    await expect(sql`UPDATE repairs SET title = 'x' WHERE community_id = ${c.id} AND id = ${r.id}`.execute(h.db)).rejects.toThrow(/only its status moves/);
    await expect(sql`DELETE FROM repair_events WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/append-only/);
  });
});

describe('repairs belong to their community', () => {
  it('another community sees none of it: 404 for the repair, its events, its tracking number and its photos in a report', async () => {
    const [a, b] = await Promise.all([setupCommunity(h.app), setupCommunity(h.app)]);
    await fund(b, '1000.00');
    const r = (await report(a, a.owner)).body;
    problem(await b.manager.api.get(`${repairsUrl(a)}/${r.id}`), 404, 'not_found');
    problem(await b.manager.api.get(`${repairsUrl(b)}/${r.id}`), 404, 'not_found');
    problem(await act(b, b.manager, r.id, 'assigned'), 404, 'not_found');
    problem(await act(a, b.manager, r.id, 'assigned'), 404, 'not_found');
    problem(await b.owner.api.get(`/v1/track/${r.trackingNo}`), 404, 'not_found');
    problem(await b.owner.api.get('/v1/track/BX-2026-999999-000001'), 404, 'not_found');
    const foreignPhoto = await evidenceId(h.app, a, a.owner, jpeg(), 'image/jpeg');
    problem(await report(b, b.owner, { attachments: [foreignPhoto] }), 404, 'not_found');
    // A spend request of b naming a's repair: 404, nothing stored or reserved.
    problem(await b.manager.api.post(requestsUrl(b), spendBody({ repairId: r.id })), 404, 'not_found');
    expect((await b.owner.api.get(`/v1/communities/${b.id}/fund`)).body.reserved).toBe('0.00');
    expect((await b.owner.api.get(requestsUrl(b))).body.items).toEqual([]);
  });
});

describe('the list of repairs', () => {
  it('filters by status and pages with a cursor', async () => {
    const c = await setupCommunity(h.app);
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await report(c, c.owner, { title: `报修 ${i}` })).body);
    await act(c, c.manager, made[1].id, 'assigned');
    await act(c, c.manager, made[3].id, 'assigned');
    const assigned = (await c.supervisor.api.get(`${repairsUrl(c)}?status=assigned`)).body;
    expect(assigned.items.map((i: any) => i.id)).toEqual([made[1].id, made[3].id]);
    const first = (await c.owner.api.get(`${repairsUrl(c)}?limit=2`)).body;
    expect(first.items.map((i: any) => i.title)).toEqual(['报修 0', '报修 1']);
    const second = (await c.owner.api.get(`${repairsUrl(c)}?limit=2&after=${first.nextAfter}`)).body;
    expect(second.items.map((i: any) => i.title)).toEqual(['报修 2', '报修 3']);
    const last = (await c.owner.api.get(`${repairsUrl(c)}?limit=2&after=${second.nextAfter}`)).body;
    expect(last).toMatchObject({ items: [expect.objectContaining({ title: '报修 4' })], nextAfter: null });
    problem(await c.owner.api.get(`${repairsUrl(c)}?status=lost`), 400, 'validation_failed');
    problem(await c.owner.api.get(`${repairsUrl(c)}?after=garbage`), 400, 'validation_failed');
  });
});
