import { sql, type Kysely } from 'kysely';
import { up as oneSubmissionFunction } from './2026-11-30T1000_spend_submission_statement.js';

/**
 * Spend submissions of many communities in one statement and one commit (issue 16, the
 * city), as incomes (2026-11-30T0900_income_lanes) and fee payments are. A submission was one
 * transaction of its own around `spending_submit`, and across a city of quiet communities each
 * paid for its BEGIN, its statement and its COMMIT. A lane of the API now gathers the
 * submissions of whichever communities are waiting, and `spending_submit_each` writes them
 * all with one statement per table.
 *
 * It keeps every rule of `spending_submit`, per community:
 * - the heads first, in code-unit (C) order of the community ids, before any table it writes
 *   is opened (the one lock order; see ledger_record_incomes_each);
 * - each community's request numbers continue its head's, in the order its requests are
 *   given, and the tracking number is made from the number as before;
 * - a request on the steward's remuneration asks no more than is payable: 2201's credit
 *   balance less what open requests on it ask, the earlier requests of the batch included;
 * - the fund reserves each request, and never more than it has available: each request is
 *   compared with what is left after the earlier ones of its community in the batch. The
 *   fund's CHECK stays the last word: it would refuse the whole statement if this check
 *   were ever wrong;
 * - the request, its `submitted` step with its evidence, the steps shown with it and its
 *   `spend.submitted` feed item (as feed_publish writes it, numbered on from the head's feed
 *   seq), all at one submission time, read once the heads are held.
 *
 * A request the fund or the remuneration cannot cover is refused on its own: nothing of it is
 * written, it takes no number, and the others of the batch go on. With p_skip_locked, the
 * requests of a community whose head another writer holds are left out, unwritten, and
 * answered `busy`: the batch does not wait for one busy community while holding the others.
 * Without it an unknown community is P0002, as before.
 *
 * Each row it writes belongs to one community and carries its id, and every lookup is by its
 * own community's key; only the statement spans communities.
 *
 * p_items: [{"communityId", "request": (as spending_submit reads p_request),
 *            "attachments": [ids], "steps": [{event, note, ref}], "feed": (as p_feed)}...]
 * Returns one row per item, in order: its position (1-based), community and status, `done`,
 * `busy`, `insufficient_funds` or `remuneration` (then `payable` is what is payable); for a
 * request done its seq, tracking number, submission time, the approvals it requires and the
 * submitter's display name.
 *
 * `spending_submit` becomes its one-request case, raising its refusals as it did: every
 * submission runs this code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION spending_submit_each(p_items jsonb, p_skip_locked boolean DEFAULT false)
    RETURNS TABLE (ord integer, community_id text, status text, seq bigint, tracking_no text, submitted_at timestamptz,
                   required_approvals integer, submitter_name text, payable numeric)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      wanted text[];
      -- When the batch is submitted: read once its heads are held, so that a later number
      -- never carries an earlier time.
      v_at timestamptz;
      -- The communities held, in C order, and how far each one moves in this batch.
      c_id text[]; c_seq bigint[]; c_feed bigint[]; c_number bigint[]; c_tz text[]; c_required integer[]; c_available numeric[];
      -- What is payable on each account a remuneration request names, keyed by [community, account].
      r_key text[]; r_payable numeric[];
      -- The requests in the order given, and what becomes of each.
      n integer;
      i_item jsonb[]; i_comm text[]; i_c integer[]; i_amount numeric[]; i_rem boolean[];
      o_status text[]; o_seq bigint[]; o_feed bigint[]; o_tracking text[]; o_required integer[]; o_payable numeric[];
      i integer;
      k integer;
      r integer;
    BEGIN
      SELECT count(*), array_agg(DISTINCT x.item ->> 'communityId') INTO n, wanted FROM jsonb_array_elements(p_items) x(item);
      IF n = 0 THEN
        RETURN;
      END IF;
      IF p_skip_locked THEN
        -- Only those free now, without waiting.
        SELECT array_agg(h.community_id), array_agg(h.spend_seq), array_agg(h.feed_seq) INTO c_id, c_seq, c_feed
          FROM (SELECT hd.community_id, hd.spend_seq, hd.feed_seq FROM community_heads hd
                 WHERE hd.community_id = ANY (wanted)
                 ORDER BY hd.community_id COLLATE "C" FOR UPDATE SKIP LOCKED) h;
      ELSE
        SELECT array_agg(h.community_id), array_agg(h.spend_seq), array_agg(h.feed_seq) INTO c_id, c_seq, c_feed
          FROM (SELECT hd.community_id, hd.spend_seq, hd.feed_seq FROM community_heads hd
                 WHERE hd.community_id = ANY (wanted)
                 ORDER BY hd.community_id COLLATE "C" FOR UPDATE) h;
        IF coalesce(cardinality(c_id), 0) < cardinality(wanted) THEN
          RAISE EXCEPTION 'no community %', (SELECT w FROM unnest(wanted) w WHERE w <> ALL (coalesce(c_id, '{}')) LIMIT 1)
            USING ERRCODE = 'no_data_found';
        END IF;
      END IF;
      c_id := coalesce(c_id, '{}');
      v_at := date_trunc('milliseconds', clock_timestamp());

      -- Each community's own facts and its fund's available money, read under its head.
      SELECT array_agg(c.number ORDER BY u.k), array_agg(c.timezone ORDER BY u.k), array_agg(c.required_approvals ORDER BY u.k),
             array_agg(a.balance - a.reserved ORDER BY u.k)
        INTO c_number, c_tz, c_required, c_available
        FROM unnest(c_id) WITH ORDINALITY u(id, k)
        JOIN communities c ON c.id = u.id
        LEFT JOIN accounts a ON a.community_id = u.id AND a.code = '1001';

      -- 2201 is a liability: its balance is stored as debits minus credits, and what is owed
      -- is its credit balance, less what the open requests on it already ask.
      SELECT array_agg(jsonb_build_array(w.comm, w.account)::text),
             array_agg(-a.balance - (SELECT coalesce(sum(o.amount), 0) FROM spend_requests o
                                      WHERE o.community_id = w.comm AND o.account_code = w.account
                                        AND o.status IN ('pending', 'approved')))
        INTO r_key, r_payable
        FROM (SELECT DISTINCT x.item ->> 'communityId' AS comm, x.item -> 'request' ->> 'account' AS account
                FROM jsonb_array_elements(p_items) x(item)
               WHERE (x.item -> 'request' ->> 'remuneration')::boolean AND x.item ->> 'communityId' = ANY (c_id)) w
        JOIN accounts a ON a.community_id = w.comm AND a.code = w.account;

      SELECT array_agg(x.item ORDER BY x.ord), array_agg(x.item ->> 'communityId' ORDER BY x.ord),
             array_agg(array_position(c_id, x.item ->> 'communityId') ORDER BY x.ord),
             array_agg((x.item -> 'request' ->> 'amount')::numeric ORDER BY x.ord),
             array_agg(coalesce((x.item -> 'request' ->> 'remuneration')::boolean, false) ORDER BY x.ord)
        INTO i_item, i_comm, i_c, i_amount, i_rem
        FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord);
      o_status := array_fill(NULL::text, ARRAY[n]);
      o_seq := array_fill(NULL::bigint, ARRAY[n]);
      o_feed := array_fill(NULL::bigint, ARRAY[n]);
      o_tracking := array_fill(NULL::text, ARRAY[n]);
      o_required := array_fill(NULL::integer, ARRAY[n]);
      o_payable := array_fill(NULL::numeric, ARRAY[n]);

      -- One request after the other, as they would have come one transaction at a time: each
      -- is compared with what the earlier ones of its community left, and one refused takes
      -- nothing from those after it.
      FOR i IN 1 .. n LOOP
        k := i_c[i];
        r := NULL;
        IF k IS NULL THEN
          o_status[i] := 'busy';
          CONTINUE;
        END IF;
        IF i_rem[i] THEN
          r := array_position(r_key, jsonb_build_array(i_comm[i], i_item[i] -> 'request' ->> 'account')::text);
          IF r_payable[r] < i_amount[i] THEN
            o_status[i] := 'remuneration';
            o_payable[i] := r_payable[r];
            CONTINUE;
          END IF;
        END IF;
        IF c_available[k] < i_amount[i] THEN
          o_status[i] := 'insufficient_funds';
          CONTINUE;
        END IF;
        IF r IS NOT NULL THEN
          r_payable[r] := r_payable[r] - i_amount[i];
        END IF;
        c_available[k] := c_available[k] - i_amount[i];
        c_seq[k] := c_seq[k] + 1;
        c_feed[k] := c_feed[k] + 1;
        o_status[i] := 'done';
        o_seq[i] := c_seq[k];
        o_feed[i] := c_feed[k];
        o_required[i] := c_required[k];
        -- XY-<year where the community is>-<community number>-<request number, six digits or more>.
        o_tracking[i] := 'XY-' || to_char(v_at AT TIME ZONE c_tz[k], 'YYYY') || '-' || c_number[k] || '-'
                         || lpad(c_seq[k]::text, greatest(6, length(c_seq[k]::text)), '0');
      END LOOP;

      IF 'done' = ANY (o_status) THEN
        UPDATE community_heads hd SET spend_seq = u.seq, feed_seq = u.feed
          FROM unnest(c_id, c_seq, c_feed) u(id, seq, feed)
         WHERE hd.community_id = u.id AND hd.spend_seq <> u.seq;

        -- The reservations, as ledger.reserve makes them: the fund's CHECK refuses more than is available.
        UPDATE accounts a SET reserved = a.reserved + d.amount
          FROM (SELECT u.comm, sum(u.amount) AS amount FROM unnest(i_comm, i_amount, o_status) u(comm, amount, status)
                 WHERE u.status = 'done' GROUP BY u.comm) d
         WHERE a.community_id = d.comm AND a.code = '1001';

        INSERT INTO spend_requests (community_id, id, seq, tracking_no, title, description, amount, account_code,
                                    payee_name, payee_account, budget_year, digest, required_approvals,
                                    submitted_by, submitted_at, repair_id)
        SELECT u.comm, u.req ->> 'id', u.seq, u.tracking, u.req ->> 'title', u.req ->> 'description', u.amount,
               u.req ->> 'account', u.req ->> 'payeeName', u.req ->> 'payeeAccount',
               (u.req ->> 'budgetYear')::integer, u.req ->> 'digest', u.required, u.req ->> 'submittedBy', v_at,
               u.req ->> 'repairId'
          FROM (SELECT v.comm, v.item -> 'request' AS req, v.amount, v.seq, v.tracking, v.required
                  FROM unnest(i_comm, i_item, i_amount, o_status, o_seq, o_tracking, o_required)
                         v(comm, item, amount, status, seq, tracking, required)
                 WHERE v.status = 'done') u;

        INSERT INTO spend_events (community_id, request_id, n, at, event, actor_id, note, ref)
        SELECT u.comm, u.item -> 'request' ->> 'id', 1, v_at, 'submitted', u.item -> 'request' ->> 'submittedBy', NULL, NULL
          FROM unnest(i_comm, i_item, o_status) u(comm, item, status)
         WHERE u.status = 'done';
        -- The evidence joins the submitted step, while it is still the latest.
        INSERT INTO spend_attachments (community_id, request_id, step, position, attachment_id)
        SELECT u.comm, u.item -> 'request' ->> 'id', 1, x.ord, x.id
          FROM unnest(i_comm, i_item, o_status) u(comm, item, status),
               jsonb_array_elements_text(coalesce(u.item -> 'attachments', '[]'::jsonb)) WITH ORDINALITY x(id, ord)
         WHERE u.status = 'done';
        INSERT INTO spend_events (community_id, request_id, n, at, event, actor_id, note, ref)
        SELECT u.comm, u.item -> 'request' ->> 'id', 1 + s.ord, v_at, s.event, u.item -> 'request' ->> 'submittedBy', s.note, s.ref
          FROM unnest(i_comm, i_item, o_status) u(comm, item, status),
               ROWS FROM (jsonb_to_recordset(coalesce(u.item -> 'steps', '[]'::jsonb)) AS (event text, note text, ref text))
                 WITH ORDINALITY s(event, note, ref, ord)
         WHERE u.status = 'done';

        -- The feed items, as feed_publish writes them; summary and ref are format() templates
        -- of the tracking number.
        INSERT INTO feed_items (community_id, seq, type, at, amount, account, summary, ref, actor_id, details)
        SELECT u.comm, u.feed_seq, u.feed ->> 'type', v_at, (u.feed ->> 'amount')::numeric, u.feed ->> 'account',
               format(u.feed ->> 'summary', u.tracking), format(u.feed ->> 'ref', u.tracking), u.feed ->> 'actorId',
               coalesce(u.feed -> 'details', '{}'::jsonb)
          FROM (SELECT v.comm, v.item -> 'feed' AS feed, v.feed_seq, v.tracking
                  FROM unnest(i_comm, i_item, o_status, o_feed, o_tracking) v(comm, item, status, feed_seq, tracking)
                 WHERE v.status = 'done') u;
      END IF;

      RETURN QUERY
        SELECT u.ord::integer, u.comm, u.status, u.seq, u.tracking,
               CASE WHEN u.status = 'done' THEN v_at END, u.required,
               CASE WHEN u.status = 'done' THEN (SELECT p.display_name FROM users p WHERE p.id = u.item -> 'request' ->> 'submittedBy') END,
               u.payable
          FROM unnest(i_comm, i_item, o_status, o_seq, o_tracking, o_required, o_payable)
                 WITH ORDINALITY u(comm, item, status, seq, tracking, required, payable, ord)
         ORDER BY u.ord;
    END $$;

    -- One request: the same code, its refusals raised as spending_submit raised them.
    CREATE OR REPLACE FUNCTION spending_submit(p_community text, p_request jsonb, p_attachments jsonb, p_steps jsonb, p_feed jsonb)
    RETURNS TABLE (seq bigint, tracking_no text, submitted_at timestamptz, required_approvals integer, submitter_name text)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      s record;
    BEGIN
      SELECT * INTO s FROM spending_submit_each(jsonb_build_array(jsonb_build_object(
        'communityId', p_community, 'request', p_request, 'attachments', p_attachments, 'steps', p_steps, 'feed', p_feed)));
      IF s.status = 'remuneration' THEN
        RAISE EXCEPTION 'only % of the accrued remuneration of community % is payable, less than %', s.payable, p_community, p_request ->> 'amount'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'remuneration_payable', DETAIL = s.payable::text;
      END IF;
      IF s.status = 'insufficient_funds' THEN
        RAISE EXCEPTION 'the fund of community % has less available than %', p_community, p_request ->> 'amount'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'available_not_negative';
      END IF;
      RETURN QUERY SELECT s.seq, s.tracking_no, s.submitted_at, s.required_approvals, s.submitter_name;
    END $$;
  `.execute(db);
}

/** Back to the one-request function of 2026-11-30T1000. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION spending_submit(text, jsonb, jsonb, jsonb, jsonb)`.execute(db);
  await oneSubmissionFunction(db);
  await sql`DROP FUNCTION spending_submit_each(jsonb, boolean)`.execute(db);
}
