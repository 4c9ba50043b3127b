import { createHash } from 'node:crypto';

/**
 * The canonical serialization of an entry that its SHA-256 hash covers, rebuilt here
 * independently of the database function `ledger_post_each` that wrote it, so that
 * /ledger/verify is a real second opinion. Every field is length-prefixed (UTF-8 bytes).
 */
export interface HashableEntry {
  communityId: string;
  seq: number;
  id: string;
  kind: string;
  memo: string;
  sourceType: string | null;
  sourceId: string | null;
  occurredAt: Date;
  recordedAt: Date;
  reversesSeq: number | null;
  prevHash: string;
  postings: ReadonlyArray<{ account: string; debit: string; credit: string }>;
}

function field(value: string | null): string {
  const text = value ?? '';
  return `${Buffer.byteLength(text, 'utf8')}:${text};`;
}

export function canonicalEntry(entry: HashableEntry): string {
  return (
    'xinyi-ledger/v1;' +
    field(entry.communityId) +
    field(String(entry.seq)) +
    field(entry.id) +
    field(entry.kind) +
    field(entry.memo) +
    field(entry.sourceType) +
    field(entry.sourceId) +
    field(entry.occurredAt.toISOString()) +
    field(entry.recordedAt.toISOString()) +
    field(entry.reversesSeq === null ? null : String(entry.reversesSeq)) +
    field(entry.prevHash) +
    entry.postings.map((p) => field(p.account) + field(p.debit) + field(p.credit)).join('')
  );
}

export function entryHash(entry: HashableEntry): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}
