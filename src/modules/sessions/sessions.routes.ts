import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-types.js';
import { AppError } from '../../shared/errors.js';
import { LoginBody } from '../auth/auth.schemas.js';
import { clearedSessionCookie, comesFromOwnOrigin, readSessionSecret, requireOwnOrigin, sessionCookie } from './sessions.cookie.js';
import type { WebSession } from './sessions.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The web app's session when the request was authenticated by its cookie, else null. */
    webSession: WebSession | null;
  }
}

/**
 * The web app's own sign-in and sign-out, outside `/v1` (where `/v1/auth/login` stays
 * bearer-only). The form posts JSON from the app, or an ordinary urlencoded form when
 * scripts are off; the latter is answered with a redirect instead of JSON.
 */
async function sessionsRoutes(app: App): Promise<void> {
  const { sessions } = app.services;
  // Only these routes read forms: the API itself stays JSON-only.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const isForm = (request: FastifyRequest) => request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true;

  app.post(
    '/sign-in',
    { config: { public: true }, schema: { hide: true, body: LoginBody } },
    async (request, reply) => {
      // Browsers send Origin with every POST; a form on another site must not sign anyone in.
      if (request.headers.origin !== undefined && !comesFromOwnOrigin(request)) {
        throw new AppError('forbidden', 'Sign in from this site only');
      }
      const old = readSessionSecret(request);
      try {
        const { secret, maxAgeSeconds } = await sessions.signIn(request.body.username, request.body.password);
        if (old) await sessions.signOut(old);
        reply.header('set-cookie', sessionCookie(request, secret, maxAgeSeconds)).header('cache-control', 'no-store');
        return isForm(request) ? reply.redirect('/', 303) : reply.code(204).send();
      } catch (error) {
        if (isForm(request) && error instanceof AppError) return reply.redirect('/?signin=failed', 303);
        throw error;
      }
    },
  );

  app.post('/sign-out', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const secret = readSessionSecret(request);
    if (secret) {
      requireOwnOrigin(request);
      // Signing out needs the CSRF token too, or any page could sign a resident out; a session
      // that has already ended just loses its cookie.
      const session = await sessions.fromRequest(request).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'unauthenticated') return null;
        throw error;
      });
      if (session) await sessions.signOut(secret);
    }
    reply.header('set-cookie', clearedSessionCookie(request)).header('cache-control', 'no-store');
    return isForm(request) ? reply.redirect('/', 303) : reply.code(204).send();
  });
}

/**
 * Called on the root app (not registered as a child plugin) so that every request carries
 * `webSession`; the sign-in routes and their form parser get a scope of their own.
 */
export async function registerSessions(app: App): Promise<void> {
  app.decorateRequest('webSession', null);
  await app.register(sessionsRoutes);
}
