/**
 * RFC 6962 / RFC 9162 Merkle trees over byte arrays, with no dependency on Node so that the
 * web app and the verifier can run the very same functions. Every function that hashes takes
 * the hash function last; it defaults to the synchronous SHA-256 below, and the server passes
 * Node's faster one. Sizes and indexes are plain numbers: a community's ledger stays far below
 * 2^53 entries, and the functions assert that their arguments are safe whole numbers.
 *
 * Terms: a *leaf hash* is SHA-256(0x00 || leaf), a *node hash* SHA-256(0x01 || left || right),
 * MTH(D[a:b]) the hash of the tree over leaves a..b-1 (RFC 6962 §2.1). The *perfect subtree*
 * (level, index) covers leaves [index·2^level, (index+1)·2^level); once complete it never changes,
 * which is what lets the server store it and append to it.
 */
import { sha256 } from './sha256.js';

export type HashFn = (data: Uint8Array) => Uint8Array;

export const HASH_SIZE = 32;

/** A perfect subtree: 2^level leaves starting at leaf index·2^level. */
export interface NodeId {
  level: number;
  index: number;
}

function assertWhole(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number, got ${value}`);
}

/** The bytes of `parts`, one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function leafHash(leaf: Uint8Array, hash: HashFn = sha256): Uint8Array {
  return hash(concat(Uint8Array.of(0x00), leaf));
}

export function nodeHash(left: Uint8Array, right: Uint8Array, hash: HashFn = sha256): Uint8Array {
  return hash(concat(Uint8Array.of(0x01), left, right));
}

/** The root of a tree of size 0 is the hash of the empty string (RFC 9162 §2.1.1). */
export function emptyRoot(hash: HashFn = sha256): Uint8Array {
  return hash(new Uint8Array(0));
}

/** The largest power of two strictly below n (n ≥ 2), the split point k of RFC 6962. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over a list of leaf hashes, by the RFC's recursive definition: for tests and small trees. */
export function rootOf(leafHashes: readonly Uint8Array[], hash: HashFn = sha256): Uint8Array {
  const mth = (a: number, b: number): Uint8Array => {
    if (b - a === 1) return leafHashes[a]!;
    const k = splitPoint(b - a);
    return nodeHash(mth(a, a + k), mth(a + k, b), hash);
  };
  return leafHashes.length === 0 ? emptyRoot(hash) : mth(0, leafHashes.length);
}

// ---------------------------------------------------------------------------------------------
// Proofs as lists of ranges. A proof is a list of MTH(D[a:b]) values; which ranges, and in
// which order, depends only on the sizes. Computing the ranges first lets a store read every
// node the proof needs in one query, then fold them (see rangeNodes and rangeHash).

/** A half-open range of leaves [start, end). */
export interface LeafRange {
  start: number;
  end: number;
}

/** The ranges whose hashes form the inclusion proof of leaf `index` in a tree of `size` (RFC 6962 §2.1.1 PATH). */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertWhole(index, 'index');
  assertWhole(size, 'size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const out: LeafRange[] = [];
  // PATH(m, D[a:b]): recurse into the half holding m, then append the other half's hash.
  const path = (m: number, a: number, b: number): void => {
    if (b - a <= 1) return;
    const k = splitPoint(b - a);
    if (m < k) {
      path(m, a, a + k);
      out.push({ start: a + k, end: b });
    } else {
      path(m - k, a + k, b);
      out.push({ start: a, end: a + k });
    }
  };
  path(index, 0, size);
  return out;
}

/** The ranges whose hashes form the consistency proof from `from` to `to` (RFC 6962 §2.1.2 PROOF). */
export function consistencyRanges(from: number, to: number): LeafRange[] {
  assertWhole(from, 'from');
  assertWhole(to, 'to');
  if (from > to) throw new RangeError(`a tree of size ${from} cannot extend to size ${to}`);
  if (from === 0 || from === to) return [];
  const out: LeafRange[] = [];
  // SUBPROOF(m, D[a:b], whole): `whole` says D[a:a+m] is the old tree itself, whose root the
  // verifier already knows, so it is left out.
  const subproof = (m: number, a: number, b: number, whole: boolean): void => {
    if (m === b - a) {
      if (!whole) out.push({ start: a, end: b });
      return;
    }
    const k = splitPoint(b - a);
    if (m <= k) {
      subproof(m, a, a + k, whole);
      out.push({ start: a + k, end: b });
    } else {
      subproof(m - k, a + k, b, false);
      out.push({ start: a, end: a + k });
    }
  };
  subproof(from, 0, to, true);
  return out;
}

/**
 * The perfect subtrees that tile [start, end), left to right, largest first. For the ranges a
 * proof asks for (and for [0, size)), MTH of the range is the right fold of their hashes: see
 * rangeHash.
 */
export function rangeNodes(range: LeafRange): NodeId[] {
  assertWhole(range.start, 'start');
  assertWhole(range.end, 'end');
  if (range.start >= range.end) throw new RangeError(`empty range [${range.start}, ${range.end})`);
  const out: NodeId[] = [];
  let at = range.start;
  while (at < range.end) {
    let level = 0;
    // Grow while the subtree stays aligned at `at` and inside the range.
    while ((at / 2 ** (level + 1)) % 1 === 0 && at + 2 ** (level + 1) <= range.end) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

/** Folds the hashes of rangeNodes(range), in their order, into MTH of the range. */
export function rangeHash(nodeHashes: readonly Uint8Array[], hash: HashFn = sha256): Uint8Array {
  if (nodeHashes.length === 0) throw new RangeError('a range has at least one node');
  let acc = nodeHashes.at(-1)!;
  for (let i = nodeHashes.length - 2; i >= 0; i--) acc = nodeHash(nodeHashes[i]!, acc, hash);
  return acc;
}

/** The root of a tree of `size` given a way to read its perfect subtrees. */
export function rootFromNodes(size: number, read: (node: NodeId) => Uint8Array, hash: HashFn = sha256): Uint8Array {
  assertWhole(size, 'size');
  if (size === 0) return emptyRoot(hash);
  return rangeHash(rangeNodes({ start: 0, end: size }).map(read), hash);
}

/** A proof from a store of perfect subtrees: every node it needs, then the proof's hashes. */
export function proofFromNodes(ranges: readonly LeafRange[], read: (node: NodeId) => Uint8Array, hash: HashFn = sha256): Uint8Array[] {
  return ranges.map((r) => rangeHash(rangeNodes(r).map(read), hash));
}

/** Every perfect subtree a list of ranges touches, without repeats: what to read from a store. */
export function nodesOf(ranges: readonly LeafRange[]): NodeId[] {
  const seen = new Map<string, NodeId>();
  for (const r of ranges) for (const n of rangeNodes(r)) seen.set(`${n.level}/${n.index}`, n);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// Appending. The *frontier* of a tree of size n is rangeNodes([0, n)): at most log2(n)+1
// perfect subtrees. Appending a leaf needs only the frontier, and yields the perfect subtrees
// that the new leaf completes (the leaf itself at level 0 and every parent it closes).

export interface StoredNode extends NodeId {
  hash: Uint8Array;
}

/**
 * Appends leaf hashes to a tree of `size` whose frontier is given (left to right, as
 * rangeNodes([0, size)) orders it). Returns the new frontier and every newly completed node.
 */
export function appendLeaves(
  size: number,
  frontier: readonly StoredNode[],
  leafHashes: readonly Uint8Array[],
  hash: HashFn = sha256,
): { size: number; frontier: StoredNode[]; nodes: StoredNode[] } {
  assertWhole(size, 'size');
  const expected = size === 0 ? [] : rangeNodes({ start: 0, end: size });
  if (expected.length !== frontier.length || expected.some((n, i) => n.level !== frontier[i]!.level || n.index !== frontier[i]!.index)) {
    throw new RangeError(`the frontier does not match a tree of size ${size}`);
  }
  const stack = [...frontier];
  const nodes: StoredNode[] = [];
  let n = size;
  for (const leaf of leafHashes) {
    let node: StoredNode = { level: 0, index: n, hash: leaf };
    nodes.push(node);
    // A right child (odd index) completes its parent with the left sibling on top of the stack.
    while (node.index % 2 === 1) {
      const left = stack.pop()!;
      node = { level: node.level + 1, index: (node.index - 1) / 2, hash: nodeHash(left.hash, node.hash, hash) };
      nodes.push(node);
    }
    stack.push(node);
    n++;
  }
  return { size: n, frontier: stack, nodes };
}

// ---------------------------------------------------------------------------------------------
// Verification, step by step as RFC 9162 §2.1.3.2 and §2.1.4.2 write it.

/** Verifies that `leafHashValue` is leaf `index` of the tree of `size` with `root` (RFC 9162 §2.1.3.2). */
export function verifyInclusion(
  index: number,
  size: number,
  leafHashValue: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  hash: HashFn = sha256,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHashValue;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p, hash);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * Verifies that the tree of size `to` with root `toRoot` extends the tree of size `from` with
 * root `fromRoot` (RFC 9162 §2.1.4.2). The RFC's algorithm assumes 0 < from < to; the edges are
 * settled first: from = to holds with an empty proof and equal roots, from = 0 with an empty
 * proof (every tree extends the empty one).
 */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
  hash: HashFn = sha256,
): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && bytesEqual(fromRoot, toRoot);
  if (from === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr, hash);
      sr = nodeHash(c, sr, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c, hash);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, fromRoot) && bytesEqual(sr, toRoot);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
