/**
 * The closed list of error codes a client may rely on (API.md, Conventions), each with the
 * HTTP status it always carries. An expected failure is thrown as an `AppError`; anything
 * else is a broken invariant and becomes a logged 500 whose details never leave the server.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthenticated: 401,
  signature_invalid: 401,
  forbidden: 403,
  self_approval: 403,
  bad_signing_password: 403,
  not_found: 404,
  already_decided: 409,
  digest_mismatch: 409,
  invalid_state: 409,
  insufficient_funds: 409,
  vote_closed: 409,
  quorum_not_met: 409,
  payload_too_large: 413,
  idempotency_conflict: 422,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  unauthenticated: 'Authentication is required',
  signature_invalid: 'The notification signature does not verify',
  forbidden: 'Your role does not allow this',
  self_approval: 'The submitter of a request cannot approve it',
  bad_signing_password: 'The signing password is wrong',
  not_found: 'Not found',
  already_decided: 'You have already decided on this',
  digest_mismatch: 'The digest does not match what is being approved',
  invalid_state: 'This action does not fit the current status',
  insufficient_funds: 'The fund does not have enough available money',
  vote_closed: 'This vote is not open for ballots',
  quorum_not_met: 'This spend needs a closed owners\' vote of this community that passed',
  payload_too_large: 'The request body is too large',
  idempotency_conflict: 'This Idempotency-Key was used with another request',
  rate_limited: 'Too many failed attempts',
  internal_error: 'Internal error',
  unavailable: 'The service is unavailable for a moment',
};

/**
 * The database's refusals that stand for a client's expected mistake, by constraint name, and
 * how each is answered. Services translate these where they can say more (which period, which
 * username); this table answers the rest the same way. Every other refusal (a trigger guarding
 * an invariant, a value out of range) means validation or a service let something through that
 * it should not have: a 500, logged at error, never blamed on the client.
 */
export const EXPECTED_REFUSALS: Readonly<Record<string, { code: ErrorCode; detail: string }>> = {
  users_username_key: { code: 'invalid_state', detail: 'That username is taken' },
  billing_runs_period_once: { code: 'invalid_state', detail: 'This period is billed already' },
  entries_reversed_once: { code: 'invalid_state', detail: 'This entry was reversed already' },
  available_not_negative: { code: 'insufficient_funds', detail: 'The fund does not have enough available money' },
  budget_versions_one_draft: { code: 'invalid_state', detail: 'This budget has a draft already' },
};

export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    /** Extra response headers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? TITLES[code]);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
    this.title = TITLES[code];
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `No such ${what}`);
export const forbidden = (detail?: string) => new AppError('forbidden', detail);
export const invalidState = (detail: string) => new AppError('invalid_state', detail);
/**
 * The database cannot be reached or the service is shedding load: nothing was written, and the
 * same request may be sent again after `retryAfterSeconds`.
 */
export const unavailable = (detail: string, retryAfterSeconds = 2) =>
  new AppError('unavailable', detail, { 'retry-after': String(retryAfterSeconds) });
export const validationFailed = (detail: string) => new AppError('validation_failed', detail);

/** Throws a 500 (logged, never detailed to the client) when an invariant does not hold. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant broken: ${message}`);
}
