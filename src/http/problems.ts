import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyServerOptions } from 'fastify';
import type { Socket } from 'node:net';
import { isConnectionError } from '../db/availability.js';
import { AppError, ERROR_STATUS, EXPECTED_REFUSALS, unavailable, type ErrorCode } from '../shared/errors.js';

const PROBLEM_TYPE_BASE = 'https://xinyi-ledger.example/problems/';

/** `extra` adds fields a route's contract asks for beyond RFC 9457 (the payment notification's `message`). */
export function sendProblem(reply: FastifyReply, error: AppError, extra: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: PROBLEM_TYPE_BASE + error.code, title: error.title, status: error.status, detail: error.message, code: error.code, ...extra });
}

/**
 * The one place where errors become responses. Expected failures carry their contract code;
 * Fastify's own (bad JSON, too large, validation) are mapped to ours; anything else is a
 * 500 that is logged in full and described to the client in one neutral sentence.
 */
export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, toAppError(error, request));
}

/** What pg's pool throws when no connection came free within its connection timeout. */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

export function toAppError(error: FastifyError | AppError | Error, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'request';
    return new AppError('validation_failed', `${context}${fastifyError.message.replace(/^(body|querystring|params|headers)/, '')}`);
  }
  // The pool's own wait for a free connection ran out: the database answers, this process
  // has more work than connections. Busy, not down.
  if (error.message === POOL_WAIT_TIMEOUT) {
    request.log.warn('no database connection came free in time');
    return unavailable('The service is busy; nothing was written. Try again in a moment');
  }
  if (isConnectionError(error)) {
    request.server.availability?.markUnreachable(error);
    request.log.warn({ err: error }, 'the database could not be reached');
    return unavailable('The database cannot be reached right now; try again shortly');
  }
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return new AppError('validation_failed', 'The URL is not valid (a malformed percent-encoding?)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('not_found', 'No such resource: an id in the path is far longer than any id');
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError('validation_failed', 'The request does not fit any route');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', `The request body exceeds the limit of ${mebibytes(request.routeOptions.bodyLimit)}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AppError('validation_failed', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('validation_failed', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('validation_failed', 'The body is not valid JSON');
  }
  if (error instanceof SyntaxError) return new AppError('validation_failed', 'The body is not valid JSON');
  const refused = expectedRefusal(error);
  if (refused) return refused;
  const status = fastifyError.statusCode;
  if (status === 413) return new AppError('payload_too_large');
  if (status !== undefined && status >= 400 && status < 500) {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status) ?? 'validation_failed';
    return new AppError(code, fastifyError.message);
  }
  request.log.error({ err: error }, 'unexpected error');
  return new AppError('internal_error', 'Something went wrong on our side; it has been logged');
}

/** A route's body limit in words: 1 MiB unless the route says otherwise (uploads take 10). */
function mebibytes(limit: number | undefined): string {
  return `${(limit ?? 1024 * 1024) / (1024 * 1024)} MiB`;
}

/** A refusal of the database that stands for an expected client mistake (errors.ts), if it is one. */
function expectedRefusal(error: Error): AppError | undefined {
  if (!('severity' in error)) return undefined;
  const constraint = (error as { constraint?: unknown }).constraint;
  const expected = typeof constraint === 'string' ? EXPECTED_REFUSALS[constraint] : undefined;
  return expected ? new AppError(expected.code, expected.detail) : undefined;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, a
 * malformed request line) are answered as problems too, written straight to the socket.
 * A reset connection has nobody to answer.
 */
export const clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']> = (error: NodeJS.ErrnoException, socket: Socket) => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers exceed 16 KiB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive']
        : [400, 'Bad Request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ type: `${PROBLEM_TYPE_BASE}validation_failed`, title: 'The request is not valid', status, detail, code: 'validation_failed' });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
};
