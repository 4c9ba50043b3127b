import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { AuthTables } from './auth.tables.js';

/** Every SQL statement of the auth module, on its own tables only. */
type Db = Executor<AuthTables>;

export function findUserByUsername(db: Db, username: string) {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'display_name', 'password_hash', 'is_platform_admin'])
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
}

export function findUserById(db: Db, id: string) {
  return db.selectFrom('users').select(['id', 'username', 'display_name', 'is_platform_admin']).where('id', '=', id).executeTakeFirst();
}

export function findUsers(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('users').select(['id', 'username', 'display_name']).where('id', 'in', [...ids]).execute();
}

export function insertUser(tx: Tx<AuthTables>, row: { id: string; username: string; displayName: string; passwordHash: string }) {
  return tx
    .insertInto('users')
    .values({ id: row.id, username: row.username, display_name: row.displayName, password_hash: row.passwordHash })
    .execute();
}

/** Inserts the platform admin unless a user of that name exists; true when this call made it. */
export async function insertPlatformAdmin(db: Db, row: { id: string; username: string; passwordHash: string }): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO users (id, username, display_name, password_hash, is_platform_admin)
    VALUES (${row.id}, ${row.username}, 'Platform administrator', ${row.passwordHash}, true)
    ON CONFLICT DO NOTHING RETURNING id`.execute(db);
  return rows.length > 0;
}

/**
 * Counts one attempt of `subject` in its window (a new window once the old one is over) and
 * answers the count and the seconds until the window ends. One upsert, so parallel attempts
 * each count.
 */
export async function countAttempt(db: Db, subject: string, windowSeconds: number): Promise<{ failures: number; retry_after: number }> {
  const { rows } = await sql<{ failures: number; retry_after: number }>`
    INSERT INTO auth_throttle AS t (subject, window_start, failures) VALUES (${subject}, now(), 1)
    ON CONFLICT (subject) DO UPDATE SET
      failures = CASE WHEN t.window_start > now() - make_interval(secs => ${windowSeconds}) THEN t.failures + 1 ELSE 1 END,
      window_start = CASE WHEN t.window_start > now() - make_interval(secs => ${windowSeconds}) THEN t.window_start ELSE now() END
    RETURNING failures,
      greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}) - now())))::int AS retry_after
  `.execute(db);
  return rows[0]!;
}

export async function clearAttempts(db: Db, subject: string): Promise<void> {
  await db.deleteFrom('auth_throttle').where('subject', '=', subject).execute();
}

/** Stores `value` under `name` unless one is stored already, then reads whichever won. */
export async function readOrInsertSecret(db: Db, name: string, value: string): Promise<string> {
  await sql`INSERT INTO app_secrets (name, value) VALUES (${name}, ${value}) ON CONFLICT (name) DO NOTHING`.execute(db);
  const row = await db.selectFrom('app_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
