/**
 * Steps 2 and 3 of xinyi-verify, the checks over the books themselves: every entry against its
 * leaf and its hash, the hash chain, debits equal to credits in each entry, and every account's
 * balance recomputed from the postings. What they leave behind (the leaf hashes, the entries
 * asked for) is what the signed checkpoint is then checked against (verify-checkpoint.ts).
 */
import { Decimal } from 'decimal.js';
import { leafHash } from '../shared/merkle.js';
import { LeafFormatError, parseLeaf, type LeafEntry } from './ledger-leaf.js';
import { sha256 } from './verify-hashing.js';
import { CannotCheck, Mismatch, Problems, tally } from './verify-report.js';
import type { AccountJson, EntryJson, Server } from './verify-server.js';

/** Every entry's chain starts from this "previous hash": there is nothing before the first. */
const GENESIS_HASH = '0'.repeat(64);

/** Money is added exactly: a decimal with far more digits than any sum of amounts can need. */
export const Exact = Decimal.clone({ precision: 1_000 });
export type Exact = InstanceType<typeof Exact>;

// ---------------------------------------------------------------------------------------------
// Step 2: every entry, its leaf and the chain.
// ---------------------------------------------------------------------------------------------

/** What reading all entries leaves behind: the leaf hashes for the tree and the sums per account. */
export interface Books {
  count: number;
  /** How many postings the sums add up. */
  postingsSummed: number;
  leafHashes: Uint8Array[];
  /** Debits minus credits per account, over the entries up to `balancesAtSeq`. */
  sums: Map<string, Exact>;
  /** The entries asked for with --entry, as shown. */
  wanted: Map<number, EntryJson>;
}

/** The leaf must say exactly what the JSON shows; returns the first field that differs. */
function differenceBetween(leaf: LeafEntry, entry: EntryJson, communityId: string, idOfSeq: (seq: number) => string | undefined): string | null {
  const source = leaf.sourceType && leaf.sourceId ? { type: leaf.sourceType, id: leaf.sourceId } : null;
  const reverses = leaf.reversesSeq === null ? null : (idOfSeq(leaf.reversesSeq) ?? `(第 ${leaf.reversesSeq} 条)`);
  const pairs: [string, unknown, unknown][] = [
    ['小区 community', leaf.communityId, communityId],
    ['序号 seq', leaf.seq, entry.seq],
    ['编号 id', leaf.id, entry.id],
    ['类型 kind', leaf.kind, entry.kind],
    ['摘要 memo', leaf.memo, entry.memo],
    ['来源 source', JSON.stringify(source), JSON.stringify(entry.source)],
    ['发生时间 occurredAt', leaf.occurredAt, entry.occurredAt],
    ['记账时间 recordedAt', leaf.recordedAt, entry.recordedAt],
    ['冲销 reverses', reverses, entry.reverses],
    ['前一条哈希 prevHash', leaf.prevHash, entry.prevHash],
    ['分录笔数 postings', leaf.postings.length, entry.postings.length],
    ...leaf.postings.flatMap((p, i): [string, unknown, unknown][] => {
      const shown = entry.postings[i];
      const line = `第 ${i + 1} 笔分录 ${p.account}`;
      return [
        [`${line} 的科目`, p.account, shown?.account],
        [`${line} 的借方`, p.debit, shown?.debit],
        [`${line} 的贷方`, p.credit, shown?.credit],
      ];
    }),
  ];
  const differing = pairs.find(([, inLeaf, shown]) => inLeaf !== shown);
  return differing ? `${differing[0]}：原文是 ${String(differing[1])}，页面显示 ${String(differing[2])}` : null;
}

/**
 * Pages through every entry (oldest first) and checks each one as it arrives, so that a
 * community with a million entries needs only their leaf hashes (32 bytes) and ids in memory.
 */
async function readBooks(api: Server, communityId: string, balancesAtSeq: number, wanted: number[], problems: Problems): Promise<Books> {
  const books: Books = { count: 0, postingsSummed: 0, leafHashes: [], sums: new Map(), wanted: new Map() };
  const ids: string[] = [];
  let prevHash = GENESIS_HASH;
  const path = `/v1/communities/${encodeURIComponent(communityId)}/entries`;
  type Page = { items: EntryJson[]; nextAfter: string | null };
  const fetchPage = (after: string | null) => api.json<Page>(`${path}?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`);
  for (let next: Promise<Page> | null = fetchPage(null); next; ) {
    const page: Page = await next;
    // Ask for the next page now, so the network works while this one is checked.
    next = page.nextAfter ? fetchPage(page.nextAfter) : null;
    next?.catch(() => undefined); // its failure is reported when it is awaited
    for (const entry of page.items) {
      const expectedSeq = books.count + 1;
      const where = `第 ${expectedSeq} 条`;
      if (entry.seq !== expectedSeq) problems.add('chain', `${where}的序号是 ${entry.seq}：条目缺失、重复或顺序被打乱`);
      if (entry.leafIndex !== undefined && entry.leafIndex !== expectedSeq - 1) problems.add('entries', `${where}的 leafIndex 是 ${entry.leafIndex}，应为 ${expectedSeq - 1}`);
      if (typeof entry.leaf !== 'string') throw new Mismatch(`${where}没有原文 (leaf)：服务器不支持可验证账本`);
      const leafBytes = Buffer.from(entry.leaf, 'base64');

      // The leaf is the entry: its SHA-256 is the hash the chain holds.
      const leafSha = Buffer.from(sha256(leafBytes)).toString('hex');
      if (leafSha !== entry.hash) problems.add('entries', `${where}的原文 (leaf) 的 SHA-256 不是它的哈希 ${entry.hash.slice(0, 16)}…`);
      let leaf: LeafEntry | null = null;
      try {
        leaf = parseLeaf(leafBytes);
      } catch (error) {
        if (!(error instanceof LeafFormatError)) throw error;
        problems.add('entries', `${where}的原文 (leaf) 格式不对：${error.message}`);
      }
      if (leaf) {
        const difference = differenceBetween(leaf, entry, communityId, (seq) => ids[seq - 1]);
        if (difference) problems.add('entries', `${where}的显示与原文 (leaf) 不一致，${difference}`);
      }

      // The chain: each entry names the hash of the one before it.
      if (entry.prevHash !== prevHash) problems.add('chain', `${where}记下的前一条哈希不是第 ${expectedSeq - 1} 条的哈希`);
      prevHash = entry.hash;

      // Double entry: the debits of every entry equal its credits. The sums use the leaf's
      // postings, the ones the hash and the tree commit to (the JSON was compared above).
      const postings = leaf?.postings ?? entry.postings;
      const debits = postings.reduce((s, p) => s.plus(p.debit), new Exact(0));
      const credits = postings.reduce((s, p) => s.plus(p.credit), new Exact(0));
      if (postings.length < 2 || !debits.eq(credits)) problems.add('balanced', `${where}借方 ${debits.toFixed(2)} 不等于贷方 ${credits.toFixed(2)}`);
      if (expectedSeq <= balancesAtSeq) {
        for (const p of postings) books.sums.set(p.account, (books.sums.get(p.account) ?? new Exact(0)).plus(p.debit).minus(p.credit));
        books.postingsSummed += postings.length;
      }

      books.leafHashes.push(leafHash(leafBytes, sha256));
      if (wanted.includes(entry.seq)) books.wanted.set(entry.seq, entry);
      ids.push(entry.id);
      books.count++;
    }
  }
  return books;
}

// ---------------------------------------------------------------------------------------------
// Step 3: the balances, read at one instant.
// ---------------------------------------------------------------------------------------------

/**
 * The accounts with the seq of the last entry they include. The accounts list does not say
 * which entry it is current to, so it is read between two reads of the fund's ledger head:
 * when both say the same seq, no entry landed in between.
 */
async function accountsAtOneInstant(api: Server, communityId: string): Promise<{ accounts: AccountJson[]; seq: number }> {
  const c = `/v1/communities/${encodeURIComponent(communityId)}`;
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await api.json<{ ledgerHead: { seq: number } }>(`${c}/fund`);
    const { items } = await api.json<{ items: AccountJson[] }>(`${c}/accounts`);
    const after = await api.json<{ ledgerHead: { seq: number } }>(`${c}/fund`);
    if (before.ledgerHead.seq === after.ledgerHead.seq) return { accounts: items, seq: after.ledgerHead.seq };
  }
  throw new CannotCheck('账本一直在变，读不到一个稳定的余额快照；请稍后再试');
}

/** Assets and expenses show debits minus credits; liabilities, equity and income the reverse. */
function inNormalDirection(type: AccountJson['type'], debitsMinusCredits: Exact): Exact {
  return type === 'asset' || type === 'expense' ? debitsMinusCredits : debitsMinusCredits.neg();
}

function checkBalances(accounts: AccountJson[], sums: Map<string, Exact>, problems: Problems): void {
  const listed = new Set(accounts.map((a) => a.code));
  for (const account of accounts) {
    const recomputed = inNormalDirection(account.type, sums.get(account.code) ?? new Exact(0));
    if (!recomputed.eq(account.balance)) {
      problems.add('balances', `科目 ${account.code} ${account.name} 显示余额 ${account.balance}，由分录重新计算是 ${recomputed.toFixed(2)}`);
    }
  }
  for (const code of sums.keys()) if (!listed.has(code)) problems.add('balances', `分录用到了科目 ${code}，但科目表里没有它`);
}

// ---------------------------------------------------------------------------------------------
// Steps 2 and 3 together, as the run reports them.
// ---------------------------------------------------------------------------------------------

/**
 * Steps 2 and 3 together: the balances at one instant, then every entry, each check reported
 * in one line. Returns the books for the checks against the signed checkpoint.
 */
export async function checkBooks(api: Server, communityId: string, wanted: number[]): Promise<Books> {
  const { accounts, seq: balancesAtSeq } = await accountsAtOneInstant(api, communityId);
  const problems = new Problems();
  const books = await readBooks(api, communityId, balancesAtSeq, wanted, problems);
  const n = books.count;
  tally(problems.of('entries'), `账本条目 (entries)：${n} 条，每条的原文 (leaf) 与页面显示一致，SHA-256 与其哈希一致`, `账本条目 (entries)：${n} 条中有与原文 (leaf) 或哈希不符的`);
  tally(problems.of('chain'), `哈希链 (hash chain)：${n} 条从创世哈希 (64 个 0) 起首尾相接，序号连续`, '哈希链 (hash chain)：链条断了');
  tally(problems.of('balanced'), `借贷平衡：${n} 条每条借方合计等于贷方合计`, '借贷平衡：有条目借贷不等');
  if (n < balancesAtSeq) problems.add('balances', `余额包含到第 ${balancesAtSeq} 条，但服务器只给出 ${n} 条`);
  checkBalances(accounts, books.sums, problems);
  tally(
    problems.of('balances'),
    `科目余额 (balances)：${accounts.length} 个科目的余额由前 ${balancesAtSeq} 条的 ${books.postingsSummed} 笔分录重新计算，与显示一致`,
    '科目余额 (balances)：显示的余额与由分录重新计算的不符',
  );
  return books;
}
