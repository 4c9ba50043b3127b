import { sql, type Kysely } from 'kysely';
import { postManyFunction, recordIncomesBatchFunction } from './2026-11-29T1100_batched_posting.js';

/**
 * Postings of many communities in one statement and one commit (issue 16, the city). Group
 * commit per community helps a busy community; across a city of quiet ones each request was a
 * batch of one, and paid for a round trip, a function call of some fifteen statements and a
 * commit of its own. A lane of the API now gathers the incomes of whichever communities are
 * waiting, and `ledger_post_each` writes the entries of all of them with one statement per
 * table, as `ledger_post_many` did for one community.
 *
 * `ledger_post_each` keeps every rule of `ledger_post_many`, per community:
 * - the heads of the communities, in code-unit (C) order of their ids, then their accounts
 *   in the same order and by code, are locked first. Any other writer takes one community's
 *   head before its accounts, so no order of waiting can close a cycle: two batches meet at
 *   their first common head, and a writer of one community never holds accounts a batch
 *   still waits for without holding that community's head;
 * - an unknown community or account is P0002;
 * - a floor account (the fund, 1001) never falls below what it reserves after ANY entry of
 *   its community in the batch, checked entry by entry (`available_not_negative`);
 * - amounts are stored with two decimals, lines numbered in the order given;
 * - the canonical text and hash are byte for byte ledger_post_many's (ledger.hash.ts rebuilds
 *   them), each community's chain continued from its own head, in the order its entries are
 *   given, with one recorded time for the batch;
 * - it runs with `xinyi.posting = on`, the flag the writer guards demand.
 *
 * Each row it writes belongs to one community and carries its id; nothing of one community
 * is read to write another's. Only the statement spans communities: on a database
 * distributed by community that is a multi-shard insert, not a query across communities.
 *
 * `ledger_post_many(community, items)` becomes `ledger_post_each` of items of one community,
 * and `ledger_record_incomes(community, items)` the one-community case of
 * `ledger_record_incomes_each`: every posting goes through the same code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    /*
     * p_items: [{"communityId", "entryId", "kind", "memo", "sourceType", "sourceId",
     *            "occurredAt", "reversesSeq", "postings": [{"account", "debit", "credit"}...],
     *            "feed"}...]
     * Returns one row per item, in order: its community, its position (1-based), seq, hash,
     * recorded time and feed seq (null when it has no feed item).
     */
    CREATE FUNCTION ledger_post_each(p_items jsonb)
    RETURNS TABLE (community_id text, ord integer, seq bigint, hash text, recorded_at timestamptz, feed_seq bigint)
    LANGUAGE plpgsql SET xinyi.posting = 'on' AS $$
    #variable_conflict use_column
    DECLARE
      -- When the batch is recorded: read once its heads are held, so that no entry of a chain
      -- is recorded before the one it follows.
      recorded timestamptz;
      -- The communities, in C order: their heads as locked, then how far each one moved.
      c_id text[]; c_seq bigint[]; c_feed bigint[]; c_tz text[];
      c_hash text[]; c_entries bigint[]; c_feeds bigint[];
      -- The entries, in the order given.
      n integer;
      e_comm text[]; e_c integer[]; e_seq bigint[]; e_id text[]; e_kind text[]; e_memo text[];
      e_stype text[]; e_sid text[]; e_occurred timestamptz[]; e_reverses bigint[];
      e_feed jsonb[]; e_feed_seq bigint[]; e_head text[]; e_tail text[]; e_prev text[]; e_hash text[];
      -- The lines, in the order given.
      l_ord integer[]; l_comm text[]; l_line smallint[]; l_account text[]; l_debit numeric[]; l_credit numeric[];
      i integer;
      k integer;
      wanted integer;
      locked integer;
      -- Floor accounts some line of the batch takes money from.
      lowered integer;
      short text;
    BEGIN
      IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_items) x(item) WHERE x.item ->> 'communityId' IS NULL) THEN
        RAISE EXCEPTION 'an entry names no community' USING ERRCODE = 'no_data_found';
      END IF;
      -- The ids first, as an array: a lookup by "= ANY" of an array is an index scan of the
      -- heads whatever their number, where "IN (subquery)" was planned as a scan of every
      -- community's head (0.4 ms at a thousand communities, and growing with the city).
      SELECT array_agg(DISTINCT x.item ->> 'communityId') INTO c_id FROM jsonb_array_elements(p_items) x(item);
      SELECT array_agg(hd.community_id ORDER BY hd.community_id COLLATE "C"),
             array_agg(hd.entry_seq ORDER BY hd.community_id COLLATE "C"),
             array_agg(hd.feed_seq ORDER BY hd.community_id COLLATE "C"),
             array_agg(hd.entry_hash ORDER BY hd.community_id COLLATE "C"),
             array_agg((SELECT c.timezone FROM communities c WHERE c.id = hd.community_id) ORDER BY hd.community_id COLLATE "C")
        INTO c_id, c_seq, c_feed, c_hash, c_tz
        FROM (SELECT h.community_id, h.entry_seq, h.feed_seq, h.entry_hash FROM community_heads h
               WHERE h.community_id = ANY (c_id)
               ORDER BY h.community_id COLLATE "C" FOR UPDATE) hd;
      SELECT count(DISTINCT x.item ->> 'communityId') INTO wanted FROM jsonb_array_elements(p_items) x(item);
      IF wanted = 0 THEN
        RETURN;
      END IF;
      IF coalesce(cardinality(c_id), 0) <> wanted THEN
        SELECT x.item ->> 'communityId' INTO short FROM jsonb_array_elements(p_items) x(item)
         WHERE NOT coalesce(x.item ->> 'communityId' = ANY (c_id), false) LIMIT 1;
        RAISE EXCEPTION 'no community %', short USING ERRCODE = 'no_data_found';
      END IF;
      recorded := date_trunc('milliseconds', clock_timestamp());
      c_entries := array_fill(0::bigint, ARRAY[wanted]);
      c_feeds := array_fill(0::bigint, ARRAY[wanted]);

      -- The lines, normalised once: two-decimal amounts, numbered per entry in the order given.
      SELECT array_agg(x.ord ORDER BY x.ord, l.n), array_agg(x.item ->> 'communityId' ORDER BY x.ord, l.n),
             array_agg(l.n ORDER BY x.ord, l.n), array_agg(l.account ORDER BY x.ord, l.n),
             array_agg(round(coalesce(l.debit, 0), 2)::numeric(20, 2) ORDER BY x.ord, l.n),
             array_agg(round(coalesce(l.credit, 0), 2)::numeric(20, 2) ORDER BY x.ord, l.n)
        INTO l_ord, l_comm, l_line, l_account, l_debit, l_credit
        FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord),
             ROWS FROM (jsonb_to_recordset(x.item -> 'postings') AS (account text, debit numeric, credit numeric))
               WITH ORDINALITY l(account, debit, credit, n);

      -- The entries: every field of the canonical text but the previous hash, which the chain
      -- below supplies ("head" before it, "tail" the postings after it). Seqs and feed seqs
      -- continue each community's own head.
      SELECT count(*), array_agg(x.comm ORDER BY x.ord), array_agg(hc.c::integer ORDER BY x.ord),
             array_agg(hc.seq + x.pos ORDER BY x.ord),
             array_agg(x.item ->> 'entryId' ORDER BY x.ord), array_agg(x.item ->> 'kind' ORDER BY x.ord),
             array_agg(coalesce(x.item ->> 'memo', '') ORDER BY x.ord),
             array_agg(x.item ->> 'sourceType' ORDER BY x.ord), array_agg(x.item ->> 'sourceId' ORDER BY x.ord),
             array_agg(x.occurred ORDER BY x.ord), array_agg(x.reverses ORDER BY x.ord),
             array_agg(x.feed ORDER BY x.ord),
             array_agg(CASE WHEN x.feed IS NULL THEN NULL ELSE hc.feed + x.feeds_so_far END ORDER BY x.ord),
             array_agg('xinyi-ledger/v1;'
               || ledger_field(x.comm) || ledger_field((hc.seq + x.pos)::text)
               || ledger_field(x.item ->> 'entryId') || ledger_field(x.item ->> 'kind')
               || ledger_field(coalesce(x.item ->> 'memo', ''))
               || ledger_field(x.item ->> 'sourceType') || ledger_field(x.item ->> 'sourceId')
               || ledger_field(ledger_time(x.occurred)) || ledger_field(ledger_time(recorded))
               || ledger_field(x.reverses::text) ORDER BY x.ord),
             array_agg((SELECT coalesce(string_agg(ledger_field(p.account)
                                                   || ledger_field(round(coalesce(p.debit, 0), 2)::numeric(20, 2)::text)
                                                   || ledger_field(round(coalesce(p.credit, 0), 2)::numeric(20, 2)::text), '' ORDER BY p.n), '')
                          FROM ROWS FROM (jsonb_to_recordset(x.item -> 'postings') AS (account text, debit numeric, credit numeric))
                                 WITH ORDINALITY p(account, debit, credit, n)) ORDER BY x.ord)
        INTO n, e_comm, e_c, e_seq, e_id, e_kind, e_memo, e_stype, e_sid, e_occurred, e_reverses, e_feed, e_feed_seq,
             e_head, e_tail
        FROM (SELECT y.item, y.ord::integer AS ord, y.item ->> 'communityId' AS comm,
                     row_number() OVER (PARTITION BY y.item ->> 'communityId' ORDER BY y.ord) AS pos,
                     date_trunc('milliseconds', (y.item ->> 'occurredAt')::timestamptz) AS occurred,
                     (y.item ->> 'reversesSeq')::bigint AS reverses,
                     nullif(y.item -> 'feed', 'null'::jsonb) AS feed,
                     count(nullif(y.item -> 'feed', 'null'::jsonb))
                       OVER (PARTITION BY y.item ->> 'communityId' ORDER BY y.ord) AS feeds_so_far
                FROM jsonb_array_elements(p_items) WITH ORDINALITY y(item, ord)) x
        JOIN unnest(c_id, c_seq, c_feed) WITH ORDINALITY hc(id, seq, feed, c) ON hc.id = x.comm;

      -- Lock the accounts, community by community in C order and by code: the one order.
      SELECT count(*) INTO wanted FROM (SELECT DISTINCT u.comm, u.account FROM unnest(l_comm, l_account) u(comm, account)) w;
      SELECT count(*), count(*) FILTER (WHERE held.has_floor AND held.lowered) INTO locked, lowered FROM (
        SELECT a.has_floor, w.lowered FROM accounts a
          JOIN (SELECT u.comm, u.account, bool_or(u.credit > u.debit) AS lowered
                  FROM unnest(l_comm, l_account, l_debit, l_credit) u(comm, account, debit, credit) GROUP BY 1, 2) w
            ON a.community_id = w.comm AND a.code = w.account
         ORDER BY a.community_id COLLATE "C", a.code FOR UPDATE OF a
      ) held;
      IF locked IS DISTINCT FROM wanted THEN
        RAISE EXCEPTION 'unknown account in entry for community %', e_comm[1] USING ERRCODE = 'no_data_found';
      END IF;

      -- A floor account keeps its floor after every entry of its community, not only after
      -- the last: one update of the balance would otherwise let an income later in the batch
      -- cover a payout earlier in it. (A lone entry is left to the row check of the update; and
      -- a batch that only adds to its floor accounts, as incomes do, cannot take one below the
      -- floor it starts above.)
      IF n > 1 AND lowered > 0 THEN
        SELECT r.comm INTO short
          FROM (SELECT d.comm, d.account,
                       sum(d.delta) OVER (PARTITION BY d.comm, d.account ORDER BY d.ord) AS run
                  FROM (SELECT u.comm, u.account, u.ord, sum(u.debit - u.credit) AS delta
                          FROM unnest(l_ord, l_comm, l_account, l_debit, l_credit) u(ord, comm, account, debit, credit)
                         GROUP BY 1, 2, 3) d) r
          JOIN accounts a ON a.community_id = r.comm AND a.code = r.account
         WHERE a.has_floor AND a.balance + r.run - a.reserved < 0
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'the fund of community % would fall below what it reserves', short
            USING ERRCODE = 'check_violation', CONSTRAINT = 'available_not_negative';
        END IF;
      END IF;

      -- The chains: each entry's hash covers the one before it in its own community.
      FOR i IN 1 .. n LOOP
        k := e_c[i];
        e_prev[i] := c_hash[k];
        c_hash[k] := encode(sha256(convert_to(e_head[i] || ledger_field(c_hash[k]) || e_tail[i], 'UTF8')), 'hex');
        e_hash[i] := c_hash[k];
        c_entries[k] := c_entries[k] + 1;
        IF e_feed[i] IS NOT NULL THEN
          c_feeds[k] := c_feeds[k] + 1;
        END IF;
      END LOOP;

      INSERT INTO entries (community_id, seq, id, kind, memo, source_type, source_id, occurred_at,
                           recorded_at, reverses_seq, prev_hash, hash)
      SELECT u.comm, u.seq, u.id, u.kind, u.memo, u.stype, u.sid, u.occurred, recorded, u.reverses, u.prev, u.hash
        FROM unnest(e_comm, e_seq, e_id, e_kind, e_memo, e_stype, e_sid, e_occurred, e_reverses, e_prev, e_hash)
               u(comm, seq, id, kind, memo, stype, sid, occurred, reverses, prev, hash);

      INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
      SELECT u.comm, e_seq[u.ord], u.line, u.account, u.debit, u.credit
        FROM unnest(l_ord, l_comm, l_line, l_account, l_debit, l_credit) u(ord, comm, line, account, debit, credit);

      UPDATE accounts a SET balance = a.balance + d.delta
        FROM (SELECT u.comm, u.account, sum(u.debit - u.credit) AS delta
                FROM unnest(l_comm, l_account, l_debit, l_credit) u(comm, account, debit, credit) GROUP BY 1, 2) d
       WHERE a.community_id = d.comm AND a.code = d.account;

      INSERT INTO account_months AS m (community_id, account_code, month, debit, credit)
      SELECT u.comm, u.account, date_trunc('month', e_occurred[u.ord] AT TIME ZONE c_tz[e_c[u.ord]])::date,
             sum(u.debit), sum(u.credit)
        FROM unnest(l_ord, l_comm, l_account, l_debit, l_credit) u(ord, comm, account, debit, credit)
       GROUP BY 1, 2, 3
      ON CONFLICT (community_id, account_code, month)
      DO UPDATE SET debit = m.debit + EXCLUDED.debit, credit = m.credit + EXCLUDED.credit;

      INSERT INTO feed_items (community_id, seq, type, at, amount, account, summary, ref, actor_id, details)
      SELECT u.comm, u.seq, u.feed ->> 'type', recorded, (u.feed ->> 'amount')::numeric,
             u.feed ->> 'account', u.feed ->> 'summary', u.feed ->> 'ref', u.feed ->> 'actorId',
             coalesce(u.feed -> 'details', '{}'::jsonb)
        FROM unnest(e_comm, e_feed, e_feed_seq) u(comm, feed, seq)
       WHERE u.feed IS NOT NULL;

      UPDATE community_heads hd
         SET entry_seq = u.seq + u.entries, entry_hash = u.hash, feed_seq = u.feed + u.feeds
        FROM unnest(c_id, c_seq, c_hash, c_entries, c_feed, c_feeds) u(id, seq, hash, entries, feed, feeds)
       WHERE hd.community_id = u.id;

      RETURN QUERY
        SELECT u.comm, u.ord::integer, u.seq, u.hash, recorded, u.feed_seq
          FROM unnest(e_comm, e_seq, e_hash, e_feed_seq) WITH ORDINALITY u(comm, seq, hash, feed_seq, ord);
    END $$;

    -- One community's batch: the same code.
    CREATE OR REPLACE FUNCTION ledger_post_many(p_community text, p_items jsonb)
    RETURNS TABLE (ord integer, seq bigint, hash text, recorded_at timestamptz, feed_seq bigint)
    LANGUAGE sql SET xinyi.posting = 'on' AS $$
      SELECT p.ord, p.seq, p.hash, p.recorded_at, p.feed_seq
        FROM ledger_post_each((SELECT coalesce(jsonb_agg(x.item || jsonb_build_object('communityId', p_community) ORDER BY x.ord), '[]'::jsonb)
                                 FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord))) p
    $$;

    /*
     * Incomes of any number of communities: their entries in one call, the incomes in one
     * statement. p_items: [{"communityId", "id", "entryId", "memo", "receivedAt", "postings",
     * "feed", "category", "amount", "payer", "reference", "incomeMemo", "recordedBy"}...]
     *
     * With p_skip_locked, the incomes of a community whose head another writer holds (a fee
     * payment, a billing run) are left out and not answered: the batch does not wait for one
     * busy community while holding the others, and the caller posts those apart. Returns one
     * row per income posted, with its position in p_items (1-based).
     */
    CREATE FUNCTION ledger_record_incomes_each(p_items jsonb, p_skip_locked boolean DEFAULT false)
    RETURNS TABLE (ord integer, community_id text, income_id text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      ready text[];
    BEGIN
      -- The heads first, in the one order, before the statement below opens the tables it
      -- writes: a writer waiting for a head with those open would hold up any ALTER or
      -- TRUNCATE queued on them, and every writer queued behind that. ledger_post_each takes
      -- the heads again, which costs nothing to the transaction holding them.
      SELECT array_agg(DISTINCT x.item ->> 'communityId') INTO ready FROM jsonb_array_elements(p_items) x(item);
      IF p_skip_locked THEN
        -- Only those free now, without waiting.
        SELECT array_agg(h.community_id) INTO ready
          FROM (SELECT hd.community_id FROM community_heads hd
                 WHERE hd.community_id = ANY (ready)
                 ORDER BY hd.community_id COLLATE "C" FOR UPDATE SKIP LOCKED) h;
      ELSE
        PERFORM 1 FROM community_heads hd WHERE hd.community_id = ANY (ready) ORDER BY hd.community_id COLLATE "C" FOR UPDATE;
      END IF;
      RETURN QUERY
        WITH items AS (
          SELECT x.item, x.ord::integer AS ord, row_number() OVER (ORDER BY x.ord)::integer AS pos
            FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord)
           WHERE NOT p_skip_locked OR x.item ->> 'communityId' = ANY (ready)
        ), posted AS (
          SELECT * FROM ledger_post_each((
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'communityId', i.item ->> 'communityId',
                     'entryId', i.item ->> 'entryId', 'kind', 'income', 'memo', i.item ->> 'memo',
                     'sourceType', 'income', 'sourceId', i.item ->> 'id', 'occurredAt', i.item ->> 'receivedAt',
                     'reversesSeq', NULL, 'postings', i.item -> 'postings', 'feed', i.item -> 'feed') ORDER BY i.pos), '[]'::jsonb)
              FROM items i))
        ), recorded AS (
          INSERT INTO incomes (community_id, id, entry_seq, category, amount, payer, received_at, reference, memo, recorded_by)
          SELECT p.community_id, i.item ->> 'id', p.seq, i.item ->> 'category', (i.item ->> 'amount')::numeric,
                 i.item ->> 'payer', (i.item ->> 'receivedAt')::timestamptz, i.item ->> 'reference',
                 i.item ->> 'incomeMemo', i.item ->> 'recordedBy'
            FROM items i JOIN posted p ON p.ord = i.pos
          RETURNING id
        )
        SELECT i.ord, p.community_id, i.item ->> 'id', p.seq, p.hash, p.recorded_at
          FROM items i JOIN posted p ON p.ord = i.pos
         ORDER BY i.ord;
    END $$;

    -- One community's incomes: the same code.
    CREATE OR REPLACE FUNCTION ledger_record_incomes(p_community text, p_items jsonb)
    RETURNS TABLE (income_id text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE sql AS $$
      SELECT r.income_id, r.entry_seq, r.entry_hash, r.entry_recorded_at
        FROM ledger_record_incomes_each((SELECT coalesce(jsonb_agg(x.item || jsonb_build_object('communityId', p_community) ORDER BY x.ord), '[]'::jsonb)
                                           FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord))) r
    $$;
  `.execute(db);
}

/** Back to the one-community functions of 2026-11-29T1100. */
export async function down(db: Kysely<any>): Promise<void> {
  await postManyFunction('CREATE OR REPLACE').execute(db);
  await recordIncomesBatchFunction().execute(db);
  await sql`DROP FUNCTION ledger_record_incomes_each(jsonb, boolean)`.execute(db);
  await sql`DROP FUNCTION ledger_post_each(jsonb)`.execute(db);
}
