import type { FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';

/**
 * The session cookie. Host-only (no Domain), HttpOnly, SameSite=Strict, Path=/; Secure when
 * the request came over HTTPS. Its value is 43 base64url characters of random secret.
 */
export const SESSION_COOKIE = 'xinyi_session';
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The session secret from the Cookie header, or undefined when there is none that could be ours. */
export function readSessionSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // A malformed value is treated like a tampered one: present, and not a valid session.
    return SECRET_PATTERN.test(value) ? value : '';
  }
  return undefined;
}

export function sessionCookie(request: FastifyRequest, secret: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export function clearedSessionCookie(request: FastifyRequest): string {
  return sessionCookie(request, '', 0);
}

/**
 * True when the request says it comes from a page of this very origin: its `Origin` names
 * the host the request was sent to (scheme http or https), and `Sec-Fetch-Site`, when the
 * browser sends it, says same-origin. Compared with the Host header, so the check holds
 * whatever name or port the service is reached by.
 */
export function comesFromOwnOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (!origin || !host || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.host.toLowerCase() !== host.toLowerCase()) return false;
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

/** A state-changing request sent with the cookie must prove it comes from the app itself. */
export function requireOwnOrigin(request: FastifyRequest): void {
  if (!comesFromOwnOrigin(request)) {
    throw new AppError('forbidden', 'A request made with the session cookie must come from this site (Origin)');
  }
}

export const isUnsafeMethod = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
