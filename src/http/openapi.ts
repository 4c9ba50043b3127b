import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from './app-types.js';

/**
 * The OpenAPI document is generated from the route schemas (one schema: validation, type and
 * documentation). Shared schemas keep their `$id` as their component name.
 */
export async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Xinyi Ledger 信义账本',
        version: '1.0.0',
        description:
          'An open double-entry ledger for trust-model residential communities: owners\' money stays ' +
          "the owners', every payout needs two co-signer keys, and every yuan in and out is public. " +
          'Money is a decimal string; errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list' } });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
