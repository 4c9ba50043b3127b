import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

let h: Harness;
let c: Community;
const url = (path: string) => `/v1/communities/${c.id}/${path}`;

beforeAll(async () => {
  h = await startHarness();
  c = await setupCommunity(h.app);
});
afterAll(() => h?.close());

/** Everything a client can see of the books, to prove a refused request changed nothing. */
async function books(community: Community) {
  const api = community.owner.api;
  const base = `/v1/communities/${community.id}`;
  const [fundReply, accounts, entries] = await Promise.all([
    api.get(`${base}/fund`),
    api.get(`${base}/accounts`),
    api.get(`${base}/entries?limit=500`),
  ]);
  const { asOf: _asOf, ...fundState } = fundReply.body;
  return { fundState, accounts: accounts.body, entries: entries.body };
}

describe('recording public income', () => {
  it.each([
    ['parking', '4101'],
    ['advertising', '4102'],
    ['leasing', '4103'],
    ['other', '4199'],
  ])('%s income posts Dr 1001 / Cr %s', async (category, account) => {
    const community = await setupCommunity(h.app);
    const reply = await community.manager.api.post(`/v1/communities/${community.id}/income`, {
      category,
      amount: '1280.5',
      payer: 'Some tenant',
      reference: 'INV-1',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ id: expect.any(String), entryId: expect.any(String), category, account, amount: '1280.50' });
    const entries = await community.owner.api.get(`/v1/communities/${community.id}/entries`);
    expect(entries.body.items).toHaveLength(1);
    const [entry] = entries.body.items;
    expect(entry).toMatchObject({ seq: 1, id: reply.body.entryId, kind: 'income' });
    expect(entry.postings).toEqual([
      { account: '1001', debit: '1280.50', credit: '0.00' },
      { account, debit: '0.00', credit: '1280.50' },
    ]);
    const accounts = await community.owner.api.get(`/v1/communities/${community.id}/accounts`);
    const balance = (code: string) => accounts.body.items.find((a: any) => a.code === code).balance;
    expect(balance('1001')).toBe('1280.50');
    expect(balance(account)).toBe('1280.50'); // income shown in its normal (credit) direction
  });

  it('shows the fund with its ledger head', async () => {
    const community = await setupCommunity(h.app);
    await fund(community, '100');
    await fund(community, '0.01');
    const reply = await community.supervisor.api.get(`/v1/communities/${community.id}/fund`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ balance: '100.01', reserved: '0.00', available: '100.01', currency: 'CNY' });
    expect(reply.body.ledgerHead.seq).toBe(2);
    expect(reply.body.ledgerHead.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(reply.body.asOf).toISOString()).toBe(reply.body.asOf);
  });

  it('keeps hostile text verbatim', async () => {
    const payer = `Robert'); DROP TABLE entries;-- <script>alert(1)</script> 🚗 停车`;
    const memo = '"quoted" \\ back\nslash';
    const reply = await c.manager.api.post(url('income'), { category: 'other', amount: '1', payer, memo });
    expect(reply.status).toBe(201);
    expect(reply.body.payer).toBe(payer);
    const entries = await c.owner.api.get(url('entries?limit=500'));
    expect(entries.body.items.at(-1).memo).toBe(memo);
    expect((await c.owner.api.get(url('ledger/verify'))).body.ok).toBe(true);
  });

  it('only a manager records income', async () => {
    for (const person of [c.owner, c.supervisor, c.cosigners[0]]) {
      expectProblem(await person.api.post(url('income'), { category: 'parking', amount: '1', payer: 'x' }), 403, 'forbidden');
    }
    expectProblem(await c.admin.post(url('income'), { category: 'parking', amount: '1', payer: 'x' }), 403, 'forbidden');
  });

  it('who may record income is decided the same way with and without an Idempotency-Key, before anything is written', async () => {
    const community = await setupCommunity(h.app);
    const outsider = (await setupCommunity(h.app)).manager;
    const path = `/v1/communities/${community.id}/income`;
    const income = { category: 'parking', amount: '1', payer: 'x' };
    const before = await books(community);
    const withAndWithoutKey: Array<Record<string, string>> = [{}, { 'idempotency-key': `key-${Math.random()}` }];
    for (const headers of withAndWithoutKey) {
      for (const person of [community.owner, community.supervisor, community.cosigners[0]]) {
        expectProblem(await person.api.post(path, income, headers), 403, 'forbidden');
      }
      expectProblem(await community.admin.post(path, income, headers), 403, 'forbidden');
      expectProblem(await outsider.api.post(path, income, headers), 404, 'not_found');
      expectProblem(await community.manager.api.post(`/v1/communities/${randomUUID()}/income`, income, headers), 404, 'not_found');
    }
    expect(await books(community)).toEqual(before);
  });

  it('in one group-commit batch, the refused get their answer and the manager\'s incomes still go through', async () => {
    const community = await setupCommunity(h.app);
    const path = `/v1/communities/${community.id}/income`;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? community.manager : community.owner).api.post(path, { category: 'parking', amount: '10', payer: `p${i}` })),
    );
    replies.forEach((reply, i) => (i % 2 === 0 ? expect(reply.status).toBe(201) : expectProblem(reply, 403, 'forbidden')));
    expect((await community.owner.api.get(`/v1/communities/${community.id}/fund`)).body.balance).toBe('100.00');
    expect((await community.owner.api.get(`/v1/communities/${community.id}/ledger/verify`)).body.ok).toBe(true);
  });

  it('refuses every malformed amount and leaves the books byte-identical', async () => {
    const community = await setupCommunity(h.app);
    await fund(community, '10');
    const before = await books(community);
    const amounts: unknown[] = [
      12, 12.5, '1e3', '1E3', 'NaN', 'Infinity', '', ' ', ' 12', '12 ', '12.345', '-1', '-0.01', '0', '0.00', '+1',
      '12345678901234', '1,000', '１２', '12.', '.5', '0x10', null, true, [], {}, '٣',
    ];
    for (const amount of amounts) {
      const reply = await community.manager.api.post(`/v1/communities/${community.id}/income`, { category: 'parking', amount, payer: 'x' });
      expectProblem(reply, 400, 'validation_failed');
    }
    const others: unknown[] = [
      { category: 'lottery', amount: '1', payer: 'x' },
      { amount: '1', payer: 'x' },
      { category: 'parking', payer: 'x' },
      { category: 'parking', amount: '1' },
      { category: 'parking', amount: '1', payer: '   ' },
      { category: 'parking', amount: '1', payer: 'x', receivedAt: 'yesterday' },
      { category: 'parking', amount: '1', payer: 'x', receivedAt: '2999-01-01T00:00:00Z' },
      { category: 'parking', amount: '1', payer: 'x', receivedAt: '0000-01-01T00:00:00Z' },
      { category: 'parking', amount: '1', payer: 'x', receivedAt: '1969-12-31T23:59:59Z' },
      { category: 'parking', amount: '1', payer: 'x', surprise: 1 },
    ];
    for (const body of others) {
      expectProblem(await community.manager.api.post(`/v1/communities/${community.id}/income`, body), 400, 'validation_failed');
    }
    expect(await books(community)).toEqual(before);
  });

  it('accepts the largest amount the money rule allows and sums past it exactly', async () => {
    const community = await setupCommunity(h.app);
    const max = '9999999999999.99';
    await fund(community, max);
    await fund(community, max);
    const reply = await community.owner.api.get(`/v1/communities/${community.id}/fund`);
    expect(reply.body.balance).toBe('19999999999999.98');
  });
});

describe('idempotency keys', () => {
  it('replays the first answer for the same key and body, and refuses another body', async () => {
    const community = await setupCommunity(h.app);
    const api = community.manager.api;
    const path = `/v1/communities/${community.id}/income`;
    const body = { category: 'parking', amount: '50', payer: 'P' };
    const first = await api.post(path, body, { 'idempotency-key': 'key-1' });
    const again = await api.post(path, body, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expectProblem(await api.post(path, { ...body, amount: '51' }, { 'idempotency-key': 'key-1' }), 422, 'idempotency_conflict');
    expect((await community.owner.api.get(`/v1/communities/${community.id}/fund`)).body.balance).toBe('50.00');
  });

  it('scopes keys to the community', async () => {
    const a = await setupCommunity(h.app);
    const b = await setupCommunity(h.app);
    const body = { category: 'parking', amount: '5', payer: 'P' };
    expect((await a.manager.api.post(`/v1/communities/${a.id}/income`, body, { 'idempotency-key': 'same' })).status).toBe(201);
    const other = await b.manager.api.post(`/v1/communities/${b.id}/income`, body, { 'idempotency-key': 'same' });
    expect(other.status).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect((await b.owner.api.get(`/v1/communities/${b.id}/fund`)).body.balance).toBe('5.00');
  });

  it('refuses keys that are empty, too long or not printable ASCII', async () => {
    const body = { category: 'parking', amount: '5', payer: 'P' };
    for (const key of ['x'.repeat(256), 'naïve', 'tab\there']) {
      expectProblem(await c.manager.api.post(url('income'), body, { 'idempotency-key': key }), 400, 'validation_failed');
    }
  });
});

describe('entries', () => {
  it('pages oldest first with an opaque cursor', async () => {
    const community = await setupCommunity(h.app);
    for (let i = 1; i <= 5; i++) await fund(community, String(i));
    const api = community.owner.api;
    const first = await api.get(`/v1/communities/${community.id}/entries?limit=2`);
    expect(first.body.items.map((e: any) => e.seq)).toEqual([1, 2]);
    const second = await api.get(`/v1/communities/${community.id}/entries?limit=2&after=${first.body.nextAfter}`);
    expect(second.body.items.map((e: any) => e.seq)).toEqual([3, 4]);
    const third = await api.get(`/v1/communities/${community.id}/entries?limit=2&after=${second.body.nextAfter}`);
    expect(third.body.items.map((e: any) => e.seq)).toEqual([5]);
    expect(third.body.nextAfter).toBeNull();
    expect(second.body.items[0].prevHash).toBe(first.body.items[1].hash);
    for (const bad of ['limit=0', 'limit=501', 'limit=abc', 'after=%%%', 'after=bm9wZQ']) {
      expectProblem(await api.get(`/v1/communities/${community.id}/entries?${bad}`), 400, 'validation_failed');
    }
  });
});

describe('entries newest first, and between two days', () => {
  it('pages newest first: nextAfter continues with older entries, and a cursor works in either order', async () => {
    const community = await setupCommunity(h.app);
    for (let i = 1; i <= 5; i++) await fund(community, String(i));
    const get = (query: string) => community.owner.api.get(`/v1/communities/${community.id}/entries?${query}`);
    const first = await get('order=desc&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((e: any) => e.seq)).toEqual([5, 4]);
    expect(first.body.items[0].postings).toEqual([
      { account: '1001', debit: '5.00', credit: '0.00' },
      { account: '4199', debit: '0.00', credit: '5.00' },
    ]);
    const second = await get(`order=desc&limit=2&after=${first.body.nextAfter}`);
    expect(second.body.items.map((e: any) => e.seq)).toEqual([3, 2]);
    expect(second.body.items.map((e: any) => e.postings[0].debit)).toEqual(['3.00', '2.00']);
    const third = await get(`order=desc&limit=2&after=${second.body.nextAfter}`);
    expect(third.body.items.map((e: any) => e.seq)).toEqual([1]);
    expect(third.body.nextAfter).toBeNull();
    // The same cursor read oldest first continues with the newer entries.
    expect((await get(`limit=2&after=${second.body.nextAfter}`)).body.items.map((e: any) => e.seq)).toEqual([3, 4]);
    expect((await get('order=asc&limit=2')).body.items.map((e: any) => e.seq)).toEqual([1, 2]);
    expect((await get('order=desc&limit=500')).body.items.map((e: any) => e.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  it("keeps the entries of the days asked for, in the community's time zone", async () => {
    const community = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
    const at = async (receivedAt: string, amount: string) => {
      const reply = await community.manager.api.post(`/v1/communities/${community.id}/income`, { category: 'parking', amount, payer: 'P', receivedAt });
      expect(reply.status).toBe(201);
    };
    await at('2025-11-30T15:59:59Z', '1'); // 2025-11-30 23:59:59 in Shanghai: November
    await at('2025-11-30T16:00:00Z', '2'); // 2025-12-01 00:00 in Shanghai: December
    await at('2025-12-31T15:59:59.999Z', '3'); // the last moment of December there
    await at('2025-12-31T17:00:00Z', '4'); // 2026-01-01 in Shanghai, still 2025 in UTC
    await at('2025-12-15T04:00:00Z', '5'); // recorded last, happened mid-December
    const amounts = async (query: string) => {
      const reply = await community.owner.api.get(`/v1/communities/${community.id}/entries?${query}`);
      expect(reply.status).toBe(200);
      return reply.body.items.map((e: any) => e.postings[0].debit);
    };
    expect(await amounts('from=2025-12-01&to=2025-12-31')).toEqual(['2.00', '3.00', '5.00']);
    expect(await amounts('order=desc&from=2025-12-01&to=2025-12-31')).toEqual(['5.00', '3.00', '2.00']);
    expect(await amounts('to=2025-11-30')).toEqual(['1.00']);
    expect(await amounts('from=2026-01-01')).toEqual(['4.00']);
    expect(await amounts('from=2025-12-15&to=2025-12-15')).toEqual(['5.00']);
    expect(await amounts('from=2024-01-01&to=2024-12-31')).toEqual([]);

    // Paging within a filter skips the entries outside it.
    const page1 = await community.owner.api.get(`/v1/communities/${community.id}/entries?order=desc&from=2025-12-01&to=2025-12-31&limit=2`);
    expect(page1.body.items.map((e: any) => e.postings[0].debit)).toEqual(['5.00', '3.00']);
    const page2 = await community.owner.api.get(
      `/v1/communities/${community.id}/entries?order=desc&from=2025-12-01&to=2025-12-31&limit=2&after=${page1.body.nextAfter}`,
    );
    expect(page2.body.items.map((e: any) => e.postings[0].debit)).toEqual(['2.00']);
    expect(page2.body.nextAfter).toBeNull();
  });

  it('refuses an unknown order, a day that is not one, and from after to', async () => {
    const bad = [
      'order=newest', 'order=DESC', 'order=', 'from=2026-02-30', 'to=2025-02-29', 'from=2026-1-5', 'from=20260105', 'to=2026-13-01',
      'from=2026-01-01T00:00:00Z', 'from=0000-01-01', 'from=', 'from=2026-03-02&to=2026-03-01', 'order=desc&after=bm9wZQ',
    ];
    for (const query of bad) {
      expectProblem(await c.owner.api.get(url(`entries?${query}`)), 400, 'validation_failed');
    }
    expect((await c.owner.api.get(url('entries?from=2024-02-29&to=2024-02-29'))).status).toBe(200);
    expect((await c.owner.api.get(url('entries?from=2026-03-01&to=2026-03-01'))).status).toBe(200);
  });
});

describe('reversal', () => {
  it('a co-signer reverses an income once, with their signing password', async () => {
    const community = await setupCommunity(h.app);
    const income = await community.manager.api.post(`/v1/communities/${community.id}/income`, { category: 'advertising', amount: '300', payer: 'Ads' });
    const [cosigner] = community.cosigners;
    const path = `/v1/communities/${community.id}/entries/${income.body.entryId}/reversal`;
    expectProblem(await cosigner.api.post(path, { reason: 'typo', signingPassword: 'wrong-signing-pw' }), 403, 'bad_signing_password');
    expectProblem(await community.manager.api.post(path, { reason: 'typo', signingPassword: 'whatever-pw' }), 403, 'forbidden');
    expectProblem(await community.owner.api.post(path, { reason: 'typo', signingPassword: 'whatever-pw' }), 403, 'forbidden');
    const reversal = await cosigner.api.post(path, { reason: 'typo', signingPassword: cosigner.signingPassword });
    expect(reversal.status).toBe(201);
    expect(reversal.body).toMatchObject({ seq: 2, kind: 'reversal', reverses: income.body.entryId });
    expect(reversal.body.postings).toEqual([
      { account: '1001', debit: '0.00', credit: '300.00' },
      { account: '4102', debit: '300.00', credit: '0.00' },
    ]);
    expectProblem(await cosigner.api.post(path, { reason: 'again', signingPassword: cosigner.signingPassword }), 409, 'invalid_state');
    const fundReply = await community.owner.api.get(`/v1/communities/${community.id}/fund`);
    expect(fundReply.body.balance).toBe('0.00');
    expectProblem(
      await cosigner.api.post(`/v1/communities/${community.id}/entries/${reversal.body.id}/reversal`, { reason: 'undo', signingPassword: cosigner.signingPassword }),
      409,
      'invalid_state',
    );
    expectProblem(
      await cosigner.api.post(`/v1/communities/${community.id}/entries/nope/reversal`, { reason: 'x', signingPassword: cosigner.signingPassword }),
      404,
      'not_found',
    );
  });
});

describe('the database keeps the rules too', () => {
  it('refuses to update or delete entries and postings', async () => {
    const community = await setupCommunity(h.app);
    await fund(community, '10');
    await expect(sql`UPDATE entries SET memo = 'edited' WHERE community_id = ${community.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM postings WHERE community_id = ${community.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE postings SET debit = 99 WHERE community_id = ${community.id}`.execute(h.db)).rejects.toThrow(/append-only/);
  });

  it('refuses an unbalanced entry at commit', async () => {
    const community = await setupCommunity(h.app);
    const lines = JSON.stringify([
      { account: '1001', debit: '10', credit: '0' },
      { account: '4101', debit: '0', credit: '9.99' },
    ]);
    await expect(
      sql`SELECT * FROM ledger_post(${community.id}, 'bad', 'income', '', NULL, NULL, now(), NULL, ${lines}::jsonb, NULL)`.execute(h.db),
    ).rejects.toThrow(/unbalanced/);
    expect((await community.owner.api.get(`/v1/communities/${community.id}/fund`)).body.ledgerHead.seq).toBe(0);
  });

  it('refuses a fund below what is reserved', async () => {
    const community = await setupCommunity(h.app);
    await fund(community, '10');
    await expect(
      sql`UPDATE accounts SET reserved = 10.01 WHERE community_id = ${community.id} AND code = '1001'`.execute(h.db),
    ).rejects.toThrow(/available_not_negative/);
  });
});
