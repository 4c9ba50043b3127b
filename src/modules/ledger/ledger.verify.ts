import type { Database, Executor } from '../../db/database.js';
import { formatExact, formatMoney, Money } from '../../shared/money.js';
import { GENESIS_HASH } from './ledger.chart.js';
import { canonicalEntry, entryHash, type HashableEntry } from './ledger.hash.js';
import * as repo from './ledger.repository.js';
import type { Verification } from './ledger.schemas.js';

const CHUNK = 2_000;
const MAX_PROBLEMS = 50;

type EntryRow = Awaited<ReturnType<typeof repo.entriesPage>>[number];
type Line = { account: string; debit: string; credit: string };

/** How far a verification got: the last entry it checked, its hash, and every account's running sum. */
export interface VerifiedPrefix {
  seq: number;
  hash: string;
  /** Debits minus credits per account code over the entries up to `seq`, as exact decimals. */
  sums: Record<string, string>;
}

/** Where the last good verification is remembered between requests (the transparency module keeps it). */
export interface VerificationProgress {
  read(communityId: string): Promise<VerifiedPrefix | undefined>;
  save(communityId: string, prefix: VerifiedPrefix): Promise<void>;
}

export interface VerifyOptions {
  /** Re-check from the first entry even where an earlier verification got to. */
  full?: boolean;
  progress?: VerificationProgress;
}

/** The hashed fields of an entry row and its lines, as ledger.hash.ts takes them. */
function hashable(communityId: string, entry: EntryRow, postings: Line[]): HashableEntry {
  return {
    communityId,
    seq: entry.seq,
    id: entry.id,
    kind: entry.kind,
    memo: entry.memo,
    sourceType: entry.source_type,
    sourceId: entry.source_id,
    occurredAt: entry.occurred_at,
    recordedAt: entry.recorded_at,
    reversesSeq: entry.reverses_seq,
    prevHash: entry.prev_hash,
    postings,
  };
}

/** Reads the entries after `after` (a page of at most `limit`) with their lines, in seq order. */
async function entriesWithLines(db: Executor, communityId: string, after: number, limit: number) {
  const rows = await repo.entriesPage(db, communityId, after, limit);
  if (rows.length === 0) return [];
  const postings = await repo.postingsOf(db, communityId, rows[0]!.seq, rows.at(-1)!.seq);
  let cursor = 0;
  return rows.map((entry) => {
    const lines: Line[] = [];
    while (cursor < postings.length && postings[cursor]!.entry_seq === entry.seq) {
      const p = postings[cursor++]!;
      lines.push({ account: p.account_code, debit: formatMoney(p.debit), credit: formatMoney(p.credit) });
    }
    return { entry, lines };
  });
}

/**
 * The entries after `afterSeq`, at most `limit`, each with its canonical bytes (the text its
 * hash covers, rebuilt by ledger.hash.ts) and the hash stored with it: the leaves of the
 * community's transparency log. Read-only; the caller checks SHA-256(leaf) against `hash`.
 */
export async function leavesAfter(db: Executor, communityId: string, afterSeq: number, limit: number) {
  const page = await entriesWithLines(db, communityId, afterSeq, limit);
  return page.map(({ entry, lines }) => ({
    seq: entry.seq,
    hash: entry.hash,
    leaf: Buffer.from(canonicalEntry(hashable(communityId, entry, lines)), 'utf8'),
  }));
}

/**
 * Checks the books as of one snapshot, so postings committing meanwhile cannot confuse it;
 * from the last good verification the progress store remembers, unless `full`. A check that
 * finds nothing wrong is remembered for the next.
 */
export async function verifyBooks(db: Database, communityId: string, timezone: string, options: VerifyOptions = {}): Promise<Verification> {
  const { progress } = options;
  // Read before the snapshot is taken, so the snapshot holds every entry the prefix covers.
  const start = options.full || !progress ? undefined : await progress.read(communityId);
  const { verification, prefix } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((tx) => verifyLedger(tx, communityId, timezone, start));
  if (verification.ok && progress) await progress.save(communityId, prefix);
  return verification;
}

/**
 * Re-checks a community's books: every hash recomputed from the entry and its predecessor,
 * seqs gapless, every entry balanced with two or more lines, every stored balance equal to
 * the sum of its postings, the monthly aggregates equal to the postings, and the head row
 * pointing at the last entry. Given a verified prefix it re-reads only the entries after it
 * (whose stored hash must still be the one remembered), carrying the prefix's sums forward;
 * the balances, the monthly aggregates and the head are always checked whole.
 */
export async function verifyLedger(
  db: Executor,
  communityId: string,
  timezone: string,
  start?: VerifiedPrefix,
): Promise<{ verification: Verification; prefix: VerifiedPrefix }> {
  const problems: string[] = [];
  const note = (p: string) => problems.length < MAX_PROBLEMS && problems.push(p);
  const sums = new Map<string, Money>(Object.entries(start?.sums ?? {}).map(([code, sum]) => [code, new Money(sum)]));
  let prevHash = start?.hash ?? GENESIS_HASH;
  let count = start?.seq ?? 0;

  if (start && start.seq > 0) {
    const [last] = await repo.entriesPage(db, communityId, start.seq - 1, 1);
    if (last?.seq !== start.seq || last.hash !== start.hash) note(`entry ${start.seq} is no longer the entry verified before; verify with full=true`);
  }

  for (let after = count; ; ) {
    const page = await entriesWithLines(db, communityId, after, CHUNK);
    if (page.length === 0) break;
    for (const { entry, lines } of page) {
      for (const l of lines) sums.set(l.account, (sums.get(l.account) ?? new Money(0)).plus(l.debit).minus(l.credit));
      count++;
      if (entry.seq !== count) note(`entry seq ${entry.seq} found where ${count} was expected`);
      if (entry.prev_hash !== prevHash) note(`entry ${entry.seq} does not link to the hash of its predecessor`);
      if (entryHash(hashable(communityId, entry, lines)) !== entry.hash) note(`entry ${entry.seq} does not match its hash`);
      const debits = lines.reduce((s, l) => s.plus(l.debit), new Money(0));
      const credits = lines.reduce((s, l) => s.plus(l.credit), new Money(0));
      if (lines.length < 2 || !debits.eq(credits)) note(`entry ${entry.seq} does not balance`);
      prevHash = entry.hash;
    }
    after = page.at(-1)!.entry.seq;
  }

  for (const account of await repo.listAccounts(db, communityId)) {
    const expected = sums.get(account.code) ?? new Money(0);
    if (!expected.eq(account.balance)) note(`account ${account.code} holds ${account.balance} but its postings sum to ${formatMoney(expected)}`);
  }
  for (const m of await repo.monthlyMismatches(db, communityId, timezone)) {
    note(`the monthly total of account ${m.account_code} for ${m.month.slice(0, 7)} disagrees with its postings`);
  }
  const head = await repo.readFund(db, communityId);
  if (!head || head.entry_seq !== count || head.entry_hash !== prevHash) note('the ledger head does not point at the last entry');

  return {
    verification: { ok: problems.length === 0, entries: count, head: { seq: count, hash: prevHash }, problems },
    prefix: { seq: count, hash: prevHash, sums: Object.fromEntries([...sums].map(([code, sum]) => [code, formatExact(sum)])) },
  };
}
