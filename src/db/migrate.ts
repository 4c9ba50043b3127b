import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Database } from './database.js';

/**
 * Applies every pending migration from `migrations/` in name order. Kysely's migrator holds
 * a lock while it works, so several API processes starting at once take turns.
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** How many migrations this code ships; /health wants them all applied. */
export const SHIPPED_MIGRATIONS = Object.keys(migrations).length;

/** How many migrations are recorded as applied; /health compares it with what we shipped. */
export async function appliedMigrationCount(db: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kysely_migration`.execute(db);
  return rows[0]?.n ?? 0;
}
