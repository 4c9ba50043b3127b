import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';

/**
 * The OpenAPI document exactly as the running service serves it at /openapi.json. Building
 * the app touches no database, so this needs none.
 */
export async function openApiDocument(): Promise<unknown> {
  const url = 'postgres://unused:unused@127.0.0.1:1/unused';
  const db = createDatabase(url, 1);
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), db, expectedMigrations: 0 });
  await app.ready();
  const document = app.swagger();
  await app.close();
  await db.destroy();
  return JSON.parse(JSON.stringify(document));
}

export const OPENAPI_PATH = new URL('../openapi/openapi.json', import.meta.url);
