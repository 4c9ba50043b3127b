import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { LeafFormatError, parseLeaf } from '../src/cli/ledger-leaf.js';
import { canonicalEntry, type HashableEntry } from '../src/modules/ledger/ledger.hash.js';
import { parseCheckpoint, parseSignedNote, parseVerifierKey } from '../src/shared/signed-note.js';
import { TEST_ADMIN_PASSWORD } from './support/constants.js';
import { freePort, startServer, type ServerProcess } from './support/server-process.js';
import { runVerifier, tamperingProxy, testSigner, type VerifierRun } from './support/verify-support.js';
import { seedDemo, type Demo } from './support/web.js';

/**
 * xinyi-verify, the owner's own check of the books: its reading of an entry's leaf, then the
 * command end to end against a live server process with real postings, and the faults it must
 * catch (a forged or foreign checkpoint, a history that does not extend the saved one, an entry
 * doctored on its way to the owner, a wrong key, the network).
 */

const ENTRY: HashableEntry = {
  communityId: 'c-幸福里',
  seq: 7,
  id: 'e-7',
  kind: 'income',
  memo: '停车收益; 含 12:00 以后的 0:; 不是字段',
  sourceType: 'income',
  sourceId: 'inc-1',
  occurredAt: new Date('2026-11-20T08:00:00.123Z'),
  recordedAt: new Date('2026-11-20T08:00:01.000Z'),
  reversesSeq: null,
  prevHash: 'ab'.repeat(32),
  postings: [
    { account: '1001', debit: '12800.00', credit: '0.00' },
    { account: '4101', debit: '0.00', credit: '12800.00' },
  ],
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('reading a leaf (the canonical bytes the server hashed)', () => {
  it('reads back every field the server wrote, a memo full of separators and Chinese included', () => {
    const leaf = parseLeaf(bytes(canonicalEntry(ENTRY)));
    expect(leaf).toEqual({
      communityId: 'c-幸福里',
      seq: 7,
      id: 'e-7',
      kind: 'income',
      memo: ENTRY.memo,
      sourceType: 'income',
      sourceId: 'inc-1',
      occurredAt: '2026-11-20T08:00:00.123Z',
      recordedAt: '2026-11-20T08:00:01.000Z',
      reversesSeq: null,
      prevHash: 'ab'.repeat(32),
      postings: ENTRY.postings,
    });
  });

  it('reads an entry without a source that reverses another, with three postings', () => {
    const reversal = {
      ...ENTRY,
      kind: 'reversal',
      memo: '',
      sourceType: null,
      sourceId: null,
      reversesSeq: 3,
      postings: [...ENTRY.postings, { account: '5199', debit: '0.00', credit: '0.00' }],
    };
    const leaf = parseLeaf(bytes(canonicalEntry(reversal)));
    expect(leaf).toMatchObject({ memo: '', sourceType: '', sourceId: '', reversesSeq: 3 });
    expect(leaf.postings).toHaveLength(3);
  });

  it('refuses bytes that are not the canonical form, saying where', () => {
    const good = canonicalEntry(ENTRY);
    const refusals: [string, string | Uint8Array][] = [
      ['another version', good.replace('xinyi-ledger/v1;', 'xinyi-ledger/v2;')],
      ['a length counting characters, not bytes', good.replace('11:c-幸福里;', '5:c-幸福里;')],
      ['a length with a leading zero', good.replace('3:e-7;', '03:e-7;')],
      ['something after the last field', `${good}x`],
      ['a field cut short', good.slice(0, -1)],
      ['a posting without its credit', good.replace(/8:12800.00;$/, '')],
      ['an amount with one decimal', good.replace('8:12800.00;4:0.00;4:4101', '7:12800.0;4:0.00;4:4101')],
      ['a seq that is not a number', good.replace('1:7;', '1:x;')],
      ['a previous hash that is not hex', good.replace('ab'.repeat(32), 'zz'.repeat(32))],
      ['bytes that are not UTF-8', Uint8Array.of(...bytes('xinyi-ledger/v1;2:'), 0xff, 0xfe, 0x3b)],
    ];
    for (const [what, leaf] of refusals) {
      if (typeof leaf === 'string') expect(leaf, `${what}: the test changes the leaf`).not.toBe(good);
      expect(() => parseLeaf(typeof leaf === 'string' ? bytes(leaf) : leaf), what).toThrow(LeafFormatError);
    }
  });
});

let server: ServerProcess;
let demo: Demo;
let work: string;
let ownerToken: string;
let managerToken: string;

const c = () => `/v1/communities/${demo.communityId}`;
const verifier = (...extra: string[]) => runVerifier([server.base, demo.communityId, '--token', ownerToken, ...extra]);
const file = (name: string) => path.join(work, name);

/** No stack trace for a failure the verifier expects: only its words. */
function expectPlainFailure(run: VerifierRun, code: 1 | 2, words: RegExp): void {
  const output = run.stdout + run.stderr;
  expect(run.code, output).toBe(code);
  expect(output).toMatch(words);
  expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

async function record(amount: string, payer: string): Promise<void> {
  const reply = await demo.call(managerToken, 'POST', `${c()}/income`, { category: 'parking', amount, payer });
  expect(reply.status).toBe(201);
}

const publishedKey = async () => (await fetch(`${server.base}/v1/transparency/key`, { headers: { authorization: `Bearer ${ownerToken}` } })).text();

/** The checkpoint covers entries within a few seconds of their commit: wait until it covers them all. */
async function checkpointCoveringAll(): Promise<string> {
  const head = (await demo.call(ownerToken, 'GET', `${c()}/fund`)).body.ledgerHead.seq as number;
  for (let i = 0; i < 150; i++) {
    const note = await (await fetch(`${server.base}${c()}/ledger/checkpoint`, { headers: { authorization: `Bearer ${ownerToken}` } })).text();
    if (parseCheckpoint(parseSignedNote(note).text).size >= head) return note;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the checkpoint did not reach entry ${head}`);
}

describe('xinyi-verify against a live server', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'xinyi-verify-'));
    server = await startServer({ port: await freePort(), env: { DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'warn', PASSWORD_HASH_COST: '10' } });
    demo = await seedDemo(server.base, TEST_ADMIN_PASSWORD);
    [ownerToken, managerToken] = await Promise.all([demo.login(demo.owner), demo.login(demo.manager)]);
    await checkpointCoveringAll();
  }, 180_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('an owner verifies the whole community through `npx xinyi-verify` and keeps the checkpoint', async () => {
    const entries = (await demo.call(ownerToken, 'GET', `${c()}/ledger/verify`)).body.entries as number;
    const run = await runVerifier([server.base, demo.communityId, '--save', file('november.checkpoint')], { via: 'npx', env: { XINYI_TOKEN: ownerToken } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`账本条目 (entries)：${entries} 条`);
    expect(run.stdout).toMatch(/✓ 公证 \(checkpoint\)：签名经公钥 \S+ 验证属实/);
    expect(run.stdout).toMatch(/✓ 科目余额 \(balances\)：19 个科目/);
    expect(run.stdout).toContain(`✓ 默克尔树 (Merkle tree)：由前 ${entries} 条的原文重新计算`);
    expect(run.stdout).toContain('结论：全部校验通过。');
    expect(run.stdout).not.toContain('✗');
    expect(parseCheckpoint(parseSignedNote(readFileSync(file('november.checkpoint'), 'utf8')).text).size).toBe(entries);
  });

  it('--since the current checkpoint itself succeeds; after more postings the saved one is proved extended', async () => {
    const now = await checkpointCoveringAll();
    writeFileSync(file('now.checkpoint'), now);
    const same = await verifier('--since', file('now.checkpoint'));
    expect(same.code, same.stdout + same.stderr).toBe(0);
    const size = parseCheckpoint(parseSignedNote(now).text).size;
    expect(same.stdout).toContain(`您保存的公证（${size} 条）被今天的公证（${size} 条）完整延续`);

    await record('320.00', '临时停车 11月');
    await record('45.50', '临时停车 夜间');
    await checkpointCoveringAll();
    const later = await verifier('--since', file('now.checkpoint'));
    expect(later.code, later.stdout + later.stderr).toBe(0);
    expect(later.stdout).toContain(`您保存的公证（${size} 条）被今天的公证（${size + 2} 条）完整延续`);
  });

  it('an owner finds their own fee payment under the signed root (--entry), and a doctored inclusion proof fails', async () => {
    const entries = (await demo.call(ownerToken, 'GET', `${c()}/entries?limit=500`)).body.items as { seq: number; postings: { debit: string }[] }[];
    const payment = entries.find((e) => e.postings.some((p) => p.debit === '210.33'))!;
    const run = await verifier('--entry', String(payment.seq));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`✓ 包含证明 \\(inclusion\\)：第 ${payment.seq} 条在公证的 \\d+ 条之中 —— .*1001 借 210\\.33`));

    const proxy = await tamperingProxy(server.base, (url, body) => {
      if (!url.includes('/proof/inclusion')) return body;
      const proof = JSON.parse(body) as { hashes: string[] };
      proof.hashes.reverse();
      return JSON.stringify(proof);
    });
    try {
      const doctored = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken, '--entry', String(payment.seq)]);
      expectPlainFailure(doctored, 1, /✗ 包含证明 \(inclusion\)：第 \d+ 条：服务器给出的包含证明不成立/);
    } finally {
      await proxy.close();
    }
    expectPlainFailure(await verifier('--entry', 'five'), 2, /--entry 应是条目的序号/);
  });

  it('a saved checkpoint with a forged signature, or another community’s genuine one, fails', async () => {
    const now = await checkpointCoveringAll();
    const lines = now.split('\n');
    const root = Buffer.from(lines[2]!, 'base64');
    root[0]! ^= 1;
    writeFileSync(file('forged.checkpoint'), [lines[0], lines[1], root.toString('base64'), ...lines.slice(3)].join('\n'));
    expectPlainFailure(await verifier('--since', file('forged.checkpoint')), 1, /✗ 延续 \(consistency\)：保存的公证 .*没有公证公钥 \S+ 的有效签名/);

    // The same forgery served as today's checkpoint: nothing can be compared with it.
    const proxy = await tamperingProxy(server.base, (url, body) => (url.endsWith('/ledger/checkpoint') ? readFileSync(file('forged.checkpoint'), 'utf8') : body));
    try {
      const run = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken]);
      expectPlainFailure(run, 1, /✗ 公证 \(checkpoint\)：服务器的公证没有公证公钥 \S+ 的有效签名/);
      expect(run.stdout).toContain('（公证无效：默克尔树、延续与包含证明无从比对）');
    } finally {
      await proxy.close();
    }

    // A checkpoint the server really signed, but of another community: its origin gives it away.
    const other = await demo.call(await demo.login({ username: 'admin', password: TEST_ADMIN_PASSWORD }), 'POST', '/v1/communities', {
      name: '别的小区',
      managementFeeRate: '0.05',
    });
    const foreign = await (await fetch(`${server.base}/v1/communities/${other.body.id}/ledger/checkpoint`, {
      headers: { authorization: `Bearer ${await demo.login({ username: 'admin', password: TEST_ADMIN_PASSWORD })}` },
    })).text();
    writeFileSync(file('foreign.checkpoint'), foreign);
    expectPlainFailure(await verifier('--since', file('foreign.checkpoint')), 1, /属于 \S+\/\S+，不是本小区的/);
  });

  it('a history that does not extend the saved checkpoint fails, though both are signed by the key the owner is shown', async () => {
    // A server that rewrote its past would sign both trees with its one key. To stand in for it,
    // a proxy shows the owner the real books under a key of the test's own, re-signing the real
    // checkpoint; the saved checkpoint is a smaller tree with another root, signed the same way.
    const name = parseVerifierKey(await publishedKey()).name;
    const signer = testSigner(name);
    const proxy = await tamperingProxy(server.base, (url, body) => {
      if (url === '/v1/transparency/key') return `${signer.vkey}\n`;
      if (url.endsWith('/ledger/checkpoint')) return signer.sign(parseCheckpoint(parseSignedNote(body).text));
      return body;
    });
    try {
      const now = parseCheckpoint(parseSignedNote(await checkpointCoveringAll()).text);
      const honest = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken]);
      expect(honest.code, honest.stdout + honest.stderr).toBe(0);

      const fork = { origin: now.origin, size: now.size - 2, root: new Uint8Array(32).fill(7) };
      writeFileSync(file('fork.checkpoint'), signer.sign(fork));
      const run = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken, '--since', file('fork.checkpoint')]);
      expectPlainFailure(run, 1, /✗ 延续 \(consistency\)：.*一致性证明 \(consistency proof\) 不成立/);
      expect(run.stdout).toContain('结论：校验未通过');

      writeFileSync(file('longer.checkpoint'), signer.sign({ ...now, size: now.size + 5 }));
      const longer = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken, '--since', file('longer.checkpoint')]);
      expectPlainFailure(longer, 1, /账本变短了/);
    } finally {
      await proxy.close();
    }
  });

  it('an entry doctored on its way to the owner is caught by its leaf; a swapped leaf by its hash and the tree', async () => {
    // The proxy rewrites the amount of the 12,800.00 parking income in the entries' JSON only.
    const proxy = await tamperingProxy(server.base, (url, body) =>
      url.includes('/entries') ? body.replaceAll('"debit":"12800.00"', '"debit":"1280.00"').replaceAll('"credit":"12800.00"', '"credit":"1280.00"') : body,
    );
    try {
      const run = await runVerifier([proxy.base, demo.communityId, '--token', ownerToken]);
      expectPlainFailure(run, 1, /✗ 账本条目 \(entries\)：.*\n\s+- 第 \d+ 条的显示与原文 \(leaf\) 不一致，第 1 笔分录 1001 的借方：原文是 12800.00，页面显示 1280.00/);
      expect(run.stdout).toMatch(/✓ 哈希链 \(hash chain\)/);
      expect(run.stdout).toMatch(/✓ 默克尔树 \(Merkle tree\)/);
    } finally {
      await proxy.close();
    }

    // A leaf swapped for another entry's: its hash no longer matches, nor does the chain.
    const swap = await tamperingProxy(server.base, (url, body) => {
      if (!url.includes('/entries')) return body;
      const page = JSON.parse(body) as { items: { leaf: string }[] };
      if (page.items.length > 2) page.items[1]!.leaf = page.items[2]!.leaf;
      return JSON.stringify(page);
    });
    try {
      const run = await runVerifier([swap.base, demo.communityId, '--token', ownerToken]);
      expectPlainFailure(run, 1, /第 2 条的原文 \(leaf\) 的 SHA-256 不是它的哈希/);
      expect(run.stdout).toMatch(/✗ 默克尔树 \(Merkle tree\)/);
    } finally {
      await swap.close();
    }
  });

  it('more entries than one page (500) are read page by page by cursor, with the same result', async () => {
    const before = (await demo.call(ownerToken, 'GET', `${c()}/ledger/verify`)).body.entries as number;
    const wanted = 520 - before;
    for (let i = 0; i < wanted; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, wanted - i) }, (_, j) => record(`${1 + ((i + j) % 97)}.${String((i + j) % 100).padStart(2, '0')}`, `临时停车 ${i + j}`)));
    }
    await checkpointCoveringAll();
    const run = await verifier('--since', file('november.checkpoint'), '--entry', '510');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('账本条目 (entries)：520 条');
    expect(run.stdout).toContain('✓ 默克尔树 (Merkle tree)：由前 520 条的原文重新计算');
    expect(run.stdout).toMatch(/✓ 包含证明 \(inclusion\)：第 510 条在公证的 520 条之中/);
  }, 180_000);

  it('a key other than the one the owner wrote down, a refused token and an unreachable server are said plainly', async () => {
    const other = testSigner('xinyi-ledger.example');
    expectPlainFailure(await verifier('--key', other.vkey), 1, /✗ 公证公钥 \(verifier key\)：服务器公布的是 \S+，与您给的 \S+ 不同/);
    const key = (await publishedKey()).trim();
    expect((await verifier('--key', key)).code).toBe(0);

    expectPlainFailure(await runVerifier([server.base, demo.communityId, '--token', 'not-a-token']), 2, /答复 401：令牌无效或已过期/);
    expectPlainFailure(await runVerifier(['http://127.0.0.1:9', demo.communityId]), 2, /无法连接服务器/);
    expectPlainFailure(await runVerifier([server.base]), 2, /需要服务器地址和小区编号两个参数/);
    expectPlainFailure(await verifier('--since', file('missing.checkpoint')), 2, /读不了保存的公证文件/);
  });
});
