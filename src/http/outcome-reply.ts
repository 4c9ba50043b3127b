import type { Outcome } from '../modules/idempotency/idempotency.service.js';

interface ReplyLike {
  header(name: string, value: string): unknown;
  code(status: never): { send(body: never): unknown };
}

/**
 * Answers with the outcome of a money-moving request: its status and body, marked with
 * `Idempotent-Replayed: true` when it is the stored answer to an earlier request with the
 * same Idempotency-Key.
 */
export function sendOutcome<R extends ReplyLike, T>(reply: R, outcome: Outcome<T>): R {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  reply.code(outcome.status as never).send(outcome.body as never);
  return reply;
}
