import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ratio } from '../src/modules/surveys/surveys.service.js';
import { setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const surveysUrl = (c: Community) => `/v1/communities/${c.id}/surveys`;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const ITEMS = [
  { key: 'cleaning', label: '保洁' },
  { key: 'security', label: '秩序维护' },
  { key: 'repairs', label: '维修响应' },
];

async function community() {
  const c = await setupCommunity(h.app);
  const units: string[] = [];
  for (const [code, area] of [['1-101', '89.37'], ['1-102', '120.50'], ['2-201', '65.13']] as const) {
    units.push((await c.admin.post(`/v1/communities/${c.id}/units`, { code, building: code[0], areaM2: area })).body.id);
  }
  const [a, b, d, committeeAdmin] = await Promise.all([
    c.addMember(['owner'], { unitIds: [units[0]!, units[1]!] }),
    c.addMember(['owner'], { unitIds: [units[2]!] }),
    c.addMember(['owner', 'cosigner'], { unitIds: [units[2]!] }),
    c.addMember(['admin']),
  ]);
  return { c, owners: [a, b, d], committeeAdmin };
}

describe('满意度测评: the owners score the steward, averages and the response rate are public', () => {
  it('three owners of two households score; each average is half-up to 2 decimals, the rate to 4', async () => {
    const { c, owners, committeeAdmin } = await community();
    const created = await committeeAdmin.api.post(surveysUrl(c), { title: '2026年第一季度物业服务满意度', period: '2026-Q1', closesAt: inSeconds(60), items: ITEMS });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'open', responses: 0, responseRate: '0.0000', items: ITEMS.map((i) => ({ ...i, average: null })) });
    const id = created.body.id;
    const scores = [
      { cleaning: 5, security: 4, repairs: 2 },
      { cleaning: 4, security: 4, repairs: 3 },
      { cleaning: 4, security: 3, repairs: 3 },
    ];
    for (const [i, owner] of owners.entries()) {
      const reply = await owner.api.post(`${surveysUrl(c)}/${id}/responses`, { scores: scores[i], ...(i === 0 ? { comment: '维修太慢' } : {}) });
      expect(reply.status).toBe(201);
    }
    // cleaning 13/3 = 4.333 → 4.33; security 11/3 = 3.667 → 3.67; repairs 8/3 = 2.667 → 2.67; 3 of 3 owners.
    const seen = await c.supervisor.api.get(`${surveysUrl(c)}/${id}`);
    expect(seen.body).toMatchObject({
      responses: 3,
      responseRate: '1.0000',
      responded: false,
      items: [
        { key: 'cleaning', label: '保洁', average: '4.33' },
        { key: 'security', label: '秩序维护', average: '3.67' },
        { key: 'repairs', label: '维修响应', average: '2.67' },
      ],
    });
    // A later owner lowers the rate to 3 of 4 and has not responded.
    const u = (await c.admin.post(`/v1/communities/${c.id}/units`, { code: '3-301', building: '3', areaM2: '98.00' })).body.id;
    const late = await c.addMember(['owner'], { unitIds: [u] });
    expect((await late.api.get(`${surveysUrl(c)}/${id}`)).body).toMatchObject({ responseRate: '0.7500', responded: false });
  });

  it('once per owner, every item scored with integers 1-5, only owners holding a unit, only while open', async () => {
    const { c, owners, committeeAdmin } = await community();
    for (const who of [owners[0]!, c.manager, c.cosigners[0]!, c.owner]) {
      expect((await who.api.post(surveysUrl(c), { title: '测评', period: '2026-03', closesAt: inSeconds(60), items: ITEMS })).status).toBe(403);
    }
    expect((await committeeAdmin.api.post(surveysUrl(c), { title: '测评', period: 'March', closesAt: inSeconds(60), items: ITEMS })).status).toBe(400);
    expect((await committeeAdmin.api.post(surveysUrl(c), { title: '测评', period: '2026-03', closesAt: inSeconds(-1), items: ITEMS })).status).toBe(400);
    expect((await committeeAdmin.api.post(surveysUrl(c), { title: '测评', period: '2026-03', closesAt: inSeconds(60), items: [ITEMS[0], ITEMS[0]] })).status).toBe(400);
    const id = (await committeeAdmin.api.post(surveysUrl(c), { title: '测评', period: '2026-03', closesAt: inSeconds(2), items: ITEMS })).body.id;
    const respond = (who: typeof c.owner, scores: unknown) => who.api.post(`${surveysUrl(c)}/${id}/responses`, { scores });
    for (const scores of [{ cleaning: 5, security: 4 }, { cleaning: 5, security: 4, repairs: 6 }, { cleaning: 5, security: 4, repairs: 2.5 }, { cleaning: 5, security: 4, repairs: '3' }, { cleaning: 5, security: 4, repairs: 3, extra: 1 }]) {
      expect((await respond(owners[0]!, scores)).status).toBe(400);
    }
    const ok = { cleaning: 5, security: 4, repairs: 3 };
    for (const who of [c.owner, c.manager, committeeAdmin, c.supervisor]) {
      const reply = await respond(who, ok);
      expect(reply.status).toBe(403);
    }
    expect((await respond(owners[0]!, ok)).status).toBe(201);
    const again = await respond(owners[0]!, { cleaning: 1, security: 1, repairs: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    await new Promise((r) => setTimeout(r, 2_100));
    const late = await respond(owners[1]!, ok);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('invalid_state');
    expect((await owners[0]!.api.get(`${surveysUrl(c)}/${id}`)).body).toMatchObject({ status: 'closed', responses: 1, responded: true, responseRate: '0.3333' });
  });

  it('rounds half-up exactly', () => {
    expect(ratio(9n, 2n, 0)).toBe('5');
    expect(ratio(9n, 4n, 1)).toBe('2.3');
    expect(ratio(1n, 8n, 2)).toBe('0.13');
    expect(ratio(2n, 3n, 4)).toBe('0.6667');
    expect(ratio(1n, 3n, 4)).toBe('0.3333');
    expect(ratio(5n, 1n, 2)).toBe('5.00');
  });
});

describe('the steward’s scores over time', () => {
  it('every member pages through the surveys, newest first, each with its averages', async () => {
    const { c, owners, committeeAdmin } = await community();
    for (const period of ['2026-Q1', '2026-Q2', '2026-Q3']) {
      const id = (await committeeAdmin.api.post(surveysUrl(c), { title: `${period} 测评`, period, closesAt: inSeconds(60), items: ITEMS })).body.id;
      await owners[0]!.api.post(`${surveysUrl(c)}/${id}/responses`, { scores: { cleaning: Number(period.at(-1)) + 1, security: 3, repairs: 3 } });
    }
    const seen: Array<[string, string]> = [];
    let after: string | null = null;
    do {
      const reply: any = await c.owner.api.get(`${surveysUrl(c)}?limit=2${after ? `&after=${after}` : ''}`);
      expect(reply.status).toBe(200);
      seen.push(...reply.body.items.map((s: any) => [s.period, s.items[0].average] as [string, string]));
      after = reply.body.nextAfter;
    } while (after);
    expect(seen).toEqual([['2026-Q3', '4.00'], ['2026-Q2', '3.00'], ['2026-Q1', '2.00']]);
    expect((await c.owner.api.get(`${surveysUrl(c)}?after=bogus`)).status).toBe(400);
  });
});
