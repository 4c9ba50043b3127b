import { createHash, createPrivateKey, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendLeaves,
  consistencyRanges,
  emptyRoot,
  inclusionRanges,
  leafHash,
  nodeHash,
  nodesOf,
  proofFromNodes,
  rootFromNodes,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
  type StoredNode,
} from '../src/shared/merkle.js';
import { sha256 } from '../src/shared/sha256.js';
import {
  formatCheckpoint,
  formatSignedNote,
  formatVerifierKey,
  fromBase64,
  openCheckpoint,
  openSignedNote,
  parseCheckpoint,
  parseSignedNote,
  parseVerifierKey,
  signatureLine,
  toHex,
} from '../src/shared/signed-note.js';

/**
 * Known answers for the tree, the proofs and the signed notes, from the reference
 * implementations (transparency-dev/merkle's RFC 6962 vectors, which Certificate Transparency
 * has used since its first log; golang.org/x/mod/sumdb/note's example key and note), then a
 * property check of the stored-node construction against the RFC's recursive definitions.
 */

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const nodeSha = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [0, 1, []],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

/** A store of every perfect subtree of a tree, built by appending one batch after another. */
function storedTree(leafHashes: readonly Uint8Array[], batches: readonly number[]) {
  const store = new Map<string, Uint8Array>();
  let state = { size: 0, frontier: [] as StoredNode[] };
  let at = 0;
  for (const b of [...batches, leafHashes.length]) {
    const end = Math.min(leafHashes.length, at + b);
    const next = appendLeaves(state.size, state.frontier, leafHashes.slice(at, end), nodeSha);
    for (const n of next.nodes) store.set(`${n.level}/${n.index}`, n.hash);
    state = next;
    at = end;
  }
  const read = (n: NodeId) => {
    const hash = store.get(`${n.level}/${n.index}`);
    if (!hash) throw new Error(`node ${n.level}/${n.index} is not stored`);
    return hash;
  };
  return { store, read, size: state.size };
}

/** RFC 6962 §2.1.1 and §2.1.2 over the list itself: the reference the stored tree must match. */
function naiveInclusion(leaves: readonly Uint8Array[], m: number): Uint8Array[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k
    ? [...naiveInclusion(leaves.slice(0, k), m), rootOf(leaves.slice(k))]
    : [...naiveInclusion(leaves.slice(k), m - k), rootOf(leaves.slice(0, k))];
}
function naiveConsistency(leaves: readonly Uint8Array[], m: number, whole = true): Uint8Array[] {
  if (m === leaves.length) return whole ? [] : [rootOf(leaves)];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m <= k
    ? [...naiveConsistency(leaves.slice(0, k), m, whole), rootOf(leaves.slice(k))]
    : [...naiveConsistency(leaves.slice(k), m - k, false), rootOf(leaves.slice(0, k))];
}

describe('the Merkle tree against the RFC 6962 reference vectors', () => {
  const leafHashes = LEAVES.map((l) => leafHash(l));

  it('the pure SHA-256 agrees with node:crypto, across block boundaries', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(toHex(sha256(data))).toBe(toHex(nodeSha(data)));
    }
  });

  it('every root from size 0 to 8', () => {
    expect(toHex(emptyRoot())).toBe(ROOTS[0]);
    for (let n = 0; n <= 8; n++) {
      expect(toHex(rootOf(leafHashes.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
      expect(toHex(rootFromNodes(n, storedTree(leafHashes.slice(0, n), [3]).read)), `stored, size ${n}`).toBe(ROOTS[n]);
    }
  });

  it('leaf and node hashes carry their prefixes', () => {
    expect(toHex(leafHash(new Uint8Array()))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(toHex(nodeHash(leafHashes[0]!, leafHashes[1]!))).toBe(ROOTS[2]);
  });

  it('inclusion proofs are the reference ones, and verify; a changed index, size, leaf, root or proof does not', () => {
    const { read } = storedTree(leafHashes, [1, 2, 5]);
    for (const [index, size, expected] of INCLUSION) {
      const proof = proofFromNodes(inclusionRanges(index, size), read);
      expect(proof.map(toHex), `${index} in ${size}`).toEqual(expected);
      const root = hex(ROOTS[size]!);
      const leaf = leafHashes[index]!;
      expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);
      expect(verifyInclusion(index + 1, size, leaf, proof, root)).toBe(false);
      if (index > 0) expect(verifyInclusion(index - 1, size, leaf, proof, root)).toBe(false);
      expect(verifyInclusion(index, size * 2, leaf, proof, root)).toBe(false);
      expect(verifyInclusion(index, size, leafHashes[(index + 1) % 8]!, proof, root)).toBe(false);
      expect(verifyInclusion(index, size, leaf, proof, hex(ROOTS[0]!))).toBe(false);
      expect(verifyInclusion(index, size, leaf, [...proof, root], root)).toBe(false);
      expect(verifyInclusion(index, size, leaf, [root, ...proof], root)).toBe(false);
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.map((p) => p.slice());
        bad[i]![0]! ^= 8;
        expect(verifyInclusion(index, size, leaf, bad, root)).toBe(false);
      }
      if (proof.length > 0) expect(verifyInclusion(index, size, leaf, proof.slice(0, -1), root)).toBe(false);
    }
    expect(verifyInclusion(0, 0, leafHashes[0]!, [], hex(ROOTS[0]!))).toBe(false);
  });

  it('consistency proofs are the reference ones, and verify; changed sizes, roots or proofs do not', () => {
    const { read } = storedTree(leafHashes, [2, 2, 3]);
    for (const [from, to, expected] of CONSISTENCY) {
      const proof = proofFromNodes(consistencyRanges(from, to), read);
      expect(proof.map(toHex), `${from} to ${to}`).toEqual(expected);
      const r1 = hex(ROOTS[from]!);
      const r2 = hex(ROOTS[to]!);
      expect(verifyConsistency(from, to, r1, r2, proof)).toBe(true);
      if (proof.length === 0) continue;
      expect(verifyConsistency(from - 1, to, r1, r2, proof)).toBe(false);
      expect(verifyConsistency(from + 1, to, r1, r2, proof)).toBe(false);
      expect(verifyConsistency(from, to * 2, r1, r2, proof)).toBe(false);
      expect(verifyConsistency(from, to, r2, r1, proof)).toBe(false);
      expect(verifyConsistency(from, to, r1, r2, [])).toBe(false);
      expect(verifyConsistency(from, to, r1, r2, [...proof, r1])).toBe(false);
      expect(verifyConsistency(from, to, r1, r2, [proof[0]!, ...proof])).toBe(false);
      expect(verifyConsistency(from, to, r1, r2, proof.slice(0, -1))).toBe(false);
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.map((p) => p.slice());
        bad[i]![0]! ^= 16;
        expect(verifyConsistency(from, to, r1, r2, bad)).toBe(false);
      }
    }
    // The edges RFC 9162 leaves to the caller: every tree extends the empty one; a tree extends itself only.
    expect(verifyConsistency(0, 5, hex(ROOTS[0]!), hex(ROOTS[5]!), [])).toBe(true);
    expect(verifyConsistency(0, 0, hex(ROOTS[0]!), hex(ROOTS[0]!), [])).toBe(true);
    expect(verifyConsistency(3, 3, hex(ROOTS[3]!), hex(ROOTS[4]!), [])).toBe(false);
    expect(verifyConsistency(5, 3, hex(ROOTS[5]!), hex(ROOTS[3]!), [])).toBe(false);
    expect(verifyConsistency(1, 2, hex(ROOTS[1]!), hex(ROOTS[2]!), [])).toBe(false);
  });
});

describe('proofs from stored nodes equal the RFC definitions for any size', () => {
  it('inclusion and consistency, appended in random batches, for random sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        (size, batches, a, b) => {
          const leaves = Array.from({ length: size }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8, 7), nodeSha));
          const { read, size: stored } = storedTree(leaves, batches);
          expect(stored).toBe(size);
          const root = rootOf(leaves, nodeSha);
          expect(rootFromNodes(size, read, nodeSha)).toEqual(root);

          const index = a % size;
          const inclusion = proofFromNodes(inclusionRanges(index, size), read, nodeSha);
          expect(inclusion).toEqual(naiveInclusion(leaves, index));
          expect(verifyInclusion(index, size, leaves[index]!, inclusion, root, nodeSha)).toBe(true);

          const from = b % (size + 1);
          const consistency = proofFromNodes(consistencyRanges(from, size), read, nodeSha);
          expect(consistency).toEqual(from === 0 ? [] : naiveConsistency(leaves, from));
          expect(verifyConsistency(from, size, rootOf(leaves.slice(0, from), nodeSha), root, consistency, nodeSha)).toBe(true);
          // One read per distinct node: a proof touches O(log n) of them.
          expect(nodesOf(inclusionRanges(index, size)).length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 1)) + 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('signed notes and checkpoints against the Go reference (golang.org/x/mod/sumdb/note)', () => {
  const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  // The private key of the example, `PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>`.
  const SEED = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')!.slice(1);
  const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const SIGNATURE = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
  const NOTE = `${TEXT}\n${SIGNATURE}`;
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED]), format: 'der', type: 'pkcs8' });

  it('the verifier key parses, its key ID is recomputed, and it is written back byte for byte', () => {
    const key = parseVerifierKey(VKEY);
    expect(key.name).toBe('PeterNeumann');
    expect(toHex(key.keyId)).toBe('c74f20a3');
    expect(formatVerifierKey(key.name, key.publicKey)).toBe(VKEY);
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow();
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3+AhpRc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow();
    expect(() => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow();
  });

  it('signing the example text with node:crypto gives the published signature line (Ed25519 is deterministic)', () => {
    const key = parseVerifierKey(VKEY);
    const signature = new Uint8Array(sign(null, Buffer.from(TEXT, 'utf8'), privateKey));
    expect(formatSignedNote(TEXT, [signatureLine(key.name, key.keyId, signature)])).toBe(NOTE);
  });

  it('the note opens with its key; a changed text, a wrong signature, or no known key is refused', async () => {
    const key = parseVerifierKey(VKEY);
    expect(await openSignedNote(NOTE, [key])).toEqual({ text: TEXT, signedBy: ['PeterNeumann'] });
    await expect(openSignedNote(NOTE.replace('cryptography', 'cryptographY'), [key])).rejects.toThrow(/does not verify/);
    await expect(openSignedNote(NOTE, [])).rejects.toThrow(/no signature from a known key/);
    // An unknown signature beside the good one is ignored.
    const other = `${NOTE}\u2014 someone-else AAAAAAAAAAAAAAAA\n`;
    expect((await openSignedNote(other, [key])).text).toBe(TEXT);
    expect(() => parseSignedNote(TEXT)).toThrow();
    expect(() => parseSignedNote(`${TEXT}\n- PeterNeumann x08go/ZJkuBS9UG\n`)).toThrow();
  });

  it('a checkpoint is origin, size and base64 root on their own lines; it parses strictly and signs', async () => {
    const root = hex(ROOTS[8]!);
    const text = formatCheckpoint({ origin: 'xinyi-ledger.example/c1', size: 8, root });
    expect(text).toBe(`xinyi-ledger.example/c1\n8\n${Buffer.from(root).toString('base64')}\n`);
    expect(parseCheckpoint(text)).toEqual({ origin: 'xinyi-ledger.example/c1', size: 8, root });
    for (const bad of ['a\n08\nXcnaeacGWamtVZy3Ad7Zoqudgjqtr0lgz+Nw7/RgQyg=\n', 'a\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqtr0lgz+Nw7/RgQy=\n', 'a\n8\n', '\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqtr0lgz+Nw7/RgQyg=\n', 'a\n-1\nXcnaeacGWamtVZy3Ad7Zoqudgjqtr0lgz+Nw7/RgQyg=\n']) {
      expect(() => parseCheckpoint(bad), JSON.stringify(bad)).toThrow();
    }
    const key = parseVerifierKey(VKEY);
    const signature = new Uint8Array(sign(null, Buffer.from(text, 'utf8'), privateKey));
    const note = formatSignedNote(text, [signatureLine(key.name, key.keyId, signature)]);
    expect((await openCheckpoint(note, [key], { origin: 'xinyi-ledger.example/c1' })).size).toBe(8);
    await expect(openCheckpoint(note, [key], { origin: 'xinyi-ledger.example/c2' })).rejects.toThrow(/origin/);
    await expect(openCheckpoint(note.replace('\n8\n', '\n9\n'), [key])).rejects.toThrow(/does not verify/);
  });
});
