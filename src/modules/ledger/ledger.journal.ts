import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { Database, Executor, Tx } from '../../db/database.js';
import { localDate } from '../../shared/time.js';
import { hledgerAccountName, journalAssertions, journalEntry, journalHeader, journalPayees, transactionDescription, type ExportEntry } from './ledger.export.js';
import * as journalRepo from './ledger.journal.repository.js';
import * as repo from './ledger.repository.js';

const CHUNK = 2_000;

/**
 * Who was paid by each of the given spend requests, by request id: a payout's payee is the
 * spending module's to tell. Read in the export's own snapshot (`executor`).
 */
export type PayeesOf = (executor: Executor, communityId: string, requestIds: readonly string[]) => Promise<Map<string, string>>;

interface Community {
  id: string;
  name: string;
  timezone: string;
}

/**
 * The hledger journal of a community, streamed from ONE read-only REPEATABLE READ snapshot:
 * the balances asserted at the end are the balances of exactly the entries written above
 * them, even while others keep posting. Chunks wait for the client to read (backpressure),
 * so a large ledger is never held in memory.
 */
export function journalStream(db: Database, community: Community, payeesOf: PayeesOf): Readable {
  const out = new PassThrough();
  void db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => {
      for await (const chunk of journalChunks(tx, community, payeesOf)) {
        if (out.destroyed) return;
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
      }
      out.end();
    })
    .catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}

async function* journalChunks(tx: Tx, community: Community, payeesOf: PayeesOf) {
  const accounts = await repo.listAccounts(tx, community.id);
  const names = new Map(accounts.map((a) => [a.code, hledgerAccountName(a)]));
  const payees = new Set<string>();
  yield journalHeader(community, accounts);
  // The assertions are dated on or after every entry, or hledger would check them too early.
  let assertionDate = localDate(new Date(), community.timezone);
  await journalRepo.openExportCursor(tx, community.id, community.timezone);
  for (;;) {
    const rows = await journalRepo.fetchExportRows(tx, CHUNK);
    if (rows.length === 0) break;
    const requestIds = rows.flatMap((r) => (r.source_type === 'spend_request' && r.source_id !== null ? [r.source_id] : []));
    const [postings, paidTo] = await Promise.all([
      repo.postingsOfSeqs(tx, community.id, rows.map((r) => r.seq)),
      payeesOf(tx, community.id, requestIds),
    ]);
    const bySeq = new Map<number, typeof postings>();
    for (const p of postings) {
      const lines = bySeq.get(p.entry_seq);
      if (lines) lines.push(p);
      else bySeq.set(p.entry_seq, [p]);
    }
    let chunk = '';
    for (const row of rows) {
      if (row.date > assertionDate) assertionDate = row.date;
      const entry = exportEntry(row, bySeq.get(row.seq) ?? [], paidTo);
      payees.add(transactionDescription(entry).payee);
      chunk += journalEntry(entry, names);
    }
    yield chunk;
  }
  yield journalPayees(payees);
  yield journalAssertions(assertionDate, accounts);
}

/** An income is told by its payer and memo, a payout by its payee; other entries by kind and memo. */
function exportEntry(
  row: journalRepo.ExportRow,
  postings: ReadonlyArray<{ account_code: string; debit: string; credit: string }>,
  paidTo: ReadonlyMap<string, string>,
): ExportEntry {
  const base = { seq: row.seq, id: row.id, date: row.date, kind: row.kind, memo: row.memo, hash: row.hash };
  const lines = postings.map((p) => ({ account: p.account_code, debit: p.debit, credit: p.credit }));
  if (row.payer !== null) return { ...base, payee: row.payer, note: row.income_memo ?? `${row.category} income`, postings: lines };
  const payee = row.source_type === 'spend_request' && row.source_id !== null ? (paidTo.get(row.source_id) ?? null) : null;
  return { ...base, payee, note: null, postings: lines };
}
