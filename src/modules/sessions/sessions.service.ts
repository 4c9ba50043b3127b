import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/database.js';
import { AppError } from '../../shared/errors.js';
import type { AuthService, Principal } from '../auth/auth.service.js';
import { isUnsafeMethod, readSessionSecret, requireOwnOrigin } from './sessions.cookie.js';
import * as repo from './sessions.repository.js';

/** A session ends after a week without use, and after 30 days whatever happens. */
export const SESSION_IDLE_SECONDS = 7 * 24 * 3600;
export const SESSION_MAX_SECONDS = 30 * 24 * 3600;
/** Use extends the idle deadline, but writes it at most once an hour. */
const TOUCH_EVERY_MS = 3600 * 1000;

export interface WebSession {
  principal: Principal;
  csrfToken: string;
}

export type SessionsService = ReturnType<typeof createSessionsService>;

const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Browser sessions of the web app. The cookie carries a random secret; the database keeps
 * its hash, the user and a CSRF token, so every API process recognises every session and
 * signing out ends it at once everywhere.
 */
export function createSessionsService(db: Database, auth: AuthService) {
  return {
    /** Checks the password (throttled like /v1/auth/login) and opens a session. */
    async signIn(username: string, password: string): Promise<{ secret: string; maxAgeSeconds: number }> {
      const claims = await auth.checkCredentials(username, password);
      const secret = randomBytes(32).toString('base64url');
      const now = new Date();
      await repo.insertSession(db, {
        secretHash: hashOf(secret),
        userId: claims.userId,
        csrfToken: randomBytes(32).toString('base64url'),
        expiresAt: new Date(now.getTime() + SESSION_IDLE_SECONDS * 1000),
      });
      await repo.deleteExpiredSessions(db, now, 100);
      return { secret, maxAgeSeconds: SESSION_MAX_SECONDS };
    },

    async signOut(secret: string): Promise<void> {
      await repo.deleteSession(db, hashOf(secret));
    },

    /**
     * The session a request's cookie names: null when there is no session cookie at all;
     * `unauthenticated` for a cookie that names no live session (expired, signed out,
     * tampered or from elsewhere). A POST, PUT, PATCH or DELETE must also come from this
     * site's own pages (Origin) and carry the session's token in `X-CSRF-Token`, else
     * `forbidden`, checked before anything is read or written.
     */
    async fromRequest(request: FastifyRequest): Promise<WebSession | null> {
      const secret = readSessionSecret(request);
      if (secret === undefined) return null;
      const now = new Date();
      const row = secret === '' ? undefined : await repo.findLiveSession(db, hashOf(secret), now);
      const user = row && (await auth.user(row.user_id));
      if (!row || !user || row.created_at.getTime() + SESSION_MAX_SECONDS * 1000 <= now.getTime()) {
        throw new AppError('unauthenticated', 'The session has ended; sign in again');
      }
      if (isUnsafeMethod(request.method)) {
        requireOwnOrigin(request);
        const token = request.headers['x-csrf-token'];
        if (typeof token !== 'string' || !sameToken(token, row.csrf_token)) {
          throw new AppError('forbidden', 'A request made with the session cookie needs the X-CSRF-Token header from GET /v1/me');
        }
      }
      if (now.getTime() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
        await repo.extendSession(db, hashOf(secret), now, new Date(now.getTime() + SESSION_IDLE_SECONDS * 1000));
      }
      return { principal: { userId: row.user_id, isPlatformAdmin: user.isPlatformAdmin }, csrfToken: row.csrf_token };
    },
  };
}
