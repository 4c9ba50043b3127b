import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { localDate } from '../src/shared/time.js';
import { webStage } from './support/web-stage.js';

/**
 * 银行对账 in real Chromium against the real server process: before any statement 首页 says
 * 尚未上传银行流水; a manager uploads the bank's CSV on 银行对账 (a malformed one is refused
 * and said in Chinese by its row); every member then sees what does not agree, and, once the
 * books and the bank agree, the badge 与银行流水一致. axe-core at 360 px on each screen.
 */
const stage = webStage();

const HEADER = 'date,amount,direction,counterparty,reference,balance';

/** A statement whose balances run on from `opening`, in fen, exactly. */
function statement(opening: bigint, lines: Array<[date: string, amount: string, direction: 'in' | 'out', counterparty: string, reference: string]>) {
  let balance = opening;
  const rows = lines.map(([date, amount, direction, counterparty, reference]) => {
    const fen = BigInt(amount.replace('.', ''));
    balance += direction === 'in' ? fen : -fen;
    const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    return [date, amount, direction, csvField(counterparty), csvField(reference), `${balance / 100n}.${String(balance % 100n).padStart(2, '0')}`].join(',');
  });
  return { csv: `${[HEADER, ...rows].join('\r\n')}\r\n`, closing: balance };
}

async function upload(page: Page, name: string, csv: string) {
  await page.getByLabel('银行流水文件（CSV）').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await page.getByRole('button', { name: '上传并对账' }).click();
}

describe('银行对账 in 信义家', () => {
  it('尚未上传银行流水 → a refused CSV said by its row → what does not agree → 与银行流水一致, for every member', async () => {
    const findings: string[] = [];
    const today = localDate(new Date(), 'Asia/Shanghai');

    // Before any statement, the owner's 首页 says so next to the ledger's own check.
    const owner = await stage.phone.signIn(stage.demo.owner);
    await owner.getByText('✓ 账本校验通过').waitFor();
    await owner.getByTestId('bank-status').filter({ hasText: '尚未上传银行流水' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/ (no statement)')));
    await owner.getByRole('link', { name: '银行对账 ›' }).click();
    await owner.getByTestId('reconciliation-verdict').filter({ hasText: '尚未上传银行流水' }).waitFor();
    // An owner reads; only a manager uploads.
    expect(await owner.getByLabel('银行流水文件（CSV）').count()).toBe(0);
    await stage.phone.shot(owner, 'reconcile-none');

    // The manager reaches 银行对账 from 首页 and uploads a statement with a bad amount on row 3.
    const manager = await stage.phone.signIn(stage.demo.manager);
    await manager.getByRole('link', { name: '银行对账', exact: true }).click();
    await manager.getByRole('heading', { name: '银行对账' }).waitFor();
    await manager.getByRole('button', { name: '上传并对账' }).click();
    await manager.getByText('请选择银行流水文件。').first().waitFor();
    await upload(manager, 'bad.csv', `${HEADER}\n${today},12800.00,in,临时停车收费,,12800.00\n${today},12.345,in,某人,,12812.35\n`);
    await manager.getByTestId('upload-problem').filter({ hasText: '第 3 行：金额应为大于 0 的数，最多两位小数' }).waitFor();
    await manager.getByText('整份流水都没有保存，请改正后重新上传。').waitFor();
    await upload(manager, 'header.csv', `日期,金额\n${today},1\n`);
    await manager.getByTestId('upload-problem').filter({ hasText: '第一行必须是表头' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(manager, '/reconciliation (refused)')));
    await stage.phone.shot(manager, 'reconcile-refused');
    // Nothing of either was stored.
    const token = await stage.demo.login(stage.demo.manager);
    const c = `/v1/communities/${stage.demo.communityId}`;
    expect((await stage.demo.call(token, 'GET', `${c}/reconciliation`)).body.statementBalance).toBeNull();

    // A statement that holds three of the six movements, and a deposit the books do not have.
    const first = statement(0n, [
      [today, '12800.00', 'in', '临时停车收费', ''],
      [today, '6000.00', 'in', '分众传媒,电梯广告', ''],
      [today, '3280.50', 'out', '鑫达电梯维保有限公司', 'BOC202611230017'],
      [today, '99.00', 'in', '不明来款', ''],
    ]);
    await upload(manager, 'statement-1.csv', first.csv);
    await manager.getByTestId('upload-done').filter({ hasText: '已上传 4 行流水：3 行与账本对上，1 行没有对上。' }).waitFor();
    await manager.getByTestId('reconciliation-verdict').filter({ hasText: '与银行流水不一致' }).waitFor();
    await manager.getByTestId('statement-balance').filter({ hasText: '¥15,618.50' }).waitFor();
    const ledger = (await stage.demo.call(token, 'GET', `${c}/reconciliation`)).body;
    expect(ledger.ledgerBalance).toBe('17456.14');
    await manager.getByTestId('ledger-balance').filter({ hasText: '¥17,456.14' }).waitFor();
    await manager.getByTestId('balance-difference').filter({ hasText: '银行流水余额比账本余额少 ¥1,837.64。' }).waitFor();
    const ledgerSide = manager.getByTestId('unmatched-ledger');
    expect(await ledgerSide.locator('li').count()).toBe(3);
    await ledgerSide.locator('li', { hasText: '凭证号 WX20261123001' }).getByText('+¥210.33').waitFor();
    await ledgerSide.locator('li', { hasText: '收入' }).getByText('+¥1,500.00').waitFor();
    const bankSide = manager.getByTestId('unmatched-bank');
    await bankSide.locator('li', { hasText: '不明来款' }).getByText('+¥99.00').waitFor();
    findings.push(...(await stage.phone.problemsAt360(manager, '/reconciliation (mismatch)')));
    await stage.phone.shot(manager, 'reconcile-mismatch');

    // Every member sees it on 首页, and follows the badge to the details.
    await owner.goto(`${stage.server.base}/`);
    await owner.getByTestId('bank-status').filter({ hasText: '与银行流水不一致：4 笔待核对' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/ (mismatch)')));
    await stage.phone.shot(owner, 'home-bank-mismatch');
    await owner.getByRole('link', { name: /与银行流水不一致/ }).click();
    await owner.getByTestId('unmatched-bank').locator('li', { hasText: '不明来款' }).waitFor();

    // The manager books the unknown deposit after finding out what it was, and uploads the rest.
    const recorded = await stage.demo.call(token, 'POST', `${c}/income`, { category: 'other', amount: '99.00', payer: '不明来款（经核实为场地押金利息）' });
    expect(recorded.status).toBe(201);
    const second = statement(first.closing, [
      [today, '210.33', 'in', '王秀英', 'WX20261123001'],
      [today, '226.31', 'in', '2-1-501 业主', ''],
      [today, '1500.00', 'in', '快递柜场地租金', ''],
    ]);
    await manager.reload();
    await upload(manager, 'statement-2.csv', second.csv);
    await manager.getByTestId('upload-done').filter({ hasText: '已上传 3 行流水：3 行与账本对上。' }).waitFor();
    await manager.getByTestId('reconciliation-verdict').filter({ hasText: '✓ 与银行流水一致' }).waitFor();
    await manager.getByText('两边余额相同，每一笔收支都已对上。').waitFor();
    expect(await manager.getByTestId('unmatched-bank').count()).toBe(0);
    findings.push(...(await stage.phone.problemsAt360(manager, '/reconciliation (agrees)')));
    await stage.phone.shot(manager, 'reconcile-agrees');

    await owner.goto(`${stage.server.base}/`);
    await owner.getByTestId('bank-status').getByRole('link', { name: '✓ 与银行流水一致' }).waitFor();
    findings.push(...(await stage.phone.problemsAt360(owner, '/ (agrees)')));
    await stage.phone.shot(owner, 'home-bank-agrees');
    expect(findings).toEqual([]);
  }, 90_000);
});
