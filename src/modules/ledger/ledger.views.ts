import type { Executor } from '../../db/database.js';
import { assert } from '../../shared/errors.js';
import { formatMoney, Money } from '../../shared/money.js';
import { isDebitNormal } from './ledger.chart.js';
import { canonicalEntry, type HashableEntry } from './ledger.hash.js';
import * as repo from './ledger.repository.js';
import type { Account, AccountType, Entry } from './ledger.schemas.js';

/** How accounts and entries are shown to clients. */
export function toAccount(row: { code: string; name: string; type: string; balance: string }): Account {
  const type = row.type as AccountType;
  const balance = new Money(row.balance);
  return { code: row.code, name: row.name, type, balance: formatMoney(isDebitNormal(type) ? balance : balance.neg()) };
}

export async function entryRow(db: Executor, communityId: string, seq: number) {
  const rows = await repo.entriesPage(db, communityId, seq - 1, 1);
  assert(rows[0]?.seq === seq, `entry ${seq} exists`);
  return rows[0];
}

type EntryRow = Awaited<ReturnType<typeof repo.entriesPage>>[number];

export async function withPostings(db: Executor, communityId: string, rows: EntryRow[]): Promise<Entry[]> {
  if (rows.length === 0) return [];
  // A page in seq order reads its range; one newest first, or filtered by date, may skip seqs.
  const seqs = rows.map((r) => r.seq);
  const [first, last] = [Math.min(...seqs), Math.max(...seqs)];
  const postings =
    last - first + 1 === rows.length ? await repo.postingsOf(db, communityId, first, last) : await repo.postingsOfSeqs(db, communityId, seqs);
  const bySeq = new Map<number, Entry['postings']>();
  for (const p of postings) {
    const list = bySeq.get(p.entry_seq) ?? [];
    list.push({ account: p.account_code, debit: formatMoney(p.debit), credit: formatMoney(p.credit) });
    bySeq.set(p.entry_seq, list);
  }
  return rows.map((r) => {
    const lines = bySeq.get(r.seq) ?? [];
    return {
      seq: r.seq,
      id: r.id,
      occurredAt: r.occurred_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      kind: r.kind,
      memo: r.memo,
      source: r.source_type && r.source_id ? { type: r.source_type, id: r.source_id } : null,
      reverses: r.reverses_id ?? null,
      postings: lines,
      prevHash: r.prev_hash,
      hash: r.hash,
      leaf: Buffer.from(canonicalEntry(leafFields(communityId, r, lines)), 'utf8').toString('base64'),
      // Seqs run 1, 2, 3… without gaps (ledger_post_each numbers them under the head lock).
      leafIndex: r.seq - 1,
    };
  });
}

/** The fields the entry's hash covers, for its leaf in the transparency log (ledger.hash.ts). */
function leafFields(communityId: string, r: EntryRow, postings: Entry['postings']): HashableEntry {
  return {
    communityId,
    seq: r.seq,
    id: r.id,
    kind: r.kind,
    memo: r.memo,
    sourceType: r.source_type,
    sourceId: r.source_id,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
    reversesSeq: r.reverses_seq,
    prevHash: r.prev_hash,
    postings,
  };
}
