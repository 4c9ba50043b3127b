import type { Executor } from '../../db/database.js';

export function insertSession(
  db: Executor,
  row: { secretHash: string; userId: string; csrfToken: string; expiresAt: Date },
) {
  return db
    .insertInto('web_sessions')
    .values({ secret_hash: row.secretHash, user_id: row.userId, csrf_token: row.csrfToken, expires_at: row.expiresAt })
    .execute();
}

/** The session and its user, if the session exists and has not expired by `now`. */
export function findLiveSession(db: Executor, secretHash: string, now: Date) {
  return db
    .selectFrom('web_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.user_id', 's.csrf_token', 's.created_at', 's.last_seen_at', 's.expires_at', 'u.is_platform_admin'])
    .where('s.secret_hash', '=', secretHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
}

export function extendSession(db: Executor, secretHash: string, lastSeenAt: Date, expiresAt: Date) {
  return db
    .updateTable('web_sessions')
    .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
    .where('secret_hash', '=', secretHash)
    .execute();
}

export function deleteSession(db: Executor, secretHash: string) {
  return db.deleteFrom('web_sessions').where('secret_hash', '=', secretHash).execute();
}

/** Ended sessions are of no use to anyone; sign-ins sweep a few at a time. */
export function deleteExpiredSessions(db: Executor, now: Date, limit: number) {
  return db
    .deleteFrom('web_sessions')
    .where('secret_hash', 'in', (q) => q.selectFrom('web_sessions').select('secret_hash').where('expires_at', '<=', now).limit(limit))
    .execute();
}
