import { sql, type Kysely } from 'kysely';

/**
 * Feed items a web app can render without parsing the summary: who did it (`actor_id`, whose
 * display name is read with the item) and the facts of each type (`details`: the payer, the
 * spend request's title, the income category, the building, a reason, a budget year...).
 * Items written before this migration have no actor and empty details.
 *
 * `ledger_post` and `feed_publish` are redefined to store both from the feed JSON they are
 * given (`actorId`, `details`); everything else they do is unchanged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE feed_items
      ADD COLUMN actor_id text,
      ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object');
  `.execute(db);
  await defineWriters(db, true);
}

export async function down(db: Kysely<any>): Promise<void> {
  await defineWriters(db, false);
  await sql`ALTER TABLE feed_items DROP COLUMN details, DROP COLUMN actor_id`.execute(db);
}

/** The feed item columns each writer fills, with or without the structured fields. */
function feedColumns(withDetails: boolean) {
  return withDetails
    ? {
        columns: sql.raw('community_id, seq, type, at, amount, account, summary, ref, actor_id, details'),
        extra: sql.raw(`, p_feed ->> 'actorId', coalesce(p_feed -> 'details', '{}'::jsonb)`),
      }
    : { columns: sql.raw('community_id, seq, type, at, amount, account, summary, ref'), extra: sql.raw('') };
}

export async function defineWriters(db: Kysely<any>, withDetails: boolean): Promise<void> {
  const { columns, extra } = feedColumns(withDetails);
  await sql`
    /*
     * Posts one balanced entry, and optionally one feed item, in one call. The caller's
     * transaction commits it. Raises
     *   P0002 (no_data_found)       when the community or an account does not exist,
     *   23514 (check_violation)     when the entry does not balance or the fund would fall
     *                               below what is reserved (constraint available_not_negative),
     *   23505 (unique_violation)    when the entry it reverses was reversed already.
     * p_postings: [{"account": "1001", "debit": "10.00", "credit": "0"}, ...]
     * p_feed:     null or {"type", "amount", "account", "summary", "ref", "actorId"?, "details"?}
     */
    CREATE OR REPLACE FUNCTION ledger_post(
      p_community text, p_entry_id text, p_kind text, p_memo text,
      p_source_type text, p_source_id text, p_occurred_at timestamptz,
      p_reverses_seq bigint, p_postings jsonb, p_feed jsonb,
      OUT seq bigint, OUT hash text, OUT recorded_at timestamptz, OUT feed_seq bigint
    ) LANGUAGE plpgsql AS $$
    DECLARE
      head community_heads%ROWTYPE;
      tz text;
      occurred timestamptz := date_trunc('milliseconds', p_occurred_at);
      recorded timestamptz := date_trunc('milliseconds', clock_timestamp());
      lines jsonb;
      wanted integer;
      locked integer;
      canonical text;
    BEGIN
      SELECT h.* INTO head FROM community_heads h WHERE h.community_id = p_community FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      SELECT c.timezone INTO tz FROM communities c WHERE c.id = p_community;

      -- Normalise the lines once: two-decimal text, line numbers in the given order.
      SELECT jsonb_agg(jsonb_build_object(
               'line', l.n, 'account', l.account,
               'debit', round(coalesce(l.debit, 0), 2)::numeric(20, 2)::text,
               'credit', round(coalesce(l.credit, 0), 2)::numeric(20, 2)::text) ORDER BY l.n)
        INTO lines
        FROM ROWS FROM (jsonb_to_recordset(p_postings) AS (account text, debit numeric, credit numeric))
             WITH ORDINALITY AS l(account, debit, credit, n);

      -- Lock the accounts in code order, the one order every writer uses.
      SELECT count(DISTINCT x ->> 'account') INTO wanted FROM jsonb_array_elements(lines) x;
      SELECT count(*) INTO locked FROM (
        SELECT a.code FROM accounts a
         WHERE a.community_id = p_community
           AND a.code IN (SELECT x ->> 'account' FROM jsonb_array_elements(lines) x)
         ORDER BY a.code FOR UPDATE
      ) held;
      IF locked <> wanted THEN
        RAISE EXCEPTION 'unknown account in entry for community %', p_community USING ERRCODE = 'no_data_found';
      END IF;

      seq := head.entry_seq + 1;
      canonical := 'xinyi-ledger/v1;'
        || ledger_field(p_community) || ledger_field(seq::text) || ledger_field(p_entry_id)
        || ledger_field(p_kind) || ledger_field(p_memo)
        || ledger_field(p_source_type) || ledger_field(p_source_id)
        || ledger_field(ledger_time(occurred)) || ledger_field(ledger_time(recorded))
        || ledger_field(p_reverses_seq::text) || ledger_field(head.entry_hash)
        || (SELECT string_agg(ledger_field(x ->> 'account') || ledger_field(x ->> 'debit') || ledger_field(x ->> 'credit'), ''
                              ORDER BY (x ->> 'line')::int)
              FROM jsonb_array_elements(lines) x);
      hash := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
      recorded_at := recorded;

      INSERT INTO entries (community_id, seq, id, kind, memo, source_type, source_id, occurred_at,
                           recorded_at, reverses_seq, prev_hash, hash)
      VALUES (p_community, seq, p_entry_id, p_kind, coalesce(p_memo, ''), p_source_type, p_source_id,
              occurred, recorded, p_reverses_seq, head.entry_hash, hash);

      INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
      SELECT p_community, seq, (x ->> 'line')::smallint, x ->> 'account',
             (x ->> 'debit')::numeric, (x ->> 'credit')::numeric
        FROM jsonb_array_elements(lines) x;

      UPDATE accounts a SET balance = a.balance + d.delta
        FROM (SELECT x ->> 'account' AS code, sum((x ->> 'debit')::numeric - (x ->> 'credit')::numeric) AS delta
                FROM jsonb_array_elements(lines) x GROUP BY 1) d
       WHERE a.community_id = p_community AND a.code = d.code;

      INSERT INTO account_months AS m (community_id, account_code, month, debit, credit)
      SELECT p_community, x ->> 'account', date_trunc('month', occurred AT TIME ZONE tz)::date,
             sum((x ->> 'debit')::numeric), sum((x ->> 'credit')::numeric)
        FROM jsonb_array_elements(lines) x GROUP BY 2
      ON CONFLICT (community_id, account_code, month)
      DO UPDATE SET debit = m.debit + EXCLUDED.debit, credit = m.credit + EXCLUDED.credit;

      feed_seq := NULL;
      IF p_feed IS NOT NULL THEN
        feed_seq := head.feed_seq + 1;
        INSERT INTO feed_items (${columns})
        VALUES (p_community, feed_seq, p_feed ->> 'type', recorded, (p_feed ->> 'amount')::numeric,
                p_feed ->> 'account', p_feed ->> 'summary', p_feed ->> 'ref' ${extra});
      END IF;

      UPDATE community_heads h
         SET entry_seq = seq, entry_hash = hash, feed_seq = coalesce(ledger_post.feed_seq, h.feed_seq)
       WHERE h.community_id = p_community;
    END $$;

    -- Publishes a feed item that has no entry of its own (a spend request submitted or
    -- approved, a budget approved), taking the community head lock like every writer.
    CREATE OR REPLACE FUNCTION feed_publish(p_community text, p_feed jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
      next_seq bigint;
    BEGIN
      UPDATE community_heads SET feed_seq = feed_seq + 1 WHERE community_id = p_community
        RETURNING feed_seq INTO next_seq;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      INSERT INTO feed_items (${columns})
      VALUES (p_community, next_seq, p_feed ->> 'type', date_trunc('milliseconds', clock_timestamp()),
              (p_feed ->> 'amount')::numeric, p_feed ->> 'account', p_feed ->> 'summary', p_feed ->> 'ref' ${extra});
      RETURN next_seq;
    END $$;
  `.execute(db);
}
