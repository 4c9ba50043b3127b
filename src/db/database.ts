import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;
/**
 * A transaction. A function that takes row locks (FOR UPDATE, `ledger_post_each`, inserting
 * postings) demands one, so its locks last until the caller's commit. A repository narrows it
 * to the tables its module owns: `Tx<LedgerTables>`.
 */
export type Tx<Tables = DB> = Transaction<Tables>;
/**
 * The pool, for ONE statement that is a whole transaction by itself (autocommit): its locks
 * last until that statement commits, and every deferred check runs at that commit, exactly as
 * in a transaction of one statement, without the BEGIN and COMMIT round trips. Only for a
 * writer that does all of its work in one statement (`ledger_record_incomes_each`).
 */
export type StatementTx<Tables = DB> = Kysely<Tables>;
/** Repositories take either: a plain read runs on the pool, a write inside a transaction. */
export type Executor<Tables = DB> = Kysely<Tables> | Transaction<Tables>;

// bigint columns (seq numbers, counts) are well inside 2^53 and read as numbers; numeric
// (money) is left as the exact string pg gives us, for decimal.js or the client.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`bigint ${text} exceeds the safe integer range`);
  return value;
});

export interface DatabaseOptions {
  /** Called with every error of a connection, idle or checked out; must not throw. */
  onConnectionError?: (error: Error) => void;
}

/**
 * How long a request may wait to connect, or for a free connection from a busy pool, before
 * it is answered `503 unavailable`: inside the contract's 5 s, with room for the answer.
 */
const CONNECT_TIMEOUT_MS = 3_000;

export function createDatabase(url: string, poolSize: number, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'xinyi-ledger',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const report = options.onConnectionError ?? (() => undefined);
  // The pool listens for errors only while a connection is idle. A connection checked out by a
  // transaction that the server ends (a restart: 57P01) emits 'error' with nobody listening,
  // which would crash the process; so every connection gets a listener of its own for life.
  // The pool then drops the broken connection when it is released.
  pool.on('connect', (connection) => connection.on('error', report));
  pool.on('error', report);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  connectionStrings.set(db, url);
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Database, pg.Pool>();

/** Connections in use, idle and awaited, for the operator's metrics. */
export function poolUsage(db: Database): { total: number; idle: number; waiting: number } {
  const pool = pools.get(db);
  return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : { total: 0, idle: 0, waiting: 0 };
}

/**
 * Resolves once no connection has been in use for a few consecutive looks (or at `limitMs`).
 * A request whose client has hung up still runs to its end, and a batch takes a connection
 * for each of its steps: closing the pool under it would fail its next step. Shutting down
 * waits for this quiet before destroying the pool.
 */
export async function untilQuiet(db: Database, limitMs = 5_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (let quietLooks = 0; quietLooks < 3 && Date.now() < until; ) {
    const { total, idle, waiting } = poolUsage(db);
    quietLooks = total === idle && waiting === 0 ? quietLooks + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const connectionStrings = new WeakMap<Database, string>();

/**
 * The connection string a database was created with, for the rare connection that must live
 * outside the pool (the feed's LISTEN session holds its connection for the process's life).
 */
export function connectionStringOf(db: Database): string {
  const url = connectionStrings.get(db);
  if (url === undefined) throw new Error('This database was not made by createDatabase');
  return url;
}
