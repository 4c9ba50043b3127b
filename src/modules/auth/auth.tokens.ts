import { randomBytes, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Database } from '../../db/database.js';
import { AppError } from '../../shared/errors.js';
import type { Principal } from './auth.principal.js';
import { readOrInsertSecret } from './auth.repository.js';

const ISSUER = 'xinyi-ledger';
const AUDIENCE = 'xinyi-ledger-api';
/** Tokens for EventSource, which cannot send headers, are valid only for the stream. */
const STREAM_AUDIENCE = 'xinyi-ledger-stream';
const ALGORITHM = 'HS256';
const KEY_NAME = 'jwt_hs256_key';
const MAX_TOKEN_AGE_SECONDS = 24 * 60 * 60;

/**
 * Tokens this process has verified, until they expire: a token is a signed, immutable
 * statement, so verifying it again can only give the same answer until `exp` (or the maximum
 * age) passes, and a client sends the same token with every request. Bounded: past the bound
 * the oldest entries go first. Nothing here is shared between processes or outlives one.
 */
const MAX_REMEMBERED = 10_000;

export interface Tokens {
  issue(claims: Principal, ttlSeconds: number, audience?: 'api' | 'stream'): Promise<string>;
  /** Throws `unauthenticated` for anything but a valid, unexpired token of this service. */
  verify(token: string, audience?: 'api' | 'stream'): Promise<Principal>;
}

/**
 * The signing key is generated on first start and kept in the database, so every API process
 * shares it and restarts keep tokens valid. HS256 with a 256-bit key; verification pins the
 * algorithm, issuer and audience and requires `exp` (jose would accept a token without it).
 */
export function loadTokens(db: Database): Tokens {
  // Read on first use, so that building the app (e.g. to write the OpenAPI document) needs no database.
  let keyPromise: Promise<webcrypto.CryptoKey> | undefined;
  const signingKey = () => (keyPromise ??= readOrCreateKey(db).catch((error: unknown) => {
    keyPromise = undefined;
    throw error;
  }));

  // Per service instance: another instance may hold another key.
  const verified = new Map<string, { audience: 'api' | 'stream'; principal: Principal; validUntil: number }>();
  function remember(token: string, audience: 'api' | 'stream', principal: Principal, validUntil: number): void {
    if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value!);
    verified.set(token, { audience, principal, validUntil });
  }

  return {
    async issue(claims, ttlSeconds, audience = 'api') {
      const key = await signingKey();
      return new SignJWT({ adm: claims.isPlatformAdmin })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(audience === 'api' ? AUDIENCE : STREAM_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
    async verify(token, audience = 'api') {
      const known = verified.get(token);
      if (known && known.audience === audience && Date.now() < known.validUntil) return known.principal;
      const key = await signingKey();
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: audience === 'api' ? AUDIENCE : STREAM_AUDIENCE,
          requiredClaims: ['exp', 'sub', 'iat'],
          maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        });
        if (typeof payload.sub !== 'string' || payload.sub === '') throw new AppError('unauthenticated', 'Invalid token');
        const principal = { userId: payload.sub, isPlatformAdmin: payload.adm === true };
        remember(token, audience, principal, Math.min(payload.exp! * 1000, (payload.iat! + MAX_TOKEN_AGE_SECONDS) * 1000));
        return principal;
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new AppError('unauthenticated', 'The token has expired');
        throw new AppError('unauthenticated', 'Invalid token');
      }
    },
  };
}

/**
 * The key as a WebCrypto key, imported once: handed raw bytes, jose imports them again on
 * every call, which cost more than the HMAC itself (a CPU profile of POST /income put 6% of
 * the API process in WebCrypto's key import).
 */
async function readOrCreateKey(db: Database): Promise<webcrypto.CryptoKey> {
  // Several processes may start at once: the first insert wins and everyone reads the winner.
  const value = await readOrInsertSecret(db, KEY_NAME, randomBytes(32).toString('base64url'));
  const key = Buffer.from(value, 'base64url');
  if (key.length < 32) throw new Error('token signing key is too short');
  return crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}
