import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../src/shared/money.js';
import { localMonth } from '../src/shared/time.js';
import { addUnits, billPeriod, pay, setRate } from './support/fees.js';
import { fund, setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { payout, submit, twoKeys } from './support/spending.js';

/** The month after this one in Asia/Shanghai, as `YYYY-MM`. */
function nextPeriod(): string {
  const [year, month] = localMonth(new Date(), 'Asia/Shanghai').split('-').map(Number) as [number, number];
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** hledger comes from Debian (`apt-get install hledger`); .ci/run installs it where it can. */
const hledger = spawnSync('hledger', ['--version'], { encoding: 'utf8' });
const haveHledger = hledger.status === 0;
if (!haveHledger) console.warn('hledger is not installed (apt-get install hledger): the journal is checked only by the parser below');

async function exportedJournal() {
  const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
  await fund(c, '1000.10', 'parking');
  await fund(c, '20.05', 'advertising');
  await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'leasing', amount: '3.33', payer: 'Shop; with: odd  text', memo: 'Line one\nline two; x' });
  const added = await c.admin.post(`/v1/communities/${c.id}/accounts`, { code: '5201', name: 'Snow: removal;  winter' });
  expect(added.status).toBe(201);
  return { c, ...(await exportOf(c)) };
}

async function exportOf(c: Community) {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/export?format=hledger`);
  const accounts = await c.owner.api.get(`/v1/communities/${c.id}/accounts`);
  return { reply, accounts: accounts.body.items as Array<{ code: string; type: string; balance: string }> };
}

/** Runs hledger on the journal; the default checks always run, `checks` adds named ones. */
function hledgerRun(journal: string, args: string[]) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'journal-')), 'books.journal');
  writeFileSync(file, journal);
  return spawnSync('hledger', ['-f', file, ...args], { encoding: 'utf8' });
}

/** Every check hledger has: the basic ones, --strict (accounts, commodities, no auto-conversion) and the optional ones. */
const EVERY_CHECK = ['check', '--strict', 'ordereddates', 'payees', 'uniqueleafnames'];

/** hledger's balances agree with /accounts, account by account. */
function expectBalancesAgree(journal: string, accounts: Array<{ code: string; type: string; balance: string }>) {
  const balance = hledgerRun(journal, ['balance', '--flat', '--no-total', '-O', 'csv', '--empty']);
  expect(balance.status).toBe(0);
  const rows = balance.stdout.trim().split('\n').slice(1).map((line) => line.split('","').map((s) => s.replace(/"/g, '')));
  for (const a of accounts) {
    const row = rows.find(([name]) => name!.includes(`:${a.code} `));
    const natural = new Money((row?.[1] ?? '0').replace(/ ?CNY ?/, '') || '0');
    // hledger shows debits as positive; /accounts shows each account in its normal direction.
    const normal = a.type === 'asset' || a.type === 'expense' ? natural : natural.neg();
    expect(`${a.code} ${normal.toFixed(2)}`).toBe(`${a.code} ${a.balance}`);
  }
}

/** The transactions' dates and codes (the entry seqs), in the order the journal lists them. */
function transactionHeads(journal: string): Array<{ date: string; seq: number; description: string }> {
  return [...journal.matchAll(/^(\d{4}-\d{2}-\d{2}) \* \((\d+)\) (.*)$/gm)].map((m) => ({ date: m[1]!, seq: Number(m[2]), description: m[3]! }));
}

describe('the hledger export', () => {
  it('is a text journal with commodity and account directives and a balance assertion per account', async () => {
    const { reply, accounts } = await exportedJournal();
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    expect(reply.text).toContain('commodity 1000.00 CNY');
    for (const a of accounts) {
      expect(reply.text).toMatch(new RegExp(`^account \\w+:${a.code} `, 'm'));
      expect(reply.text).toMatch(new RegExp(`:${a.code} .*  0\\.00 CNY = -?[0-9.]+ CNY$`, 'm'));
    }
  });

  it.runIf(haveHledger)('passes every `hledger check` and `hledger balance` agrees with /accounts', async () => {
    const { reply, accounts } = await exportedJournal();
    const check = hledgerRun(reply.text, EVERY_CHECK);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expectBalancesAgree(reply.text, accounts);
  });

  it('names an income by its payer and keeps its memo as the note (payee | note)', async () => {
    const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
    const income = (body: Record<string, string>) => c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: '1280.00', ...body });
    expect((await income({ payer: 'Lianhua Parking Ltd', memo: 'November parking' })).status).toBe(201);
    expect((await income({ payer: 'Sunny Ads | Co' })).status).toBe(201);
    const { reply } = await exportOf(c);
    expect(transactionHeads(reply.text).map((t) => t.description)).toEqual(['Lianhua Parking Ltd | November parking', 'Sunny Ads Co | parking income']);
    expect(reply.text).toMatch(/^payee Lianhua Parking Ltd$/m);
    expect(reply.text).toMatch(/^payee Sunny Ads Co$/m);
  });

  describe('when an income was back-dated', () => {
    async function backDatedBooks() {
      const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
      await fund(c, '100.00', 'parking');
      await fund(c, '200.00', 'advertising');
      // Received last month, recorded only now: its seq follows the others, its date precedes them.
      const late = await c.manager.api.post(`/v1/communities/${c.id}/income`, {
        category: 'leasing',
        amount: '33.30',
        payer: 'Corner shop',
        receivedAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
        memo: 'Stall rent, paid in cash',
      });
      expect(late.status).toBe(201);
      await fund(c, '5.00', 'other');
      return { c, ...(await exportOf(c)) };
    }

    it('lists transactions in date order, by seq within a date', async () => {
      const { reply } = await backDatedBooks();
      const heads = transactionHeads(reply.text);
      expect(heads.map((t) => t.seq)).toEqual([3, 1, 2, 4]);
      expect(heads[0]!.description).toBe('Corner shop | Stall rent, paid in cash');
      const dates = heads.map((t) => t.date);
      expect([...dates].sort()).toEqual(dates);
    });

    it.runIf(haveHledger)('passes `hledger check ordereddates` and every other check, with the same balances as /accounts', async () => {
      const { reply, accounts } = await backDatedBooks();
      const ordered = hledgerRun(reply.text, ['check', 'ordereddates']);
      expect(ordered.stderr).toBe('');
      expect(ordered.status).toBe(0);
      const every = hledgerRun(reply.text, EVERY_CHECK);
      expect(every.stderr).toBe('');
      expect(every.status).toBe(0);
      expectBalancesAgree(reply.text, accounts);
    });
  });

  it.runIf(haveHledger)('passes every check with fees billed ahead, a payout and a reversal in the books', async () => {
    const c = await setupCommunity(h.app, { timezone: 'Asia/Shanghai' });
    await fund(c, '5000.00', 'parking');
    const [unit] = await addUnits(c, [{ code: '1-101', building: '1', areaM2: '100' }]);
    await setRate(c, '2.50');
    await pay(c, unit!, '600.00');
    // Next month's fees, billed today, are dated on its first day: after everything else.
    await billPeriod(c, nextPeriod());
    const request = await submit(c);
    await twoKeys(c, request);
    expect((await payout(c, request)).status).toBe(200);
    const wrong = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '9.99', payer: 'Typo' });
    const reversal = await c.cosigners[0].api.post(`/v1/communities/${c.id}/entries/${wrong.body.entryId}/reversal`, {
      reason: 'entered twice',
      signingPassword: c.cosigners[0].signingPassword,
    });
    expect(reversal.status).toBe(201);
    const { reply, accounts } = await exportOf(c);
    const heads = transactionHeads(reply.text);
    // The run's bill and the remuneration on the advance it applied, both dated next month.
    expect(heads.slice(-2).map((t) => [t.date, t.description.split(' | ')[0]])).toEqual([
      [`${nextPeriod()}-01`, 'fee_bill'],
      [`${nextPeriod()}-01`, 'remuneration'],
    ]);
    expect(heads.find((t) => t.description.startsWith('Hangzhou Pump Repair Co. | Payout of spend request'))).toBeDefined();
    const every = hledgerRun(reply.text, EVERY_CHECK);
    expect(every.stderr).toBe('');
    expect(every.status).toBe(0);
    expectBalancesAgree(reply.text, accounts);
  });

  it('refuses an unknown format', async () => {
    const c = await setupCommunity(h.app);
    const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/export?format=csv`);
    expect(reply.status).toBe(400);
  });
});
