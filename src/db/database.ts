import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Repositories take either: a plain read runs on the pool, a write inside a transaction. */
export type Executor = Kysely<DB> | Transaction<DB>;

// bigint columns (seq numbers, counts) are well inside 2^53 and read as numbers; numeric
// (money) is left as the exact string pg gives us, for decimal.js or the client.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`bigint ${text} exceeds the safe integer range`);
  return value;
});

export function createDatabase(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'xinyi-ledger' });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  connectionStrings.set(db, url);
  return db;
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
