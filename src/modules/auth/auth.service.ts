import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../shared/errors.js';
import { decoyHash, hashPassword, verifyPassword } from './auth.passwords.js';
import { findUserByUsername } from './auth.repository.js';
import { clearAttempts, takeAttempt } from './auth.throttle.js';
import type { Principal } from './auth.principal.js';
import type { Tokens } from './auth.tokens.js';
import type { TokenResponse } from './auth.schemas.js';

export const PLATFORM_ADMIN = 'admin';

export interface AuthService {
  login(username: string, password: string): Promise<TokenResponse>;
  /**
   * Checks a username and password under the same throttle as `login`, for the web app's
   * sign-in. Throws `unauthenticated` or `rate_limited`; never issues a token.
   */
  checkCredentials(username: string, password: string): Promise<Principal>;
}

export function createAuthService(db: Database, tokens: Tokens, config: Config): AuthService {
  let decoy: Promise<string> | undefined;
  const checkCredentials = async (username: string, password: string): Promise<Principal> => {
    const subject = `login:${username.toLowerCase()}`;
    await takeAttempt(db, subject);
    const user = await findUserByUsername(db, username);
    // An unknown user costs a full hash too, and answers exactly like a wrong password.
    decoy ??= decoyHash(config.PASSWORD_HASH_COST);
    const ok = await verifyPassword(password, user?.password_hash ?? (await decoy));
    if (!user || !ok) throw new AppError('unauthenticated', 'Wrong username or password');
    await clearAttempts(db, subject);
    return { userId: user.id, isPlatformAdmin: user.is_platform_admin };
  };
  return {
    checkCredentials,
    async login(username, password) {
      const claims = await checkCredentials(username, password);
      const ttl = config.TOKEN_TTL_SECONDS;
      const accessToken = await tokens.issue(claims, ttl);
      return { accessToken, tokenType: 'Bearer', expiresIn: ttl };
    },
  };
}

/**
 * Creates the platform admin on first start: the password comes from ADMIN_PASSWORD, or is
 * generated and handed back once so the caller can print it. Later starts change nothing.
 */
export async function ensurePlatformAdmin(db: Database, config: Config): Promise<{ generatedPassword?: string }> {
  const existing = await findUserByUsername(db, PLATFORM_ADMIN);
  if (existing) return {};
  const password = config.ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
  const hash = await hashPassword(password, config.PASSWORD_HASH_COST);
  const { rows } = await sql<{ id: string }>`
    INSERT INTO users (id, username, display_name, password_hash, is_platform_admin)
    VALUES (${randomUUID()}, ${PLATFORM_ADMIN}, 'Platform administrator', ${hash}, true)
    ON CONFLICT DO NOTHING RETURNING id`.execute(db);
  // Another process may have won the race to create it; then its password stands.
  if (rows.length === 0 || config.ADMIN_PASSWORD) return {};
  return { generatedPassword: password };
}
