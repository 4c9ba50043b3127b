import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { inTransaction } from '../src/db/transaction.js';
import { createFeedService } from '../src/modules/feed/feed.service.js';
import { addUnits, billPeriod, pay, setRate } from './support/fees.js';
import { fund, setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';
import { payout, reject, submit, twoKeys } from './support/spending.js';
import { baseUrl, getText, openStream } from './support/feed.js';
import { expectProblem } from './support/problems.js';

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  base = await baseUrl(h.app);
});
afterAll(() => h?.close());

const income = async (c: Community, amount: string, category = 'parking', headers?: Record<string, string>) => {
  const reply = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category, amount, payer: 'Tenant of stall 3' }, headers);
  expect(reply.status).toBe(201);
  return reply.body as { id: string; entryId: string };
};
const feedOf = async (c: Community, query = '') => {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/feed${query}`);
  expect(reply.status).toBe(200);
  return reply.body as { items: any[]; nextAfter: string | null };
};
const streamUrl = (c: Community, query = '') => `${base}/v1/communities/${c.id}/feed/stream${query}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the feed lists every money event', () => {
  it('in the order of the entries, with what an owner needs to read them', async () => {
    const c = await setupCommunity(h.app);
    const first = await income(c, '120.5', 'parking');
    const second = await income(c, '80', 'advertising');
    const third = await income(c, '33.33', 'leasing');
    const reversal = await c.cosigners[0].api.post(`/v1/communities/${c.id}/entries/${second.entryId}/reversal`, {
      reason: 'recorded twice',
      signingPassword: c.cosigners[0].signingPassword,
    });
    expect(reversal.status).toBe(201);

    const { items, nextAfter } = await feedOf(c);
    expect(nextAfter).toBeNull();
    expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
    expect(items.map((i) => i.type)).toEqual(['income.recorded', 'income.recorded', 'income.recorded', 'entry.reversed']);
    expect(items[0]).toMatchObject({ amount: '120.50', account: '4101', accountName: 'Parking income 停车收益', ref: first.id });
    expect(items[1]).toMatchObject({ amount: '80.00', account: '4102', ref: second.id });
    expect(items[2]).toMatchObject({ amount: '33.33', account: '4103', ref: third.id });
    expect(items[3]).toMatchObject({ ref: second.entryId });
    expect(items[3]).not.toHaveProperty('amount');
    expect(items.map((i) => i.summary)).toEqual([
      '收到停车收益 ¥120.50（付款方：Tenant of stall 3）',
      '收到广告收益 ¥80.00（付款方：Tenant of stall 3）',
      '收到场地租赁收益 ¥33.33（付款方：Tenant of stall 3）',
      '冲正分录 #2：recorded twice',
    ]);
    for (const item of items) expect(new Date(item.at).toISOString()).toBe(item.at);

    // The feed follows the journal: the entries that carry feed items, in the same order.
    const entries = (await c.owner.api.get(`/v1/communities/${c.id}/entries`)).body.items as any[];
    expect(entries.map((e) => e.id)).toEqual([first.entryId, second.entryId, third.entryId, reversal.body.id]);
  });

  it('pages with an opaque cursor and refuses a bad one', async () => {
    const c = await setupCommunity(h.app);
    for (const amount of ['1', '2', '3']) await income(c, amount);
    const page1 = await feedOf(c, '?limit=2');
    expect(page1.items.map((i) => i.amount)).toEqual(['1.00', '2.00']);
    const page2 = await feedOf(c, `?limit=2&after=${page1.nextAfter}`);
    expect(page2.items.map((i) => i.amount)).toEqual(['3.00']);
    expect(page2.nextAfter).toBeNull();
    expect((await c.owner.api.get(`/v1/communities/${c.id}/feed?after=nonsense`)).status).toBe(400);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=0`)).status).toBe(400);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/feed?limit=501`)).status).toBe(400);
  });
});

describe('the feed newest first', () => {
  it('lists the latest items first; nextAfter continues with older ones; a cursor works in either order', async () => {
    const c = await setupCommunity(h.app);
    for (const amount of ['1', '2', '3', '4', '5']) await income(c, amount);
    const latest = await feedOf(c, '?order=desc&limit=2');
    expect(latest.items.map((i) => i.seq)).toEqual([5, 4]);
    expect(latest.items.map((i) => i.amount)).toEqual(['5.00', '4.00']);
    expect(latest.items[0]).toMatchObject({ type: 'income.recorded', summary: '收到停车收益 ¥5.00（付款方：Tenant of stall 3）', category: 'parking' });
    const older = await feedOf(c, `?order=desc&limit=2&after=${latest.nextAfter}`);
    expect(older.items.map((i) => i.seq)).toEqual([3, 2]);
    const oldest = await feedOf(c, `?order=desc&limit=2&after=${older.nextAfter}`);
    expect(oldest.items.map((i) => i.seq)).toEqual([1]);
    expect(oldest.nextAfter).toBeNull();
    expect((await feedOf(c, `?order=asc&after=${older.nextAfter}`)).items.map((i) => i.seq)).toEqual([3, 4, 5]);
    expect((await feedOf(c, '?order=desc')).items.map((i) => i.seq)).toEqual([5, 4, 3, 2, 1]);
    expect((await feedOf(c, '?order=desc&limit=5')).nextAfter).toBeNull();

    const empty = await setupCommunity(h.app);
    expect(await feedOf(empty, '?order=desc&limit=20')).toEqual({ items: [], nextAfter: null });
  });

  it('the latest page and the stream after its first item miss nothing and repeat nothing', async () => {
    const c = await setupCommunity(h.app);
    for (const amount of ['1', '2', '3']) await income(c, amount);
    const latest = await feedOf(c, '?order=desc&limit=2');
    const stream = await openStream(streamUrl(c, `?after=${latest.items[0].seq}`), bearer(c.owner.token));
    try {
      await income(c, '4');
      const event = await stream.next();
      expect(event).toMatchObject({ id: '4', event: 'income.recorded', data: { seq: 4, amount: '4.00' } });
      expect(stream.pending()).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('refuses an order it does not know, and the usual bad cursors and limits', async () => {
    const c = await setupCommunity(h.app);
    for (const query of ['order=newest', 'order=', 'order=DESC', 'order=desc&after=nonsense', 'order=desc&limit=0', 'order=desc&limit=501']) {
      expectProblem(await c.owner.api.get(`/v1/communities/${c.id}/feed?${query}`), 400, 'validation_failed');
    }
  });
});

describe('owners read the feed in Chinese, and a web app gets its facts as fields', () => {
  it('names who did what, to whom, for how much, for every type of item', async () => {
    const c = await setupCommunity(h.app, { managementFeeRate: '0.08' });
    const displayName = async (p: Person) => (await p.api.get('/v1/me')).body.displayName as string;
    const [manager, first, second, third] = (await Promise.all([c.manager, ...c.cosigners].map(displayName))) as [string, string, string, string];
    const said = await c.manager.api.post(`/v1/communities/${c.id}/income`, {
      category: 'parking',
      amount: '1280',
      payer: '翠湖停车管理\n有限公司',
      memo: 'November',
    });
    expect(said.status).toBe(201);
    const [unit] = await addUnits(c, [{ code: '3-1201', building: '3号楼', areaM2: '100' }]);
    await setRate(c, '2.50');
    await billPeriod(c, '2026-10');
    await pay(c, unit!, '12345.67', 'alipay');
    const request = await submit(c, { title: '更换3号楼水泵', amount: '1280.5', payee: { name: '杭州水泵维修公司', account: '6222021234567890' } });
    await twoKeys(c, request);
    expect((await payout(c, request)).status).toBe(200);
    const refused = await submit(c, { title: '门禁升级', amount: '99' });
    expect((await reject(c, c.cosigners[2], refused, '报价偏高')).status).toBe(200);
    const reversed = await c.cosigners[0].api.post(`/v1/communities/${c.id}/entries/${said.body.entryId}/reversal`, {
      reason: '重复录入',
      signingPassword: c.cosigners[0].signingPassword,
    });
    expect(reversed.status).toBe(201);
    expect((await c.manager.api.put(`/v1/communities/${c.id}/budgets/2027`, { lines: [{ account: '5102', amount: '12000' }, { account: '4101', amount: '8000' }] })).status).toBe(200);
    for (const who of [c.cosigners[0], c.cosigners[1]]) {
      const approved = await who.api.post(`/v1/communities/${c.id}/budgets/2027/approvals`, { signingPassword: who.signingPassword });
      expect(approved.status).toBe(200);
    }

    const { items } = await feedOf(c, '?limit=500');
    const actor = (id: string, name: string) => ({ id, displayName: name });
    expect(items.map((i) => i.type)).toEqual([
      'income.recorded', 'fee.paid', 'spend.submitted', 'spend.approved', 'spend.paid',
      'spend.submitted', 'spend.rejected', 'entry.reversed', 'budget.approved',
    ]);
    const [income, fee, submitted, approved, paid, submittedToo, rejected, reversal, budget] = items;
    expect(income).toMatchObject({
      summary: '收到停车收益 ¥1,280.00（付款方：翠湖停车管理 有限公司）',
      actor: actor(c.manager.id, manager),
      category: 'parking',
      counterparty: '翠湖停车管理 有限公司',
    });
    expect(fee).toMatchObject({
      amount: '12345.67',
      summary: '物业费到账 ¥12,345.67（楼栋：3号楼，支付宝）',
      actor: actor(c.manager.id, manager),
      building: '3号楼',
      method: 'alipay',
    });
    expect(fee.summary).not.toContain('3-1201');
    expect(submitted).toMatchObject({
      summary: `支出申请 ${request.trackingNo} 已提交：更换3号楼水泵 ¥1,280.50`,
      actor: actor(c.manager.id, manager),
      title: '更换3号楼水泵',
      counterparty: '杭州水泵维修公司',
    });
    expect(approved).toMatchObject({
      summary: `支出 ${request.trackingNo} 已批准：更换3号楼水泵 ¥1,280.50（2 位共管人签字）`,
      actor: actor(c.cosigners[1].id, second),
      title: '更换3号楼水泵',
      keys: 2,
    });
    expect(paid).toMatchObject({
      summary: `支出 ${request.trackingNo} 已支付：更换3号楼水泵 ¥1,280.50（收款方：杭州水泵维修公司）`,
      actor: actor(c.manager.id, manager),
      counterparty: '杭州水泵维修公司',
    });
    expect(submittedToo).toMatchObject({ summary: `支出申请 ${refused.trackingNo} 已提交：门禁升级 ¥99.00` });
    expect(rejected).toMatchObject({
      summary: `支出 ${refused.trackingNo} 已驳回：门禁升级 ¥99.00`,
      actor: actor(c.cosigners[2].id, third),
      note: '报价偏高',
    });
    expect(reversal).toMatchObject({ summary: '冲正分录 #1：重复录入', actor: actor(c.cosigners[0].id, first), reversedSeq: 1, note: '重复录入' });
    expect(budget).toMatchObject({
      summary: '2027年度预算已批准（第1版）：支出 ¥12,000.00，收入 ¥8,000.00',
      actor: actor(c.cosigners[1].id, second),
      year: 2027,
      version: 1,
      keys: 2,
    });
    // Never a bank account, never a household, always one line.
    for (const item of items) expect(item.summary).not.toMatch(/6222|7890|3-1201|\n/);

    // The stream sends the very same items.
    const stream = await openStream(streamUrl(c), bearer(c.owner.token));
    const streamed = [];
    for (let i = 0; i < items.length; i++) streamed.push((await stream.next()).data);
    stream.close();
    expect(streamed).toEqual(items);
  });
});

describe('nothing is published for a change that rolled back', () => {
  it('refused incomes leave no item, and seqs stay gapless', async () => {
    const c = await setupCommunity(h.app);
    await income(c, '10', 'other', { 'idempotency-key': 'k-1' });
    const bad = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: '0', payer: 'x' });
    expect(bad.status).toBe(400);
    const conflict = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '11', payer: 'x' }, { 'idempotency-key': 'k-1' });
    expect(conflict.status).toBe(422);
    const replay = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '10', payer: 'Tenant of stall 3' }, { 'idempotency-key': 'k-1' });
    expect(replay.status).toBe(201);
    const byOwner = await c.owner.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '5', payer: 'x' });
    expect(byOwner.status).toBe(403);

    // A posting whose transaction fails after the ledger wrote the feed item.
    await expect(
      inTransaction(h.db, async (tx) => {
        await h.app.services.ledger.post(tx, {
          communityId: c.id,
          kind: 'income',
          memo: 'will roll back',
          source: null,
          occurredAt: new Date(),
          lines: [
            { account: '1001', debit: '999.00' },
            { account: '4199', credit: '999.00' },
          ],
          feed: { type: 'income.recorded', amount: '999.00', account: '4199', summary: 'rolled back', ref: 'nothing' },
        });
        throw new Error('the caller failed after posting');
      }),
    ).rejects.toThrow('the caller failed after posting');

    await income(c, '20');
    const { items } = await feedOf(c);
    expect(items.map((i) => [i.seq, i.amount])).toEqual([
      [1, '10.00'],
      [2, '20.00'],
    ]);
  });

  it('two co-signers racing to reverse one entry publish one reversal', async () => {
    const c = await setupCommunity(h.app);
    const paid = await income(c, '50');
    const results = await Promise.all(
      [c.cosigners[0], c.cosigners[1]].map((s) =>
        s.api.post(`/v1/communities/${c.id}/entries/${paid.entryId}/reversal`, { reason: 'wrong', signingPassword: s.signingPassword }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const { items } = await feedOf(c);
    expect(items.map((i) => i.type)).toEqual(['income.recorded', 'entry.reversed']);
  });
});

describe('the live stream', () => {
  it('shows a payment the moment it commits, as id/event/data', async () => {
    const c = await setupCommunity(h.app);
    await income(c, '1');
    const stream = await openStream(streamUrl(c), bearer(c.owner.token));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toContain('no-cache');

    // Without a cursor the stream starts from the first item, like GET /feed: history, then live.
    const history = await stream.next();
    expect(history).toMatchObject({ id: '1', event: 'income.recorded' });
    const recorded = await income(c, '66.6', 'leasing');
    const event = await stream.next();
    expect(event.id).toBe('2');
    expect(event.event).toBe('income.recorded');
    expect(event.data).toMatchObject({ seq: 2, type: 'income.recorded', amount: '66.60', account: '4103', ref: recorded.id });
    expect(event.data).toEqual((await feedOf(c)).items[1]);
    stream.close();
  });

  it('reconnecting with Last-Event-ID or ?after= misses nothing and repeats nothing', async () => {
    const c = await setupCommunity(h.app);
    const first = await openStream(streamUrl(c), bearer(c.owner.token));
    await income(c, '1');
    await income(c, '2');
    const seen = await first.next();
    expect(seen.id).toBe('1');
    first.close();
    await Promise.all(['3', '4', '5'].map((a) => income(c, a)));

    const resumed = await openStream(streamUrl(c), { ...bearer(c.owner.token), 'last-event-id': seen.id });
    const again = [];
    for (let i = 0; i < 4; i++) again.push(await resumed.next());
    expect(again.map((e) => Number(e.id))).toEqual([2, 3, 4, 5]);
    expect(again.map((e) => e.data)).toEqual((await feedOf(c)).items.slice(1));
    await income(c, '6');
    expect((await resumed.next()).id).toBe('6');
    expect(resumed.pending()).toEqual([]);
    resumed.close();

    const byQuery = await openStream(streamUrl(c, '?after=4'), bearer(c.owner.token));
    expect([(await byQuery.next()).id, (await byQuery.next()).id]).toEqual(['5', '6']);
    byQuery.close();
  });

  it('delivers every one of many concurrent payments once and in order', async () => {
    const c = await setupCommunity(h.app);
    const stream = await openStream(streamUrl(c, '?after=0'), bearer(c.owner.token));
    const amounts = Array.from({ length: 20 }, (_, i) => `${i + 1}.00`);
    await Promise.all(amounts.map((a) => income(c, a)));
    const events = [];
    for (let i = 0; i < amounts.length; i++) events.push(await stream.next());
    expect(events.map((e) => Number(e.id))).toEqual(amounts.map((_, i) => i + 1));
    expect(events.map((e) => e.data.amount).sort()).toEqual([...amounts].sort());
    stream.close();
  });

  it('is delivered by a second API process on the same database', async () => {
    const second = await startHarness();
    try {
      const secondBase = await baseUrl(second.app);
      const c = await setupCommunity(h.app);
      const onSecond = await openStream(`${secondBase}/v1/communities/${c.id}/feed/stream`, bearer(c.owner.token));
      const onFirst = await openStream(streamUrl(c), bearer(c.owner.token));
      await Promise.all(['7', '8', '9'].map((a) => income(c, a)));
      for (const stream of [onSecond, onFirst]) {
        const ids = [(await stream.next()).id, (await stream.next()).id, (await stream.next()).id];
        expect(ids).toEqual(['1', '2', '3']);
      }
      onFirst.close();
      onSecond.close();
    } finally {
      await second.close();
    }
  });

  it('reads the communities woken together in one query, each from its own cursor and within its own batch', async () => {
    const a = await setupCommunity(h.app);
    const b = await setupCommunity(h.app);
    for (const amount of ['1', '2', '3']) await income(a, amount);
    await income(b, '4', 'leasing');
    const { tokens, ledger, auth, communities } = h.app.services;
    const reads: string[][] = [];
    const counted = {
      ...ledger,
      feedItemsAfterEach: (...args: Parameters<typeof ledger.feedItemsAfterEach>) => {
        reads.push(args[1].map((c) => `${c.communityId === a.id ? 'a' : 'b'}>${c.afterSeq}`));
        return ledger.feedItemsAfterEach(...args);
      },
    };
    const feed = createFeedService(h.db, { tokens, ledger: counted, auth, communities, batch: 2, pollMs: 60_000, warn: () => undefined });
    const outA = new PassThrough();
    const outB = new PassThrough();
    try {
      feed.attach(a.id, 1, outA);
      feed.attach(b.id, 0, outB);
      const events = (out: PassThrough) => [...String(out.read() ?? '').matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
      for (let i = 0; i < 200 && (outA.readableLength === 0 || outB.readableLength === 0 || reads.length < 2); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      // Both in the first read; `a` filled its batch of two, so it is read again (with `b` too,
      // should the hub's listener connect meanwhile and wake every room it has).
      expect(reads[0]).toEqual(['a>1', 'b>0']);
      expect(reads[1]).toContain('a>3');
      expect(events(outA)).toEqual((await feedOf(a)).items.slice(1));
      expect(events(outB)).toEqual((await feedOf(b)).items);
    } finally {
      await feed.close();
    }
  });

  it('sends a heartbeat comment and ends open streams when the server shuts down', async () => {
    const other = await startHarness();
    const otherBase = await baseUrl(other.app);
    const c = await setupCommunity(h.app);
    const stream = await openStream(`${otherBase}/v1/communities/${c.id}/feed/stream`, bearer(c.owner.token));
    expect(stream.body).toContain('retry: 3000');
    other.app.services.feed.hub['heartbeat']();
    await new Promise((r) => setTimeout(r, 50));
    expect(stream.body).toContain(': heartbeat');
    await other.close();
    await stream.ended;
  });

  it('refuses a resume point that is not a seq, or beyond the last event', async () => {
    const c = await setupCommunity(h.app);
    await income(c, '1');
    expect((await getText(streamUrl(c, '?after=abc'), bearer(c.owner.token))).status).toBe(400);
    expect((await getText(streamUrl(c, '?after=-1'), bearer(c.owner.token))).status).toBe(400);
    expect((await getText(streamUrl(c, '?after=2'), bearer(c.owner.token))).status).toBe(400);
    expect((await getText(streamUrl(c), { ...bearer(c.owner.token), 'last-event-id': 'x1' })).status).toBe(400);
  });
});

describe('a slow reader', () => {
  it('holds a bounded buffer while it does not read, then catches up from the database in order', async () => {
    const c = await setupCommunity(h.app);
    const { tokens, ledger, auth, communities } = h.app.services;
    const feed = createFeedService(h.db, { tokens, ledger, auth, communities, maxBufferedBytes: 2048, batch: 10, pollMs: 50, warn: () => undefined });
    const out = new PassThrough({ highWaterMark: 1024 });
    try {
      feed.attach(c.id, 0, out);
      await inTransaction(h.db, async (tx) => {
        for (let i = 1; i <= 150; i++) {
          await h.app.services.ledger.publish(tx, c.id, { type: 'spend.submitted', amount: `${i}.00`, account: '5102', summary: `Request ${i}`, ref: `T-${i}` });
        }
      });
      // Let the hub's wake-ups and polls run a while; the reader reads nothing meanwhile.
      for (let i = 0; i < 20 && out.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const held = out.readableLength + out.writableLength;
      expect(held).toBeGreaterThan(0);
      // 150 events are ~60 KB; what is held stays under the cap plus one batch of 10.
      expect(held).toBeLessThan(2048 + 1024 + 10 * 500);
      expect(feed.hub.subscriberCount).toBe(1);

      const ids: number[] = [];
      let text = '';
      const all = new Promise<void>((done) => {
        out.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          for (const m of text.matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
          text = text.slice(text.lastIndexOf('\n\n') + 2);
          if (ids.at(-1) === 150) done();
        });
      });
      await all;
      expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    } finally {
      await feed.close();
    }
  });
});

describe('who may open the stream', () => {
  it('a browser with a stream token in the query, but not with an API token there', async () => {
    const c = await setupCommunity(h.app);
    const issued = await c.owner.api.post(`/v1/communities/${c.id}/feed/stream-token`);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ tokenType: 'stream', expiresIn: 300 });
    expect(issued.body.streamUrl).toBe(`/v1/communities/${c.id}/feed/stream?access_token=${issued.body.token}`);

    const stream = await openStream(`${base}${issued.body.streamUrl}`);
    expect(stream.status).toBe(200);
    await income(c, '3');
    expect((await stream.next()).event).toBe('income.recorded');
    stream.close();

    const withApiToken = await getText(streamUrl(c, `?access_token=${c.owner.token}`));
    expect(withApiToken.status).toBe(401);
    expect(JSON.parse(withApiToken.body).code).toBe('unauthenticated');
    expect((await getText(streamUrl(c))).status).toBe(401);
    // A stream token opens streams and nothing else.
    expect((await getText(`${base}/v1/communities/${c.id}/fund`, bearer(issued.body.token))).status).toBe(401);
    expect((await getText(`${base}/v1/communities/${c.id}/feed?access_token=${issued.body.token}`)).status).toBe(401);
  });

  it('non-members get 404 for the feed, the stream and stream tokens', async () => {
    const c = await setupCommunity(h.app);
    const stranger = await setupCommunity(h.app);
    const token = stranger.owner.token;
    expect((await stranger.owner.api.get(`/v1/communities/${c.id}/feed`)).status).toBe(404);
    expect((await getText(streamUrl(c), bearer(token))).status).toBe(404);
    expect((await stranger.owner.api.post(`/v1/communities/${c.id}/feed/stream-token`)).status).toBe(404);
    const foreignStreamToken = (await stranger.owner.api.post(`/v1/communities/${stranger.id}/feed/stream-token`)).body.token;
    expect((await getText(streamUrl(c, `?access_token=${foreignStreamToken}`))).status).toBe(404);
  });

  it('every member role may read it', async () => {
    const c = await setupCommunity(h.app);
    await fund(c, '5');
    for (const person of [c.owner, c.supervisor, c.manager, c.cosigners[0]]) {
      expect((await person.api.get(`/v1/communities/${c.id}/feed`)).body.items).toHaveLength(1);
    }
  });
});
