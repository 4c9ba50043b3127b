/**
 * xinyi-verify — check a community's books yourself, without trusting the server.
 *
 *   npx xinyi-verify <baseUrl> <communityId> [--token T] [--since saved.checkpoint] [--save saved.checkpoint]
 *   npm run verify -- <baseUrl> <communityId> …
 *
 * What it does, in order (each step prints one line):
 *
 *   1. Fetches the server's public key and the community's latest checkpoint: a short note,
 *      signed with that key, that says "the books have N entries and their Merkle root is R".
 *      It checks the signature and that the note names this community.
 *   2. Downloads every entry. Each entry comes with its leaf: the exact bytes the server hashed
 *      when it wrote the entry. It checks that the leaf says what the page shows (amounts,
 *      accounts, dates, memo…), that SHA-256 of the leaf is the entry's hash, and that every
 *      entry names the hash of the one before it (the hash chain), starting from 64 zeros.
 *   3. Adds up every posting, with exact decimals, and compares each account's balance with
 *      the one the server shows.
 *   4. Rebuilds the Merkle tree from the leaves and compares its root with the signed one.
 *      Now the signature covers every entry you downloaded: change one byte of one entry and
 *      the root differs.
 *   5. With --since, reads the checkpoint you saved last time (say, last month) and asks the
 *      server for a consistency proof: a few hashes showing that today's tree is last month's
 *      tree with entries added at the end, nothing changed, removed or reordered.
 *   6. With --entry <seq> (say, the entry of your own fee payment), shows that entry and checks
 *      the server's inclusion proof: the few hashes that lead from it to the signed root.
 *   7. With --save, keeps today's checkpoint in a file for next time.
 *
 * It exits 0 only when everything holds; 1 when something does not (it says what); 2 when it
 * could not check at all (a network error, a refused token, a bad argument).
 *
 * The only code it shares with the server is the pure, documented hashing and signing rules
 * (src/shared/merkle.ts for RFC 6962 trees, src/shared/signed-note.ts for C2SP signed notes).
 * Everything else is written for this check alone: this file (the steps), ledger-leaf.ts (reading
 * a leaf), verify-server.ts (the GETs) and verify-report.ts (what it prints).
 */
import * as crypto from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Decimal } from 'decimal.js';
import { bytesEqual, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../shared/merkle.js';
import { fromBase64, openCheckpoint, parseVerifierKey, toBase64, type Checkpoint, type VerifierKey } from '../shared/signed-note.js';
import { LeafFormatError, parseLeaf, type LeafEntry } from './ledger-leaf.js';
import { CannotCheck, complain, failureCount, Mismatch, Problems, report, say, startRun, step, tally } from './verify-report.js';
import { server, type AccountJson, type EntryJson, type Server } from './verify-server.js';

/** Every entry's chain starts from this "previous hash": there is nothing before the first. */
const GENESIS_HASH = '0'.repeat(64);

/** Money is added exactly: a decimal with far more digits than any sum of amounts can need. */
const Exact = Decimal.clone({ precision: 1_000 });
type Exact = InstanceType<typeof Exact>;

const USAGE = `用法 (usage): xinyi-verify <服务器地址 baseUrl> <小区编号 communityId> [选项]

  --token <令牌>        登录令牌 (Bearer token)；也可放在环境变量 XINYI_TOKEN 里
  --since <文件>        上次保存的公证 (checkpoint)：证明今天的账本是它的延续
  --save <文件>         校验全部通过后，把今天的公证保存到文件，下次用 --since 比对
  --key <公钥>          您从别处（如公示纸）抄下的公证公钥 (verifier key)，要求服务器的与之相同
  --entry <序号>        显示这一条（如您自己的缴费）并核对它的包含证明 (inclusion proof)；可重复
  -h, --help            显示本说明

退出码 (exit code)：0 全部校验通过；1 有不一致；2 无法完成校验（网络、令牌、参数）。`;



// ---------------------------------------------------------------------------------------------
// Step 1: the key and the signed checkpoint.
// ---------------------------------------------------------------------------------------------

/**
 * Reads a checkpoint note, checks that the published key signed it and that it names this
 * community's log; throws Mismatch otherwise. The origin matters: a genuine checkpoint of
 * another community must not pass for this one's.
 */
async function trustCheckpoint(note: string, key: VerifierKey, origin: string, what: string): Promise<Checkpoint> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = await openCheckpoint(note, [key]);
  } catch (error) {
    throw new Mismatch(`${what}没有公证公钥 ${key.name} 的有效签名，或内容被改过（${(error as Error).message}）`);
  }
  if (checkpoint.origin !== origin) throw new Mismatch(`${what}属于 ${checkpoint.origin}，不是本小区的 ${origin}`);
  return checkpoint;
}

// ---------------------------------------------------------------------------------------------
// Step 2: every entry, its leaf and the chain.
// ---------------------------------------------------------------------------------------------

/** What reading all entries leaves behind: the leaf hashes for the tree and the sums per account. */
interface Books {
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
// The whole check.
// ---------------------------------------------------------------------------------------------

function options(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      token: { type: 'string' },
      since: { type: 'string' },
      save: { type: 'string' },
      key: { type: 'string' },
      entry: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 2) throw new CannotCheck(`需要服务器地址和小区编号两个参数\n\n${USAGE}`);
  const [baseUrl, communityId] = positionals as [string, string];
  if (!/^https?:\/\//.test(baseUrl)) throw new CannotCheck(`服务器地址应以 http:// 或 https:// 开头：${baseUrl}`);
  const entries = (values.entry ?? []).map((text) => {
    if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new CannotCheck(`--entry 应是条目的序号 (seq)，如 5：${text}`);
    return Number(text);
  });
  return { baseUrl, communityId, token: values.token ?? process.env.XINYI_TOKEN, since: values.since, save: values.save, key: values.key, entries };
}

function readSaved(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CannotCheck(`读不了保存的公证文件 ${file}（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）`);
  }
}

export async function verify(argv: string[]): Promise<number> {
  startRun();
  const args = options(argv);
  if (!args) {
    say(USAGE);
    return 0;
  }
  const { baseUrl, communityId } = args;
  const api = server(baseUrl, args.token);
  const c = `/v1/communities/${encodeURIComponent(communityId)}`;
  const saved = args.since === undefined ? undefined : readSaved(args.since);
  say(`信义账本 · 独立校验 (xinyi-verify)\n服务器 ${baseUrl}　小区 ${communityId}\n`);

  // Step 1: the published key, and the checkpoint it signs.
  const keyText = (await api.text('/v1/transparency/key')).trim();
  let key: VerifierKey;
  try {
    key = parseVerifierKey(keyText);
  } catch (error) {
    throw new CannotCheck(`服务器公布的公证公钥读不懂：${(error as Error).message}`);
  }
  if (args.key !== undefined && args.key.trim() !== keyText) {
    report(false, `公证公钥 (verifier key)：服务器公布的是 ${keyText}，与您给的 ${args.key.trim()} 不同`);
  }
  const origin = `${key.name}/${communityId}`;
  const checkpointText = await api.text(`${c}/ledger/checkpoint`);
  const checkpoint = await step(
    (cp) => `公证 (checkpoint)：签名经公钥 ${key.name} 验证属实，来源 (origin) ${origin}，共 ${cp.size} 条，根哈希 ${toBase64(cp.root)}`,
    '公证 (checkpoint)',
    () => trustCheckpoint(checkpointText, key, origin, '服务器的公证'),
  );

  // Steps 2 and 3: the balances at one instant, then every entry.
  const { accounts, seq: balancesAtSeq } = await accountsAtOneInstant(api, communityId);
  const problems = new Problems();
  const books = await readBooks(api, communityId, balancesAtSeq, args.entries, problems);
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

  if (checkpoint) await checkSigned(api, c, checkpoint, books, { saved, savedName: args.since, entries: args.entries, key, origin });
  else say('  （公证无效：默克尔树、延续与包含证明无从比对）');

  if (failureCount() > 0) {
    say(`\n结论：校验未通过，共 ${failureCount()} 项不一致。请把以上输出交给业委会或监督部门。`);
    return 1;
  }
  if (args.save !== undefined) {
    try {
      writeFileSync(args.save, checkpointText);
    } catch (error) {
      throw new CannotCheck(`校验已全部通过，但无法保存公证到 ${args.save}（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）`);
    }
    say(`\n已把今天的公证保存到 ${args.save}；下次请用 --since ${args.save} 比对。`);
  }
  say('\n结论：全部校验通过。');
  return 0;
}

/**
 * Steps 4 to 6, everything the signed checkpoint vouches for: the tree over the downloaded
 * leaves has its root, it extends the checkpoint saved last time, and the entries asked for
 * are under it.
 */
async function checkSigned(
  api: Server,
  c: string,
  checkpoint: Checkpoint,
  books: Books,
  options: { saved: string | undefined; savedName: string | undefined; entries: number[]; key: VerifierKey; origin: string },
): Promise<void> {
  // Step 4: the tree over the first `size` leaves has the signed root.
  await step(
    () => `默克尔树 (Merkle tree)：由前 ${checkpoint.size} 条的原文重新计算，根哈希与公证的一致`,
    '默克尔树 (Merkle tree)',
    async () => {
      if (books.count < checkpoint.size) throw new Mismatch(`公证说有 ${checkpoint.size} 条，服务器只给出 ${books.count} 条`);
      const root = treeRoot(books.leafHashes.slice(0, checkpoint.size));
      if (!bytesEqual(root, checkpoint.root)) throw new Mismatch(`由前 ${checkpoint.size} 条算出的根哈希是 ${toBase64(root)}，公证上是 ${toBase64(checkpoint.root)}`);
    },
  );

  // Step 5: today's books extend the ones saved last time.
  const { saved } = options;
  if (saved !== undefined) {
    await step(
      (old) => `延续 (consistency)：您保存的公证（${old.size} 条）被今天的公证（${checkpoint.size} 条）完整延续，此前的账目一条未改`,
      '延续 (consistency)',
      async () => {
        const old = await trustCheckpoint(saved, options.key, options.origin, `保存的公证 ${options.savedName}`);
        await proveExtends(api, c, old, checkpoint, books.leafHashes);
        return old;
      },
    );
  }

  // Step 6: the entries the owner cares about, each proved to be under the signed root.
  for (const seq of options.entries) {
    await step(
      (entry) => `包含证明 (inclusion)：第 ${seq} 条在公证的 ${checkpoint.size} 条之中 —— ${describe(entry)}`,
      `包含证明 (inclusion)：第 ${seq} 条`,
      () => proveIncluded(api, c, seq, checkpoint, books),
    );
  }
}

/**
 * Proves the new checkpoint extends the old one: the same tree when the sizes are equal, else
 * the server's RFC 9162 consistency proof from the old size to the new. As a second, plainer
 * witness, the first `old.size` leaves downloaded today must also hash to the old root.
 */
async function proveExtends(api: Server, c: string, old: Checkpoint, now: Checkpoint, leafHashes: Uint8Array[]): Promise<void> {
  if (old.size > now.size) throw new Mismatch(`保存的公证有 ${old.size} 条，今天只有 ${now.size} 条：账本变短了`);
  if (old.size === now.size) {
    if (!bytesEqual(old.root, now.root)) throw new Mismatch(`条数相同（${now.size}）但根哈希不同：同样的条目，内容被改过`);
    return;
  }
  if (old.size > 0) {
    const proof = await api.json<{ from: number; to: number; hashes: string[] }>(`${c}/ledger/proof/consistency?from=${old.size}&to=${now.size}`);
    const hashes = proof.hashes.map(fromBase64);
    const holds = hashes.every((h) => h !== null) && verifyConsistency(old.size, now.size, old.root, now.root, hashes as Uint8Array[], sha256);
    if (proof.from !== old.size || proof.to !== now.size || !holds) {
      throw new Mismatch(`服务器给出的一致性证明 (consistency proof) 不成立：今天的账本不是第 ${old.size} 条时那本账的延续`);
    }
  }
  const oldRoot = treeRoot(leafHashes.slice(0, old.size));
  if (!bytesEqual(oldRoot, old.root)) throw new Mismatch(`今天下载的前 ${old.size} 条算出的根哈希与保存的公证不同：此前的账目被改过`);
}

/** Checks the server's inclusion proof of entry `seq` against the leaf downloaded today and the signed root. */
async function proveIncluded(api: Server, c: string, seq: number, checkpoint: Checkpoint, books: Books): Promise<EntryJson> {
  const entry = books.wanted.get(seq);
  if (!entry || seq > checkpoint.size) throw new Mismatch(`公证只包含前 ${checkpoint.size} 条，服务器给出 ${books.count} 条`);
  const proof = await api.json<{ leafIndex: number; treeSize: number; hashes: string[] }>(
    `${c}/ledger/proof/inclusion?seq=${seq}&treeSize=${checkpoint.size}`,
  );
  const hashes = proof.hashes.map(fromBase64);
  const holds =
    proof.leafIndex === seq - 1 &&
    proof.treeSize === checkpoint.size &&
    hashes.every((h) => h !== null) &&
    verifyInclusion(seq - 1, checkpoint.size, books.leafHashes[seq - 1]!, hashes as Uint8Array[], checkpoint.root, sha256);
  if (!holds) throw new Mismatch('服务器给出的包含证明不成立：这一条不在公证的账本里');
  return entry;
}

/** One entry in a line: its time, memo and postings (借 debit, 贷 credit). */
function describe(entry: EntryJson): string {
  const lines = entry.postings.map((p) => (new Exact(p.debit).isZero() ? `${p.account} 贷 ${p.credit}` : `${p.account} 借 ${p.debit}`));
  return `${entry.occurredAt} ${entry.kind}「${entry.memo}」 ${lines.join(' / ')}`;
}

/**
 * Node's SHA-256, much faster than the portable one the shared functions default to (a
 * million entries mean three million hashes): crypto.hash where this Node has it (20.12+).
 */
const sha256: (data: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest();
const treeRoot = (leafHashes: Uint8Array[]) => rootOf(leafHashes, sha256);

/** Runs the check and turns every expected failure into a message and an exit code, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await verify(argv);
  } catch (error) {
    if (error instanceof CannotCheck) {
      complain(`无法完成校验：${error.message}`);
      return 2;
    }
    if (error instanceof Mismatch) {
      complain(`校验未通过：${error.message}`);
      return 1;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      complain(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

/** True when node was started on this very file (npm run verify), not when it is imported. */
function startedAsScript(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// The bin launcher (scripts/xinyi-verify.mjs) imports this file and calls main() itself.
if (startedAsScript()) process.exitCode = await main(process.argv.slice(2));
