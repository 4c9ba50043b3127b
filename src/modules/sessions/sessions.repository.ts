import type { Executor } from '../../db/database.js';
import type { SessionsTables } from './sessions.tables.js';

/** Every SQL statement of the sessions module, on its own table only. */
type Db = Executor<SessionsTables>;

export function insertSession(
  db: Db,
  row: { secretHash: string; userId: string; csrfToken: string; expiresAt: Date },
) {
  return db
    .insertInto('web_sessions')
    .values({ secret_hash: row.secretHash, user_id: row.userId, csrf_token: row.csrfToken, expires_at: row.expiresAt })
    .execute();
}

/** The session, if it exists and has not expired by `now` (its user is the auth module's to describe). */
export function findLiveSession(db: Db, secretHash: string, now: Date) {
  return db
    .selectFrom('web_sessions')
    .select(['user_id', 'csrf_token', 'created_at', 'last_seen_at', 'expires_at'])
    .where('secret_hash', '=', secretHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

export function extendSession(db: Db, secretHash: string, lastSeenAt: Date, expiresAt: Date) {
  return db
    .updateTable('web_sessions')
    .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
    .where('secret_hash', '=', secretHash)
    .execute();
}

export function deleteSession(db: Db, secretHash: string) {
  return db.deleteFrom('web_sessions').where('secret_hash', '=', secretHash).execute();
}

/** Ended sessions are of no use to anyone; sign-ins sweep a few at a time. */
export function deleteExpiredSessions(db: Db, now: Date, limit: number) {
  return db
    .deleteFrom('web_sessions')
    .where('secret_hash', 'in', (q) => q.selectFrom('web_sessions').select('secret_hash').where('expires_at', '<=', now).limit(limit))
    .execute();
}
