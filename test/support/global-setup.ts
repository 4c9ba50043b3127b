import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ensurePlatformAdmin } from '../../src/modules/auth/auth.service.js';
import { loadConfig } from '../../src/config.js';
import { TEST_ADMIN_PASSWORD } from './constants.js';
import { requireSuiteTools } from './debian-tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One real PostgreSQL for the whole run, migrated once: a testcontainers PostgreSQL where a
 * Docker engine answers, else the same embedded server `npm start` uses. Tests isolate
 * themselves by creating their own communities, as tenants do.
 */
export default async function setup(project: TestProject) {
  requireSuiteTools();
  const { url, stop } = await startDatabase();
  const db = createDatabase(url, 2);
  await migrateToLatest(db);
  await ensurePlatformAdmin(db, loadConfig({ ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, PASSWORD_HASH_COST: '10' }));
  await db.destroy();
  project.provide('databaseUrl', url);
  return stop;
}

async function startDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => undefined };
  if (dockerMayAnswer()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:16-alpine').start();
      return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
    } catch (error) {
      console.warn(`Docker did not answer (${(error as Error).message.split('\n')[0]}); using the embedded PostgreSQL`);
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xinyi-test-'));
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ explicitDir: dir, fallbackFrom: dir, log: { info: () => undefined, error: (m) => console.error(m) } });
  return {
    url: embedded.url,
    stop: async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}
