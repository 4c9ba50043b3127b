import type { Executor } from '../../db/database.js';
import { Money } from '../../shared/money.js';
import { GENESIS_HASH } from './ledger.chart.js';
import { entryHash } from './ledger.hash.js';
import * as repo from './ledger.repository.js';
import type { Verification } from './ledger.schemas.js';

const CHUNK = 2_000;
const MAX_PROBLEMS = 50;

/**
 * Re-checks a community's books from scratch: every hash recomputed from the entry and its
 * predecessor, seqs gapless, every entry balanced with two or more lines, every stored
 * balance equal to the sum of its postings, the monthly aggregates equal to the postings,
 * and the head row pointing at the last entry.
 */
export async function verifyLedger(db: Executor, communityId: string, timezone: string): Promise<Verification> {
  const problems: string[] = [];
  const note = (p: string) => problems.length < MAX_PROBLEMS && problems.push(p);
  const sums = new Map<string, Money>();
  let prevHash = GENESIS_HASH;
  let count = 0;

  for (let after = 0; ; ) {
    const rows = await repo.entriesPage(db, communityId, after, CHUNK);
    if (rows.length === 0) break;
    const postings = await repo.postingsOf(db, communityId, rows[0]!.seq, rows.at(-1)!.seq);
    let cursor = 0;
    for (const entry of rows) {
      const lines: { account: string; debit: string; credit: string }[] = [];
      while (cursor < postings.length && postings[cursor]!.entry_seq === entry.seq) {
        const p = postings[cursor++]!;
        lines.push({ account: p.account_code, debit: new Money(p.debit).toFixed(2), credit: new Money(p.credit).toFixed(2) });
        sums.set(p.account_code, (sums.get(p.account_code) ?? new Money(0)).plus(p.debit).minus(p.credit));
      }
      count++;
      if (entry.seq !== count) note(`entry seq ${entry.seq} found where ${count} was expected`);
      if (entry.prev_hash !== prevHash) note(`entry ${entry.seq} does not link to the hash of its predecessor`);
      const recomputed = entryHash({
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
        postings: lines,
      });
      if (recomputed !== entry.hash) note(`entry ${entry.seq} does not match its hash`);
      const debits = lines.reduce((s, l) => s.plus(l.debit), new Money(0));
      const credits = lines.reduce((s, l) => s.plus(l.credit), new Money(0));
      if (lines.length < 2 || !debits.eq(credits)) note(`entry ${entry.seq} does not balance`);
      prevHash = entry.hash;
    }
    after = rows.at(-1)!.seq;
  }

  for (const account of await repo.listAccounts(db, communityId)) {
    const expected = sums.get(account.code) ?? new Money(0);
    if (!expected.eq(account.balance)) note(`account ${account.code} holds ${account.balance} but its postings sum to ${expected.toFixed(2)}`);
  }
  for (const m of await repo.monthlyMismatches(db, communityId, timezone)) {
    note(`the monthly total of account ${m.account_code} for ${m.month.slice(0, 7)} disagrees with its postings`);
  }
  const head = await repo.readFund(db, communityId);
  if (!head || head.entry_seq !== count || head.entry_hash !== prevHash) note('the ledger head does not point at the last entry');

  return { ok: problems.length === 0, entries: count, head: { seq: count, hash: prevHash }, problems };
}
