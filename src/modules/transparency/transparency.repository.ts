import { sql, type Kysely, type Transaction } from 'kysely';
import type { NodeId, StoredNode } from '../../shared/merkle.js';
import type { TransparencyTables } from './transparency.tables.js';

type Db = Kysely<TransparencyTables> | Transaction<TransparencyTables>;
type TransparencyTx = Transaction<TransparencyTables>;

export interface KeyRow {
  host: string;
  public_key: Buffer;
  private_key: Buffer;
}

export function readKey(db: Db): Promise<KeyRow | undefined> {
  return db.selectFrom('transparency_keys').select(['host', 'public_key', 'private_key']).where('id', '=', 1).executeTakeFirst();
}

/** Keeps `key` unless a key is kept already (several processes may start at once); returns the kept one. */
export async function readOrInsertKey(db: Db, key: KeyRow): Promise<KeyRow> {
  await db
    .insertInto('transparency_keys')
    .values({ id: 1, ...key })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const kept = await readKey(db);
  if (!kept) throw new Error('the transparency key was not kept');
  return kept;
}

export interface HeadRow {
  community_id: string;
  size: number;
  root: Buffer;
  frontier: Buffer;
  checkpoint: string;
}

const HEAD_COLUMNS = ['community_id', 'size', 'root', 'frontier', 'checkpoint'] as const;

export function readHead(db: Db, communityId: string): Promise<HeadRow | undefined> {
  return db.selectFrom('transparency_heads').select(HEAD_COLUMNS).where('community_id', '=', communityId).executeTakeFirst();
}

/** Every community with a tree, and its size: what the periodic sweep looks at. */
export function listHeads(db: Db): Promise<Array<{ community_id: string; size: number }>> {
  return db.selectFrom('transparency_heads').select(['community_id', 'size']).orderBy('community_id').execute();
}

/** Creates the empty tree of a community with its signed checkpoint, unless it exists. */
export async function insertEmptyHead(db: Db, head: HeadRow): Promise<void> {
  await db
    .insertInto('transparency_heads')
    .values({ ...head, signed_at: new Date() })
    .onConflict((oc) => oc.column('community_id').doNothing())
    .execute();
}

/**
 * Locks the community's head for an append, or returns undefined when another appender (in
 * this process or another) holds it: that one is doing the work.
 */
export function lockHeadSkipLocked(tx: TransparencyTx, communityId: string): Promise<HeadRow | undefined> {
  return tx
    .selectFrom('transparency_heads')
    .select(HEAD_COLUMNS)
    .where('community_id', '=', communityId)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

/**
 * Locks the community's head for an append, waiting for an appender that holds it (a request
 * that wants what was committed before it); undefined if that takes longer than `timeoutMs`.
 */
export async function lockHeadWaiting(tx: TransparencyTx, communityId: string, timeoutMs: number): Promise<HeadRow | undefined> {
  await sql`SELECT set_config('lock_timeout', ${`${Math.round(timeoutMs)}ms`}, true)`.execute(tx);
  try {
    return await tx.selectFrom('transparency_heads').select(HEAD_COLUMNS).where('community_id', '=', communityId).forUpdate().executeTakeFirst();
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return undefined;
    throw error;
  }
}

/** Appends nodes in one statement; a node stored already is a broken invariant (the key refuses it). */
export async function insertNodes(tx: TransparencyTx, communityId: string, nodes: readonly StoredNode[]): Promise<void> {
  if (nodes.length === 0) return;
  await sql`
    INSERT INTO transparency_nodes (community_id, level, idx, hash)
    SELECT ${communityId}, n.level, n.idx, n.hash
      FROM unnest(${nodes.map((n) => n.level)}::smallint[], ${nodes.map((n) => n.index)}::bigint[], ${nodes.map((n) => Buffer.from(n.hash))}::bytea[])
        AS n (level, idx, hash)`.execute(tx);
}

export async function moveHead(tx: TransparencyTx, head: HeadRow): Promise<void> {
  await tx
    .updateTable('transparency_heads')
    .set({ size: head.size, root: head.root, frontier: head.frontier, checkpoint: head.checkpoint, signed_at: new Date() })
    .where('community_id', '=', head.community_id)
    .execute();
}

/** The stored hashes of the given nodes, keyed `level/index`; one query of primary-key probes. */
export async function readNodes(db: Db, communityId: string, nodes: readonly NodeId[]): Promise<Map<string, Buffer>> {
  if (nodes.length === 0) return new Map();
  const { rows } = await sql<{ level: number; idx: string; hash: Buffer }>`
    SELECT t.level, t.idx::text AS idx, t.hash
      FROM unnest(${nodes.map((n) => n.level)}::smallint[], ${nodes.map((n) => n.index)}::bigint[]) AS w (level, idx)
      JOIN transparency_nodes t ON t.community_id = ${communityId} AND t.level = w.level AND t.idx = w.idx`.execute(db);
  return new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
}

export interface VerifiedRow {
  seq: number;
  hash: string;
  sums: Record<string, string>;
}

export function readVerified(db: Db, communityId: string): Promise<VerifiedRow | undefined> {
  return db.selectFrom('transparency_verified').select(['seq', 'hash', 'sums']).where('community_id', '=', communityId).executeTakeFirst();
}

/** Remembers a verified prefix; a longer one already remembered (a concurrent check) is kept. */
export async function saveVerified(db: Db, communityId: string, row: VerifiedRow): Promise<void> {
  await db
    .insertInto('transparency_verified')
    .values({ community_id: communityId, seq: row.seq, hash: row.hash, sums: JSON.stringify(row.sums) })
    .onConflict((oc) =>
      oc.column('community_id').doUpdateSet((eb) => ({
        seq: eb.ref('excluded.seq'),
        hash: eb.ref('excluded.hash'),
        sums: eb.ref('excluded.sums'),
        verified_at: new Date(),
      })).whereRef('transparency_verified.seq', '<=', 'excluded.seq'),
    )
    .execute();
}
