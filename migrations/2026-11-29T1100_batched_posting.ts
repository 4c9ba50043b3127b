import { sql, type Kysely } from 'kysely';
import { defineWriters } from './2026-11-26T1700_feed_details.js';
import { recordIncomesFunction } from './2026-11-27T1100_income_roles_in_code.js';

/**
 * Posting a whole batch set-based (issue 16). `ledger_post` did one entry with about ten
 * statements, and a batch of incomes called it once per item: at 32 waiting requests that was
 * some 300 statements under the community's locks, and the statements, not the commit, were
 * the API's ceiling (pg_stat_statements: 0.6 ms of the batch per income).
 *
 * `ledger_post_many` takes the entries of a batch in order and writes them with one statement
 * per table: one insert of the entries, one of the postings, one of the feed items, one
 * update per touched account and per account-month, and one move of the head. Only the hash
 * chain is sequential, by nature: a loop of plain expressions, no statements.
 *
 * It keeps every rule `ledger_post` kept, in the same words:
 * - the head, then the accounts by code, are locked first (the one lock order);
 *   an unknown community or account is P0002;
 * - a floor account (the fund, 1001) never falls below what it reserves at ANY entry of the
 *   batch, not only at its end: the running balance is checked entry by entry and a breach
 *   raises check_violation on constraint `available_not_negative`, as the row check would;
 * - amounts are stored with two decimals, lines numbered in the order given;
 * - the canonical text and hash are byte for byte those of ledger_post (ledger.hash.ts
 *   rebuilds them), with one recorded time for the batch;
 * - it runs with `xinyi.posting = on`, the flag the writer guards demand.
 *
 * `ledger_post` becomes the batch of one, so every posting, single or batched, goes through
 * the same code; `ledger_record_incomes` posts its batch with one call and inserts the
 * incomes with one statement.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await postManyFunction('CREATE').execute(db);
  await sql`
    -- The batch of one: the same code for every posting.
    CREATE OR REPLACE FUNCTION ledger_post(
      p_community text, p_entry_id text, p_kind text, p_memo text,
      p_source_type text, p_source_id text, p_occurred_at timestamptz,
      p_reverses_seq bigint, p_postings jsonb, p_feed jsonb,
      OUT seq bigint, OUT hash text, OUT recorded_at timestamptz, OUT feed_seq bigint
    ) LANGUAGE sql AS $$
      SELECT p.seq, p.hash, p.recorded_at, p.feed_seq
        FROM ledger_post_many(p_community, jsonb_build_array(jsonb_build_object(
               'entryId', p_entry_id, 'kind', p_kind, 'memo', p_memo, 'sourceType', p_source_type,
               'sourceId', p_source_id, 'occurredAt', p_occurred_at, 'reversesSeq', p_reverses_seq,
               'postings', p_postings, 'feed', p_feed))) p
    $$;

  `.execute(db);
  await recordIncomesBatchFunction().execute(db);
}

/** Back to one ledger_post per entry: the definitions of 2026-11-26T1700 and 2026-11-27T1100 apply again. */
export async function down(db: Kysely<any>): Promise<void> {
  await defineWriters(db, true);
  await sql`ALTER FUNCTION ledger_post SET xinyi.posting = 'on'`.execute(db);
  await recordIncomesFunction(sql``).execute(db);
  await sql`DROP FUNCTION ledger_post_many(text, jsonb)`.execute(db);
}

/**
 * `ledger_post_many` as this migration defines it (`CREATE`, or `CREATE OR REPLACE` for a
 * later migration's `down` that puts it back).
 */
export function postManyFunction(verb: 'CREATE' | 'CREATE OR REPLACE') {
  return sql`
    /*
     * p_items: [{"entryId", "kind", "memo", "sourceType", "sourceId", "occurredAt",
     *            "reversesSeq", "postings": [{"account", "debit", "credit"}...], "feed"}...]
     * Returns one row per item, in order: its position (1-based), seq, hash, recorded time
     * and feed seq (null when it has no feed item).
     */
    ${sql.raw(verb)} FUNCTION ledger_post_many(p_community text, p_items jsonb)
    RETURNS TABLE (ord integer, seq bigint, hash text, recorded_at timestamptz, feed_seq bigint)
    LANGUAGE plpgsql SET xinyi.posting = 'on' AS $$
    #variable_conflict use_column
    DECLARE
      head community_heads%ROWTYPE;
      tz text;
      recorded timestamptz := date_trunc('milliseconds', clock_timestamp());
      n integer;
      e_id text[]; e_kind text[]; e_memo text[]; e_stype text[]; e_sid text[];
      e_occurred timestamptz[]; e_reverses bigint[]; e_feed jsonb[]; e_feed_at bigint[];
      e_head text[]; e_tail text[]; e_prev text[]; e_hash text[];
      l_ord integer[]; l_line smallint[]; l_account text[]; l_debit numeric[]; l_credit numeric[];
      h text;
      i integer;
      wanted integer;
      locked integer;
      feeds bigint;
    BEGIN
      SELECT * INTO head FROM community_heads hd WHERE hd.community_id = p_community FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      SELECT c.timezone INTO tz FROM communities c WHERE c.id = p_community;

      -- The lines, normalised once: two-decimal amounts, numbered per entry in the order given.
      SELECT array_agg(x.ord ORDER BY x.ord, l.n), array_agg(l.n ORDER BY x.ord, l.n),
             array_agg(l.account ORDER BY x.ord, l.n),
             array_agg(round(coalesce(l.debit, 0), 2)::numeric(20, 2) ORDER BY x.ord, l.n),
             array_agg(round(coalesce(l.credit, 0), 2)::numeric(20, 2) ORDER BY x.ord, l.n)
        INTO l_ord, l_line, l_account, l_debit, l_credit
        FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord),
             ROWS FROM (jsonb_to_recordset(x.item -> 'postings') AS (account text, debit numeric, credit numeric))
               WITH ORDINALITY l(account, debit, credit, n);

      -- The entries: every field of the canonical text but the previous hash, which the chain
      -- below supplies ("head" before it, "tail" the postings after it).
      SELECT count(*), array_agg(x.item ->> 'entryId' ORDER BY x.ord), array_agg(x.item ->> 'kind' ORDER BY x.ord),
             array_agg(coalesce(x.item ->> 'memo', '') ORDER BY x.ord),
             array_agg(x.item ->> 'sourceType' ORDER BY x.ord), array_agg(x.item ->> 'sourceId' ORDER BY x.ord),
             array_agg(x.occurred ORDER BY x.ord), array_agg(x.reverses ORDER BY x.ord),
             array_agg(x.feed ORDER BY x.ord),
             array_agg(CASE WHEN x.feed IS NULL THEN NULL ELSE x.feeds_so_far END ORDER BY x.ord),
             array_agg('xinyi-ledger/v1;'
               || ledger_field(p_community) || ledger_field((head.entry_seq + x.ord)::text)
               || ledger_field(x.item ->> 'entryId') || ledger_field(x.item ->> 'kind')
               || ledger_field(coalesce(x.item ->> 'memo', ''))
               || ledger_field(x.item ->> 'sourceType') || ledger_field(x.item ->> 'sourceId')
               || ledger_field(ledger_time(x.occurred)) || ledger_field(ledger_time(recorded))
               || ledger_field(x.reverses::text) ORDER BY x.ord),
             array_agg((SELECT coalesce(string_agg(ledger_field(l_account[k]) || ledger_field(l_debit[k]::text)
                                                   || ledger_field(l_credit[k]::text), '' ORDER BY k), '')
                          FROM generate_subscripts(l_ord, 1) k WHERE l_ord[k] = x.ord) ORDER BY x.ord)
        INTO n, e_id, e_kind, e_memo, e_stype, e_sid, e_occurred, e_reverses, e_feed, e_feed_at, e_head, e_tail
        FROM (SELECT y.item, y.ord::integer AS ord,
                     date_trunc('milliseconds', (y.item ->> 'occurredAt')::timestamptz) AS occurred,
                     (y.item ->> 'reversesSeq')::bigint AS reverses,
                     nullif(y.item -> 'feed', 'null'::jsonb) AS feed,
                     count(nullif(y.item -> 'feed', 'null'::jsonb)) OVER (ORDER BY y.ord) AS feeds_so_far
                FROM jsonb_array_elements(p_items) WITH ORDINALITY y(item, ord)) x;
      IF n = 0 THEN
        RETURN;
      END IF;

      -- Lock the accounts in code order, the one order every writer uses.
      SELECT count(DISTINCT a) INTO wanted FROM unnest(l_account) a;
      SELECT count(*) INTO locked FROM (
        SELECT a.code FROM accounts a
         WHERE a.community_id = p_community AND a.code = ANY (l_account)
         ORDER BY a.code FOR UPDATE
      ) held;
      IF locked IS DISTINCT FROM wanted THEN
        RAISE EXCEPTION 'unknown account in entry for community %', p_community USING ERRCODE = 'no_data_found';
      END IF;

      -- A floor account keeps its floor after every entry, not only after the last: one
      -- update of the balance would otherwise let an income later in the batch cover a payout
      -- earlier in it. (A single entry is left to the row check of the update itself.)
      IF n > 1 AND EXISTS (
        SELECT 1
          FROM (SELECT d.account, sum(d.delta) OVER (PARTITION BY d.account ORDER BY d.ord) AS run
                  FROM (SELECT u.account, u.ord, sum(u.debit - u.credit) AS delta
                          FROM unnest(l_ord, l_account, l_debit, l_credit) u(ord, account, debit, credit)
                         GROUP BY 1, 2) d) r
          JOIN accounts a ON a.community_id = p_community AND a.code = r.account
         WHERE a.has_floor AND a.balance + r.run - a.reserved < 0
      ) THEN
        RAISE EXCEPTION 'the fund of community % would fall below what it reserves', p_community
          USING ERRCODE = 'check_violation', CONSTRAINT = 'available_not_negative';
      END IF;

      -- The chain: each entry's hash covers the one before it.
      h := head.entry_hash;
      FOR i IN 1 .. n LOOP
        e_prev[i] := h;
        h := encode(sha256(convert_to(e_head[i] || ledger_field(h) || e_tail[i], 'UTF8')), 'hex');
        e_hash[i] := h;
      END LOOP;

      INSERT INTO entries (community_id, seq, id, kind, memo, source_type, source_id, occurred_at,
                           recorded_at, reverses_seq, prev_hash, hash)
      SELECT p_community, head.entry_seq + u.ord, u.id, u.kind, u.memo, u.stype, u.sid, u.occurred,
             recorded, u.reverses, u.prev, u.hash
        FROM unnest(e_id, e_kind, e_memo, e_stype, e_sid, e_occurred, e_reverses, e_prev, e_hash)
               WITH ORDINALITY u(id, kind, memo, stype, sid, occurred, reverses, prev, hash, ord);

      INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
      SELECT p_community, head.entry_seq + u.ord, u.line, u.account, u.debit, u.credit
        FROM unnest(l_ord, l_line, l_account, l_debit, l_credit) u(ord, line, account, debit, credit);

      UPDATE accounts a SET balance = a.balance + d.delta
        FROM (SELECT u.account, sum(u.debit - u.credit) AS delta
                FROM unnest(l_account, l_debit, l_credit) u(account, debit, credit) GROUP BY 1) d
       WHERE a.community_id = p_community AND a.code = d.account;

      INSERT INTO account_months AS m (community_id, account_code, month, debit, credit)
      SELECT p_community, u.account, date_trunc('month', e_occurred[u.ord] AT TIME ZONE tz)::date,
             sum(u.debit), sum(u.credit)
        FROM unnest(l_ord, l_account, l_debit, l_credit) u(ord, account, debit, credit)
       GROUP BY 2, 3
      ON CONFLICT (community_id, account_code, month)
      DO UPDATE SET debit = m.debit + EXCLUDED.debit, credit = m.credit + EXCLUDED.credit;

      INSERT INTO feed_items (community_id, seq, type, at, amount, account, summary, ref, actor_id, details)
      SELECT p_community, head.feed_seq + u.at, u.feed ->> 'type', recorded, (u.feed ->> 'amount')::numeric,
             u.feed ->> 'account', u.feed ->> 'summary', u.feed ->> 'ref', u.feed ->> 'actorId',
             coalesce(u.feed -> 'details', '{}'::jsonb)
        FROM unnest(e_feed, e_feed_at) u(feed, at)
       WHERE u.feed IS NOT NULL;
      feeds := coalesce((SELECT max(a) FROM unnest(e_feed_at) a), 0);

      UPDATE community_heads hd
         SET entry_seq = head.entry_seq + n, entry_hash = h, feed_seq = head.feed_seq + feeds
       WHERE hd.community_id = p_community;

      RETURN QUERY
        SELECT u.ord::integer, head.entry_seq + u.ord, u.hash, recorded, head.feed_seq + u.at
          FROM unnest(e_hash, e_feed_at) WITH ORDINALITY u(hash, at, ord);
    END $$;
  `;
}

/** `ledger_record_incomes` as this migration defines it (a later migration's `down` puts it back). */
export function recordIncomesBatchFunction() {
  return sql`
    -- A batch of incomes: their entries in one call, the incomes in one statement.
    CREATE OR REPLACE FUNCTION ledger_record_incomes(p_community text, p_items jsonb)
    RETURNS TABLE (income_id text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    BEGIN
      RETURN QUERY
        WITH items AS (
          SELECT x.item, x.ord::integer AS ord FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord)
        ), posted AS (
          SELECT * FROM ledger_post_many(p_community, (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'entryId', i.item ->> 'entryId', 'kind', 'income', 'memo', i.item ->> 'memo',
                     'sourceType', 'income', 'sourceId', i.item ->> 'id', 'occurredAt', i.item ->> 'receivedAt',
                     'reversesSeq', NULL, 'postings', i.item -> 'postings', 'feed', i.item -> 'feed') ORDER BY i.ord), '[]'::jsonb)
              FROM items i))
        ), recorded AS (
          INSERT INTO incomes (community_id, id, entry_seq, category, amount, payer, received_at, reference, memo, recorded_by)
          SELECT p_community, i.item ->> 'id', p.seq, i.item ->> 'category', (i.item ->> 'amount')::numeric,
                 i.item ->> 'payer', (i.item ->> 'receivedAt')::timestamptz, i.item ->> 'reference',
                 i.item ->> 'incomeMemo', i.item ->> 'recordedBy'
            FROM items i JOIN posted p ON p.ord = i.ord
          RETURNING id
        )
        SELECT i.item ->> 'id', p.seq, p.hash, p.recorded_at
          FROM items i JOIN posted p ON p.ord = i.ord
         ORDER BY i.ord;
    END $$;
  `;
}
