import type { FastifyRequest } from 'fastify';
import type { Tokens } from '../modules/auth/auth.tokens.js';
import { AppError } from '../shared/errors.js';

/**
 * Every route not marked public needs `Authorization: Bearer <token>` or the web app's session
 * cookie (sessions.service.ts, which also checks Origin and the CSRF token). The stream route also
 * takes a short-lived stream token in `?access_token=`, because a browser's EventSource
 * cannot set headers; that token is good for nothing else.
 */
export function authenticate(tokens: Tokens) {
  return async (request: FastifyRequest): Promise<void> => {
    const config = request.routeOptions.config;
    // Only the API needs a token; health, the OpenAPI document and the docs page are public.
    if (config.public || !request.routeOptions.url?.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_\-.=]+)$/.exec(header.trim());
      if (!match?.[1]) throw new AppError('unauthenticated', 'Use Authorization: Bearer <token>');
      request.principal = await tokens.verify(match[1], 'api');
      return;
    }
    const queryToken = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (config.streamToken && typeof queryToken === 'string') {
      request.principal = await tokens.verify(queryToken, 'stream');
      return;
    }
    // The web app's session cookie (bearer wins when both are sent); it checks CSRF itself.
    const session = await request.server.services.sessions.fromRequest(request);
    if (session) {
      request.principal = session.principal;
      request.webSession = session;
      return;
    }
    throw new AppError('unauthenticated', 'This needs Authorization: Bearer <token>');
  };
}
