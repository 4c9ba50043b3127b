import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, parseStatement } from '../src/modules/reconciliation/reconciliation.csv.js';
import { fund, setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { payout, submit, twoKeys } from './support/spending.js';
import { addUnits } from './support/fees.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const HEADER = 'date,amount,direction,counterparty,reference,balance';

async function upload(c: Community, csv: string | Buffer, who = c.manager) {
  const response = await h.app.inject({
    method: 'POST',
    url: `/v1/communities/${c.id}/bank-statements`,
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'text/csv; charset=utf-8' },
    payload: csv,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

const reconciliation = async (c: Community, who = c.owner) => {
  const reply = await who.api.get(`/v1/communities/${c.id}/reconciliation`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
};

/** Income of 500.00 (reference R-1) and a fee payment of 210.33 by bank (reference FP-1). */
async function booksWithMovements() {
  const c = await setupCommunity(h.app);
  const [unit] = await addUnits(c, [{ code: '1', building: '1', areaM2: '10.00' }]);
  expect((await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '500', payer: '广告公司', reference: 'R-1' })).status).toBe(201);
  expect((await c.manager.api.post(`/v1/communities/${c.id}/fee-payments`, { unitId: unit, amount: '210.33', method: 'bank', reference: 'FP-1' })).status).toBe(201);
  const before = await reconciliation(c);
  const dates = Object.fromEntries(before.unmatchedLedger.map((m: { reference: string; date: string }) => [m.reference, m.date]));
  return { c, dates };
}

const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe('reading a bank statement (RFC 4180)', () => {
  it('takes quoted fields with commas, quotes and line breaks, CRLF or LF, and a BOM', () => {
    expect(parseCsv('a,"b,c","say ""hi"""\r\n"x\ny",,""\n')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['x\ny', '', ''],
    ]);
    const lines = parseStatement(Buffer.from(`\uFEFF${HEADER}\r\n2026-11-20,12.5,in,"王, 先生",,100\r\n`));
    expect(lines).toEqual([{ date: '2026-11-20', amount: '12.50', direction: 'in', counterparty: '王, 先生', reference: null, balance: '100.00' }]);
  });

  it('refuses a malformed line, header or encoding, and stores nothing of that statement', async () => {
    const c = await setupCommunity(h.app);
    const good = '2026-11-20,10.00,in,A,R,10.00';
    const bad = [
      'date,amount,direction,counterparty,reference\n2026-11-20,10.00,in,A,R',
      `${HEADER}\n`,
      `${HEADER}\n${good}\n2026-02-30,1.00,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,0,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,-1.00,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.005,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1e2,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.00,IN,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,A,R`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,A,R,11.00,extra`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,"A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,"A"x,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,A"B,R,11.00`,
      `${HEADER}\n${good}\n\n2026-11-20,1.00,in,A,R,11.00`,
      `${HEADER}\n${good}\n20261120,1.00,in,A,R,11.00`,
      `${HEADER}\n${good}\n2026-11-20,1.00,in,A,R,`,
    ];
    for (const csv of bad) {
      const reply = await upload(c, csv);
      expect(reply.status, csv).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
    }
    expect((await upload(c, Buffer.concat([Buffer.from(`${HEADER}\n2026-11-20,1.00,in,`), Buffer.from([0xff, 0xfe]), Buffer.from(',R,1.00\n')]))).status).toBe(400);
    const after = await reconciliation(c);
    expect(after).toMatchObject({ statementBalance: null, unmatchedBank: [], matchesBank: false });
  });
});

describe('bank reconciliation', () => {
  it('a statement that matches every movement of 1001 and its balance reconciles, publicly', async () => {
    const { c, dates } = await booksWithMovements();
    const csv = [
      HEADER,
      `${shift(dates['R-1']!, 1)},500.00,in,广告公司,R-1,500.00`,
      // The bank gives no reference here: amount, direction and date are enough.
      `${shift(dates['FP-1']!, -2)},210.33,in,"张三, 1-101",,710.33`,
    ].join('\r\n');
    const uploaded = await upload(c, csv);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ lines: 2, matched: 2, unmatched: 0 });
    const view = await reconciliation(c, c.owner);
    expect(view).toMatchObject({ statementBalance: '710.33', ledgerBalance: '710.33', matchesBank: true, unmatchedLedger: [], unmatchedBank: [] });
    expect((await reconciliation(c, c.supervisor)).matchesBank).toBe(true);
  });

  it('matches one to one, within three days, and never across different references', async () => {
    const { c, dates } = await booksWithMovements();
    const csv = [
      HEADER,
      `${dates['R-1']},500.00,in,广告公司,R-OTHER,500.00`, // another reference: no match
      `${shift(dates['FP-1']!, 4)},210.33,in,张三,,710.33`, // four days off: no match
      `${dates['FP-1']},210.33,in,张三,FP-1,920.66`, // matches
      `${dates['FP-1']},210.33,in,张三,,1130.99`, // the movement is taken already
      `${dates['FP-1']},210.33,out,张三,,920.66`, // the other direction
    ].join('\n');
    const uploaded = await upload(c, csv);
    expect(uploaded.body).toMatchObject({ lines: 5, matched: 1, unmatched: 4 });
    const view = await reconciliation(c);
    expect(view.matchesBank).toBe(false);
    expect(view.statementBalance).toBe('920.66');
    expect(view.unmatchedLedger).toEqual([expect.objectContaining({ amount: '500.00', direction: 'in', reference: 'R-1' })]);
    expect(view.unmatchedBank.map((l: { reference: string | null; direction: string }) => [l.reference, l.direction])).toEqual([
      ['R-OTHER', 'in'],
      [null, 'in'],
      [null, 'in'],
      [null, 'out'],
    ]);
  });

  it('a later statement matches what the earlier left open; only a manager uploads', async () => {
    const { c, dates } = await booksWithMovements();
    expect((await upload(c, `${HEADER}\n${dates['R-1']},500.00,in,广告公司,R-1,500.00\n`)).body).toMatchObject({ matched: 1 });
    expect((await reconciliation(c)).matchesBank).toBe(false);
    expect((await upload(c, `${HEADER}\n${dates['FP-1']},210.33,in,张三,FP-1,710.33\n`, c.owner)).status).toBe(403);
    expect((await upload(c, `${HEADER}\n${dates['FP-1']},210.33,in,张三,FP-1,710.33\n`)).body).toMatchObject({ matched: 1, unmatched: 0 });
    expect(await reconciliation(c)).toMatchObject({ matchesBank: true, statementBalance: '710.33' });
  });
});

describe('a payout on the statement', () => {
  it("matches by the payout's bank reference, going out", async () => {
    const c = await setupCommunity(h.app);
    await fund(c, '5000.00');
    const request = await submit(c);
    await twoKeys(c, request);
    expect((await payout(c, request, 'ICBC-PAY-0001')).status).toBe(200);
    const before = await reconciliation(c);
    const out = before.unmatchedLedger.find((m: { direction: string }) => m.direction === 'out');
    expect(out).toMatchObject({ amount: '1280.50', reference: 'ICBC-PAY-0001' });
    const income = before.unmatchedLedger.find((m: { direction: string }) => m.direction === 'in');
    const csv = [HEADER, `${income.date},5000.00,in,Test payer,,5000.00`, `${out.date},1280.50,out,Hangzhou Pump Repair Co.,ICBC-PAY-0001,3719.50`].join('\n');
    expect((await upload(c, csv)).body).toMatchObject({ matched: 2, unmatched: 0 });
    expect(await reconciliation(c)).toMatchObject({ matchesBank: true, ledgerBalance: '3719.50', statementBalance: '3719.50' });
  });
});
