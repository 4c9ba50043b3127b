/**
 * The contract's closed list of error codes (API.md, Conventions and "The next stage"), by the
 * HTTP status each always carries. Kept here as the test's own copy of the document, not
 * imported from src/, so that a code the server invents, or a code answered with another
 * status, is caught rather than agreed with.
 */
export const CODES_BY_STATUS: Readonly<Record<number, readonly string[]>> = {
  400: ['validation_failed'],
  401: ['unauthenticated', 'signature_invalid'],
  403: ['forbidden', 'self_approval', 'bad_signing_password'],
  404: ['not_found'],
  409: ['already_decided', 'digest_mismatch', 'invalid_state', 'insufficient_funds', 'vote_closed', 'quorum_not_met'],
  413: ['payload_too_large'],
  422: ['idempotency_conflict'],
  429: ['rate_limited'],
  // "An oversized header is 431 with code validation_failed."
  431: ['validation_failed'],
  500: ['internal_error'],
  503: ['unavailable'],
};

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

/**
 * What is wrong with an answer under the contract, in one line, or undefined when nothing is.
 * The database is up during the fuzz, so every 5xx is a failure, `503 unavailable` included;
 * every 4xx is an RFC 9457 problem whose `status` repeats the HTTP status and whose `code` is
 * one the contract lists for that status.
 */
export function contractViolation(answer: Answer): string | undefined {
  const { status } = answer;
  if (status >= 500) return `answered ${status}: ${answer.text.slice(0, 300)}`;
  if (status < 400) return undefined;
  const type = String(answer.headers['content-type'] ?? '');
  if (!/^application\/problem\+json(;|$)/.test(type)) return `a ${status} with content-type "${type}": ${answer.text.slice(0, 300)}`;
  let body: any;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `a ${status} whose body is not JSON: ${answer.text.slice(0, 300)}`;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `a ${status} whose body is not an object: ${answer.text.slice(0, 300)}`;
  for (const field of ['type', 'title', 'detail', 'code'] as const) {
    if (typeof body[field] !== 'string') return `a ${status} problem without a string "${field}": ${answer.text.slice(0, 300)}`;
  }
  if (body.status !== status) return `a ${status} problem whose body says status ${JSON.stringify(body.status)}`;
  const allowed = CODES_BY_STATUS[status];
  if (!allowed?.includes(body.code)) return `a ${status} with code "${body.code}", not one the contract gives that status (${allowed?.join(', ') ?? 'none'})`;
  if (status === 429 && answer.headers['retry-after'] === undefined) return 'a 429 without Retry-After';
  return undefined;
}
