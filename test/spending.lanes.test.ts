import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashLanes } from '../src/db/group-commit.js';
import { funded, setupCommunity, startHarness, unique, type Community, type Harness, type Reply } from './support/harness.js';
import { evidenceId } from './support/evidence.js';
import { jpeg } from './support/images.js';
import { holdHead as holdLock } from './support/locks.js';
import { expectProblem } from './support/problems.js';
import { accrue, fundOf, repair, requestsUrl } from './support/spending.js';

/**
 * A spend request without an Idempotency-Key rides a lane with the submissions of other
 * communities (spending.lanes.ts): one membership read, one account read and one policy read
 * for the batch, then one statement, `spending_submit_each`, that writes them all. These
 * stories hold the lane to what a submission alone does: the numbers, the reservations, the
 * refusals and the answers.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const holdHead = (communityId: string) => holdLock(h.db, communityId);

const codes = (replies: Array<{ status: number; body: any }>) => replies.map((r) => `${r.status}${r.status >= 400 ? ` ${r.body.code}` : ''}`);

/** The request number at the end of a tracking number, and the community number in it. */
const numberOf = (trackingNo: string) => Number(trackingNo.slice(-6));
const communityNumberOf = (trackingNo: string) => Number(trackingNo.split('-')[2]);

async function communityNumber(c: Community): Promise<number> {
  return (await c.owner.api.get(`/v1/communities/${c.id}`)).body.number;
}

/** A submission as spending_submit_each reads it, by the community's manager. */
function item(c: Community, amount: string, account = '5105') {
  return {
    communityId: c.id,
    request: {
      id: randomUUID(),
      title: `Lane ${amount}`,
      description: null,
      amount,
      account,
      payeeName: 'Lane Co.',
      payeeAccount: null,
      budgetYear: null,
      digest: 'a'.repeat(64),
      submittedBy: c.manager.id,
      repairId: null,
      remuneration: account === '2201',
    },
    attachments: [],
    steps: [],
    feed: { type: 'spend.submitted', amount, account, summary: '支出申请 %1$s', ref: '%1$s', actorId: c.manager.id, details: {} },
  };
}

async function submitEach(items: unknown[], skipLocked = false) {
  const { rows } = await sql<{ ord: number; community_id: string; status: string; seq: number | null; tracking_no: string | null; payable: string | null }>`
    SELECT ord, community_id, status, seq, tracking_no, payable FROM spending_submit_each(${JSON.stringify(items)}::jsonb, ${skipLocked})`.execute(h.db);
  return rows;
}

async function openRequests(c: Community): Promise<number> {
  const rows = await h.db.selectFrom('spend_requests').select('id').where('community_id', '=', c.id).execute();
  return rows.length;
}

describe('submissions of many communities in one burst', () => {
  it('all land, each numbered in its own community, each fund reserving its own, each answer the request as read back', async () => {
    const cities = await Promise.all(Array.from({ length: 6 }, () => funded(h.app, '1000.00')));
    const numbers = await Promise.all(cities.map(communityNumber));
    const replies = await Promise.all(
      cities.flatMap((c, i) => Array.from({ length: 4 }, () => c.manager.api.post(requestsUrl(c), repair({ amount: `${i + 1}0.00` })))),
    );
    expect(codes(replies)).toEqual(Array(24).fill('201'));
    for (const [i, c] of cities.entries()) {
      const own = replies.slice(i * 4, i * 4 + 4);
      expect(own.map((r) => communityNumberOf(r.body.trackingNo)), `community ${i}`).toEqual(Array(4).fill(numbers[i]));
      expect(own.map((r) => numberOf(r.body.trackingNo)).sort()).toEqual([1, 2, 3, 4]);
      expect(await fundOf(c)).toMatchObject({ balance: '1000.00', reserved: `${4 * (i + 1)}0.00` });
      for (const posted of own) {
        const read = await c.manager.api.get(`${requestsUrl(c)}/${posted.body.id}`);
        expect(posted.text).toBe(read.text);
      }
      const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=50`)).body.items as any[];
      const submitted = feed.filter((f) => f.type === 'spend.submitted').map((f) => f.ref).sort();
      expect(submitted).toEqual(own.map((r) => r.body.trackingNo).sort());
    }
  });

  it('with evidence and a passed owners’ vote, the answer is the request as read back', async () => {
    const c = await funded(h.app, '5000.00');
    const unit = (await c.admin.post(`/v1/communities/${c.id}/units`, { code: '1-101', building: '1', areaM2: '88.00' })).body.id;
    const owner = await c.addMember(['owner'], { unitIds: [unit] });
    const vote = await c.cosigners[0].api.post(`/v1/communities/${c.id}/votes`, { title: '更换水泵', matter: 'ordinary', closesAt: new Date(Date.now() + 1500).toISOString() });
    expect(vote.status).toBe(201);
    expect((await owner.api.post(`/v1/communities/${c.id}/votes/${vote.body.id}/ballots`, { choice: 'for' })).status).toBe(201);
    const photo = await evidenceId(h.app, c, c.manager, jpeg(), 'image/jpeg');
    await new Promise((r) => setTimeout(r, 1700));
    const posted = await c.manager.api.post(requestsUrl(c), repair({ attachments: [photo], voteId: vote.body.id }));
    expect(posted.status, posted.text).toBe(201);
    const read = await c.manager.api.get(`${requestsUrl(c)}/${posted.body.id}`);
    expect(posted.text).toBe(read.text);
    expect(posted.body.timeline.map((e: any) => [e.event, e.attachments?.length ?? 0])).toEqual([['submitted', 1], ['vote', 0]]);
  });
});

describe('several requests of one community in one batch', () => {
  it('each is compared with what the earlier ones left: the one that no longer fits is refused alone, writing nothing', async () => {
    const [c, other] = await Promise.all([funded(h.app, '100.00'), funded(h.app, '100.00')]);
    const rows = await submitEach([item(c, '60.00'), item(c, '50.00'), item(other, '10.00'), item(c, '30.00'), item(c, '10.01')]);
    expect(rows.map((r) => [r.ord, r.status, r.seq])).toEqual([
      [1, 'done', 1],
      [2, 'insufficient_funds', null],
      [3, 'done', 1],
      [4, 'done', 2],
      [5, 'insufficient_funds', null],
    ]);
    expect(rows[3]!.tracking_no).toMatch(/-000002$/);
    expect(await fundOf(c)).toMatchObject({ reserved: '90.00', available: '10.00' });
    expect(await fundOf(other)).toMatchObject({ reserved: '10.00' });
    expect(await openRequests(c)).toBe(2);
  });

  it('the steward’s remuneration: a request that asks more than the earlier ones left is refused with what is payable', async () => {
    const c = await funded(h.app, '1000.00');
    await accrue(h, c, '50.00');
    const rows = await submitEach([item(c, '30.00', '2201'), item(c, '30.00', '2201'), item(c, '20.00', '2201')]);
    expect(rows.map((r) => [r.status, r.seq, r.payable])).toEqual([
      ['done', 1, null],
      ['remuneration', null, '20.00'],
      ['done', 2, null],
    ]);
    expect(await fundOf(c)).toMatchObject({ reserved: '50.00' });
  });

  it('through the API, a burst on a small fund beside a large one: the small one takes what fits, the large one all', async () => {
    const [small, large] = await Promise.all([funded(h.app, '100.00'), funded(h.app, '1000.00')]);
    const replies = await Promise.all([small, large].flatMap((c) => Array.from({ length: 5 }, () => c.manager.api.post(requestsUrl(c), repair({ amount: '30.00' })))));
    expect(codes(replies.slice(0, 5)).sort()).toEqual(['201', '201', '201', '409 insufficient_funds', '409 insufficient_funds']);
    expect(codes(replies.slice(5))).toEqual(Array(5).fill('201'));
    expect(await fundOf(small)).toMatchObject({ reserved: '90.00' });
    expect(await fundOf(large)).toMatchObject({ reserved: '150.00' });
    const taken = replies.slice(0, 5).filter((r) => r.status === 201).map((r) => numberOf(r.body.trackingNo));
    expect(taken.sort()).toEqual([1, 2, 3]);
  });
});

describe('a community whose head another writer holds', () => {
  it('is left out, unwritten, by a statement that skips busy heads, which writes the others', async () => {
    const [busy, free] = await Promise.all([funded(h.app, '100.00'), funded(h.app, '100.00')]);
    const { release, other } = await holdHead(busy.id);
    const rows = await submitEach([item(busy, '10.00'), item(free, '10.00')], true);
    expect(rows.map((r) => [r.community_id, r.status])).toEqual([
      [busy.id, 'busy'],
      [free.id, 'done'],
    ]);
    release();
    await other;
    expect(await fundOf(busy)).toMatchObject({ reserved: '0.00' });
    expect(await openRequests(busy)).toBe(0);
  });

  it('through the API, its requests are answered once it is free, and the lane goes on meanwhile', async () => {
    // Others of the busy community's own lane (spending.lanes.ts waits in hashLanes(4)), so
    // that a lane waiting for the busy head would hold them up, and some of other lanes.
    const laneOf = hashLanes(4);
    const cities = await Promise.all(Array.from({ length: 6 }, () => funded(h.app, '1000.00')));
    while (cities.filter((c) => laneOf(c.id) === laneOf(cities[0]!.id)).length < 3) cities.push(await funded(h.app, '1000.00'));
    const [busy, ...others] = cities;
    const { release, other } = await holdHead(busy!.id);
    const post = (c: Community) => c.manager.api.post(requestsUrl(c), repair({ amount: '10.00' }));
    const waiting = Promise.all([post(busy!), post(busy!)]);
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(others.map(post));
      expect(codes(replies)).toEqual(others.map(() => '201'));
    }
    release();
    await other;
    const answered = await waiting;
    expect(codes(answered)).toEqual(['201', '201']);
    expect(answered.map((r) => numberOf(r.body.trackingNo)).sort()).toEqual([1, 2]);
    expect(await fundOf(busy!)).toMatchObject({ reserved: '20.00' });
    for (const c of others) expect(await fundOf(c)).toMatchObject({ reserved: '30.00' });
  });
});

describe('refusals in a burst are those a submission alone gets', () => {
  it('an outsider 404, a non-manager 403, an invalid request 400, each before the next rule, and the rest land', async () => {
    const [c, elsewhere] = await Promise.all([funded(h.app, '1000.00'), setupCommunity(h.app)]);
    expect((await c.admin.put(`/v1/communities/${c.id}/policy`, { voteRequiredAbove: '500.00' })).status).toBe(200);
    const url = requestsUrl(c);
    const asks: Array<[string, () => Promise<Reply>]> = [
      ['201', () => c.manager.api.post(url, repair({ amount: '10.00' }))],
      // A manager of another community is an outsider here: told nothing, whatever the body.
      ['404 not_found', () => elsewhere.manager.api.post(url, repair({ amount: '0', account: '4101' }))],
      // An owner is not a manager, and hears so before anything about the body.
      ['403 forbidden', () => c.owner.api.post(url, repair({ account: '4101' }))],
      ['400 validation_failed', () => c.manager.api.post(url, repair({ amount: '0' }))],
      ['400 validation_failed', () => c.manager.api.post(url, repair({ account: '4101' }))],
      ['400 validation_failed', () => c.manager.api.post(url, repair({ account: '5999' }))],
      ['400 validation_failed', () => c.manager.api.post(url, repair({ payee: { name: 'X', account: '12-3-4-5' } }))],
      // The fields are checked before the evidence, the evidence before the vote.
      ['400 validation_failed', () => c.manager.api.post(url, repair({ account: '4101', attachments: [randomUUID()] }))],
      ['404 not_found', () => c.manager.api.post(url, repair({ amount: '600.00', attachments: [randomUUID()] }))],
      ['409 quorum_not_met', () => c.manager.api.post(url, repair({ amount: '600.00' }))],
      ['409 quorum_not_met', () => c.manager.api.post(url, repair({ voteId: randomUUID() }))],
      ['201', () => c.manager.api.post(url, repair({ amount: '20.00' }))],
    ];
    const inLane = await Promise.all(asks.map(([, ask]) => ask()));
    expect(codes(inLane)).toEqual(asks.map(([expected]) => expected));
    for (const reply of inLane.filter((r) => r.status >= 400)) expectProblem(reply, reply.status, reply.body.code);
    expect(await fundOf(c)).toMatchObject({ reserved: '30.00' });
  });

  it('the lane and the single path answer the same refusal with the same body', async () => {
    const [c, elsewhere] = await Promise.all([funded(h.app, '100.00'), setupCommunity(h.app)]);
    await accrue(h, c, '5.00');
    const url = requestsUrl(c);
    const bodies: Array<[typeof c.manager, Record<string, unknown>]> = [
      [elsewhere.manager, repair()],
      [c.owner, repair()],
      [c.manager, repair({ account: '4101' })],
      [c.manager, repair({ amount: '1000.00' })],
      [c.manager, repair({ account: '2201', amount: '6.00' })],
      [c.manager, repair({ attachments: [randomUUID()] })],
    ];
    for (const [who, body] of bodies) {
      const inLane = await who.api.post(url, body);
      const alone = await who.api.post(url, body, { 'idempotency-key': unique('key') });
      expect(inLane.status).toBeGreaterThanOrEqual(400);
      expect({ status: inLane.status, text: inLane.text }).toEqual({ status: alone.status, text: alone.text });
    }
    expect(await fundOf(c)).toMatchObject({ reserved: '0.00' });
  });
});

describe('the single path runs the same statement', () => {
  it('with an Idempotency-Key, two requests racing for the last yuan: one is taken, the other refused', async () => {
    const c = await funded(h.app, '100.00');
    const replies = await Promise.all([1, 2].map(() => c.manager.api.post(requestsUrl(c), repair({ amount: '60.00' }), { 'idempotency-key': unique('key') })));
    expect(codes(replies).sort()).toEqual(['201', '409 insufficient_funds']);
    const taken = replies.find((r) => r.status === 201)!;
    expect(taken.text).toBe((await c.manager.api.get(`${requestsUrl(c)}/${taken.body.id}`)).text);
    expect(await fundOf(c)).toMatchObject({ reserved: '60.00' });
  });

  it('spending_submit raises the refusals it always raised', async () => {
    const c = await funded(h.app, '10.00');
    await accrue(h, c, '5.00');
    const one = (i: ReturnType<typeof item>) =>
      sql`SELECT * FROM spending_submit(${c.id}, ${JSON.stringify(i.request)}::jsonb, '[]'::jsonb, '[]'::jsonb, ${JSON.stringify(i.feed)}::jsonb)`.execute(h.db);
    await expect(one(item(c, '11.00'))).rejects.toMatchObject({ code: '23514', constraint: 'available_not_negative' });
    await expect(one(item(c, '6.00', '2201'))).rejects.toMatchObject({ code: '23514', constraint: 'remuneration_payable', detail: '5.00' });
    await expect(
      sql`SELECT * FROM spending_submit(${randomUUID()}, ${JSON.stringify(item(c, '1.00').request)}::jsonb, '[]'::jsonb, '[]'::jsonb, '{}'::jsonb)`.execute(h.db),
    ).rejects.toMatchObject({ code: 'P0002' });
    const { rows } = await one(item(c, '10.00'));
    expect(rows).toHaveLength(1);
    expect(await fundOf(c)).toMatchObject({ reserved: '10.00', available: '0.00' });
  });
});
