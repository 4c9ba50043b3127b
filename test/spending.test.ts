import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funded, startHarness, type Community, type Harness } from './support/harness.js';
import type { TimelineEvent } from '../src/modules/spending/spending.schemas.js';
import { timelineSteps } from '../src/modules/spending/spending.timeline.js';
import { accrue, approve, balanceOf, cancel, fundOf, payout, problem, reject, repair, requestsUrl, submit, twoKeys } from './support/spending.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());


describe('an owner watches a repair go from request to two keys to bank transfer', () => {
  it('and every figure in /fund, /accounts, /entries and /ledger/verify agrees', async () => {
    const c = await funded(h.app, '5000.00');
    const url = requestsUrl(c);
    const submitted = await c.manager.api.post(url, repair());
    expect(submitted.status).toBe(201);
    const request = submitted.body;
    expect(request).toMatchObject({
      status: 'pending',
      title: 'Replace the pump of building 3',
      amount: '1280.50',
      account: '5105',
      payee: { name: 'Hangzhou Pump Repair Co.', account: '62220212345678901234' },
      description: 'Quote attached; the old pump leaks.',
      budgetYear: 2026,
      requiredApprovals: 2,
      approvals: [],
      bankReference: null,
      paidAt: null,
      entryId: null,
    });
    expect(request.trackingNo).toMatch(/^XY-\d{4}-\d+-000001$/);
    expect(request.timeline).toEqual([{ at: expect.any(String), event: 'submitted', actor: { id: c.manager.id, displayName: expect.any(String), roles: ['manager'] } }]);
    expect(await fundOf(c)).toMatchObject({ balance: '5000.00', reserved: '1280.50', available: '3719.50' });

    // The owner follows it by tracking number and sees the payee's account masked.
    const tracked = await c.owner.api.get(`/v1/track/${request.trackingNo}`);
    expect(tracked.status).toBe(200);
    expect(tracked.body.payee).toEqual({ name: 'Hangzhou Pump Repair Co.', account: '****1234' });
    expect(tracked.body.status).toBe('pending');

    const first = await approve(c, c.cosigners[0], request);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('pending');
    expect(first.body.approvals).toEqual([{ by: c.cosigners[0].id, displayName: expect.any(String), at: expect.any(String) }]);
    const approved = await twoKeysSecond(c, request);
    expect(approved.approvals.map((a: any) => a.by)).toEqual([c.cosigners[0].id, c.cosigners[1].id]);

    const paid = await payout(c, request, 'ICBC-2026-000777');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', bankReference: 'ICBC-2026-000777', entryId: expect.any(String) });

    // Like a parcel: submitted, one step per key, approved with the second key, paid.
    const seen = await c.owner.api.get(`/v1/track/${request.trackingNo}`);
    expect(seen.body.timeline.map((e: any) => [e.event, e.actor.id, e.note])).toEqual([
      ['submitted', c.manager.id, undefined],
      ['key', c.cosigners[0].id, '1/2'],
      ['key', c.cosigners[1].id, '2/2'],
      ['approved', c.cosigners[1].id, undefined],
      ['paid', c.manager.id, 'ICBC-2026-000777'],
    ]);
    expect(seen.body.timeline[1].actor.roles).toEqual(['cosigner']);
    const times = seen.body.timeline.map((e: any) => e.at);
    expect([...times].sort()).toEqual(times);
    // The request was approved the moment the second key landed.
    expect(seen.body.timeline[3].at).toBe(seen.body.timeline[2].at);
    expect(seen.body.payee.account).toBe('****1234');

    expect(await fundOf(c)).toMatchObject({ balance: '3719.50', reserved: '0.00', available: '3719.50' });
    expect(await balanceOf(c, '5105')).toBe('1280.50');
    expect(await balanceOf(c, '1001')).toBe('3719.50');
    const entries = await c.owner.api.get(`/v1/communities/${c.id}/entries`);
    const payoutEntry = entries.body.items.at(-1);
    expect(payoutEntry).toMatchObject({ id: paid.body.entryId, kind: 'payout', source: { type: 'spend_request', id: request.id } });
    expect(payoutEntry.postings).toEqual([
      { account: '5105', debit: '1280.50', credit: '0.00' },
      { account: '1001', debit: '0.00', credit: '1280.50' },
    ]);
    const verify = await c.supervisor.api.get(`/v1/communities/${c.id}/ledger/verify`);
    expect(verify.body).toMatchObject({ ok: true, entries: 2, problems: [] });

    // The public feed reports each step once, naming the tracking number and never the bank account.
    const feed = await h.db.selectFrom('feed_items').selectAll().where('community_id', '=', c.id).orderBy('seq').execute();
    const spendItems = feed.filter((i) => i.type.startsWith('spend.'));
    expect(spendItems.map((i) => [i.type, i.amount, i.account, i.ref])).toEqual([
      ['spend.submitted', '1280.50', '5105', request.trackingNo],
      ['spend.approved', '1280.50', '5105', request.trackingNo],
      ['spend.paid', '1280.50', '5105', request.trackingNo],
    ]);
    for (const item of spendItems) expect(item.summary).not.toMatch(/6222|1234|\n/);
  });

  async function twoKeysSecond(c: Community, request: any) {
    const second = await approve(c, c.cosigners[1], request);
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('approved');
    return second.body;
  }
});

describe('submitting a spend request', () => {
  it('reserves the amount; overdrawing by one fen is refused and reserves nothing', async () => {
    const c = await funded(h.app, '100.00');
    problem(await c.manager.api.post(requestsUrl(c), repair({ amount: '100.01' })), 409, 'insufficient_funds');
    expect(await fundOf(c)).toMatchObject({ balance: '100.00', reserved: '0.00', available: '100.00' });
    await submit(c, { amount: '60' });
    problem(await c.manager.api.post(requestsUrl(c), repair({ amount: '40.01' })), 409, 'insufficient_funds');
    const last = await submit(c, { amount: '40' });
    expect(last.amount).toBe('40.00');
    expect(await fundOf(c)).toMatchObject({ reserved: '100.00', available: '0.00' });
    // Numbers stay gapless: the refused attempts took none.
    expect(last.trackingNo).toMatch(/-000002$/);
  });

  it('only a manager submits', async () => {
    const c = await funded(h.app);
    for (const who of [c.owner, c.supervisor, c.cosigners[0]]) problem(await who.api.post(requestsUrl(c), repair()), 403, 'forbidden');
    expect(await fundOf(c)).toMatchObject({ reserved: '0.00' });
  });

  it('pays only an expense account or 2201', async () => {
    const c = await funded(h.app);
    for (const account of ['1001', '1101', '2101', '3001', '4001', '4101']) {
      const reply = await c.manager.api.post(requestsUrl(c), repair({ account }));
      problem(reply, 400, 'validation_failed');
      expect(reply.body.detail).toContain(account);
    }
    const unknown = await c.manager.api.post(requestsUrl(c), repair({ account: '5999' }));
    problem(unknown, 400, 'validation_failed');
    expect(unknown.body.detail).toMatch(/no account 5999/);
    expect((await c.manager.api.post(requestsUrl(c), repair({ account: '5199' }))).status).toBe(201);
  });

  it('refuses malformed bodies and reserves nothing', async () => {
    const c = await funded(h.app);
    const bad: Array<Record<string, unknown>> = [
      { amount: 12.5 }, { amount: '0' }, { amount: '0.00' }, { amount: '-1' }, { amount: '1.234' }, { amount: '1e3' },
      { amount: '12345678901234' }, { amount: '' }, { title: '' }, { title: '   ' }, { title: 'two\nlines' },
      { title: 'x'.repeat(201) }, { account: '51O5' }, { account: 5105 }, { payee: { account: '123' } },
      { payee: { name: 'X', account: '123' } }, { payee: { name: 'X', account: 'acct#1234567' } }, { payee: { name: '' } },
      { payee: { name: 'X', extra: 1 } }, { budgetYear: '2026' }, { budgetYear: 1999 }, { extra: true },
    ];
    for (const overrides of bad) problem(await c.manager.api.post(requestsUrl(c), repair(overrides)), 400, 'validation_failed');
    problem(await c.manager.api.raw('POST', requestsUrl(c), '{"title": ', {}), 400, 'validation_failed');
    const { title, ...withoutTitle } = repair();
    expect(title).toBeTruthy();
    problem(await c.manager.api.post(requestsUrl(c), withoutTitle), 400, 'validation_failed');
    expect(await fundOf(c)).toMatchObject({ reserved: '0.00' });
    // The payee's account is optional; a request without it shows null.
    const noAccount = await submit(c, { payee: { name: 'Cleaner Li' }, description: undefined, budgetYear: undefined });
    expect(noAccount).toMatchObject({ payee: { name: 'Cleaner Li', account: null }, description: null, budgetYear: null });
  });

  it('replays the same Idempotency-Key once and refuses it with another body', async () => {
    const c = await funded(h.app, '1000.00');
    const headers = { 'idempotency-key': 'submit-pump-1' };
    const first = await c.manager.api.post(requestsUrl(c), repair({ amount: '300' }), headers);
    const again = await c.manager.api.post(requestsUrl(c), repair({ amount: '300' }), headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    problem(await c.manager.api.post(requestsUrl(c), repair({ amount: '301' }), headers), 422, 'idempotency_conflict');
    expect(await fundOf(c)).toMatchObject({ reserved: '300.00' });
  });

  it('gives a digest anyone holding the whole request can recompute', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const field = (v: string | null) => (v === null ? '~;' : `${Buffer.byteLength(v)}:${v};`);
    const canonical = 'xinyi-spend/v1;' + [request.id, c.id, request.amount, request.account, request.payee.name,
      request.payee.account, request.title, request.description, String(request.budgetYear)].map(field).join('');
    expect(request.digest).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('paying the steward its remuneration (2201)', () => {
  it('never more than has accrued, less what open requests already ask', async () => {
    const c = await funded(h.app, '1000.00');
    problem(await c.manager.api.post(requestsUrl(c), repair({ account: '2201', amount: '0.01' })), 409, 'invalid_state');
    await accrue(h, c, '50.00');
    const first = await submit(c, { account: '2201', amount: '30' });
    const over = await c.manager.api.post(requestsUrl(c), repair({ account: '2201', amount: '20.01' }));
    problem(over, 409, 'invalid_state');
    expect(over.body.detail).toContain('20.00');
    await submit(c, { account: '2201', amount: '20' });
    // A cancelled request frees its share again.
    expect((await cancel(c, first)).status).toBe(200);
    const again = await submit(c, { account: '2201', amount: '30' });
    await twoKeys(c, again);
    expect((await payout(c, again)).status).toBe(200);
    expect(await balanceOf(c, '2201')).toBe('20.00');
    expect(await fundOf(c)).toMatchObject({ balance: '970.00', reserved: '20.00', available: '950.00' });
  });
});

describe('the keys', () => {
  it('owners, managers, supervisors and admins cannot approve or reject', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const admin = await c.addMember(['admin']);
    for (const who of [c.owner, c.manager, c.supervisor, admin]) {
      problem(await who.api.post(`${requestsUrl(c)}/${request.id}/approvals`, { signingPassword: 'whatever-it-is', digest: request.digest }), 403, 'forbidden');
      problem(await who.api.post(`${requestsUrl(c)}/${request.id}/rejections`, { signingPassword: 'whatever-it-is', reason: 'no' }), 403, 'forbidden');
    }
    expect((await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('the submitter never counts, even as a co-signer', async () => {
    const c = await funded(h.app);
    const both = await c.addMember(['manager', 'cosigner']);
    const request = await submit(c, {}, both);
    problem(await approve(c, both, request), 403, 'self_approval');
    problem(await reject(c, both, request), 403, 'self_approval');
    expect((await approve(c, c.cosigners[0], request)).body.status).toBe('pending');
    const approved = await approve(c, c.cosigners[1], request);
    expect(approved.body.approvals.map((a: any) => a.by)).not.toContain(both.id);
    expect(approved.body.status).toBe('approved');
  });

  it('the same key twice, or a rejection after an approval, is already decided', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    expect((await approve(c, c.cosigners[0], request)).status).toBe(200);
    problem(await approve(c, c.cosigners[0], request), 409, 'already_decided');
    problem(await reject(c, c.cosigners[0], request), 409, 'already_decided');
    const reply = await c.owner.api.get(`${requestsUrl(c)}/${request.id}`);
    expect(reply.body).toMatchObject({ status: 'pending', approvals: [{ by: c.cosigners[0].id }] });
  });

  it('a wrong signing password is refused, then throttled like logins', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const signer = c.cosigners[2];
    const wrong = { signingPassword: 'not-my-signing-key', digest: request.digest };
    // The login password is not the key.
    problem(await signer.api.post(`${requestsUrl(c)}/${request.id}/approvals`, { ...wrong, signingPassword: signer.password }), 403, 'bad_signing_password');
    for (let i = 1; i < 10; i++) problem(await signer.api.post(`${requestsUrl(c)}/${request.id}/approvals`, wrong), 403, 'bad_signing_password');
    const blocked = await approve(c, signer, request);
    problem(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await c.owner.api.get(`${requestsUrl(c)}/${request.id}`)).body.approvals).toEqual([]);
  });

  it('a digest other than the request’s is a mismatch', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const other = await submit(c, { amount: '1280.51' });
    problem(await approve(c, c.cosigners[0], { id: request.id, digest: other.digest }), 409, 'digest_mismatch');
    problem(await c.cosigners[0].api.post(`${requestsUrl(c)}/${request.id}/approvals`, { signingPassword: c.cosigners[0].signingPassword, digest: 'abc' }), 400, 'validation_failed');
    expect((await approve(c, c.cosigners[0], request)).status).toBe(200);
  });

  it('a rejected, cancelled or paid request cannot be approved; a pending one cannot be paid', async () => {
    const c = await funded(h.app);
    const [rejected, cancelled, paid] = [await submit(c), await submit(c), await submit(c)];
    const rejectedReply = await reject(c, c.cosigners[0], rejected, 'Three quotes are needed');
    expect(rejectedReply.status).toBe(200);
    expect(rejectedReply.body.status).toBe('rejected');
    expect(rejectedReply.body.timeline.at(-1)).toMatchObject({ event: 'rejected', note: 'Three quotes are needed', actor: { id: c.cosigners[0].id } });
    expect((await cancel(c, cancelled, c.manager, 'Fixed under warranty')).body.timeline.at(-1)).toMatchObject({ event: 'cancelled', note: 'Fixed under warranty' });
    problem(await payout(c, paid), 409, 'invalid_state');
    await twoKeys(c, paid);
    expect((await payout(c, paid)).status).toBe(200);
    for (const r of [rejected, cancelled, paid]) {
      problem(await approve(c, c.cosigners[2], r), 409, 'invalid_state');
      problem(await payout(c, r), 409, 'invalid_state');
      problem(await cancel(c, r), 409, 'invalid_state');
    }
    problem(await reject(c, c.cosigners[2], paid), 409, 'invalid_state');
    expect(await fundOf(c)).toMatchObject({ balance: '8719.50', reserved: '0.00', available: '8719.50' });
  });

  it('a co-signer who has not decided may still stop an approved request', async () => {
    const c = await funded(h.app, '2000.00');
    const request = await submit(c);
    await twoKeys(c, request);
    const stopped = await reject(c, c.cosigners[2], request, 'The pump was replaced last month');
    expect(stopped.body.status).toBe('rejected');
    problem(await payout(c, request), 409, 'invalid_state');
    expect(await fundOf(c)).toMatchObject({ balance: '2000.00', reserved: '0.00' });
  });

  it('one key of two leaves it pending: the timeline reads submitted, key 1/2, and nobody is told it is approved', async () => {
    const c = await funded(h.app, '2000.00');
    const request = await submit(c);
    const first = await approve(c, c.cosigners[0], request);
    expect(first.body.status).toBe('pending');
    const seen = (await c.owner.api.get(`/v1/track/${request.trackingNo}`)).body;
    expect(seen.status).toBe('pending');
    expect(seen.timeline.map((e: any) => [e.event, e.actor.id, e.note])).toEqual([
      ['submitted', c.manager.id, undefined],
      ['key', c.cosigners[0].id, '1/2'],
    ]);
    const types = async () => (await c.owner.api.get(`/v1/communities/${c.id}/feed`)).body.items.map((i: any) => i.type);
    expect(await types()).toEqual(['income.recorded', 'spend.submitted']);

    // A rejection after one key ends it there; still no approval anywhere.
    expect((await reject(c, c.cosigners[1], request, 'Three quotes are needed')).body.status).toBe('rejected');
    const ended = (await c.owner.api.get(`/v1/track/${request.trackingNo}`)).body;
    expect(ended.timeline.map((e: any) => [e.event, e.note])).toEqual([
      ['submitted', undefined],
      ['key', '1/2'],
      ['rejected', 'Three quotes are needed'],
    ]);
    expect(await types()).toEqual(['income.recorded', 'spend.submitted', 'spend.rejected']);
  });

  it('a community may require more keys, never fewer than two', async () => {
    const c = await funded(h.app);
    problem(await c.admin.put(`/v1/communities/${c.id}/policy`, { requiredApprovals: 1 }), 400, 'validation_failed');
    expect((await c.admin.put(`/v1/communities/${c.id}/policy`, { requiredApprovals: 3 })).status).toBe(200);
    const request = await submit(c);
    expect(request.requiredApprovals).toBe(3);
    await approve(c, c.cosigners[0], request);
    expect((await approve(c, c.cosigners[1], request)).body.status).toBe('pending');
    problem(await payout(c, request), 409, 'invalid_state');
    const approved = await approve(c, c.cosigners[2], request);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.timeline.map((e: any) => [e.event, e.note])).toEqual([
      ['submitted', undefined],
      ['key', '1/3'],
      ['key', '2/3'],
      ['key', '3/3'],
      ['approved', undefined],
    ]);
  });
});

describe('timelines kept before each key was its own step', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 8, 0, second));
  const step = (second: number, event: TimelineEvent, actor_id: string, note: string | null = null) => ({ at: at(second), event, actor_id, note });

  it('read each stored approval as a key, and approved at the N-th', () => {
    const stored = [step(0, 'submitted', 'm'), step(1, 'approved', 'a'), step(2, 'approved', 'b'), step(3, 'paid', 'm', 'ICBC-1')];
    expect(timelineSteps(stored, 2).map((e) => [e.event, e.actor_id, e.note, e.at.getUTCSeconds()])).toEqual([
      ['submitted', 'm', null, 0],
      ['key', 'a', '1/2', 1],
      ['key', 'b', '2/2', 2],
      ['approved', 'b', null, 2],
      ['paid', 'm', 'ICBC-1', 3],
    ]);
  });

  it('continue with keys stored the new way, and leave new timelines as they are', () => {
    const mixed = [step(0, 'submitted', 'm'), step(1, 'approved', 'a'), step(2, 'key', 'b', '2/2'), step(2, 'approved', 'b')];
    expect(timelineSteps(mixed, 2).map((e) => [e.event, e.note])).toEqual([
      ['submitted', null],
      ['key', '1/2'],
      ['key', '2/2'],
      ['approved', null],
    ]);
    const current = [step(0, 'submitted', 'm'), step(1, 'key', 'a', '1/2'), step(2, 'rejected', 'b', 'no')];
    expect(timelineSteps(current, 2)).toEqual(current);
  });
});

describe('cancellation and payout', () => {
  it('only the submitter cancels; only a manager pays', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const otherManager = await c.addMember(['manager']);
    for (const who of [otherManager, c.owner, c.cosigners[0]]) problem(await cancel(c, request, who), 403, 'forbidden');
    await twoKeys(c, request);
    for (const who of [c.owner, c.cosigners[0], c.supervisor]) problem(await payout(c, request, 'REF-1', who), 403, 'forbidden');
    problem(await c.manager.api.post(`${requestsUrl(c)}/${request.id}/payout`, {}), 400, 'validation_failed');
    problem(await c.manager.api.post(`${requestsUrl(c)}/${request.id}/payout`, { bankReference: 'R', paidAt: '2999-01-01T00:00:00Z' }), 400, 'validation_failed');
    problem(await c.manager.api.post(`${requestsUrl(c)}/${request.id}/payout`, { bankReference: 'R', paidAt: '2001-01-01T00:00:00Z' }), 400, 'validation_failed');
    // Another manager may pay it; the submitter may still cancel an approved request before that.
    const cancelled = await cancel(c, request);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await fundOf(c)).toMatchObject({ balance: '10000.00', reserved: '0.00' });
  });

  it('a payout replays under its Idempotency-Key and pays once', async () => {
    const c = await funded(h.app, '2000.00');
    const request = await submit(c);
    await twoKeys(c, request);
    const headers = { 'idempotency-key': 'pay-pump' };
    const url = `${requestsUrl(c)}/${request.id}/payout`;
    const first = await c.manager.api.post(url, { bankReference: 'B-1' }, headers);
    const again = await c.manager.api.post(url, { bankReference: 'B-1' }, headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    problem(await c.manager.api.post(url, { bankReference: 'B-2' }), 409, 'invalid_state');
    expect(await fundOf(c)).toMatchObject({ balance: '719.50', reserved: '0.00' });
  });
});

describe('reading requests', () => {
  it('owners and supervisors see the payee account masked; managers, co-signers and admins whole', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const admin = await c.addMember(['admin']);
    for (const who of [c.owner, c.supervisor]) {
      for (const path of [`${requestsUrl(c)}/${request.id}`, `/v1/track/${request.trackingNo}`]) {
        const reply = await who.api.get(path);
        expect(reply.status).toBe(200);
        expect(reply.body.payee.account).toBe('****1234');
        expect(reply.text).not.toContain('62220212');
      }
      expect((await who.api.get(requestsUrl(c))).body.items[0].payee.account).toBe('****1234');
    }
    for (const who of [c.manager, c.cosigners[0], admin]) {
      expect((await who.api.get(`/v1/track/${request.trackingNo}`)).body.payee.account).toBe('62220212345678901234');
    }
  });

  it('lists requests oldest first, page by page, and by status', async () => {
    const c = await funded(h.app);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await submit(c, { amount: `${i + 1}` }));
    await cancel(c, made[1]);
    const page1 = await c.owner.api.get(`${requestsUrl(c)}?limit=3`);
    expect(page1.body.items.map((r: any) => r.trackingNo)).toEqual(made.slice(0, 3).map((r) => r.trackingNo));
    const page2 = await c.owner.api.get(`${requestsUrl(c)}?limit=3&after=${page1.body.nextAfter}`);
    expect(page2.body.items.map((r: any) => r.amount)).toEqual(['4.00', '5.00']);
    expect(page2.body.nextAfter).toBeNull();
    const cancelled = await c.owner.api.get(`${requestsUrl(c)}?status=cancelled`);
    expect(cancelled.body.items.map((r: any) => r.id)).toEqual([made[1].id]);
    problem(await c.owner.api.get(`${requestsUrl(c)}?status=lost`), 400, 'validation_failed');
    problem(await c.owner.api.get(`${requestsUrl(c)}?after=bogus`), 400, 'validation_failed');
  });

  it('another community’s request is not found, by id or by tracking number', async () => {
    const c = await funded(h.app);
    const other = await funded(h.app);
    const theirs = await submit(other);
    problem(await c.owner.api.get(`${requestsUrl(other)}/${theirs.id}`), 404, 'not_found');
    problem(await c.owner.api.get(`${requestsUrl(c)}/${theirs.id}`), 404, 'not_found');
    problem(await c.owner.api.get(`/v1/track/${theirs.trackingNo}`), 404, 'not_found');
    problem(await approve(c, c.cosigners[0], { id: theirs.id, digest: theirs.digest }), 404, 'not_found');
    problem(await payout(c, theirs), 404, 'not_found');
    problem(await cancel(c, theirs), 404, 'not_found');
    problem(await c.manager.api.post(`${requestsUrl(other)}/${theirs.id}/payout`, { bankReference: 'X' }), 404, 'not_found');
    for (const bad of ['XY-2026-999999999-000001', 'nonsense', theirs.trackingNo.replace(/\d+$/, '999999')]) {
      problem(await other.owner.api.get(`/v1/track/${bad}`), 404, 'not_found');
    }
    expect((await other.owner.api.get(`/v1/track/${theirs.trackingNo}`)).status).toBe(200);
    // An outsider cannot tell a real tracking number from an invented one.
    const outsider = await c.owner.api.get(`/v1/track/${theirs.trackingNo}`);
    expect(outsider.body.detail).toBe((await c.owner.api.get('/v1/track/XY-2026-999999999-000001')).body.detail);
    expect(await fundOf(other)).toMatchObject({ reserved: '1280.50' });
  });
});

describe('the database keeps the rules too', () => {
  it('refuses changing what was signed, skipping a status, or a key from the submitter', async () => {
    const c = await funded(h.app);
    const request = await submit(c);
    const where = `community_id = '${c.id}' AND id = '${request.id}'`;
    const { sql } = await import('kysely');
    await expect(sql.raw(`UPDATE spend_requests SET amount = 1 WHERE ${where}`).execute(h.db)).rejects.toThrow(/immutable/);
    await expect(sql.raw(`UPDATE spend_requests SET payee_account = '999999999' WHERE ${where}`).execute(h.db)).rejects.toThrow(/immutable/);
    await expect(sql.raw(`UPDATE spend_requests SET status = 'approved' WHERE ${where}`).execute(h.db)).rejects.toThrow(/keys/);
    await expect(sql.raw(`DELETE FROM spend_requests WHERE ${where}`).execute(h.db)).rejects.toThrow(/append-only/);
    await expect(
      sql.raw(`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest) VALUES ('${c.id}', '${request.id}', '${c.manager.id}', 'approve', '${request.digest}')`).execute(h.db),
    ).rejects.toThrow(/co-signer|submitter/);
    await approve(c, c.cosigners[0], request);
    await expect(
      sql.raw(`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest, reason) VALUES ('${c.id}', '${request.id}', '${c.cosigners[0].id}', 'reject', '${request.digest}', 'x')`).execute(h.db),
    ).rejects.toThrow(/duplicate key/);
    await expect(sql.raw(`UPDATE spend_requests SET status = 'paid' WHERE ${where}`).execute(h.db)).rejects.toThrow(/may not go|paid_has_payout/);
  });
});
