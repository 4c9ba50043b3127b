import { sql } from 'kysely';
import type { Executor } from '../../db/database.js';
import { AppError } from '../../shared/errors.js';

/** At most this many failed password attempts per subject per window. */
export const MAX_FAILURES = 10;
const WINDOW_SECONDS = 60;

/**
 * Counts an attempt before the password is checked, so that parallel guesses cannot all slip
 * in under the limit; a successful attempt then clears the count. Throws `rate_limited`
 * with Retry-After once the subject has used up its window.
 */
export async function takeAttempt(db: Executor, subject: string): Promise<void> {
  const { rows } = await sql<{ failures: number; retry_after: number }>`
    INSERT INTO auth_throttle AS t (subject, window_start, failures) VALUES (${subject}, now(), 1)
    ON CONFLICT (subject) DO UPDATE SET
      failures = CASE WHEN t.window_start > now() - make_interval(secs => ${WINDOW_SECONDS}) THEN t.failures + 1 ELSE 1 END,
      window_start = CASE WHEN t.window_start > now() - make_interval(secs => ${WINDOW_SECONDS}) THEN t.window_start ELSE now() END
    RETURNING failures,
      greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => ${WINDOW_SECONDS}) - now())))::int AS retry_after
  `.execute(db);
  const row = rows[0];
  if (row && row.failures > MAX_FAILURES) {
    throw new AppError('rate_limited', `Too many failed attempts; try again in ${row.retry_after} s`, {
      'retry-after': String(row.retry_after),
    });
  }
}

export async function clearAttempts(db: Executor, subject: string): Promise<void> {
  await db.deleteFrom('auth_throttle').where('subject', '=', subject).execute();
}
