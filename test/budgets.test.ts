import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const LINES = [
  { account: '5102', amount: '12000' },
  { account: '5103', amount: '3000.50' },
  { account: '4101', amount: '8000' },
];

const put = (c: Community, who: Person | Community['admin'], year: number | string, body: unknown) =>
  ('api' in who ? who.api : who).put(`/v1/communities/${c.id}/budgets/${year}`, body);
const approve = (c: Community, who: Person, year: number, extra: Record<string, unknown> = {}) =>
  who.api.post(`/v1/communities/${c.id}/budgets/${year}/approvals`, { signingPassword: who.signingPassword, ...extra });
const report = async (c: Community, year: number) => {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/budgets/${year}/report`);
  expect(reply.status).toBe(200);
  return reply.body;
};
const problem = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body.code).toBe(code);
};

/** Posts an expense through the ledger's service, as a payout would. */
const spend = (c: Community, account: string, amount: string, at: string) =>
  inTransaction(h.db, (tx) =>
    h.app.services.ledger.post(tx, {
      communityId: c.id,
      kind: 'payout',
      memo: `paid from ${account}`,
      source: null,
      occurredAt: new Date(at),
      lines: [
        { account, debit: amount },
        { account: '1001', credit: amount },
      ],
    }),
  );
const income = async (c: Community, category: string, amount: string, receivedAt: string) => {
  const reply = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category, amount, payer: 'Tenant', receivedAt });
  expect(reply.status).toBe(201);
  return reply.body;
};

describe('drafting a budget', () => {
  it('a manager drafts lines on income and expense accounts', async () => {
    const c = await setupCommunity(h.app);
    const reply = await put(c, c.manager, 2026, { lines: LINES });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      year: 2026,
      version: 1,
      status: 'draft',
      approvals: [],
      requiredApprovals: 2,
      approvedAt: null,
      inForceVersion: null,
      totals: { income: '8000.00', expense: '15000.50' },
      draftedBy: { id: c.manager.id },
    });
    expect(reply.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(reply.body.lines).toEqual([
      { account: '4101', name: 'Parking income 停车收益', type: 'income', amount: '8000.00' },
      { account: '5102', name: 'Cleaning 保洁', type: 'expense', amount: '12000.00' },
      { account: '5103', name: 'Security 秩序维护', type: 'expense', amount: '3000.50' },
    ]);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026`)).body).toEqual(reply.body);
  });

  it('a community admin may draft; owners, supervisors and co-signers read but may not', async () => {
    const c = await setupCommunity(h.app);
    const admin = await c.addMember(['admin']);
    expect((await put(c, admin, 2026, { lines: LINES })).status).toBe(200);
    for (const person of [c.owner, c.supervisor, c.cosigners[0]]) {
      problem(await put(c, person, 2026, { lines: LINES }), 403, 'forbidden');
      expect((await person.api.get(`/v1/communities/${c.id}/budgets/2026`)).status).toBe(200);
    }
    const stranger = await setupCommunity(h.app);
    problem(await put(c, stranger.manager, 2026, { lines: LINES }), 404, 'not_found');
    problem(await stranger.owner.api.get(`/v1/communities/${c.id}/budgets/2026`), 404, 'not_found');
  });

  it('refuses bad lines and years and changes nothing', async () => {
    const c = await setupCommunity(h.app);
    const bad: unknown[] = [
      { lines: [{ account: '1001', amount: '10' }] },
      { lines: [{ account: '2201', amount: '10' }] },
      { lines: [{ account: '9999', amount: '10' }] },
      { lines: [{ account: '5102', amount: '10' }, { account: '5102', amount: '20' }] },
      { lines: [{ account: '5102', amount: '-1' }] },
      { lines: [{ account: '5102', amount: '1.234' }] },
      { lines: [{ account: '5102', amount: 10 }] },
      { lines: [{ account: '5102', amount: '12345678901234' }] },
      { lines: [{ account: '5102', amount: '1', note: 'x' }] },
      { lines: [] },
      { lines: LINES, extra: true },
      {},
    ];
    for (const body of bad) problem(await put(c, c.manager, 2026, body), 400, 'validation_failed');
    for (const year of [1999, 2101, 'next']) problem(await put(c, c.manager, year, { lines: LINES }), 400, 'validation_failed');
    problem(await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026`), 404, 'not_found');
    problem(await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026/report`), 404, 'not_found');
  });

  it('a PUT on an open draft rewrites it and voids its approvals; the same lines again change nothing', async () => {
    const c = await setupCommunity(h.app);
    const first = (await put(c, c.manager, 2026, { lines: LINES })).body;
    expect((await approve(c, c.cosigners[0], 2026)).body.approvals).toHaveLength(1);
    const same = (await put(c, c.manager, 2026, { lines: [...LINES].reverse() })).body;
    expect(same.digest).toBe(first.digest);
    expect(same.approvals).toHaveLength(1);

    const changed = (await put(c, c.manager, 2026, { lines: [{ account: '5102', amount: '0' }] })).body;
    expect(changed).toMatchObject({ version: 1, status: 'draft', approvals: [], totals: { income: '0.00', expense: '0.00' } });
    expect(changed.digest).not.toBe(first.digest);
    // The first co-signer's key was for other numbers: it may approve again.
    expect((await approve(c, c.cosigners[0], 2026)).status).toBe(200);
  });
});

describe('approving a budget with two keys', () => {
  it('two distinct co-signers approve it, and the feed says so', async () => {
    const c = await setupCommunity(h.app);
    const draft = (await put(c, c.manager, 2026, { lines: LINES })).body;
    const one = await approve(c, c.cosigners[0], 2026, { digest: draft.digest });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ status: 'draft', approvals: [{ by: { id: c.cosigners[0].id } }] });
    const two = await approve(c, c.cosigners[1], 2026);
    expect(two.body).toMatchObject({ status: 'approved', version: 1, inForceVersion: 1, digest: draft.digest });
    expect(two.body.approvals.map((a: any) => a.by.id).sort()).toEqual([c.cosigners[0].id, c.cosigners[1].id].sort());
    expect(two.body.approvedAt).toEqual(expect.any(String));

    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed`)).body.items;
    expect(feed).toEqual([
      expect.objectContaining({ seq: 1, type: 'budget.approved', amount: '15000.50', ref: 'budget-2026-v1', summary: expect.stringContaining('2026') }),
    ]);
    problem(await approve(c, c.cosigners[2], 2026), 409, 'invalid_state');
  });

  it('the drafter never counts, even as a co-signer', async () => {
    const c = await setupCommunity(h.app);
    const both = await c.addMember(['manager', 'cosigner']);
    await put(c, both, 2026, { lines: LINES });
    problem(await approve(c, both, 2026), 403, 'self_approval');
    await approve(c, c.cosigners[0], 2026);
    expect((await approve(c, c.cosigners[1], 2026)).body.status).toBe('approved');
  });

  it('one key per co-signer per version, even racing', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: LINES });
    const racing = await Promise.all([approve(c, c.cosigners[0], 2026), approve(c, c.cosigners[0], 2026)]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(racing.find((r) => r.status === 409)!.body.code).toBe('already_decided');
    problem(await approve(c, c.cosigners[0], 2026), 409, 'already_decided');
    expect((await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026`)).body).toMatchObject({ status: 'draft', approvals: [expect.anything()] });
  });

  it('refuses wrong keys, wrong digests, other roles and missing drafts', async () => {
    const c = await setupCommunity(h.app);
    problem(await approve(c, c.cosigners[0], 2026), 404, 'not_found');
    await put(c, c.manager, 2026, { lines: LINES });
    problem(await approve(c, c.cosigners[0], 2026, { signingPassword: c.cosigners[0].password }), 403, 'bad_signing_password');
    problem(await approve(c, c.cosigners[0], 2026, { digest: 'a'.repeat(64) }), 409, 'digest_mismatch');
    problem(await approve(c, c.cosigners[0], 2026, { digest: 'nothex' }), 400, 'validation_failed');
    problem(await c.cosigners[0].api.post(`/v1/communities/${c.id}/budgets/2026/approvals`, {}), 400, 'validation_failed');
    problem(await c.owner.api.post(`/v1/communities/${c.id}/budgets/2026/approvals`, { signingPassword: 'whatever' }), 403, 'forbidden');
    problem(await approve(c, c.manager, 2026, { signingPassword: 'x' }), 403, 'forbidden');
    expect((await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026`)).body.approvals).toEqual([]);
  });

  it('limits wrong signing passwords like logins', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: LINES });
    for (let i = 0; i < 10; i++) problem(await approve(c, c.cosigners[2], 2026, { signingPassword: 'wrong-guess' }), 403, 'bad_signing_password');
    problem(await approve(c, c.cosigners[2], 2026), 429, 'rate_limited');
  });

  it('changing an approved budget opens a new draft; the approved one stays in force until then', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: LINES });
    await approve(c, c.cosigners[0], 2026);
    await approve(c, c.cosigners[1], 2026);
    await income(c, 'other', '1000', '2026-01-05T00:00:00Z');
    await spend(c, '5102', '600.00', '2026-03-10T04:00:00Z');

    const redraft = await put(c, c.manager, 2026, { lines: [{ account: '5102', amount: '20000' }] });
    expect(redraft.body).toMatchObject({ version: 2, status: 'draft', inForceVersion: 1, approvals: [] });
    const during = await report(c, 2026);
    expect(during).toMatchObject({ status: 'draft', version: 1, latestVersion: 2 });
    expect(during.lines.find((l: any) => l.account === '5102')).toMatchObject({ budget: '12000.00', actual: '600.00', executionRate: '0.0500' });

    await approve(c, c.cosigners[2], 2026);
    await approve(c, c.cosigners[0], 2026);
    const after = await report(c, 2026);
    expect(after).toMatchObject({ status: 'approved', version: 2, latestVersion: 2 });
    expect(after.lines.map((l: any) => [l.account, l.budget, l.actual])).toEqual([
      ['4199', '0.00', '1000.00'],
      ['5102', '20000.00', '600.00'],
    ]);

    const history = await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026/versions`);
    expect(history.body.items.map((v: any) => [v.version, v.status, v.approvals.length])).toEqual([
      [1, 'approved', 2],
      [2, 'approved', 2],
    ]);
    expect(history.body.items[0].lines).toHaveLength(3);
    const paged = await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026/versions?limit=1`);
    expect(paged.body.items.map((v: any) => v.version)).toEqual([1]);
    const rest = await c.owner.api.get(`/v1/communities/${c.id}/budgets/2026/versions?limit=1&after=${paged.body.nextAfter}`);
    expect(rest.body.items.map((v: any) => v.version)).toEqual([2]);
    const feed = (await c.owner.api.get(`/v1/communities/${c.id}/feed`)).body.items.filter((i: any) => i.type === 'budget.approved').map((i: any) => i.ref);
    expect(feed).toEqual(['budget-2026-v1', 'budget-2026-v2']);
  });

  it('an approved version cannot be altered, even by SQL', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: LINES });
    await approve(c, c.cosigners[0], 2026);
    await approve(c, c.cosigners[1], 2026);
    await expect(h.db.updateTable('budget_lines').set({ amount: '1.00' }).where('community_id', '=', c.id).execute()).rejects.toThrow(/frozen/);
    await expect(h.db.deleteFrom('budget_approvals').where('community_id', '=', c.id).execute()).rejects.toThrow(/frozen/);
    await expect(h.db.updateTable('budget_versions').set({ digest: 'b'.repeat(64) }).where('community_id', '=', c.id).execute()).rejects.toThrow(/frozen/);
  });
});

describe('the budget report', () => {
  it('counts months in the community time zone and reconciles to the ledger to the fen', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: [{ account: '4101', amount: '1000' }, { account: '5102', amount: '3' }, { account: '5104', amount: '0' }] });
    // 2025-12-31T17:00Z is 01:00 on 1 January 2026 in Shanghai; 15:00Z is still 31 December.
    await income(c, 'parking', '100.10', '2025-12-31T17:00:00Z');
    await income(c, 'parking', '50.00', '2025-12-31T15:59:59Z');
    await income(c, 'parking', '0.01', '2026-10-31T16:00:00Z'); // 1 November in Shanghai
    await income(c, 'leasing', '200.00', '2026-06-15T00:00:00Z');
    await spend(c, '5102', '1.00', '2026-02-28T16:00:00Z'); // 1 March in Shanghai
    await spend(c, '5104', '7.77', '2026-07-01T00:00:00Z');
    const r = await report(c, 2026);
    expect(r).toMatchObject({ year: 2026, status: 'draft', version: 1, timezone: 'Asia/Shanghai' });
    const line = (code: string) => r.lines.find((l: any) => l.account === code);
    expect(r.lines.map((l: any) => l.account)).toEqual(['4101', '4103', '5102', '5104']);
    expect(line('4101')).toMatchObject({ budget: '1000.00', actual: '100.11', remaining: '899.89', executionRate: '0.1001' });
    expect(line('4101').months).toEqual(['100.10', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.01', '0.00']);
    // Activity without a line: budget 0.00, no rate.
    expect(line('4103')).toMatchObject({ name: 'Leasing income 场地租赁收益', budget: '0.00', actual: '200.00', remaining: '-200.00', executionRate: null });
    expect(line('5102')).toMatchObject({ budget: '3.00', actual: '1.00', remaining: '2.00', executionRate: '0.3333' });
    expect(line('5102').months[2]).toBe('1.00');
    expect(line('5104')).toMatchObject({ budget: '0.00', actual: '7.77', executionRate: null });
    expect(line('5104').months[6]).toBe('7.77');
    expect(r.totals).toEqual({ budget: '3.00', actual: '8.77', remaining: '-5.77', executionRate: '2.9233' });
    expect(r.totalsByType.expense).toEqual(r.totals);
    expect(r.totalsByType.income).toEqual({ budget: '1000.00', actual: '300.11', remaining: '699.89', executionRate: '0.3001' });

    const previous = await put(c, c.manager, 2025, { lines: [{ account: '4101', amount: '50' }] });
    expect(previous.status).toBe(200);
    expect((await report(c, 2025)).lines).toEqual([
      expect.objectContaining({ account: '4101', budget: '50.00', actual: '50.00', executionRate: '1.0000', months: [...Array(11).fill('0.00'), '50.00'] }),
    ]);

    // Every yuan of the two years is in exactly one report, as /accounts has it.
    const accounts = new Map<string, string>((await c.owner.api.get(`/v1/communities/${c.id}/accounts`)).body.items.map((a: any) => [a.code, a.balance]));
    const both = [...r.lines, ...(await report(c, 2025)).lines];
    for (const code of ['4101', '4103', '5102', '5104']) {
      const total = both.filter((l: any) => l.account === code).reduce((s: number, l: any) => s + Math.round(Number(l.actual) * 100), 0);
      expect((total / 100).toFixed(2)).toBe(accounts.get(code));
      const monthly = both.filter((l: any) => l.account === code).flatMap((l: any) => l.months).reduce((s: number, m: string) => s + Math.round(Number(m) * 100), 0);
      expect(monthly).toBe(total);
    }
    expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body.ok).toBe(true);
  });

  it('follows another time zone the same way', async () => {
    const c = await setupCommunity(h.app, { timezone: 'America/New_York' });
    await put(c, c.manager, 2026, { lines: [{ account: '4199', amount: '10' }] });
    await income(c, 'other', '5.00', '2026-01-01T04:59:59Z'); // still 2025 in New York
    await income(c, 'other', '6.00', '2026-01-01T05:00:00Z');
    const r = await report(c, 2026);
    expect(r.timezone).toBe('America/New_York');
    expect(r.lines).toEqual([expect.objectContaining({ account: '4199', actual: '6.00', executionRate: '0.6000' })]);
  });

  it('rounds the execution rate half-up to four places and keeps large sums exact', async () => {
    const c = await setupCommunity(h.app);
    await put(c, c.manager, 2026, { lines: [{ account: '5105', amount: '9999999999999.99' }, { account: '5106', amount: '9999999999999.99' }, { account: '5107', amount: '8' }] });
    await income(c, 'other', '5.00', '2026-04-01T00:00:00Z');
    await spend(c, '5107', '1.00', '2026-04-01T00:00:00Z'); // 0.125 -> 0.1250
    const r = await report(c, 2026);
    expect(r.totals.budget).toBe('20000000000007.98');
    expect(r.lines.find((l: any) => l.account === '5107').executionRate).toBe('0.1250');
    expect(r.totals.executionRate).toBe('0.0000');
  });
});
