import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The security headers every answer carries, as helmet writes them, computed once. Our
 * headers are the same for every request (no CSP nonces, no per-route policy), yet the Fastify
 * plugin rebuilt helmet's middleware, and re-parsed the CSP, on every request: 2% of the API
 * process under `POST /income` in a CPU profile. helmet stays the authority on what the
 * headers are; we only stop asking it again for each request.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  // helmet's middleware is synchronous; an invalid option reaches `next` as an error.
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return Object.freeze(headers);
}
