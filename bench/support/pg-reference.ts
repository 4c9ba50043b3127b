import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { entryHash } from '../../src/modules/ledger/ledger.hash.js';

export interface ReferenceResult {
  committed: number;
  failed: number;
  firstError: string | null;
  seconds: number;
  /** Milliseconds of every committed transaction, BEGIN to COMMIT. */
  latencies: number[];
}

/**
 * The reference the issue compares against: one posting per transaction straight through
 * `pg`, done the plain way, as an interactive transaction of several round trips:
 *
 *   BEGIN
 *   SELECT ... FROM community_heads ... FOR UPDATE        -- head first: the ledger's lock order,
 *   SELECT ... FROM accounts ... ORDER BY code FOR UPDATE -- then the two accounts by code
 *   INSERT INTO entries (seq + 1, hash computed in Node, chained to the head)
 *   INSERT INTO postings (two rows)
 *   UPDATE accounts (both balances, one statement)
 *   UPDATE community_heads
 *   COMMIT                                                -- the deferred balance check runs here
 *
 * It leaves out what the API does besides (incomes row, feed item, monthly aggregates,
 * authentication, HTTP), so it is a generous reference: the API does more work per posting.
 * Each of `clients` workers holds one pooled connection and loops until the deadline; a
 * transaction already begun is always finished, so `committed` is exact.
 */
export async function runPgReference(options: {
  databaseUrl: string;
  communityId: string;
  amount: string;
  clients: number;
  seconds: number;
}): Promise<ReferenceResult> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.clients, application_name: 'xinyi-bench-reference' });
  pool.on('error', () => undefined);
  const latencies: number[] = [];
  let committed = 0;
  let failed = 0;
  let firstError: string | null = null;
  try {
    // Open every connection before the clock starts, as the API's pool would be warm.
    const warm = await Promise.all(Array.from({ length: options.clients }, () => pool.connect()));
    for (const client of warm) client.release();

    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    let last = started;
    const worker = async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await postOnce(client, options.communityId, options.amount);
            committed++;
            last = performance.now();
            latencies.push(last - t0);
          } catch (error) {
            failed++;
            firstError ??= (error as Error).message;
            await client.query('ROLLBACK').catch(() => undefined);
          }
        }
      } finally {
        client.release();
      }
    };
    await Promise.all(Array.from({ length: options.clients }, worker));

    return { committed, failed, firstError, seconds: (last - started) / 1000, latencies };
  } finally {
    await pool.end();
  }
}

const DEBIT = '1001';
const CREDIT = '4101';

async function postOnce(client: pg.PoolClient, communityId: string, amount: string): Promise<void> {
  // The database lets only ledger_post write the ledger (migration money_guards) unless the
  // transaction says it is a posting; the reference does, in the same round trip as BEGIN.
  await client.query("BEGIN; SET LOCAL xinyi.posting = 'on'");
  const head = await client.query<{ entry_seq: string; entry_hash: string }>(
    'SELECT entry_seq, entry_hash FROM community_heads WHERE community_id = $1 FOR UPDATE',
    [communityId],
  );
  const locked = await client.query(
    `SELECT code, balance FROM accounts WHERE community_id = $1 AND code IN ('1001', '4101') ORDER BY code FOR UPDATE`,
    [communityId],
  );
  if (head.rowCount !== 1 || locked.rowCount !== 2) throw new Error('reference community is missing its head or accounts');

  const seq = Number(head.rows[0]!.entry_seq) + 1;
  const prevHash = head.rows[0]!.entry_hash;
  const id = randomUUID();
  const now = new Date();
  const memo = 'parking income from Bench';
  const postings = [
    { account: DEBIT, debit: amount, credit: '0.00' },
    { account: CREDIT, debit: '0.00', credit: amount },
  ];
  const hash = entryHash({
    communityId,
    seq,
    id,
    kind: 'income',
    memo,
    sourceType: null,
    sourceId: null,
    occurredAt: now,
    recordedAt: now,
    reversesSeq: null,
    prevHash,
    postings,
  });

  await client.query(
    `INSERT INTO entries (community_id, seq, id, kind, memo, occurred_at, recorded_at, prev_hash, hash)
     VALUES ($1, $2, $3, 'income', $4, $5, $5, $6, $7)`,
    [communityId, seq, id, memo, now, prevHash, hash],
  );
  await client.query(
    `INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
     VALUES ($1, $2, 1, $3, $4, 0), ($1, $2, 2, $5, 0, $4)`,
    [communityId, seq, DEBIT, amount, CREDIT],
  );
  await client.query(
    `UPDATE accounts SET balance = balance + CASE code WHEN $2 THEN $4::numeric ELSE -$4::numeric END
      WHERE community_id = $1 AND code IN ($2, $3)`,
    [communityId, DEBIT, CREDIT, amount],
  );
  await client.query('UPDATE community_heads SET entry_seq = $2, entry_hash = $3 WHERE community_id = $1', [communityId, seq, hash]);
  await client.query('COMMIT');
}
