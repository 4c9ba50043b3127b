import pg from 'pg';
import { metrics } from '../shared/metrics.js';

/**
 * Whether the database can be reached now, known without asking it on the request's path.
 *
 * A probe on a connection of its own (never the pool's, which may be busy) runs every second
 * and reads how many migrations are applied, so `/health` and the gate in front of the API
 * answer from memory at once, whatever the load. A request that meets a connection error marks
 * the database down at once, and the probe brings it back up when the server answers again:
 * the pool and the feed's listener reconnect by themselves, so nothing here restarts them.
 */
export interface DatabaseAvailability {
  /** The database answered the last probe and every shipped migration is applied. */
  readonly ready: boolean;
  /** The database answered the last probe. */
  readonly reachable: boolean;
  /** A request saw the connection fail: treat the database as down until a probe succeeds. */
  markUnreachable(error: unknown): void;
  close(): void;
}

export interface AvailabilityOptions {
  url: string;
  expectedMigrations: number;
  log: { warn(obj: object, message: string): void; info(message: string): void };
  intervalMs?: number;
}

const PROBE_TIMEOUT_MS = 1_500;

/** Starts watching; resolves after the first probe, so the first `/health` is already true. */
export async function watchDatabase(options: AvailabilityOptions): Promise<DatabaseAvailability> {
  const interval = options.intervalMs ?? 1_000;
  let reachable = true;
  let migrated = false;
  let closed = false;
  let probing = false;
  let timer: NodeJS.Timeout | undefined;

  const setReachable = (value: boolean, error?: unknown) => {
    if (value === reachable) return;
    reachable = value;
    metrics.databaseUp.set(value ? 1 : 0);
    if (value) options.log.info('database reachable again');
    else options.log.warn({ err: error }, 'database unreachable: requests that need it answer 503 until it is back');
  };

  const probe = async () => {
    if (probing || closed) return;
    probing = true;
    const client = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      query_timeout: PROBE_TIMEOUT_MS,
      application_name: 'xinyi-ledger-probe',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM kysely_migration');
      migrated = (rows[0]?.n ?? 0) >= options.expectedMigrations;
      setReachable(true);
    } catch (error) {
      setReachable(false, error);
    } finally {
      probing = false;
      await client.end().catch(() => undefined);
    }
  };

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void probe().finally(schedule), interval);
    timer.unref();
  };
  metrics.databaseUp.set(1);
  await probe();
  schedule();

  return {
    get ready() {
      return reachable && migrated;
    },
    get reachable() {
      return reachable;
    },
    markUnreachable(error) {
      setReachable(false, error);
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or recovering
  '53300', // too_many_connections
]);

const CONNECTION_ERROR_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Connection ended',
];

/**
 * An error that says the database could not be reached or the connection was lost, as
 * opposed to an answer about the request (a constraint, a bad value). SQLSTATE class 08 is
 * PostgreSQL's own "connection exception".
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_ERROR_MESSAGES.some((m) => message.includes(m));
}
