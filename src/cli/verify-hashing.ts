/**
 * The hash xinyi-verify computes with. The shared Merkle functions (src/shared/merkle.ts) take
 * the hash as an argument; the verifier hands them Node's.
 */
import * as crypto from 'node:crypto';
import { rootOf } from '../shared/merkle.js';

/**
 * Node's SHA-256, much faster than the portable one the shared functions default to (a
 * million entries mean three million hashes): crypto.hash where this Node has it (20.12+).
 */
export const sha256: (data: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest();

/** The RFC 6962 root over these leaf hashes. */
export const treeRoot = (leafHashes: Uint8Array[]) => rootOf(leafHashes, sha256);
