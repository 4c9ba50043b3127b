import type { ColumnType } from 'kysely';
import type { CreatedAt } from '../../db/columns.js';

/** The table of the sessions module. */
export interface SessionsTables {
  web_sessions: WebSessionsTable;
}

/** A browser session of the web app; the cookie's secret is stored only as its SHA-256. */
export interface WebSessionsTable {
  secret_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: ColumnType<Date, Date, Date>;
}
