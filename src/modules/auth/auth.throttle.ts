import type { Executor } from '../../db/database.js';
import { AppError } from '../../shared/errors.js';
import * as repo from './auth.repository.js';
import type { AuthTables } from './auth.tables.js';

/** At most this many failed password attempts per subject per window. */
export const MAX_FAILURES = 10;
const WINDOW_SECONDS = 60;

/**
 * Counts an attempt before the password is checked, so that parallel guesses cannot all slip
 * in under the limit; a successful attempt then clears the count. Throws `rate_limited`
 * with Retry-After once the subject has used up its window.
 */
export async function takeAttempt(db: Executor<AuthTables>, subject: string): Promise<void> {
  const row = await repo.countAttempt(db, subject, WINDOW_SECONDS);
  if (row.failures > MAX_FAILURES) {
    throw new AppError('rate_limited', `Too many failed attempts; try again in ${row.retry_after} s`, {
      'retry-after': String(row.retry_after),
    });
  }
}

export const clearAttempts = repo.clearAttempts;
