import { sql, type Kysely } from 'kysely';

/**
 * A spend request submitted in one statement (issue 16), as a fee payment is recorded in one
 * (fees_record_payment). Who may submit, the fields, the evidence, the repair and the vote
 * are checked in TypeScript before anything is locked; this function then does, under the
 * community's head lock, everything the submission writes, in one round trip: the head lock
 * (the one lock order: head first), the community's next request number and the tracking
 * number made from it, the remuneration check for a request on 2201, the reservation on the
 * fund, the request, its `submitted` step with its evidence, the steps shown with it (the
 * repair it pays for, the vote that allowed it) and the `spend.submitted` feed item.
 *
 * Before, the head lock was held across fourteen round trips of the service (eight to write,
 * six to read the answer back), and every write of the community waited for all of them; now
 * the answer is built from what the service knew and what this function returns.
 *
 * It keeps the rules the service kept, in the same words:
 * - more than the fund has available is refused by the fund's own CHECK (check_violation on
 *   `available_not_negative`), as ledger.reserve is, so the service answers
 *   `insufficient_funds`;
 * - the steward is paid only what it has earned: a request marked `remuneration` asks no more
 *   than 2201's credit balance less what open requests on it already ask, else check_violation
 *   on `remuneration_payable`, whose DETAIL is what is payable;
 * - the request's evidence joins its `submitted` step (step 1), the steps shown with it follow
 *   at the same time, and the feed item is written by feed_publish, the ledger's.
 * It writes no balance and no chain head, so it runs without `xinyi.posting`.
 *
 * p_request: {id, title, description, amount, account, payeeName, payeeAccount, budgetYear,
 *             digest, submittedBy, repairId, remuneration (boolean)}
 * p_attachments: the ids of the request's evidence, in the order given.
 * p_steps:   [{event, note, ref}]: the steps after `submitted`, in order (`repair`, `vote`).
 * p_feed:    the feed item as ledger.prepareFeed hands it over; its `summary` and `ref` are
 *            format() templates whose %1$s is the tracking number.
 * Returns the request's seq and tracking number, its submission time (of the request and of
 * each step written), the approvals it requires, and the submitter's display name.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION spending_submit(p_community text, p_request jsonb, p_attachments jsonb, p_steps jsonb, p_feed jsonb)
    RETURNS TABLE (seq bigint, tracking_no text, submitted_at timestamptz, required_approvals integer, submitter_name text)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      v_id text := p_request ->> 'id';
      v_actor text := p_request ->> 'submittedBy';
      v_account text := p_request ->> 'account';
      v_amount numeric := (p_request ->> 'amount')::numeric;
      v_at timestamptz := date_trunc('milliseconds', clock_timestamp());
      v_seq bigint;
      v_number bigint;
      v_timezone text;
      v_required integer;
      v_tracking text;
      v_payable numeric;
    BEGIN
      SELECT h.spend_seq + 1, c.number, c.timezone, c.required_approvals
        INTO v_seq, v_number, v_timezone, v_required
        FROM community_heads h JOIN communities c ON c.id = h.community_id
       WHERE h.community_id = p_community
         FOR UPDATE OF h;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      UPDATE community_heads h SET spend_seq = v_seq WHERE h.community_id = p_community;
      -- XY-<year where the community is>-<community number>-<request number, six digits or more>.
      v_tracking := 'XY-' || to_char(v_at AT TIME ZONE v_timezone, 'YYYY') || '-' || v_number || '-'
                    || lpad(v_seq::text, greatest(6, length(v_seq::text)), '0');

      IF (p_request ->> 'remuneration')::boolean THEN
        -- 2201 is a liability: its balance is stored as debits minus credits, and what is owed
        -- is its credit balance.
        SELECT -a.balance - (SELECT coalesce(sum(r.amount), 0) FROM spend_requests r
                              WHERE r.community_id = p_community AND r.account_code = v_account
                                AND r.status IN ('pending', 'approved'))
          INTO v_payable
          FROM accounts a WHERE a.community_id = p_community AND a.code = v_account;
        IF v_payable < v_amount THEN
          RAISE EXCEPTION 'only % of the accrued remuneration of community % is payable, less than %', v_payable, p_community, v_amount
            USING ERRCODE = 'check_violation', CONSTRAINT = 'remuneration_payable', DETAIL = v_payable::text;
        END IF;
      END IF;

      -- The reservation, as ledger.reserve makes it: the fund's CHECK refuses more than is available.
      UPDATE accounts a SET reserved = a.reserved + v_amount WHERE a.community_id = p_community AND a.code = '1001';

      INSERT INTO spend_requests (community_id, id, seq, tracking_no, title, description, amount, account_code,
                                  payee_name, payee_account, budget_year, digest, required_approvals,
                                  submitted_by, submitted_at, repair_id)
      VALUES (p_community, v_id, v_seq, v_tracking, p_request ->> 'title', p_request ->> 'description', v_amount,
              v_account, p_request ->> 'payeeName', p_request ->> 'payeeAccount',
              (p_request ->> 'budgetYear')::integer, p_request ->> 'digest', v_required, v_actor, v_at,
              p_request ->> 'repairId');
      INSERT INTO spend_events (community_id, request_id, n, at, event, actor_id, note, ref)
      VALUES (p_community, v_id, 1, v_at, 'submitted', v_actor, NULL, NULL);
      INSERT INTO spend_attachments (community_id, request_id, step, position, attachment_id)
      SELECT p_community, v_id, 1, x.ord, x.id
        FROM jsonb_array_elements_text(p_attachments) WITH ORDINALITY x(id, ord);
      INSERT INTO spend_events (community_id, request_id, n, at, event, actor_id, note, ref)
      SELECT p_community, v_id, 1 + s.ord, v_at, s.event, v_actor, s.note, s.ref
        FROM ROWS FROM (jsonb_to_recordset(p_steps) AS (event text, note text, ref text)) WITH ORDINALITY s(event, note, ref, ord);

      PERFORM feed_publish(p_community, p_feed || jsonb_build_object(
        'summary', format(p_feed ->> 'summary', v_tracking), 'ref', format(p_feed ->> 'ref', v_tracking)));

      RETURN QUERY
        SELECT v_seq, v_tracking, v_at, v_required, (SELECT u.display_name FROM users u WHERE u.id = v_actor);
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION spending_submit(text, jsonb, jsonb, jsonb, jsonb)`.execute(db);
}
