import pino from 'pino';
import { buildApp } from './app.js';
import { DEFAULT_DATA_DIR, loadConfig, type Config } from './config.js';
import { isConnectionError } from './db/availability.js';
import { createDatabase, untilQuiet, type Database } from './db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.js';
import { migrateToLatest, SHIPPED_MIGRATIONS } from './db/migrate.js';
import { ensurePlatformAdmin } from './modules/auth/auth.service.js';

/**
 * Starts the service: the database (embedded unless DATABASE_URL is set), migrations, the
 * platform admin, then the API. SIGTERM or SIGINT stops accepting, lets in-flight requests
 * finish, closes streams and pools, and stops the embedded database cleanly. Nothing the
 * database, the network or a client does may end the process: every error has its handler,
 * and one that still escapes is logged, not fatal.
 */
const SHUTDOWN_LIMIT_MS = 12_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception (kept running)'));
  process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection (kept running)'));

  let embedded: EmbeddedPostgres | undefined;
  let db: Database | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`shutting down (${reason})`);
    // A request or stream that will not finish must not keep the database running forever.
    const deadline = setTimeout(() => {
      log.error('shutdown took too long; stopping now');
      void embedded?.stop().finally(() => process.exit(1));
    }, SHUTDOWN_LIMIT_MS);
    await app?.close().catch((error: unknown) => log.error({ err: error }, 'error while closing the API'));
    if (db) await untilQuiet(db);
    await db?.destroy().catch(() => undefined);
    await embedded?.stop();
    clearTimeout(deadline);
    log.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => void stop(signal).then(() => process.exit(0)));
  }
  watchParent(() => void stop('the process that started us is gone').then(() => process.exit(0)));

  try {
    if (!config.DATABASE_URL) {
      embedded = await startEmbeddedPostgres({
        explicitDir: config.DATA_DIR,
        fallbackFrom: DEFAULT_DATA_DIR,
        log: { info: (m) => log.info(m), error: (m) => log.error(m) },
      });
    }
    db = createDatabase(config.DATABASE_URL ?? embedded!.url, config.DB_POOL_SIZE, {
      onConnectionError: (error) => log.warn({ err: error }, 'a database connection failed; the pool replaces it'),
    });
    await untilDatabaseAnswers(() => migrateToLatest(db!), log, () => stopping).then((applied) => {
      if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
    });
    const { generatedPassword } = await ensurePlatformAdmin(db, config);
    if (generatedPassword) {
      log.warn(`platform admin created: username admin, password ${generatedPassword} (shown once; set ADMIN_PASSWORD to choose it)`);
    }
    app = await buildApp({ config, db, expectedMigrations: SHIPPED_MIGRATIONS, logger: log });
    if (stopping) return;
    // A city's clients connect by the thousand at once (a morning's payments, every stream
    // reconnecting after a deploy). Past Node's default queue of 511 waiting connections the
    // kernel drops a client's SYN, and the client waits a full second (then 3, 7, 15) to try
    // again, however idle the service is a moment later. The kernel caps this at somaxconn.
    await app.listen({ port: config.PORT, host: config.HOST, backlog: 4096 });
  } catch (error) {
    if (stopping) return;
    log.fatal({ err: error }, 'could not start');
    await stop('start failed');
    process.exit(1);
  }
}

/** Human-readable lines on a terminal, JSON lines for a collector otherwise. */
function createLogger(config: Config) {
  const options = { level: config.LOG_LEVEL };
  if (!process.stdout.isTTY) return pino(options);
  return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
}

/**
 * With DATABASE_URL the server may be restarting while we start: wait for it, saying so,
 * rather than exiting and leaving a process manager to guess.
 */
async function untilDatabaseAnswers<T>(work: () => Promise<T>, log: pino.Logger, stopping: () => boolean): Promise<T> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await work();
    } catch (error) {
      if (!isConnectionError(error) || stopping()) throw error;
      log.warn({ err: error }, `the database does not answer; trying again in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A process manager that signals only the pid it started (npm, a shell) may leave us behind
 * with our parent gone; we notice being re-parented and stop as if signalled. `npm start`
 * execs node, so npm's own forwarding of SIGTERM reaches us directly as well.
 */
function watchParent(onOrphaned: () => void): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, 500);
  timer.unref();
}

void main();
