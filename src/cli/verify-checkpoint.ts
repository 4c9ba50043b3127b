/**
 * Steps 1 and 4 to 6 of xinyi-verify, the signed checkpoint and what it vouches for: the
 * server's key signed it and it names this community; the Merkle tree over the downloaded
 * leaves has its root; it extends the checkpoint saved last time; the entries the owner asks
 * for are under it.
 */
import { bytesEqual, verifyConsistency, verifyInclusion } from '../shared/merkle.js';
import { fromBase64, openCheckpoint, parseVerifierKey, toBase64, type Checkpoint, type VerifierKey } from '../shared/signed-note.js';
import { Exact, type Books } from './verify-books.js';
import { sha256, treeRoot } from './verify-hashing.js';
import { CannotCheck, Mismatch, report, step } from './verify-report.js';
import type { EntryJson, Server } from './verify-server.js';

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

/** What step 1 leaves behind; `checkpoint` is undefined when its signature or origin did not hold. */
export interface SignedCheckpoint {
  key: VerifierKey;
  origin: string;
  /** The note exactly as the server sent it, which --save keeps. */
  checkpointText: string;
  checkpoint: Checkpoint | undefined;
}

/**
 * Step 1: the published key, and the checkpoint it signs. A key the owner copied from elsewhere
 * (--key) must be the published one; a difference is reported, and the run goes on so that
 * the owner sees everything else too.
 */
export async function checkCheckpoint(api: Server, communityId: string, keyGiven: string | undefined): Promise<SignedCheckpoint> {
  const c = `/v1/communities/${encodeURIComponent(communityId)}`;
  const keyText = (await api.text('/v1/transparency/key')).trim();
  let key: VerifierKey;
  try {
    key = parseVerifierKey(keyText);
  } catch (error) {
    throw new CannotCheck(`服务器公布的公证公钥读不懂：${(error as Error).message}`);
  }
  if (keyGiven !== undefined && keyGiven.trim() !== keyText) {
    report(false, `公证公钥 (verifier key)：服务器公布的是 ${keyText}，与您给的 ${keyGiven.trim()} 不同`);
  }
  const origin = `${key.name}/${communityId}`;
  const checkpointText = await api.text(`${c}/ledger/checkpoint`);
  const checkpoint = await step(
    (cp) => `公证 (checkpoint)：签名经公钥 ${key.name} 验证属实，来源 (origin) ${origin}，共 ${cp.size} 条，根哈希 ${toBase64(cp.root)}`,
    '公证 (checkpoint)',
    () => trustCheckpoint(checkpointText, key, origin, '服务器的公证'),
  );
  return { key, origin, checkpointText, checkpoint };
}

// ---------------------------------------------------------------------------------------------
// Steps 4 to 6: the tree, the saved checkpoint and the entries asked for.
// ---------------------------------------------------------------------------------------------

/**
 * Steps 4 to 6, everything the signed checkpoint vouches for: the tree over the downloaded
 * leaves has its root, it extends the checkpoint saved last time, and the entries asked for
 * are under it.
 */
export async function checkSigned(
  api: Server,
  communityId: string,
  checkpoint: Checkpoint,
  books: Books,
  options: { saved: string | undefined; savedName: string | undefined; entries: number[]; key: VerifierKey; origin: string },
): Promise<void> {
  const c = `/v1/communities/${encodeURIComponent(communityId)}`;
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
