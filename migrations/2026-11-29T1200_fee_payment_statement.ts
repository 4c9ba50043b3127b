import { sql, type Kysely } from 'kysely';

/**
 * A fee payment in one statement (issue 16). The payment's allocation (oldest bills first, the
 * rest to the unit's advance, the steward's remuneration on what settles bills) stays in
 * TypeScript (fees.allocation.ts); it is computed from the unit's unpaid bills read before
 * anything is locked, and this function then does, under the locks, everything the payment
 * writes, in one round trip: the community's head lock (the one lock order), the unit's unpaid
 * bills locked and compared with those the allocation was computed from, the payment's entry
 * and its remuneration's (one `ledger_post_many` call), the payment row, the bills' paid, the
 * settlements, the advance, and the unit's balance after it.
 *
 * Before, the head lock was held across ten round trips of the service, and every payment of
 * a community waited for all of them. If the bills changed between the read and the lock (a
 * racing payment or billing run), it raises `serialization_failure` (40001) and writes
 * nothing; the service's transaction retries it, reading the bills again.
 *
 * p_expected: the unpaid bills read, as `id:paid` joined by commas, by period then id (C order).
 * p_entries:  the entries to post, the payment's first (see ledger_post_many).
 * p_payment:  {id, unitId, amount, method, reference, paidAt, toBills, toAdvance, remuneration, recordedBy}
 * p_settlements: [{id, bill_id, amount, remuneration}]
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION fees_record_payment(p_community text, p_unit text, p_expected text, p_entries jsonb,
                                        p_payment jsonb, p_settlements jsonb)
    RETURNS TABLE (entry_seq bigint, due numeric, advance numeric)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
      seen text;
      posted_seq bigint;
      v_paid_at timestamptz := (p_payment ->> 'paidAt')::timestamptz;
    BEGIN
      PERFORM 1 FROM community_heads h WHERE h.community_id = p_community FOR UPDATE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no community %', p_community USING ERRCODE = 'no_data_found';
      END IF;
      SELECT coalesce(string_agg(b.id || ':' || b.paid::text, ',' ORDER BY b.period COLLATE "C", b.id COLLATE "C"), '') INTO seen
        FROM (SELECT id, paid, period FROM bills
               WHERE community_id = p_community AND unit_id = p_unit AND paid < amount
               ORDER BY period, id FOR UPDATE) b;
      IF seen IS DISTINCT FROM p_expected THEN
        RAISE EXCEPTION 'the unpaid bills of unit % changed since the payment was allocated', p_unit
          USING ERRCODE = 'serialization_failure';
      END IF;

      SELECT p.seq INTO posted_seq FROM ledger_post_many(p_community, p_entries) p WHERE p.ord = 1;

      INSERT INTO fee_payments (community_id, id, unit_id, amount, method, reference, paid_at, to_bills,
                                to_advance, remuneration, entry_seq, recorded_by)
      VALUES (p_community, p_payment ->> 'id', p_unit, (p_payment ->> 'amount')::numeric, p_payment ->> 'method',
              p_payment ->> 'reference', v_paid_at, (p_payment ->> 'toBills')::numeric,
              (p_payment ->> 'toAdvance')::numeric, (p_payment ->> 'remuneration')::numeric, posted_seq,
              p_payment ->> 'recordedBy');

      UPDATE bills b SET paid = b.paid + s.total
        FROM (SELECT x.bill_id, sum(x.amount) AS total
                FROM jsonb_to_recordset(p_settlements) AS x(bill_id text, amount numeric) GROUP BY 1) s
       WHERE b.community_id = p_community AND b.id = s.bill_id;
      INSERT INTO bill_settlements (community_id, id, bill_id, payment_id, run_id, amount, remuneration, settled_at)
      SELECT p_community, x.id, x.bill_id, p_payment ->> 'id', NULL, x.amount, x.remuneration, v_paid_at
        FROM jsonb_to_recordset(p_settlements) AS x(id text, bill_id text, amount numeric, remuneration numeric);

      IF (p_payment ->> 'toAdvance')::numeric > 0 THEN
        INSERT INTO unit_fee_advances AS a (community_id, unit_id, advance)
        VALUES (p_community, p_unit, (p_payment ->> 'toAdvance')::numeric)
        ON CONFLICT (community_id, unit_id) DO UPDATE SET advance = a.advance + EXCLUDED.advance;
      END IF;

      RETURN QUERY
        SELECT posted_seq,
               (SELECT coalesce(sum(b.amount - b.paid), 0) FROM bills b
                 WHERE b.community_id = p_community AND b.unit_id = p_unit AND b.paid < b.amount),
               (SELECT coalesce(sum(a.advance), 0) FROM unit_fee_advances a
                 WHERE a.community_id = p_community AND a.unit_id = p_unit);
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION fees_record_payment(text, text, text, jsonb, jsonb, jsonb)`.execute(db);
}
