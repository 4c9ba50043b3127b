import { Type } from 'typebox';
import type { App } from './app-types.js';
import type { DatabaseAvailability } from '../db/availability.js';

/**
 * 200 once the database answers and every shipped migration is applied; 503 otherwise. The
 * answer comes from the availability probe's last reading, never from a query on the
 * request's path, so it is immediate however loaded the process or the database is.
 */
export function healthRoutes(availability: DatabaseAvailability) {
  return async (app: App): Promise<void> => {
    app.get(
      '/health',
      {
        config: { public: true },
        schema: {
          tags: ['service'],
          summary: 'Liveness and readiness',
          response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: Type.Object({ status: Type.Literal('unavailable') }) },
        },
      },
      async (_request, reply) =>
        availability.ready ? { status: 'ok' as const } : reply.code(503).header('retry-after', '2').send({ status: 'unavailable' as const }),
    );
  };
}
