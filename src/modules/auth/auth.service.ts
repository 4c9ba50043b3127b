import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database, Executor, Tx } from '../../db/database.js';
import { pgCode, pgConstraint } from '../../db/transaction.js';
import { AppError } from '../../shared/errors.js';
import { decoyHash, hashPassword, verifyPassword } from './auth.passwords.js';
import type { Principal } from './auth.principal.js';
import * as repo from './auth.repository.js';
import { clearAttempts, takeAttempt } from './auth.throttle.js';
import type { Tokens } from './auth.tokens.js';
import type { TokenResponse } from './auth.schemas.js';

export type { Principal } from './auth.principal.js';
export type { Tokens } from './auth.tokens.js';

export const PLATFORM_ADMIN = 'admin';

/** A user as other modules see one: never their password. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  isPlatformAdmin: boolean;
}

export interface AuthService {
  login(username: string, password: string): Promise<TokenResponse>;
  /**
   * Checks a username and password under the same throttle as `login`, for the web app's
   * sign-in. Throws `unauthenticated` or `rate_limited`; never issues a token.
   */
  checkCredentials(username: string, password: string): Promise<Principal>;
  /** The user, or undefined when there is none by that id. */
  user(id: string): Promise<User | undefined>;
  /** Usernames and display names of users, by id (ids without a user are left out). */
  people(executor: Executor, ids: readonly string[]): Promise<Map<string, { username: string; displayName: string }>>;
  /** Hashes a password or signing password at the configured cost (scrypt, off the event loop). */
  hashSecret(secret: string): Promise<string>;
  /**
   * Creates a user in the caller's transaction (a member is added with their membership).
   * Throws `invalid_state` when the username is taken.
   */
  createUser(tx: Tx, user: { id: string; username: string; displayName: string; passwordHash: string }): Promise<void>;
  /**
   * Checks a secret against its stored hash under the login throttle of `subject` (10 failures
   * a minute, then `rate_limited`). Answers whether it matched; a null hash never matches.
   */
  checkSecret(subject: string, secret: string, hash: string | null): Promise<boolean>;
}

export function createAuthService(db: Database, tokens: Tokens, config: Config): AuthService {
  let decoy: Promise<string> | undefined;
  const checkSecret = async (subject: string, secret: string, hash: string | null): Promise<boolean> => {
    await takeAttempt(db, subject);
    // A missing hash costs a full hash too, so the answer takes the same time either way.
    decoy ??= decoyHash(config.PASSWORD_HASH_COST);
    const ok = (await verifyPassword(secret, hash ?? (await decoy))) && hash !== null;
    if (ok) await clearAttempts(db, subject);
    return ok;
  };
  const checkCredentials = async (username: string, password: string): Promise<Principal> => {
    const user = await repo.findUserByUsername(db, username);
    // An unknown user answers exactly like a wrong password.
    if (!(await checkSecret(`login:${username.toLowerCase()}`, password, user?.password_hash ?? null)) || !user) {
      throw new AppError('unauthenticated', 'Wrong username or password');
    }
    return { userId: user.id, isPlatformAdmin: user.is_platform_admin };
  };
  return {
    checkCredentials,
    checkSecret,
    async login(username, password) {
      const claims = await checkCredentials(username, password);
      const ttl = config.TOKEN_TTL_SECONDS;
      const accessToken = await tokens.issue(claims, ttl);
      return { accessToken, tokenType: 'Bearer', expiresIn: ttl };
    },
    async user(id) {
      const row = await repo.findUserById(db, id);
      return row && { id: row.id, username: row.username, displayName: row.display_name, isPlatformAdmin: row.is_platform_admin };
    },
    async people(executor, ids) {
      const rows = await repo.findUsers(executor, [...new Set(ids)]);
      return new Map(rows.map((r) => [r.id, { username: r.username, displayName: r.display_name }]));
    },
    hashSecret: (secret) => hashPassword(secret, config.PASSWORD_HASH_COST),
    async createUser(tx, user) {
      await repo.insertUser(tx, user).catch((error: unknown) => {
        if (pgCode(error) === '23505' && pgConstraint(error) === 'users_username_key') {
          throw new AppError('invalid_state', `The username ${JSON.stringify(user.username)} is taken`);
        }
        throw error;
      });
    },
  };
}

/**
 * Creates the platform admin on first start: the password comes from ADMIN_PASSWORD, or is
 * generated and handed back once so the caller can print it. Later starts change nothing.
 */
export async function ensurePlatformAdmin(db: Database, config: Config): Promise<{ generatedPassword?: string }> {
  const existing = await repo.findUserByUsername(db, PLATFORM_ADMIN);
  if (existing) return {};
  const password = config.ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password, config.PASSWORD_HASH_COST);
  const inserted = await repo.insertPlatformAdmin(db, { id: randomUUID(), username: PLATFORM_ADMIN, passwordHash });
  // Another process may have won the race to create it; then its password stands.
  if (!inserted || config.ADMIN_PASSWORD) return {};
  return { generatedPassword: password };
}
