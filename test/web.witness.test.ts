import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint, parseSignedNote, toHex } from '../src/shared/signed-note.js';
import { testSigner } from './support/verify-support.js';
import { webStage } from './support/web-stage.js';

/**
 * 信义家 as a witness of the books, in real Chromium: each member's browser keeps the last
 * checkpoint it saw and, on each visit, checks the new one's signature and that it extends the
 * saved one. Quiet when it holds; red when the server shows a shorter or different history, a
 * proof that does not hold, or another key. And the 公示 prints the checkpoint.
 */
const stage = webStage(180_000);
let ownerToken: string;
const c = () => `/v1/communities/${stage.demo.communityId}`;
const storageKey = () => `xinyi.witness.${stage.demo.communityId}`;

beforeAll(async () => {
  ownerToken = await stage.demo.login(stage.demo.owner);
}, 180_000);

const text = async (path: string) => (await fetch(stage.server.base + path, { headers: { authorization: `Bearer ${ownerToken}` } })).text();
const sizeOf = (note: string) => parseCheckpoint(parseSignedNote(note).text).size;

/** The checkpoint once it covers every committed entry (it follows each commit within seconds). */
async function checkpointCoveringAll(): Promise<string> {
  const head = (await stage.demo.call(ownerToken, 'GET', `${c()}/fund`)).body.ledgerHead.seq as number;
  for (let i = 0; i < 150; i++) {
    const note = await text(`${c()}/ledger/checkpoint`);
    if (sizeOf(note) >= head) return note;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the checkpoint did not reach entry ${head}`);
}

/**
 * An owner's phone whose browser already remembers `saved` for this community, then signed in;
 * `prepare` sets up the page (its network routes) before the first visit.
 */
async function ownerRemembering(
  saved: { key: string; checkpoint: string } | null,
  prepare?: (page: Page) => Promise<unknown>,
  storage: Record<string, string> = {},
): Promise<Page> {
  const page = await stage.phone.newPage();
  await prepare?.(page);
  await page.goto(`${stage.server.base}/`);
  if (saved) storage = { ...storage, [storageKey()]: JSON.stringify(saved) };
  await page.evaluate((entries) => entries.forEach(([key, value]) => localStorage.setItem(key, value)), Object.entries(storage));
  await page.getByLabel('用户名').fill(stage.demo.owner.username);
  await page.getByLabel('密码', { exact: true }).fill(stage.demo.owner.password);
  await page.getByLabel('密码', { exact: true }).press('Enter');
  await page.locator('.topbar').waitFor();
  return page;
}

const remembered = (page: Page) => page.evaluate((key) => localStorage.getItem(key), storageKey());

async function record(amount: string, payer: string): Promise<void> {
  const manager = await stage.demo.login(stage.demo.manager);
  expect((await stage.demo.call(manager, 'POST', `${c()}/income`, { category: 'parking', amount, payer })).status).toBe(201);
}

describe('信义家 witnesses the books', () => {
  let first: string;
  let key: string;

  it('a first visit pins the key, keeps the checkpoint and says 账本已公证 · 第 N 条 under the badge', async () => {
    first = await checkpointCoveringAll();
    key = (await text('/v1/transparency/key')).trim();
    const page = await ownerRemembering(null);
    await page.getByText('账本校验通过').waitFor();
    const ok = page.getByTestId('witness-ok');
    await expect.poll(() => ok.textContent(), { timeout: 10_000 }).toBe(`账本已公证 · 第 ${sizeOf(first)} 条`);
    expect(JSON.parse((await remembered(page))!)).toEqual({ key, checkpoint: first });
    expect(await page.evaluate(() => localStorage.getItem('xinyi.witness.key'))).toBe(key);
    expect(await page.getByTestId('witness-warning').count()).toBe(0);
    await stage.phone.shot(page, 'witness-ok');
    expect(await stage.phone.problemsAt360(page, '首页 (witness ok)')).toEqual([]);

    // After more postings the next visit asks for a consistency proof, which holds.
    await record('320.00', '临时停车 11月');
    await record('45.50', '临时停车 夜间');
    const later = await checkpointCoveringAll();
    const proof = page.waitForRequest((r) => r.url().includes(`/ledger/proof/consistency?from=${sizeOf(first)}&to=${sizeOf(later)}`));
    await page.reload();
    await proof;
    await expect
      .poll(() => ok.textContent(), { timeout: 10_000 })
      .toBe(`账本已公证 · 第 ${sizeOf(later)} 条 · 与您上次看到的第 ${sizeOf(first)} 条一致延续`);
    expect(JSON.parse((await remembered(page))!).checkpoint).toBe(later);
    await stage.phone.shot(page, 'witness-extended');
  });

  it('a proof that does not hold (the server rewrote its past) turns the line into a red warning, and the saved checkpoint stays', async () => {
    const saved = { key, checkpoint: first };
    // Fault injection on the wire: the proof the server sends arrives with one hash changed.
    const owner = await ownerRemembering(saved, (page) =>
      page.route('**/ledger/proof/consistency?*', async (route) => {
        const answer = await route.fetch();
        const proof = (await answer.json()) as { hashes: string[] };
        const hash = Buffer.from(proof.hashes[0]!, 'base64');
        hash[0]! ^= 1;
        proof.hashes[0] = hash.toString('base64');
        await route.fulfill({ response: answer, json: proof });
      }),
    );
    const warning = owner.getByTestId('witness-warning');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.getAttribute('role')).toBe('alert');
    expect(await warning.textContent()).toContain(`不是您上次看到的账本（${sizeOf(first)} 条）的延续`);
    expect(JSON.parse((await remembered(owner))!)).toEqual(saved);
    await stage.phone.shot(owner, 'witness-not-extended');
    expect(await stage.phone.problemsAt360(owner, '首页 (witness warning)')).toEqual([]);
  });

  it('a server that shows a shorter history than the saved one (both signed by its key) is caught', async () => {
    const now = await checkpointCoveringAll();
    const owner = await ownerRemembering({ key, checkpoint: now });
    await owner.getByTestId('witness-ok').waitFor({ timeout: 10_000 });
    // The server rolls back: it serves the older checkpoint it signed before the last postings.
    await owner.route('**/ledger/checkpoint', (route) => route.fulfill({ status: 200, contentType: 'text/plain; charset=utf-8', body: first }));
    await owner.reload();
    await owner.getByTestId('witness-warning').waitFor({ timeout: 10_000 });
    expect(await owner.getByTestId('witness-warning').textContent()).toContain(`账本比您上次看到的短：上次 ${sizeOf(now)} 条，现在 ${sizeOf(first)} 条`);
    expect(JSON.parse((await remembered(owner))!).checkpoint).toBe(now);
  });

  it('a browser that pinned another key warns, whatever that key signed', async () => {
    const now = parseCheckpoint(parseSignedNote(await checkpointCoveringAll()).text);
    const other = testSigner(key.split('+')[0]!);
    const saved = { key: other.vkey, checkpoint: other.sign({ ...now, root: new Uint8Array(32).fill(9) }) };
    const owner = await ownerRemembering(saved);
    const warning = owner.getByTestId('witness-warning');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.textContent()).toContain('服务器的公证密钥与您上次看到的不同');
    expect(JSON.parse((await remembered(owner))!)).toEqual(saved);
    await stage.phone.shot(owner, 'witness-key-changed');

    // The key is pinned for the server as well: a community this browser never saw is held to it.
    const fresh = await ownerRemembering(null, undefined, { 'xinyi.witness.key': other.vkey });
    await fresh.getByTestId('witness-warning').waitFor({ timeout: 10_000 });
    expect(await remembered(fresh)).toBeNull();
  });

  it('the 公示 prints the checkpoint: origin, size, root in hex and the signed note in monospace', async () => {
    const note = await checkpointCoveringAll();
    const checkpoint = parseCheckpoint(parseSignedNote(note).text);
    const page = await stage.phone.signIn(stage.demo.owner);
    const month = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date());
    await page.goto(`${stage.server.base}/notice/${stage.demo.communityId}/${month}`);
    const block = page.getByRole('region', { name: '账本公证' });
    await block.waitFor();
    expect(await block.textContent()).toContain(`此根哈希锁定截至公示时的全部 ${checkpoint.size} 条账目`);
    expect(await block.textContent()).toContain(checkpoint.origin);
    expect((await page.getByTestId('checkpoint-root-hex').textContent())!.replaceAll(' ', '')).toBe(toHex(checkpoint.root));
    expect(await page.getByTestId('checkpoint-note').textContent()).toBe(note.trimEnd());
    const font = await page.getByTestId('checkpoint-note').evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).fontFamily);
    expect(font).toMatch(/mono/i);
    await stage.phone.shot(page, 'notice-checkpoint');
    expect(await stage.phone.problemsAt360(page, '公示 (账本公证)')).toEqual([]);
    // On paper: the print stylesheet, an A4 page's width.
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 794, height: 1123 });
    await stage.phone.shot(page, 'notice-checkpoint-print');
  });
});
