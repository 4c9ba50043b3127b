import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode } from '../shared/errors.js';

const PROBLEM_TYPE_BASE = 'https://xinyi-ledger.example/problems/';

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: PROBLEM_TYPE_BASE + error.code, title: error.title, status: error.status, detail: error.message, code: error.code });
}

/**
 * The one place where errors become responses. Expected failures carry their contract code;
 * Fastify's own (bad JSON, too large, validation) are mapped to ours; anything else is a
 * 500 that is logged in full and described to the client in one neutral sentence.
 */
export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, toAppError(error, request));
}

function toAppError(error: FastifyError | AppError | Error, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'request';
    return new AppError('validation_failed', `${context}${fastifyError.message.replace(/^(body|querystring|params|headers)/, '')}`);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body exceeds the limit of 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('validation_failed', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('validation_failed', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('validation_failed', 'The body is not valid JSON');
  }
  if (error instanceof SyntaxError) return new AppError('validation_failed', 'The body is not valid JSON');
  const refused = fromDatabaseRefusal(error);
  if (refused) {
    // The database caught what validation should have: answer like validation, and log it so
    // the missing check is seen and added where it belongs.
    request.log.warn({ err: error }, 'input refused by the database rather than by validation');
    return refused;
  }
  const status = fastifyError.statusCode;
  if (status === 413) return new AppError('payload_too_large');
  if (status !== undefined && status >= 400 && status < 500) {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status) ?? 'validation_failed';
    return new AppError(code, fastifyError.message);
  }
  request.log.error({ err: error }, 'unexpected error');
  return new AppError('internal_error', 'Something went wrong on our side; it has been logged');
}

/**
 * A value the database refused (SQLSTATE class 22, data exception, e.g. a number out of range;
 * or class 23, a constraint) is the client's input, not our failure: never a 500.
 */
function fromDatabaseRefusal(error: Error): AppError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !('severity' in error) || !/^2[23][0-9A-Z]{3}$/.test(code)) return undefined;
  if (code === '23505') return new AppError('invalid_state', 'This conflicts with a record that exists already');
  return new AppError('validation_failed', 'A value is out of range or not allowed here');
}
