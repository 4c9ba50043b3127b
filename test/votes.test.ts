import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const votesUrl = (c: Community) => `/v1/communities/${c.id}/votes`;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function addUnit(c: Community, code: string, areaM2: string): Promise<string> {
  const reply = await c.admin.post(`/v1/communities/${c.id}/units`, { code, building: code.split('-')[0], areaM2 });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

/**
 * 和园小区, as a hand count sees it (areas in m²):
 *   张  holds 1-101 (89.37) and 1-102 (120.50)      one owner, 209.87
 *   王先生 and 王太太 share 2-201 (65.13)             two owners, one unit
 *   李  holds 2-202 (143.88); 赵 3-301 (98.00); 陈 3-302 (76.45)
 * Six owners, 593.33 m². The harness's `owner` holds no unit: not an owner for a vote.
 */
async function heyuan() {
  const c = await setupCommunity(h.app);
  const [u101, u102, u201, u202, u301, u302] = [
    await addUnit(c, '1-101', '89.37'),
    await addUnit(c, '1-102', '120.50'),
    await addUnit(c, '2-201', '65.13'),
    await addUnit(c, '2-202', '143.88'),
    await addUnit(c, '3-301', '98.00'),
    await addUnit(c, '3-302', '76.45'),
  ];
  const [zhang, wangHusband, wangWife, li, zhao, chen, committeeAdmin] = await Promise.all([
    c.addMember(['owner'], { unitIds: [u101!, u102!] }),
    c.addMember(['owner'], { unitIds: [u201!] }),
    c.addMember(['owner', 'cosigner'], { unitIds: [u201!] }),
    c.addMember(['owner'], { unitIds: [u202!] }),
    c.addMember(['owner'], { unitIds: [u301!] }),
    c.addMember(['owner'], { unitIds: [u302!] }),
    c.addMember(['admin']),
  ]);
  return { c, zhang, wangHusband, wangWife, li, zhao, chen, committeeAdmin, units: { u101, u102, u201, u202, u301, u302 } };
}

const ballot = (c: Community, who: Person, voteId: string, choice: string) => who.api.post(`${votesUrl(c)}/${voteId}/ballots`, { choice });

async function feedOf(c: Community) {
  return (await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=500`)).body.items as any[];
}

/** Waits until the feed shows `vote.closed` for the vote, without reading the vote itself. */
async function closedInFeed(c: Community, voteId: string, withinMs: number) {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const item = (await feedOf(c)).find((i) => i.type === 'vote.closed' && i.ref === voteId);
    if (item) return item;
    await sleep(200);
  }
  throw new Error(`vote.closed for ${voteId} did not reach the feed within ${withinMs} ms`);
}

describe('an owners’ vote of 和园小区, opened, cast, changed, closed and published as a hand count has it', () => {
  it('the same ballots pass an ordinary matter and fail a special one, and the figures freeze at closing', async () => {
    const { c, zhang, wangHusband, wangWife, li, zhao, committeeAdmin } = await heyuan();
    const closesAt = inSeconds(4);
    const ordinary = await committeeAdmin.api.post(votesUrl(c), { title: '使用维修资金更换3号楼电梯', matter: 'ordinary', closesAt });
    expect(ordinary.status).toBe(201);
    const special = await wangWife.api.post(votesUrl(c), { title: '东门空地出租作停车场', description: '租期三年', matter: 'special', closesAt });
    expect(special.status).toBe(201);
    expect(ordinary.body).toMatchObject({
      status: 'open',
      matter: 'ordinary',
      eligible: { area: '593.33', owners: 6 },
      participating: { area: '0.00', owners: 0 },
      quorumMet: false,
      passed: false,
    });

    for (const vote of [ordinary.body, special.body]) {
      expect((await ballot(c, zhang, vote.id, 'for')).status).toBe(201);
      expect((await ballot(c, wangHusband, vote.id, 'for')).status).toBe(201);
      // 王太太 votes after her husband: their shared unit goes with her ballot.
      expect((await ballot(c, wangWife, vote.id, 'against')).status).toBe(201);
      expect((await ballot(c, li, vote.id, 'against')).status).toBe(201);
      const changed = await ballot(c, li, vote.id, 'for');
      expect(changed.status).toBe(201);
      expect(changed.body).toMatchObject({ owner: { id: li.id }, choice: 'for', unitIds: [expect.any(String)] });
      expect((await ballot(c, zhao, vote.id, 'abstain')).status).toBe(201);
    }
    // 陈 does not vote.

    // Hand count. Heads: for 张, 王先生, 李 = 3; against 王太太 = 1; abstain 赵 = 1; 5 of 6 take part.
    // Area: for 89.37 + 120.50 + 143.88 = 353.75; against 65.13; abstain 98.00; 516.88 of 593.33.
    // Quorum: 516.88 × 3 = 1550.64 ≥ 593.33 × 2 = 1186.66, and 5 × 3 ≥ 6 × 2.
    // Ordinary: 353.75 × 2 = 707.50 > 516.88 and 3 × 2 > 5: passes.
    // Special: 353.75 × 4 = 1415.00 < 516.88 × 3 = 1550.64: fails.
    const figures = {
      eligible: { area: '593.33', owners: 6 },
      participating: { area: '516.88', owners: 5 },
      for: { area: '353.75', owners: 3 },
      against: { area: '65.13', owners: 1 },
      abstain: { area: '98.00', owners: 1 },
      quorumMet: true,
    };
    const live = await zhang.api.get(`${votesUrl(c)}/${ordinary.body.id}`);
    expect(live.body).toMatchObject({ status: 'open', ...figures, passed: true, myChoice: 'for' });

    // The sweep closes both and publishes them, though nobody reads the votes.
    const closedOrdinary = await closedInFeed(c, ordinary.body.id, 9_000);
    const closedSpecial = await closedInFeed(c, special.body.id, 3_000);
    expect(closedOrdinary.summary).toBe('业主投票结果：使用维修资金更换3号楼电梯，通过');
    expect(closedSpecial.summary).toBe('业主投票结果：东门空地出租作停车场，未通过');
    const feed = await feedOf(c);
    expect(feed.filter((i) => i.type === 'vote.opened').map((i) => i.ref)).toEqual([ordinary.body.id, special.body.id]);
    expect(feed.filter((i) => i.type === 'vote.closed')).toHaveLength(2);

    const o = (await c.supervisor.api.get(`${votesUrl(c)}/${ordinary.body.id}`)).body;
    expect(o).toMatchObject({ status: 'closed', ...figures, passed: true, myChoice: null });
    expect(o.closedAt >= o.closesAt).toBe(true);
    const s = (await zhao.api.get(`${votesUrl(c)}/${special.body.id}`)).body;
    expect(s).toMatchObject({ status: 'closed', ...figures, passed: false, myChoice: 'abstain', description: '租期三年' });

    // Once closed nothing changes: a late ballot is refused, a new unit and a new owner do not count.
    const late = await ballot(c, zhang, ordinary.body.id, 'against');
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('vote_closed');
    const u = await addUnit(c, '4-401', '300.00');
    await c.addMember(['owner'], { unitIds: [u] });
    expect((await zhang.api.get(`${votesUrl(c)}/${ordinary.body.id}`)).body).toMatchObject({ ...figures, passed: true });
  });
});

describe('who may do what', () => {
  it('only the community admin and co-signers put a question; closesAt must follow opensAt', async () => {
    const { c, zhang, committeeAdmin } = await heyuan();
    for (const who of [zhang, c.owner, c.manager, c.supervisor]) {
      const reply = await who.api.post(votesUrl(c), { title: '续聘物业', matter: 'ordinary', closesAt: inSeconds(60) });
      expect(reply.status).toBe(403);
    }
    expect((await c.cosigners[0].api.post(votesUrl(c), { title: '续聘物业', matter: 'ordinary', closesAt: inSeconds(60) })).status).toBe(201);
    const opensAt = inSeconds(30);
    for (const closesAt of [opensAt, inSeconds(10)]) {
      const reply = await committeeAdmin.api.post(votesUrl(c), { title: '续聘物业', matter: 'ordinary', opensAt, closesAt });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
    }
    const bad = await committeeAdmin.api.post(votesUrl(c), { title: '续聘物业', matter: 'urgent', closesAt: inSeconds(60) });
    expect(bad.status).toBe(400);
  });

  it('only owners holding a unit cast a ballot, and only inside the window', async () => {
    const { c, zhang, committeeAdmin } = await heyuan();
    const later = (await committeeAdmin.api.post(votesUrl(c), { title: '更换保安公司', matter: 'ordinary', opensAt: inSeconds(60), closesAt: inSeconds(120) })).body;
    const early = await ballot(c, zhang, later.id, 'for');
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('vote_closed');
    const open = (await committeeAdmin.api.post(votesUrl(c), { title: '更换保安公司', matter: 'ordinary', closesAt: inSeconds(60) })).body;
    // The harness's owner has the owner role and no unit; the manager and admin hold none either.
    for (const who of [c.owner, c.manager, committeeAdmin, c.supervisor]) {
      const reply = await ballot(c, who, open.id, 'for');
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('forbidden');
    }
    expect((await ballot(c, zhang, open.id, 'maybe')).status).toBe(400);
    expect((await ballot(c, zhang, 'no-such-vote', 'for')).status).toBe(404);
    // Another community's members learn nothing.
    const other = await setupCommunity(h.app);
    expect((await other.owner.api.get(`${votesUrl(c)}/${open.id}`)).status).toBe(404);
  });

  it('who voted how is for the community admin and the supervisor only, every ballot including changed ones', async () => {
    const { c, zhang, li, wangWife, committeeAdmin } = await heyuan();
    const vote = (await committeeAdmin.api.post(votesUrl(c), { title: '增设充电桩', matter: 'special', closesAt: inSeconds(60) })).body;
    await ballot(c, zhang, vote.id, 'against');
    await ballot(c, li, vote.id, 'for');
    await ballot(c, zhang, vote.id, 'for');
    for (const who of [committeeAdmin, c.supervisor]) {
      const reply = await who.api.get(`${votesUrl(c)}/${vote.id}/ballots`);
      expect(reply.status).toBe(200);
      expect(reply.body.items.map((b: any) => [b.owner.id, b.choice, b.unitIds.length])).toEqual([
        [zhang.id, 'against', 2],
        [li.id, 'for', 1],
        [zhang.id, 'for', 2],
      ]);
    }
    for (const who of [zhang, wangWife, c.owner, c.manager, c.cosigners[0]]) {
      const reply = await who.api.get(`${votesUrl(c)}/${vote.id}/ballots`);
      expect(reply.status).toBe(403);
    }
    // Totals are public: any member reads them, and none of them names a voter.
    const seen = (await c.owner.api.get(`${votesUrl(c)}/${vote.id}`)).body;
    expect(seen.for).toEqual({ area: '353.75', owners: 2 });
    expect(JSON.stringify(seen)).not.toContain(zhang.id);
  });
});

describe('closing happens once, whoever asks first', () => {
  it('twenty racing closers and the sweep close a due vote exactly once, with one vote.closed', async () => {
    const { c, zhang, committeeAdmin } = await heyuan();
    const vote = (await committeeAdmin.api.post(votesUrl(c), { title: '业主大会议事规则', matter: 'ordinary', closesAt: inSeconds(1.5) })).body;
    await ballot(c, zhang, vote.id, 'for');
    await sleep(1_600);
    const closers = await Promise.all(Array.from({ length: 20 }, () => h.app.services.votes.closeIfDue(c.id, vote.id)));
    expect(closers.filter(Boolean).length).toBeLessThanOrEqual(1);
    const reads = await Promise.all(Array.from({ length: 10 }, () => zhang.api.get(`${votesUrl(c)}/${vote.id}`)));
    expect(new Set(reads.map((r) => JSON.stringify({ ...r.body, myChoice: null }))).size).toBe(1);
    await sleep(1_500);
    expect((await feedOf(c)).filter((i) => i.type === 'vote.closed' && i.ref === vote.id)).toHaveLength(1);
    expect(reads[0]!.body).toMatchObject({ status: 'closed', participating: { owners: 1 }, quorumMet: false, passed: false });
  });

  it('the database keeps ballots append-only and a closed vote closed', async () => {
    const { c, zhang, committeeAdmin } = await heyuan();
    const vote = (await committeeAdmin.api.post(votesUrl(c), { title: '垃圾分类点位调整', matter: 'ordinary', closesAt: inSeconds(60) })).body;
    await ballot(c, zhang, vote.id, 'for');
    await expect(sql`UPDATE vote_ballots SET choice = 'against' WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow();
    await expect(sql`DELETE FROM vote_ballots WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow();
    // Not due yet: the database refuses an early close, and a ballot outside the window.
    await expect(
      sql`UPDATE votes SET status = 'closed', closed_at = now(), result = '{}' WHERE community_id = ${c.id} AND id = ${vote.id}`.execute(h.db),
    ).rejects.toThrow(/closes once/);
    await expect(
      sql`INSERT INTO vote_ballots (community_id, vote_id, n, user_id, choice, unit_ids, at)
          VALUES (${c.id}, ${vote.id}, 99, ${zhang.id}, 'for', ARRAY['x'], now() + interval '2 minutes')`.execute(h.db),
    ).rejects.toThrow(/not open for ballots/);
  });
});

describe('money bound to votes: a spend above voteRequiredAbove names a passed vote', () => {
  it('a large spend is refused without its passed vote and accepted with it, the vote on its timeline', async () => {
    const { c, zhang, wangHusband, wangWife, li, zhao, committeeAdmin } = await heyuan();
    const policy = await committeeAdmin.api.put(`/v1/communities/${c.id}/policy`, { voteRequiredAbove: '50000' });
    expect(policy.status).toBe(200);
    // The other field keeps its value.
    expect(policy.body).toMatchObject({ requiredApprovals: 2, voteRequiredAbove: '50000.00' });
    expect((await c.admin.put(`/v1/communities/${c.id}/policy`, { requiredApprovals: 3 })).body).toMatchObject({ requiredApprovals: 3, voteRequiredAbove: '50000.00' });
    expect((await zhang.api.put(`/v1/communities/${c.id}/policy`, { voteRequiredAbove: null })).status).toBe(403);
    expect((await committeeAdmin.api.put(`/v1/communities/${c.id}/policy`, { voteRequiredAbove: 50000 })).status).toBe(400);
    await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '200000', payer: '维修资金划转' });

    const closesAt = inSeconds(2.5);
    const passing = (await committeeAdmin.api.post(votesUrl(c), { title: '使用维修资金更换3号楼电梯', matter: 'ordinary', closesAt })).body;
    const failing = (await committeeAdmin.api.post(votesUrl(c), { title: '东门空地出租作停车场', matter: 'special', closesAt })).body;
    for (const [who, choice] of [[zhang, 'for'], [wangHusband, 'for'], [wangWife, 'against'], [li, 'for'], [zhao, 'abstain']] as const) {
      expect((await ballot(c, who, passing.id, choice)).status).toBe(201);
      expect((await ballot(c, who, failing.id, choice)).status).toBe(201);
    }
    const elevator = (voteId?: string, amount = '86000.00') => ({
      title: '3号楼电梯更换',
      amount,
      account: '5107',
      payee: { name: '杭州某电梯工程有限公司' },
      ...(voteId ? { voteId } : {}),
    });
    const url = `/v1/communities/${c.id}/spend-requests`;
    // While the vote is open it has not passed yet.
    const early = await c.manager.api.post(url, elevator(passing.id));
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('quorum_not_met');
    await sleep(2_700);

    const without = await c.manager.api.post(url, elevator());
    expect(without.status).toBe(409);
    expect(without.body.code).toBe('quorum_not_met');
    const failed = await c.manager.api.post(url, elevator(failing.id));
    expect(failed.status).toBe(409);
    expect(failed.body.code).toBe('quorum_not_met');
    const elsewhere = await setupCommunity(h.app);
    const foreign = (await elsewhere.cosigners[0].api.post(votesUrl(elsewhere), { title: '他处投票', matter: 'ordinary', closesAt: inSeconds(60) })).body;
    expect((await c.manager.api.post(url, elevator(foreign.id))).body.code).toBe('quorum_not_met');
    // Nothing was reserved by the refusals.
    expect((await c.owner.api.get(`/v1/communities/${c.id}/fund`)).body.reserved).toBe('0.00');

    const accepted = await c.manager.api.post(url, elevator(passing.id));
    expect(accepted.status).toBe(201);
    expect(accepted.body.timeline.map((e: any) => e.event)).toEqual(['submitted', 'vote']);
    expect(accepted.body.timeline[1]).toMatchObject({ note: '使用维修资金更换3号楼电梯', ref: passing.id });
    // At or under the threshold no vote is needed.
    expect((await c.manager.api.post(url, elevator(undefined, '50000.00'))).status).toBe(201);
  });
});

describe('the list of votes', () => {
  it('every member pages through the community’s votes, newest first, each with its figures', async () => {
    const { c, zhang, committeeAdmin } = await heyuan();
    const titles = ['第一项', '第二项', '第三项'];
    for (const title of titles) {
      expect((await committeeAdmin.api.post(votesUrl(c), { title, matter: 'ordinary', closesAt: inSeconds(60) })).status).toBe(201);
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const reply: any = await c.owner.api.get(`${votesUrl(c)}?limit=2${after ? `&after=${after}` : ''}`);
      expect(reply.status).toBe(200);
      seen.push(...reply.body.items.map((v: any) => v.title));
      expect(reply.body.items.every((v: any) => v.eligible.owners === 6)).toBe(true);
      after = reply.body.nextAfter;
    } while (after);
    expect(seen).toEqual([...titles].reverse());
    expect((await zhang.api.get(`${votesUrl(c)}?after=bogus`)).status).toBe(400);
    const other = await setupCommunity(h.app);
    expect((await other.owner.api.get(votesUrl(c))).status).toBe(404);
  });
});
