import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { entryHash } from '../../src/modules/ledger/ledger.hash.js';
import { Money } from '../../src/shared/money.js';

export interface ReferenceResult {
  /** Postings committed. */
  committed: number;
  failed: number;
  firstError: string | null;
  seconds: number;
  /** Milliseconds of every committed transaction, BEGIN to COMMIT (N postings each in (b)). */
  latencies: number[];
}

/**
 * The references the issue compares against, straight through `pg` on the same database.
 *
 * (a) `postingsPerTransaction: 1`: one posting per transaction, done the plain way, as an
 * interactive transaction of several round trips:
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
 * (b) `postingsPerTransaction: N > 1`: N postings share one transaction, the database's
 * batched limit. The head and the two accounts are locked once, in the same order; the N
 * entries (each chained to the previous one, hashes computed in Node as in (a)) go in as one
 * multi-row INSERT, their 2N postings as another, each balance moves once by the batch's sum
 * and the head once to the last entry; one COMMIT:
 *
 *   BEGIN; SELECT head FOR UPDATE; SELECT accounts FOR UPDATE
 *   INSERT entries (N rows); INSERT postings (2N rows); UPDATE accounts; UPDATE head
 *   COMMIT
 *
 * `batchShape: 'loop'` sends instead, per posting, the statements of (a) as one statement (a
 * data-modifying CTE, one round trip each): it shows what updating the same account row N
 * times in one transaction costs (each update walks the row's growing chain of versions).
 *
 * Both leave out what the API does besides (incomes row, feed item, monthly aggregates,
 * authentication, HTTP), so they are generous references: the API does more work per posting.
 * Each of `clients` workers holds one pooled connection and loops until the deadline; a
 * transaction already begun is always finished, so `committed` (postings) is exact.
 */
export async function runPgReference(options: {
  databaseUrl: string;
  communityId: string;
  amount: string;
  clients: number;
  seconds: number;
  /** Postings per transaction (default 1: reference (a)). */
  postingsPerTransaction?: number;
  /** How (b) writes its postings: set-based (default) or one statement per posting. */
  batchShape?: 'set' | 'loop';
}): Promise<ReferenceResult> {
  const perTransaction = options.postingsPerTransaction ?? 1;
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
            if (perTransaction === 1) await postOnce(client, options.communityId, options.amount);
            else if (options.batchShape === 'loop') await postLoop(client, options.communityId, options.amount, perTransaction);
            else await postSet(client, options.communityId, options.amount, perTransaction);
            committed += perTransaction;
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
  const begun = await beginPosting(client, communityId, amount);
  const { prevHash, memo, postings } = begun;
  const seq = begun.seq + 1;
  const id = randomUUID();
  const now = new Date();
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

const POST_ONE = `
  WITH e AS (
         INSERT INTO entries (community_id, seq, id, kind, memo, occurred_at, recorded_at, prev_hash, hash)
         VALUES ($1, $2, $3, 'income', $4, $5, $5, $6, $7)),
       p AS (
         INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
         VALUES ($1, $2, 1, '${DEBIT}', $8, 0), ($1, $2, 2, '${CREDIT}', 0, $8)),
       a AS (
         UPDATE accounts SET balance = balance + CASE code WHEN '${DEBIT}' THEN $8::numeric ELSE -$8::numeric END
          WHERE community_id = $1 AND code IN ('${DEBIT}', '${CREDIT}'))
  UPDATE community_heads SET entry_seq = $2, entry_hash = $7 WHERE community_id = $1`;

/**
 * What every reference does first, as ledger_post does: a transaction with the posting flag
 * (the database lets only ledger_post write the ledger, migration money_guards, unless the
 * transaction says it is a posting; said in the same round trip as BEGIN), the head and the
 * two accounts locked in the one order. Answers where the chain stands and the income's memo
 * and lines.
 */
async function beginPosting(client: pg.PoolClient, communityId: string, amount: string) {
  await client.query("BEGIN; SET LOCAL xinyi.posting = 'on'");
  const head = await client.query<{ entry_seq: string; entry_hash: string }>(
    'SELECT entry_seq, entry_hash FROM community_heads WHERE community_id = $1 FOR UPDATE',
    [communityId],
  );
  const locked = await client.query(
    `SELECT code FROM accounts WHERE community_id = $1 AND code IN ('${DEBIT}', '${CREDIT}') ORDER BY code FOR UPDATE`,
    [communityId],
  );
  if (head.rowCount !== 1 || locked.rowCount !== 2) throw new Error('reference community is missing its head or accounts');
  return {
    seq: Number(head.rows[0]!.entry_seq),
    prevHash: head.rows[0]!.entry_hash,
    memo: 'parking income from Bench',
    postings: [
      { account: DEBIT, debit: amount, credit: '0.00' },
      { account: CREDIT, debit: '0.00', credit: amount },
    ],
  };
}

async function postLoop(client: pg.PoolClient, communityId: string, amount: string, count: number): Promise<void> {
  const start = await beginPosting(client, communityId, amount);
  let { seq, prevHash } = start;
  const { memo, postings } = start;
  for (let i = 0; i < count; i++) {
    seq++;
    const id = randomUUID();
    const now = new Date();
    const hash = entryHash({ communityId, seq, id, kind: 'income', memo, sourceType: null, sourceId: null, occurredAt: now, recordedAt: now, reversesSeq: null, prevHash, postings });
    await client.query({ name: 'xinyi_bench_post_one', text: POST_ONE, values: [communityId, seq, id, memo, now, prevHash, hash, amount] });
    prevHash = hash;
  }
  await client.query('COMMIT');
}

/** (b), set-based: one statement per table for the whole batch. */
async function postSet(client: pg.PoolClient, communityId: string, amount: string, count: number): Promise<void> {
  const start = await beginPosting(client, communityId, amount);
  let { seq, prevHash } = start;
  const { memo, postings } = start;
  const seqs: number[] = [];
  const ids: string[] = [];
  const times: Date[] = [];
  const prevs: string[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    seq++;
    const id = randomUUID();
    const now = new Date();
    const hash = entryHash({ communityId, seq, id, kind: 'income', memo, sourceType: null, sourceId: null, occurredAt: now, recordedAt: now, reversesSeq: null, prevHash, postings });
    seqs.push(seq);
    ids.push(id);
    times.push(now);
    prevs.push(prevHash);
    hashes.push(hash);
    prevHash = hash;
  }
  await client.query({
    name: 'xinyi_bench_set_entries',
    text: `INSERT INTO entries (community_id, seq, id, kind, memo, occurred_at, recorded_at, prev_hash, hash)
           SELECT $1, s, i, 'income', $2, t, t, p, h FROM unnest($3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[]) AS u(s, i, t, p, h)`,
    values: [communityId, memo, seqs, ids, times, prevs, hashes],
  });
  await client.query({
    name: 'xinyi_bench_set_postings',
    text: `INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
           SELECT $1, s, l.line, l.code, CASE l.line WHEN 1 THEN $3::numeric ELSE 0 END, CASE l.line WHEN 2 THEN $3::numeric ELSE 0 END
             FROM unnest($2::bigint[]) AS s, (VALUES (1, '${DEBIT}'), (2, '${CREDIT}')) AS l(line, code)`,
    values: [communityId, seqs, amount],
  });
  await client.query({
    name: 'xinyi_bench_set_balances',
    text: `UPDATE accounts SET balance = balance + CASE code WHEN '${DEBIT}' THEN $2::numeric ELSE -$2::numeric END
            WHERE community_id = $1 AND code IN ('${DEBIT}', '${CREDIT}')`,
    values: [communityId, new Money(amount).times(count).toFixed(2)],
  });
  await client.query('UPDATE community_heads SET entry_seq = $2, entry_hash = $3 WHERE community_id = $1', [communityId, seq, prevHash]);
  await client.query('COMMIT');
}
