import pino from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDatabase } from './db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.js';
import { migrateToLatest, SHIPPED_MIGRATIONS } from './db/migrate.js';
import { ensurePlatformAdmin } from './modules/auth/auth.service.js';

/**
 * Starts the service: the database (embedded unless DATABASE_URL is set), migrations, the
 * platform admin, then the API. SIGTERM or SIGINT stops accepting, lets in-flight requests
 * finish, closes streams and pools, and stops the embedded database cleanly.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL });

  let embedded: EmbeddedPostgres | undefined;
  if (!config.DATABASE_URL) embedded = await startEmbeddedPostgres(config.DATA_DIR, (m) => log.info(m));
  const db = createDatabase(config.DATABASE_URL ?? embedded!.url, config.DB_POOL_SIZE);

  let stopping = false;
  const stop = async (app?: Awaited<ReturnType<typeof buildApp>>) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down');
    await app?.close().catch((error: unknown) => log.error({ err: error }, 'error while closing the API'));
    await db.destroy().catch(() => undefined);
    await embedded?.stop();
    log.info('stopped');
  };

  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
    const { generatedPassword } = await ensurePlatformAdmin(db, config);
    if (generatedPassword) {
      log.warn(`platform admin created: username admin, password ${generatedPassword} (shown once; set ADMIN_PASSWORD to choose it)`);
    }
    const app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS, logger: log });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void stop(app).then(() => process.exit(0)));
    }
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    log.fatal({ err: error }, 'could not start');
    await stop();
    process.exit(1);
  }
}

void main();
