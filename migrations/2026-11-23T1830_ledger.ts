import { sql, type Kysely } from 'kysely';

/**
 * The double-entry ledger. Its rules are kept here as well as in the server:
 * - entries and postings are append-only (triggers refuse UPDATE, DELETE and TRUNCATE);
 * - every entry balances, checked at commit by a deferred constraint trigger;
 * - each posting line is one positive side, with two decimals;
 * - stored balances change only in the transaction that writes the postings, under row
 *   locks taken in one order (the community head, then accounts by code), so racing
 *   writers queue instead of deadlocking;
 * - the fund account may never hold less than what open spend requests have reserved.
 *
 * `ledger_post` does a whole posting in one round trip, which is what keeps the hot fund
 * row's lock short (see PERFORMANCE.md): it is held from the head lock to the commit only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- One row per community: the head of its hash chain and its gapless counters. Every
    -- writer of a community's books locks this row first; that is the lock order.
    CREATE TABLE community_heads (
      community_id text PRIMARY KEY REFERENCES communities (id),
      entry_seq    bigint NOT NULL DEFAULT 0 CHECK (entry_seq >= 0),
      entry_hash   text NOT NULL,
      feed_seq     bigint NOT NULL DEFAULT 0 CHECK (feed_seq >= 0),
      spend_seq    bigint NOT NULL DEFAULT 0 CHECK (spend_seq >= 0)
    );

    CREATE TABLE accounts (
      community_id text NOT NULL REFERENCES communities (id),
      code         text NOT NULL CHECK (code ~ '^[0-9]{4,8}$'),
      name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
      type         text NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
      -- Debits minus credits of every posting; the API shows it in the normal direction.
      -- Unbounded numeric: sums of valid amounts never overflow.
      balance      numeric NOT NULL DEFAULT 0,
      -- Held for open spend requests (only the fund account carries any).
      reserved     numeric NOT NULL DEFAULT 0 CHECK (reserved >= 0),
      -- An account with a floor never has less than it has reserved: the fund account.
      has_floor    boolean NOT NULL DEFAULT false,
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, code),
      CONSTRAINT available_not_negative CHECK (NOT has_floor OR balance - reserved >= 0),
      CONSTRAINT reserve_only_with_floor CHECK (has_floor OR reserved = 0)
    );

    CREATE TABLE entries (
      community_id text NOT NULL REFERENCES communities (id),
      seq          bigint NOT NULL CHECK (seq > 0),
      id           text NOT NULL,
      kind         text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
      memo         text NOT NULL DEFAULT '',
      source_type  text,
      source_id    text,
      occurred_at  timestamptz NOT NULL,
      recorded_at  timestamptz NOT NULL,
      reverses_seq bigint,
      prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      PRIMARY KEY (community_id, seq),
      UNIQUE (community_id, id),
      FOREIGN KEY (community_id, reverses_seq) REFERENCES entries (community_id, seq),
      CONSTRAINT reversal_has_origin CHECK ((kind = 'reversal') = (reverses_seq IS NOT NULL))
    );
    -- An entry is reversed at most once.
    CREATE UNIQUE INDEX entries_reversed_once ON entries (community_id, reverses_seq) WHERE reverses_seq IS NOT NULL;
    CREATE INDEX entries_by_source ON entries (community_id, source_type, source_id);

    CREATE TABLE postings (
      community_id text NOT NULL,
      entry_seq    bigint NOT NULL,
      line         smallint NOT NULL CHECK (line > 0),
      account_code text NOT NULL,
      debit        numeric(20, 2) NOT NULL DEFAULT 0,
      credit       numeric(20, 2) NOT NULL DEFAULT 0,
      PRIMARY KEY (community_id, entry_seq, line),
      FOREIGN KEY (community_id, entry_seq) REFERENCES entries (community_id, seq),
      FOREIGN KEY (community_id, account_code) REFERENCES accounts (community_id, code),
      CONSTRAINT one_positive_side CHECK ((debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0))
    );
    CREATE INDEX postings_by_account ON postings (community_id, account_code, entry_seq);

    -- Per account and calendar month (in the community's time zone): kept in the posting
    -- transaction so that reports read a few rows instead of scanning postings.
    CREATE TABLE account_months (
      community_id text NOT NULL,
      account_code text NOT NULL,
      month        date NOT NULL CHECK (extract(day FROM month) = 1),
      debit        numeric NOT NULL DEFAULT 0 CHECK (debit >= 0),
      credit       numeric NOT NULL DEFAULT 0 CHECK (credit >= 0),
      PRIMARY KEY (community_id, account_code, month),
      FOREIGN KEY (community_id, account_code) REFERENCES accounts (community_id, code)
    );

    -- The outbox of the public feed: written in the same transaction as the change it
    -- reports, with a gapless per-community seq.
    CREATE TABLE feed_items (
      community_id text NOT NULL REFERENCES communities (id),
      seq          bigint NOT NULL CHECK (seq > 0),
      type         text NOT NULL,
      at           timestamptz NOT NULL,
      amount       numeric(20, 2),
      account      text,
      summary      text NOT NULL,
      ref          text NOT NULL,
      PRIMARY KEY (community_id, seq)
    );

    CREATE TABLE incomes (
      community_id text NOT NULL,
      id           text NOT NULL,
      entry_seq    bigint NOT NULL,
      category     text NOT NULL CHECK (category IN ('parking', 'advertising', 'leasing', 'other')),
      amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
      payer        text NOT NULL,
      received_at  timestamptz NOT NULL,
      reference    text,
      memo         text,
      recorded_by  text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, entry_seq) REFERENCES entries (community_id, seq)
    );

    -- A replayable record of every request that moved money under an Idempotency-Key.
    CREATE TABLE idempotency_keys (
      community_id  text NOT NULL REFERENCES communities (id),
      key           text NOT NULL,
      request_hash  text NOT NULL,
      status_code   integer NOT NULL,
      response_body text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, key)
    );
  `.execute(db);

  await sql`
    -- Shared by every append-only table (the ledger's here, spending's and others' later).
    CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'rows of % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
    END $$;

    CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    -- At commit, every entry has two or more postings and its debits equal its credits.
    CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      n integer; debits numeric; credits numeric;
    BEGIN
      SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, debits, credits
        FROM postings WHERE community_id = NEW.community_id AND entry_seq = NEW.seq;
      IF n < 2 OR debits <> credits THEN
        RAISE EXCEPTION 'entry % of community % is unbalanced (% lines, debits %, credits %)',
          NEW.seq, NEW.community_id, n, debits, credits USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

    -- The canonical text an entry's hash is taken over. Every field is length-prefixed so no
    -- choice of memo can make two different entries serialize alike. The server's verifier
    -- (src/modules/ledger/ledger.hash.ts) rebuilds it independently.
    CREATE FUNCTION ledger_field(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT octet_length(coalesce(value, ''))::text || ':' || coalesce(value, '') || ';'
    $$;

    CREATE FUNCTION ledger_time(value timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    $$;

    /*
     * Posts one balanced entry, and optionally one feed item, in one call. The caller's
     * transaction commits it. Raises
     *   P0002 (no_data_found)       when the community or an account does not exist,
     *   23514 (check_violation)     when the entry does not balance or the fund would fall
     *                               below what is reserved (constraint available_not_negative),
     *   23505 (unique_violation)    when the entry it reverses was reversed already.
     * p_postings: [{"account": "1001", "debit": "10.00", "credit": "0"}, ...]
     * p_feed:     null or {"type", "amount", "account", "summary", "ref"}
     */
    CREATE FUNCTION ledger_post(
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
        INSERT INTO feed_items (community_id, seq, type, at, amount, account, summary, ref)
        VALUES (p_community, feed_seq, p_feed ->> 'type', recorded, (p_feed ->> 'amount')::numeric,
                p_feed ->> 'account', p_feed ->> 'summary', p_feed ->> 'ref');
      END IF;

      UPDATE community_heads h
         SET entry_seq = seq, entry_hash = hash, feed_seq = coalesce(ledger_post.feed_seq, h.feed_seq)
       WHERE h.community_id = p_community;
    END $$;

    -- Publishes a feed item that has no entry of its own (a spend request submitted or
    -- approved, a budget approved), taking the community head lock like every writer.
    CREATE FUNCTION feed_publish(p_community text, p_feed jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
      next_seq bigint;
    BEGIN
      UPDATE community_heads SET feed_seq = feed_seq + 1 WHERE community_id = p_community
        RETURNING feed_seq INTO next_seq;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      INSERT INTO feed_items (community_id, seq, type, at, amount, account, summary, ref)
      VALUES (p_community, next_seq, p_feed ->> 'type', date_trunc('milliseconds', clock_timestamp()),
              (p_feed ->> 'amount')::numeric, p_feed ->> 'account', p_feed ->> 'summary', p_feed ->> 'ref');
      RETURN next_seq;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION feed_publish, ledger_post, ledger_time, ledger_field, ledger_check_balanced, refuse_change CASCADE;
    DROP TABLE idempotency_keys, incomes, feed_items, account_months, postings, entries, accounts, community_heads;
  `.execute(db);
}
