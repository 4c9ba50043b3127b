import { sql, type Kysely } from 'kysely';

/**
 * Who may record income, decided by the statement that records it (issue 16, the hot
 * community). A lane's batch of incomes asked the database twice: once who its callers are
 * (their memberships), then to post. Between the two answers the API's one thread had the
 * batch's answers to send and the next requests to read, so the second statement left late
 * and the community's head, which the next batch waits for, sat idle meanwhile. Now the batch
 * is one statement from the moment it is taken: the callers are checked in it, and the
 * incomes of those who may record them are posted by `ledger_record_incomes_each` as before.
 *
 * The rule is the one the API kept (ledger.income.ts incomeRefusal): a caller who is no
 * member of the community named, or a community that does not exist, is `not_found` (the
 * platform admin is never an outsider, but is no manager either); a member who is not a
 * manager is `forbidden`. Each lookup is by the community the caller named.
 *
 * p_items: as ledger_record_incomes_each reads them, each with "platformAdmin" (boolean):
 *          whether `recordedBy` is the platform admin.
 * Returns one row per item, in order: its position (1-based), the refusal (null when it may
 * record the income) and, for an income posted, its entry's seq, hash and recorded time. An
 * item neither refused nor posted was left out because another writer held its community's
 * head (p_skip_locked): it wrote nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_record_incomes_checked(p_items jsonb, p_skip_locked boolean)
    RETURNS TABLE (ord integer, refusal text, entry_seq bigint, entry_hash text, entry_recorded_at timestamptz)
    LANGUAGE sql AS $$
      WITH asked AS (
        SELECT x.item, x.ord::integer AS ord,
               CASE WHEN c.id IS NULL OR (m.roles IS NULL AND NOT coalesce((x.item ->> 'platformAdmin')::boolean, false)) THEN 'not_found'
                    WHEN NOT ('manager' = ANY (coalesce(m.roles, '{}'))) THEN 'forbidden'
               END AS refusal
          FROM jsonb_array_elements(p_items) WITH ORDINALITY x(item, ord)
          LEFT JOIN communities c ON c.id = x.item ->> 'communityId'
          LEFT JOIN memberships m ON m.community_id = x.item ->> 'communityId' AND m.user_id = x.item ->> 'recordedBy'
      ), allowed AS (
        SELECT a.ord, row_number() OVER (ORDER BY a.ord)::integer AS pos, a.item FROM asked a WHERE a.refusal IS NULL
      ), posted AS (
        SELECT r.* FROM ledger_record_incomes_each(
          (SELECT coalesce(jsonb_agg(al.item ORDER BY al.pos), '[]'::jsonb) FROM allowed al), p_skip_locked) r
      )
      SELECT a.ord, a.refusal, p.entry_seq, p.entry_hash, p.entry_recorded_at
        FROM asked a
        LEFT JOIN allowed al ON al.ord = a.ord
        LEFT JOIN posted p ON p.ord = al.pos
       ORDER BY a.ord
    $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION ledger_record_incomes_checked(jsonb, boolean)`.execute(db);
}
