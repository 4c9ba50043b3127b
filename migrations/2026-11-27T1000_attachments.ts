import { sql, type Kysely } from 'kysely';

/**
 * Evidence files (API.md, "Evidence"). The bytes are stored once per community under their
 * SHA-256 (content-addressed), and the database itself proves the address: a blob whose
 * hash or size does not describe its bytes is refused. Each upload is a row of its own naming
 * a blob, with who uploaded it and when. Neither is ever updated, deleted or truncated: a
 * co-signer's key covers these hashes, so the files behind them must stay what was signed.
 * Like every table of community data, both lead their keys with community_id.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE attachment_blobs (
      community_id text NOT NULL REFERENCES communities (id),
      sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size         integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
      bytes        bytea NOT NULL,
      PRIMARY KEY (community_id, sha256),
      CONSTRAINT attachment_blobs_addressed CHECK (octet_length(bytes) = size AND encode(sha256(bytes), 'hex') = sha256)
    );
    -- The bytes are read whole and rarely; kept out of line and uncompressed (photos and PDFs
    -- are compressed already).
    ALTER TABLE attachment_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;

    CREATE TABLE attachments (
      community_id text NOT NULL,
      id           text NOT NULL,
      sha256       text NOT NULL,
      content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
      uploaded_by  text NOT NULL,
      uploaded_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, sha256) REFERENCES attachment_blobs (community_id, sha256),
      FOREIGN KEY (community_id, uploaded_by) REFERENCES memberships (community_id, user_id)
    );

    CREATE TRIGGER attachment_blobs_append_only BEFORE UPDATE OR DELETE ON attachment_blobs
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER attachment_blobs_no_truncate BEFORE TRUNCATE ON attachment_blobs
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE attachments, attachment_blobs`.execute(db);
}
