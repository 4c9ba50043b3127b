import type { ColumnType } from 'kysely';
import type { CreatedAt } from '../../db/columns.js';

/**
 * The tables of the transparency module (migrations/2026-11-29T1000_transparency.ts): the
 * signing key, each community's tree head with its signed checkpoint, the tree's complete
 * perfect subtrees, and how far /ledger/verify last got. Only transparency.repository.ts
 * queries them; the ledger's entries reach this module through the ledger's service.
 */
export interface TransparencyTables {
  transparency_keys: TransparencyKeysTable;
  transparency_heads: TransparencyHeadsTable;
  transparency_nodes: TransparencyNodesTable;
  transparency_verified: TransparencyVerifiedTable;
}

/** One row (id 1): the Ed25519 key (its 32-byte seed and public key) and the host naming it. */
export interface TransparencyKeysTable {
  id: number;
  host: string;
  public_key: Buffer;
  private_key: Buffer;
  created_at: CreatedAt;
}

export interface TransparencyHeadsTable {
  community_id: string;
  size: number;
  root: Buffer;
  /** The hashes of rangeNodes([0, size)) (src/shared/merkle.ts), concatenated left to right. */
  frontier: Buffer;
  /** The signed note of exactly this size and root. */
  checkpoint: string;
  signed_at: Date;
}

/** A complete perfect subtree: leaves [idx·2^level, (idx+1)·2^level). */
export interface TransparencyNodesTable {
  community_id: string;
  level: number;
  idx: number;
  hash: Buffer;
}

export interface TransparencyVerifiedTable {
  community_id: string;
  seq: number;
  hash: string;
  sums: ColumnType<Record<string, string>, string, string>;
  verified_at: ColumnType<Date, Date | undefined, Date>;
}
