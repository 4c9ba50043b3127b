import { sql, type Kysely } from 'kysely';

/**
 * People, communities, memberships and units. Every table of community data leads its
 * primary key with community_id, so the schema distributes by community (Citus) unchanged;
 * `users` and `communities` are the only tables without it (reference / distribution root).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id                text PRIMARY KEY,
      username          text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
      display_name      text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
      password_hash     text NOT NULL,
      is_platform_admin boolean NOT NULL DEFAULT false,
      created_at        timestamptz NOT NULL DEFAULT now()
    );
    -- Usernames are unique whatever their case, so "Alice" cannot pose as "alice".
    CREATE UNIQUE INDEX users_username_key ON users (lower(username));

    -- Process-wide secrets generated on first start (the token signing key).
    CREATE TABLE app_secrets (
      name       text PRIMARY KEY,
      value      text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- Failed password attempts per subject in a fixed one-minute window, shared by every
    -- API process so that the limit holds however many run.
    CREATE TABLE auth_throttle (
      subject      text PRIMARY KEY,
      window_start timestamptz NOT NULL,
      failures     integer NOT NULL CHECK (failures >= 0)
    );

    CREATE SEQUENCE community_number_seq;
    CREATE TABLE communities (
      id                  text PRIMARY KEY,
      -- A short public number, part of every tracking number, so a tracking number names its
      -- community and a lookup never has to search across communities.
      number              bigint NOT NULL UNIQUE DEFAULT nextval('community_number_seq'),
      name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
      management_fee_rate numeric NOT NULL CHECK (management_fee_rate >= 0 AND management_fee_rate < 1),
      timezone            text NOT NULL,
      required_approvals  integer NOT NULL DEFAULT 2 CHECK (required_approvals >= 2),
      created_at          timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE memberships (
      community_id          text NOT NULL REFERENCES communities (id),
      user_id               text NOT NULL REFERENCES users (id),
      roles                 text[] NOT NULL CHECK (
        cardinality(roles) > 0
        AND roles <@ ARRAY['owner', 'manager', 'cosigner', 'supervisor', 'admin']::text[]
      ),
      -- The co-signer's key: the second password of the dual-password account.
      signing_password_hash text,
      created_at            timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, user_id),
      CONSTRAINT cosigner_has_key CHECK (NOT ('cosigner' = ANY (roles)) OR signing_password_hash IS NOT NULL)
    );
    CREATE INDEX memberships_by_user ON memberships (user_id);

    CREATE TABLE units (
      community_id text NOT NULL REFERENCES communities (id),
      id           text NOT NULL,
      code         text NOT NULL CHECK (length(btrim(code)) BETWEEN 1 AND 50),
      building     text NOT NULL CHECK (length(btrim(building)) BETWEEN 1 AND 50),
      area_m2      numeric(10, 2) NOT NULL CHECK (area_m2 > 0),
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, id),
      UNIQUE (community_id, code)
    );

    CREATE TABLE unit_owners (
      community_id text NOT NULL,
      unit_id      text NOT NULL,
      user_id      text NOT NULL,
      PRIMARY KEY (community_id, unit_id, user_id),
      FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id),
      FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id)
    );
    CREATE INDEX unit_owners_by_user ON unit_owners (community_id, user_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE unit_owners, units, memberships, communities, auth_throttle, app_secrets, users;
    DROP SEQUENCE community_number_seq;
  `.execute(db);
}
