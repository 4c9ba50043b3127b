import { sql, type Kysely } from 'kysely';

/**
 * Browser sessions of the web app (信义家). The cookie holds a random secret; the table keeps
 * only its SHA-256, so a copy of the table opens no session. Rows live in the database, not in
 * a process, so any API process serves any browser, and signing out ends the session
 * everywhere at once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE web_sessions (
      secret_hash  text PRIMARY KEY CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
      user_id      text NOT NULL REFERENCES users (id),
      csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
      created_at   timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
    CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE web_sessions`.execute(db);
}
