import { sql, type Kysely } from 'kysely';

/**
 * Group commit for income. Concurrent incomes of one community queue behind the community's
 * head lock anyway; posting a batch of them in one statement holds that lock once and pays
 * for one commit instead of one per income (PERFORMANCE.md: ~10 postings per transaction move
 * the hot-account cap from hundreds to thousands). Each income is still its own entry, posted
 * by `ledger_post` with every check, in the order given; the batch commits or fails whole.
 *
 * The rule that only a manager records income is checked here too, in the statement that
 * writes, so the fast path needs no separate membership query and a role can never be
 * checked against one snapshot and used in another.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_record_incomes(p_community text, p_items jsonb)
    RETURNS TABLE (income_id text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE plpgsql AS $$
    DECLARE
      item jsonb;
      posted record;
    BEGIN
      FOR item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
        IF NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.community_id = p_community AND m.user_id = item ->> 'recordedBy'
                          AND 'manager' = ANY (m.roles)) THEN
          RAISE EXCEPTION 'user % is not a manager of community %', item ->> 'recordedBy', p_community
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO posted FROM ledger_post(
          p_community, item ->> 'entryId', 'income', item ->> 'memo', 'income', item ->> 'id',
          (item ->> 'receivedAt')::timestamptz, NULL, item -> 'postings', item -> 'feed');
        INSERT INTO incomes (community_id, id, entry_seq, category, amount, payer, received_at, reference, memo, recorded_by)
        VALUES (p_community, item ->> 'id', posted.seq, item ->> 'category', (item ->> 'amount')::numeric,
                item ->> 'payer', (item ->> 'receivedAt')::timestamptz, item ->> 'reference', item ->> 'incomeMemo',
                item ->> 'recordedBy');
        income_id := item ->> 'id';
        entry_seq := posted.seq;
        entry_hash := posted.hash;
        entry_recorded_at := posted.recorded_at;
        RETURN NEXT;
      END LOOP;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION ledger_record_incomes`.execute(db);
}
