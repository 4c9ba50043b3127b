import type { App } from '../../http/app-types.js';
import { problems } from '../../shared/schemas.js';
import { LoginBody, TokenResponse } from './auth.schemas.js';

export async function authRoutes(app: App): Promise<void> {
  app.post(
    '/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password',
        description: 'Failed attempts are limited to 10 a minute per user; then 429 with Retry-After.',
        body: LoginBody,
        response: { 200: TokenResponse, ...problems(400, 401, 429) },
      },
    },
    async (request) => app.services.auth.login(request.body.username, request.body.password),
  );
}
