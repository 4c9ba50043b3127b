import { fingerprint, type Idempotency, type Outcome } from '../modules/idempotency/idempotency.service.js';

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

/**
 * The handler of every route that accepts an Idempotency-Key: hands `run` the request's key
 * and its fingerprint (`route`, a stable name of what is asked, and the body: the same key
 * with another fingerprint is `422`), then answers with the outcome as `sendOutcome` does.
 * `route` is part of every stored fingerprint, so it never changes once keys exist.
 */
export async function answerOnce<R extends ReplyLike, T>(
  request: { headers: { 'idempotency-key'?: string | undefined }; body: unknown },
  reply: R,
  route: string,
  run: (idempotency: Idempotency) => Promise<Outcome<T>>,
): Promise<R> {
  const outcome = await run({ key: request.headers['idempotency-key'], fingerprint: fingerprint(route, request.body) });
  return sendOutcome(reply, outcome);
}
