import { Type } from 'typebox';
import type { App } from './app-types.js';
import { appliedMigrationCount } from '../db/migrate.js';
import type { Database } from '../db/database.js';

/** 200 once the database answers and every shipped migration is applied; 503 otherwise. */
export function healthRoutes(db: Database, expectedMigrations: number) {
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
      async (_request, reply) => {
        const ready = await appliedMigrationCount(db).then((n) => n >= expectedMigrations, () => false);
        return ready ? { status: 'ok' as const } : reply.code(503).send({ status: 'unavailable' as const });
      },
    );
  };
}
