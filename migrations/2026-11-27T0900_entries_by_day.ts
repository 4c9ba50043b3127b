import { sql, type Kysely } from 'kysely';

/**
 * `GET …/entries?from=&to=` reads the entries of a few days (a month on the web app's
 * 收支明细 and on the printed notice) without walking every entry recorded since: an index by
 * when each entry occurred. Entries are append-only, so it only ever grows at its end.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX entries_by_occurred_at ON entries (community_id, occurred_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX entries_by_occurred_at`.execute(db);
}
