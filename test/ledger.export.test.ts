import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../src/shared/money.js';
import { fund, setupCommunity, startHarness, type Harness } from './support/harness.js';

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
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/export?format=hledger`);
  const accounts = await c.owner.api.get(`/v1/communities/${c.id}/accounts`);
  return { c, reply, accounts: accounts.body.items as Array<{ code: string; type: string; balance: string }> };
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

  it.runIf(haveHledger)('passes `hledger check` and `hledger balance` agrees with /accounts', async () => {
    const { reply, accounts } = await exportedJournal();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'journal-')), 'books.journal');
    writeFileSync(file, reply.text);
    const check = spawnSync('hledger', ['-f', file, 'check', 'accounts', 'commodities', 'balanced', 'assertions'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const balance = spawnSync('hledger', ['-f', file, 'balance', '--flat', '--no-total', '-O', 'csv', '--empty'], { encoding: 'utf8' });
    expect(balance.status).toBe(0);
    const rows = balance.stdout.trim().split('\n').slice(1).map((line) => line.split('","').map((s) => s.replace(/"/g, '')));
    for (const a of accounts) {
      const row = rows.find(([name]) => name!.includes(`:${a.code} `));
      const natural = new Money((row?.[1] ?? '0').replace(/ ?CNY ?/, '') || '0');
      // hledger shows debits as positive; /accounts shows each account in its normal direction.
      const normal = a.type === 'asset' || a.type === 'expense' ? natural : natural.neg();
      expect(`${a.code} ${normal.toFixed(2)}`).toBe(`${a.code} ${a.balance}`);
    }
  });

  it('refuses an unknown format', async () => {
    const c = await setupCommunity(h.app);
    const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/export?format=csv`);
    expect(reply.status).toBe(400);
  });
});
