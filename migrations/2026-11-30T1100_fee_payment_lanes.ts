import { sql, type Kysely } from 'kysely';
import { up as onePaymentFunction } from './2026-11-29T1200_fee_payment_statement.js';

/**
 * Fee payments of many communities in one statement and one commit (issue 16, the city), as
 * incomes are (2026-11-30T0900_income_lanes). A fee payment was one statement of its own,
 * `fees_record_payment`, and across a city of quiet communities each paid for a round trip,
 * a posting of some twenty statements for two entries, and a commit. A lane of the API now
 * gathers the payments of whichever communities are waiting, and `fees_record_payments_each`
 * writes them all with one statement per table.
 *
 * It keeps every rule of `fees_record_payment`, per community and per unit:
 * - the heads first, in code-unit (C) order of the community ids, before any table it writes
 *   is opened (the one lock order; see ledger_record_incomes_each);
 * - each unit's unpaid bills are locked and compared with those its payments were allocated
 *   over (`seen`: `id:paid` by period then id, C order). The payments of a unit whose bills
 *   changed since are left out, writing nothing, and answered `stale`: the caller allocates
 *   them again. Several payments of one unit in a batch were allocated one after the other,
 *   and all carry the bills as they were before the first;
 * - the entries, each payment's first and then its remuneration's, through one
 *   `ledger_post_each` call: chains, balances and floors per community;
 * - the payment rows, the bills' paid, the settlements and the advances, one statement each.
 *
 * With p_skip_locked, the payments of a community whose head another writer holds are left
 * out and answered `busy`: the batch does not wait for one busy community while holding the
 * others. Without it an unknown community is P0002, as before.
 *
 * Each row it writes belongs to one community and carries its id, and every lookup is by its
 * own community's key; only the statement spans communities.
 *
 * p_items: [{"communityId", "unitId", "seen", "entries": [as ledger_post_many reads them],
 *            "payment": {id, amount, method, reference, paidAt, toBills, toAdvance,
 *                        remuneration, recordedBy},
 *            "settlements": [{id, bill_id, amount, remuneration}]}...]
 * Returns one row per item, in order: its position (1-based), `done`, `busy` or `stale`, and
 * for a payment done the seq of its entry and what the unit owes and holds in advance right
 * after it (a later payment of the unit in the same batch counts as not yet made).
 *
 * `fees_record_payment` becomes its one-payment case: every fee payment runs this code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION fees_record_payments_each(p_items jsonb, p_skip_locked boolean DEFAULT false)
    RETURNS TABLE (ord integer, status text, entry_seq bigint, due numeric, advance numeric)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      wanted text[];
      ready text[];
      accepted jsonb;
      done_ord integer[];
      done_seq bigint[];
    BEGIN
      SELECT array_agg(DISTINCT x.item ->> 'communityId') INTO wanted FROM jsonb_array_elements(p_items) x(item);
      IF p_skip_locked THEN
        SELECT array_agg(h.community_id) INTO ready
          FROM (SELECT hd.community_id FROM community_heads hd
                 WHERE hd.community_id = ANY (wanted)
                 ORDER BY hd.community_id COLLATE "C" FOR UPDATE SKIP LOCKED) h;
      ELSE
        SELECT array_agg(h.community_id) INTO ready
          FROM (SELECT hd.community_id FROM community_heads hd
                 WHERE hd.community_id = ANY (wanted)
                 ORDER BY hd.community_id COLLATE "C" FOR UPDATE) h;
        IF coalesce(cardinality(ready), 0) < coalesce(cardinality(wanted), 0) THEN
          RAISE EXCEPTION 'no community %', (SELECT w FROM unnest(wanted) w WHERE w <> ALL (coalesce(ready, '{}')) LIMIT 1)
            USING ERRCODE = 'no_data_found';
        END IF;
      END IF;
      ready := coalesce(ready, '{}');

      -- The units of the communities held: their unpaid bills locked (under the head, as every
      -- writer of bills locks them) and compared with what each payment was allocated over.
      WITH items AS (
        SELECT x.item, x.ord::integer AS ord
          FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord)
         WHERE x.item ->> 'communityId' = ANY (ready)
      ), units AS (
        SELECT DISTINCT i.item ->> 'communityId' AS c, i.item ->> 'unitId' AS u FROM items i
      ), now_unpaid AS (
        SELECT un.c, un.u, s.seen
          FROM units un
          CROSS JOIN LATERAL (
            SELECT coalesce(string_agg(b.id || ':' || b.paid::text, ',' ORDER BY b.period COLLATE "C", b.id COLLATE "C"), '') AS seen
              FROM (SELECT id, paid, period FROM bills
                     WHERE community_id = un.c AND unit_id = un.u AND paid < amount
                     ORDER BY period, id FOR UPDATE) b) s
      ), fresh AS (
        SELECT n.c, n.u FROM now_unpaid n
         WHERE NOT EXISTS (SELECT 1 FROM items i
                            WHERE i.item ->> 'communityId' = n.c AND i.item ->> 'unitId' = n.u
                              AND i.item ->> 'seen' IS DISTINCT FROM n.seen)
      )
      SELECT coalesce(jsonb_agg(i.item || jsonb_build_object('ord', i.ord) ORDER BY i.ord), '[]'::jsonb) INTO accepted
        FROM items i JOIN fresh f ON f.c = i.item ->> 'communityId' AND f.u = i.item ->> 'unitId';

      IF jsonb_array_length(accepted) > 0 THEN
        WITH a AS (
          SELECT y.item, (y.item ->> 'ord')::integer AS ord, y.item ->> 'communityId' AS c, y.item -> 'payment' AS p
            FROM jsonb_array_elements(accepted) y(item)
        ), e AS (
          -- Every entry of the batch, numbered as ledger_post_each answers them.
          SELECT a.ord, en.n, row_number() OVER (ORDER BY a.ord, en.n)::integer AS pos,
                 en.entry || jsonb_build_object('communityId', a.c) AS entry
            FROM a CROSS JOIN LATERAL jsonb_array_elements(a.item -> 'entries') WITH ORDINALITY en(entry, n)
        ), posted AS (
          SELECT * FROM ledger_post_each((SELECT jsonb_agg(e.entry ORDER BY e.pos) FROM e))
        ), payment_seq AS (
          SELECT e.ord, p.seq FROM e JOIN posted p ON p.ord = e.pos WHERE e.n = 1
        ), paid_rows AS (
          INSERT INTO fee_payments (community_id, id, unit_id, amount, method, reference, paid_at, to_bills,
                                    to_advance, remuneration, entry_seq, recorded_by)
          SELECT a.c, a.p ->> 'id', a.item ->> 'unitId', (a.p ->> 'amount')::numeric, a.p ->> 'method',
                 a.p ->> 'reference', (a.p ->> 'paidAt')::timestamptz, (a.p ->> 'toBills')::numeric,
                 (a.p ->> 'toAdvance')::numeric, (a.p ->> 'remuneration')::numeric, ps.seq, a.p ->> 'recordedBy'
            FROM a JOIN payment_seq ps ON ps.ord = a.ord
          RETURNING 1
        ), settled AS (
          SELECT a.c, a.p ->> 'id' AS payment_id, (a.p ->> 'paidAt')::timestamptz AS paid_at, x.*
            FROM a CROSS JOIN LATERAL jsonb_to_recordset(a.item -> 'settlements')
                   AS x(id text, bill_id text, amount numeric, remuneration numeric)
        ), bills_paid AS (
          UPDATE bills b SET paid = b.paid + s.total
            FROM (SELECT c, bill_id, sum(amount) AS total FROM settled GROUP BY 1, 2) s
           WHERE b.community_id = s.c AND b.id = s.bill_id
          RETURNING 1
        ), settlements AS (
          INSERT INTO bill_settlements (community_id, id, bill_id, payment_id, run_id, amount, remuneration, settled_at)
          SELECT s.c, s.id, s.bill_id, s.payment_id, NULL, s.amount, s.remuneration, s.paid_at FROM settled s
          RETURNING 1
        ), advances AS (
          INSERT INTO unit_fee_advances AS ad (community_id, unit_id, advance)
          SELECT a.c, a.item ->> 'unitId', sum((a.p ->> 'toAdvance')::numeric)
            FROM a GROUP BY 1, 2 HAVING sum((a.p ->> 'toAdvance')::numeric) > 0
          ON CONFLICT (community_id, unit_id) DO UPDATE SET advance = ad.advance + EXCLUDED.advance
          RETURNING 1
        )
        SELECT array_agg(ps.ord ORDER BY ps.ord), array_agg(ps.seq ORDER BY ps.ord) INTO done_ord, done_seq
          FROM payment_seq ps;
      END IF;

      -- What each unit owes and holds now, and so right after each of its payments.
      RETURN QUERY
        WITH items AS (
          SELECT x.item, x.ord::integer AS ord FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord)
        ), done AS (
          SELECT i.ord, d.seq, i.item ->> 'communityId' AS c, i.item ->> 'unitId' AS u,
                 coalesce(sum((i.item #>> '{payment,toBills}')::numeric) OVER later, 0) AS bills_later,
                 coalesce(sum((i.item #>> '{payment,toAdvance}')::numeric) OVER later, 0) AS advance_later
            FROM items i JOIN unnest(done_ord, done_seq) d(ord, seq) ON d.ord = i.ord
          WINDOW later AS (PARTITION BY i.item ->> 'communityId', i.item ->> 'unitId' ORDER BY i.ord
                           ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
        )
        SELECT i.ord,
               CASE WHEN d.ord IS NOT NULL THEN 'done'
                    WHEN i.item ->> 'communityId' = ANY (ready) THEN 'stale'
                    ELSE 'busy' END,
               d.seq,
               (SELECT coalesce(sum(b.amount - b.paid), 0) FROM bills b
                 WHERE b.community_id = d.c AND b.unit_id = d.u AND b.paid < b.amount) + d.bills_later,
               (SELECT coalesce(sum(ad.advance), 0) FROM unit_fee_advances ad
                 WHERE ad.community_id = d.c AND ad.unit_id = d.u) - d.advance_later
          FROM items i LEFT JOIN done d ON d.ord = i.ord
         ORDER BY i.ord;
    END $$;

    -- One payment: the same code. Bills that changed since the allocation are a serialization
    -- failure, as before: the service's transaction runs again and allocates anew.
    CREATE OR REPLACE FUNCTION fees_record_payment(p_community text, p_unit text, p_expected text, p_entries jsonb,
                                                   p_payment jsonb, p_settlements jsonb)
    RETURNS TABLE (entry_seq bigint, due numeric, advance numeric)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      r record;
    BEGIN
      SELECT * INTO r
        FROM fees_record_payments_each(jsonb_build_array(jsonb_build_object(
               'communityId', p_community, 'unitId', p_unit, 'seen', p_expected, 'entries', p_entries,
               'payment', p_payment, 'settlements', p_settlements)));
      IF r.status <> 'done' THEN
        RAISE EXCEPTION 'the unpaid bills of unit % changed since the payment was allocated', p_unit
          USING ERRCODE = 'serialization_failure';
      END IF;
      RETURN QUERY SELECT r.entry_seq, r.due, r.advance;
    END $$;
  `.execute(db);
}

/** Back to the one-payment function of 2026-11-29T1200. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION fees_record_payment(text, text, text, jsonb, jsonb, jsonb)`.execute(db);
  await sql`DROP FUNCTION fees_record_payments_each(jsonb, boolean)`.execute(db);
  await onePaymentFunction(db);
}
