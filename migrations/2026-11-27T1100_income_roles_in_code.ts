import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Who may record income is decided once, in TypeScript, before anything is written: the ledger
 * service reads the members of a whole group-commit batch in one query and refuses an
 * outsider (404) or anyone but a manager (403), the same check as on the Idempotency-Key path.
 * The database keeps the money rules (an entry balances, the fund keeps its floor, entries
 * are append-only, two distinct keys pay), not the role checks, so `ledger_record_incomes`
 * no longer reads memberships: it is `ledger_post` and an `incomes` row per item, in order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await recordIncomesFunction(sql``).execute(db);
}

/** Puts the role check back in the statement, as 2026-11-23T1940_income_batches wrote it. */
export async function down(db: Kysely<any>): Promise<void> {
  await recordIncomesFunction(sql`
        IF NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.community_id = p_community AND m.user_id = item ->> 'recordedBy'
                          AND 'manager' = ANY (m.roles)) THEN
          RAISE EXCEPTION 'user % is not a manager of community %', item ->> 'recordedBy', p_community
            USING ERRCODE = 'insufficient_privilege';
        END IF;`).execute(db);
}

/** `ledger_record_incomes`, with `check` run first for each item (nothing, going up). */
export function recordIncomesFunction(check: RawBuilder<unknown>) {
  return sql`
    CREATE OR REPLACE FUNCTION ledger_record_incomes(p_community text, p_items jsonb)
    RETURNS TABLE (income_id text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE plpgsql AS $$
    DECLARE
      item jsonb;
      posted record;
    BEGIN
      FOR item IN SELECT value FROM jsonb_array_elements(p_items) LOOP${check}
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
  `;
}
