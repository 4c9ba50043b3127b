import { sql, type Kysely } from 'kysely';

/**
 * A spend request's timeline names each co-signer's key as a `key` step (note `k/N`) and
 * records `approved` once, when the N-th key lands and the request's status changes (API.md).
 * Before this, every key was stored as an `approved` step; those rows stay as they are (the
 * table is append-only) and are read as keys (spending.timeline.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE spend_events DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN ('submitted', 'key', 'approved', 'rejected', 'cancelled', 'paid'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE spend_events DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN ('submitted', 'approved', 'rejected', 'cancelled', 'paid'));
  `.execute(db);
}
