import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { Database, Executor } from '../../db/database.js';
import { localDate } from '../../shared/time.js';
import type { AccountType } from './ledger.chart.js';
import { hledgerAccountName, journalAssertions, journalEntry, journalHeader } from './ledger.export.js';
import * as repo from './ledger.repository.js';
import { withPostings } from './ledger.views.js';

const CHUNK = 2_000;

/**
 * The hledger journal of a community, streamed from ONE read-only REPEATABLE READ snapshot:
 * the balances asserted at the end are the balances of exactly the entries written above
 * them, even while others keep posting. Chunks wait for the client to read (backpressure),
 * so a large ledger is never held in memory.
 */
export function journalStream(db: Database, community: { id: string; name: string; timezone: string }): Readable {
  const out = new PassThrough();
  void db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => {
      for await (const chunk of journalChunks(tx, community)) {
        if (out.destroyed) return;
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
      }
      out.end();
    })
    .catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}

async function* journalChunks(tx: Executor, community: { id: string; name: string; timezone: string }) {
  const accounts = (await repo.listAccounts(tx, community.id)).map((a) => ({ ...a, type: a.type as AccountType }));
  const names = new Map(accounts.map((a) => [a.code, hledgerAccountName(a)]));
  yield journalHeader(community, accounts);
  // The assertions are dated on or after every entry, or hledger would check them too early.
  let assertionDate = localDate(new Date(), community.timezone);
  for (let after = 0; ; ) {
    const rows = await repo.entriesPage(tx, community.id, after, CHUNK);
    if (rows.length === 0) break;
    let chunk = '';
    for (const entry of await withPostings(tx, community.id, rows)) {
      const date = localDate(new Date(entry.occurredAt), community.timezone);
      if (date > assertionDate) assertionDate = date;
      chunk += journalEntry({ ...entry, date }, names);
    }
    yield chunk;
    after = rows.at(-1)!.seq;
  }
  yield journalAssertions(assertionDate, accounts);
}
