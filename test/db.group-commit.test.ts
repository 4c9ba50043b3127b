import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createGroupCommit, type GroupCommitOptions } from '../src/db/group-commit.js';
import { incomeOf } from '../src/modules/ledger/ledger.income.js';
import { setupCommunity, startHarness, type Harness } from './support/harness.js';
import { gate, holdHead as holdLock } from './support/locks.js';
import { expectProblem } from './support/problems.js';

/**
 * A group commit whose first batch waits until released, so that what arrives meanwhile
 * queues; it records every batch it writes, and refuses, as the database would, a batch
 * holding `refused`.
 */
function gatedGroup(options: GroupCommitOptions, refused?: string) {
  const { opened, open: release } = gate();
  const batches: Array<{ lane: string; items: string[] }> = [];
  const group = createGroupCommit<string, string>(async (lane, items) => {
    batches.push({ lane, items });
    if (batches.length === 1) await opened;
    if (refused !== undefined && items.includes(refused)) throw Object.assign(new Error(`${refused} refused`), { severity: 'ERROR', code: '23514' });
    return items;
  }, options);
  return { group, batches, release };
}

describe('group commit', () => {
  it('sends what arrives during a batch together in the next one, in order', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number, string>(async (_key, items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => `done ${i}`);
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => group.submit('c1', i)));
    expect(results).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('keeps communities apart and an item the database refuses from failing the others', async () => {
    const group = createGroupCommit<number, number>(async (key, items) => {
      if (items.includes(13)) throw Object.assign(new Error(`13 in ${key}`), { severity: 'ERROR', code: '23514' });
      return items.map((i) => i * 2);
    });
    const outcomes = await Promise.allSettled([group.submit('a', 1), group.submit('a', 13), group.submit('a', 3), group.submit('b', 4)]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([2, '13 in a', 6, 8]);
  });

  it('never retries a batch whose answer was lost: it may have committed', async () => {
    let calls = 0;
    const group = createGroupCommit<number, number>(async (_key, items) => {
      calls++;
      if (items.length > 1) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      await new Promise((r) => setTimeout(r, 5));
      return items;
    });
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => group.submit('a', i)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(calls).toBe(2);
  });

  it('refuses at once, with unavailable, what would wait past the bound of its queue', async () => {
    const { opened: gated, open: release } = gate();
    const group = createGroupCommit<number, number>(async (key, items) => {
      if (key === 'a') await gated;
      return items;
    }, { maxQueued: 3 });
    // The first goes out at once and holds the writer; three wait; the fifth is one too many.
    const submitted = [1, 2, 3, 4, 5].map((i) => group.submit('a', i));
    const fifth = await submitted[4]!.then(() => 'taken', (error: { code?: string; status?: number }) => `${error.status} ${error.code}`);
    expect(fifth).toBe('503 unavailable');
    expect(await group.submit('b', 9).then(() => 'taken', () => 'refused'), 'other communities are not affected').toBe('taken');
    release();
    expect(await Promise.all(submitted.slice(0, 4))).toEqual([1, 2, 3, 4]);
  });

  it('sends the work of every key of a lane in one batch, and bounds each key on its own', async () => {
    const { group, batches, release } = gatedGroup({ maxQueued: 2, laneOf: (key) => (key.startsWith('x') ? 'lane x' : 'lane y') });
    const first = group.submit('x1', 'a');
    // While the lane writes 'a', x1 and x2 queue in it: two each at most.
    const waiting = [group.submit('x1', 'b'), group.submit('x2', 'c'), group.submit('x1', 'd'), group.submit('x2', 'e')];
    const third = await group.submit('x1', 'f').then(() => 'taken', (error: { status?: number }) => `refused ${error.status}`);
    expect(third, 'a key past its bound is refused even though its lane holds fewer than the others').toBe('refused 503');
    expect(await group.submit('y1', 'g'), 'another lane is not held up').toBe('g');
    release();
    expect(await Promise.all([first, ...waiting])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(batches.map((b) => [b.lane, ...b.items])).toEqual([['lane x', 'a'], ['lane y', 'g'], ['lane x', 'b', 'c', 'd', 'e']]);
  });

  it('gives every key of a lane its turn in a batch, so a flood on one never keeps another waiting behind it', async () => {
    const { group, batches, release } = gatedGroup({ maxBatch: 4, laneOf: () => 'one lane' });
    const first = group.submit('flood', 'f0');
    const flood = Array.from({ length: 9 }, (_, i) => group.submit('flood', `f${i + 1}`));
    const quiet = group.submit('quiet', 'q1');
    release();
    await Promise.all([first, ...flood, quiet]);
    expect(batches[1]!.items, 'the quiet key rides the first batch after it arrived').toEqual(['f1', 'q1', 'f2', 'f3']);
    expect(batches.slice(2).map((b) => b.items)).toEqual([['f4', 'f5', 'f6', 'f7'], ['f8', 'f9']]);
  });

  it('retries a refused lane batch key by key, and item by item only within the key that failed', async () => {
    const { group, batches, release } = gatedGroup({ laneOf: () => 'one lane' }, 'a2');
    const outcomes = Promise.allSettled(['x', 'a1', 'a2', 'b1', 'b2'].map((item) => group.submit(item === 'x' ? 'x' : item[0]!, item)));
    release();
    expect((await outcomes).map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(['x', 'a1', 'a2 refused', 'b1', 'b2']);
    expect(batches.map((b) => b.items)).toEqual([['x'], ['a1', 'a2', 'b1', 'b2'], ['a1', 'a2'], ['a1'], ['a2'], ['b1', 'b2']]);
  });
});

describe('incomes posted together', () => {
  let h: Harness;
  const holdHead = (communityId: string) => holdLock(h.db, communityId);
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('answer each caller on its own: managers succeed, an owner in the same burst is refused', async () => {
    const c = await setupCommunity(h.app);
    const body = { category: 'parking', amount: '2.50', payer: 'Burst' };
    const path = `/v1/communities/${c.id}/income`;
    const replies = await Promise.all([
      ...Array.from({ length: 20 }, () => c.manager.api.post(path, body)),
      c.owner.api.post(path, body),
      c.cosigners[0].api.post(path, body),
    ]);
    expect(replies.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill(201));
    expectProblem(replies[20]!, 403, 'forbidden');
    expectProblem(replies[21]!, 403, 'forbidden');
    const fundReply = await c.owner.api.get(`/v1/communities/${c.id}/fund`);
    expect(fundReply.body).toMatchObject({ balance: '50.00', ledgerHead: { seq: 20 } });
    expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body.ok).toBe(true);
  });

  it('of many communities at once: the books of each hold exactly its own, and each caller is checked in the community named', async () => {
    const cities = await Promise.all(Array.from({ length: 6 }, () => setupCommunity(h.app)));
    const body = (i: number) => ({ category: 'parking', amount: `${i + 1}.00`, payer: `Burst ${i}` });
    const replies = await Promise.all([
      ...cities.flatMap((c, i) => Array.from({ length: 5 }, () => c.manager.api.post(`/v1/communities/${c.id}/income`, body(i)))),
      // A manager of one community naming another: an outsider there, told nothing.
      cities[0]!.manager.api.post(`/v1/communities/${cities[1]!.id}/income`, body(0)),
    ]);
    expect(replies.slice(0, 30).map((r) => r.status)).toEqual(Array(30).fill(201));
    expectProblem(replies[30]!, 404, 'not_found');
    for (const [i, c] of cities.entries()) {
      const fund = await c.owner.api.get(`/v1/communities/${c.id}/fund`);
      expect(fund.body, `community ${i}`).toMatchObject({ balance: `${5 * (i + 1)}.00`, ledgerHead: { seq: 5 } });
      expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body.ok).toBe(true);
    }
  });

  it('a batch of several communities posts those whose head is free and leaves out, unwritten, one another writer holds', async () => {
    const [busy, free] = await Promise.all([setupCommunity(h.app), setupCommunity(h.app)]);
    const income = (communityId: string, by: string) => ({ communityId, ...incomeOf({ category: 'parking', amount: '3.00', payer: 'Lane' }, by).item });
    const items = [income(busy.id, busy.manager.id), income(free.id, free.manager.id), income(busy.id, busy.manager.id)];
    // Another writer (a fee payment, a billing run) holds the busy community's head.
    const { release, other } = await holdHead(busy.id);
    const { rows } = await sql<{ ord: number; community_id: string }>`
      SELECT ord, community_id FROM ledger_record_incomes_each(${JSON.stringify(items)}::jsonb, true)`.execute(h.db);
    expect(rows, 'only the free community is posted, and the statement did not wait').toEqual([{ ord: 2, community_id: free.id }]);
    release();
    await other;
    expect((await busy.owner.api.get(`/v1/communities/${busy.id}/fund`)).body).toMatchObject({ balance: '0.00', ledgerHead: { seq: 0 } });
    expect((await free.owner.api.get(`/v1/communities/${free.id}/fund`)).body).toMatchObject({ balance: '3.00', ledgerHead: { seq: 1 } });
  });

  it('through the API, incomes of a community whose head is held are answered once it is free, and the lane goes on meanwhile', async () => {
    const cities = await Promise.all(Array.from({ length: 8 }, () => setupCommunity(h.app)));
    const [busy, ...others] = cities;
    const { release, other } = await holdHead(busy!.id);
    const post = (c: (typeof cities)[number]) => c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: '1.00', payer: 'Lane' });
    const waiting = Promise.all([post(busy!), post(busy!)]);
    // Every other community's income is answered while the busy one's head is still held.
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(others.map(post));
      expect(replies.map((r) => r.status)).toEqual(others.map(() => 201));
    }
    release();
    await other;
    expect((await waiting).map((r) => r.status)).toEqual([201, 201]);
    for (const [i, c] of cities.entries()) {
      const expected = i === 0 ? '2.00' : '3.00';
      expect((await c.owner.api.get(`/v1/communities/${c.id}/fund`)).body, `community ${i}`).toMatchObject({ balance: expected });
      expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body.ok).toBe(true);
    }
  });
});
