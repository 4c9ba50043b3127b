import pg from 'pg';
import { metrics } from '../shared/metrics.js';

/**
 * Whether the database can be reached now, known without asking it on the request's path.
 *
 * A probe on a connection of its own (never the pool's, which may be busy), kept open between
 * probes, reads every second how many migrations are applied, so `/health` and the gate in
 * front of the API answer from memory at once, whatever the load. Two kinds of failure are
 * told apart. A refusal or a lost connection is certain: the database is marked down at once,
 * by the probe or by a request that met it. A timeout is not: on a saturated event loop the
 * probe's own answer may simply be late, so only three timeouts in a row mark it down; a busy
 * process must never declare a healthy database dead and shed everything. The probe marks it
 * up again when the server answers; the pool and the feed's listener reconnect by themselves.
 */
export interface DatabaseAvailability {
  /** The database answered the last probe and every shipped migration is applied. */
  readonly ready: boolean;
  /** The database is not known to be down. */
  readonly reachable: boolean;
  /** A request met a refused or lost connection: down until a probe succeeds. */
  markUnreachable(error: unknown): void;
  close(): void;
}

export interface AvailabilityOptions {
  url: string;
  expectedMigrations: number;
  log: { warn(obj: object, message: string): void; info(message: string): void };
  intervalMs?: number;
}

const PROBE_TIMEOUT_MS = 2_000;
const TIMEOUTS_BEFORE_DOWN = 3;

/** Starts watching; resolves after the first probe, so the first `/health` is already true. */
export async function watchDatabase(options: AvailabilityOptions): Promise<DatabaseAvailability> {
  const interval = options.intervalMs ?? 1_000;
  let reachable = true;
  let migrated = false;
  let closed = false;
  let probing = false;
  let timeoutsInARow = 0;
  let timer: NodeJS.Timeout | undefined;
  let client: pg.Client | undefined;

  const setReachable = (value: boolean, error?: unknown) => {
    if (value === reachable) return;
    reachable = value;
    metrics.databaseUp.set(value ? 1 : 0);
    if (value) options.log.info('database reachable again');
    else options.log.warn({ err: error }, 'database unreachable: requests that need it answer 503 until it is back');
  };

  const dropClient = () => {
    const broken = client;
    client = undefined;
    void broken?.end().catch(() => undefined);
  };

  const connected = async (): Promise<pg.Client> => {
    if (client) return client;
    const fresh = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      query_timeout: PROBE_TIMEOUT_MS,
      application_name: 'xinyi-ledger-probe',
    });
    fresh.on('error', () => {
      if (client === fresh) dropClient();
    });
    try {
      await fresh.connect();
    } catch (error) {
      void fresh.end().catch(() => undefined);
      throw error;
    }
    client = fresh;
    return fresh;
  };

  const probe = async () => {
    if (probing || closed) return;
    probing = true;
    try {
      const { rows } = await (await connected()).query<{ n: number }>('SELECT count(*)::int AS n FROM kysely_migration');
      migrated = (rows[0]?.n ?? 0) >= options.expectedMigrations;
      timeoutsInARow = 0;
      setReachable(true);
    } catch (error) {
      dropClient();
      if (isTimeout(error) && ++timeoutsInARow < TIMEOUTS_BEFORE_DOWN) return;
      setReachable(false, error);
    } finally {
      probing = false;
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
      if (isConnectionError(error) && !isTimeout(error)) setReachable(false, error);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      dropClient();
    },
  };
}

/** A wait that ran out: the database may be down, or this process too busy to hear it. */
function isTimeout(error: unknown): boolean {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'ETIMEDOUT' || (typeof message === 'string' && /timeout|timed out/i.test(message));
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
