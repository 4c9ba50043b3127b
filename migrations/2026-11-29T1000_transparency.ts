import { sql, type Kysely } from 'kysely';

/**
 * Verifiable books (API.md "Verifiable books", issue 15): each community's entries, by seq,
 * are the leaves of an RFC 6962 Merkle tree kept beside the ledger, never inside a posting.
 *
 * - `transparency_keys`: the one Ed25519 key that signs every checkpoint, and the host that
 *   names it and prefixes every origin; one row, written on first start and never changed.
 * - `transparency_heads`: per community, the tree's size, root and frontier (the perfect
 *   subtrees covering [0, size), left to right, 32 bytes each: all an append needs) and the
 *   signed checkpoint of exactly that size and root. The appender locks this row.
 * - `transparency_nodes`: every complete perfect subtree, (level, index) covering leaves
 *   [index·2^level, (index+1)·2^level): once complete its hash never changes, so the table is
 *   append-only and a proof is O(log n) primary-key reads.
 * - `transparency_verified`: how far GET …/ledger/verify last found the books right, so the
 *   next verification starts there.
 *
 * The database keeps the log's promises as well as the code: a head's size only grows, a size
 * has one root, a head never claims a leaf that is not stored, nodes and keys never change,
 * nothing is deleted or truncated.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE transparency_keys (
      id          smallint PRIMARY KEY CHECK (id = 1),
      host        text NOT NULL CHECK (host ~ '^[^[:space:]+/]+$' AND length(host) <= 253),
      public_key  bytea NOT NULL CHECK (length(public_key) = 32),
      private_key bytea NOT NULL CHECK (length(private_key) = 32),
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE transparency_heads (
      community_id text PRIMARY KEY REFERENCES communities (id),
      size         bigint NOT NULL CHECK (size >= 0),
      root         bytea NOT NULL CHECK (length(root) = 32),
      frontier     bytea NOT NULL CHECK (length(frontier) % 32 = 0 AND length(frontier) <= 32 * 64),
      checkpoint   text NOT NULL,
      signed_at    timestamptz NOT NULL
    );

    CREATE TABLE transparency_nodes (
      community_id text NOT NULL,
      level        smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
      idx          bigint NOT NULL CHECK (idx >= 0),
      hash         bytea NOT NULL CHECK (length(hash) = 32),
      PRIMARY KEY (community_id, level, idx)
    );

    CREATE TABLE transparency_verified (
      community_id text PRIMARY KEY REFERENCES communities (id),
      seq          bigint NOT NULL CHECK (seq >= 0),
      hash         text NOT NULL,
      sums         jsonb NOT NULL,
      verified_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE FUNCTION transparency_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '%: % on % refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$;

    -- A head moves forward only: its size never shrinks, one size has one root, and the last
    -- leaf it counts is stored. (The nodes are inserted before the head moves, in the same
    -- transaction; the look-up is one primary-key probe per append, not per posting.)
    CREATE FUNCTION transparency_head_grows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.community_id <> OLD.community_id THEN
        RAISE EXCEPTION 'a transparency head never changes community' USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.size < OLD.size THEN
        RAISE EXCEPTION 'a transparency log never shrinks: % to %', OLD.size, NEW.size USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.size = OLD.size AND NEW.root <> OLD.root THEN
        RAISE EXCEPTION 'a tree of size % has one root', NEW.size USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.size > 0 AND NOT EXISTS (
        SELECT 1 FROM transparency_nodes n WHERE n.community_id = NEW.community_id AND n.level = 0 AND n.idx = NEW.size - 1
      ) THEN
        RAISE EXCEPTION 'a transparency head of size % claims a leaf that is not stored', NEW.size USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER transparency_heads_grow BEFORE UPDATE ON transparency_heads
      FOR EACH ROW EXECUTE FUNCTION transparency_head_grows();
    CREATE TRIGGER transparency_heads_start BEFORE INSERT ON transparency_heads
      FOR EACH ROW WHEN (NEW.size <> 0)
      EXECUTE FUNCTION transparency_refuse('a transparency log starts empty');
    CREATE TRIGGER transparency_heads_kept BEFORE DELETE ON transparency_heads
      FOR EACH ROW EXECUTE FUNCTION transparency_refuse('a transparency head is never deleted');
    CREATE TRIGGER transparency_nodes_append_only BEFORE UPDATE OR DELETE ON transparency_nodes
      FOR EACH ROW EXECUTE FUNCTION transparency_refuse('the nodes of a transparency log are append-only');
    CREATE TRIGGER transparency_keys_fixed BEFORE UPDATE OR DELETE ON transparency_keys
      FOR EACH ROW EXECUTE FUNCTION transparency_refuse('the transparency key is fixed on first start');
    CREATE TRIGGER transparency_heads_not_truncated BEFORE TRUNCATE ON transparency_heads
      FOR EACH STATEMENT EXECUTE FUNCTION transparency_refuse('a transparency log is never truncated');
    CREATE TRIGGER transparency_nodes_not_truncated BEFORE TRUNCATE ON transparency_nodes
      FOR EACH STATEMENT EXECUTE FUNCTION transparency_refuse('a transparency log is never truncated');
    CREATE TRIGGER transparency_keys_not_truncated BEFORE TRUNCATE ON transparency_keys
      FOR EACH STATEMENT EXECUTE FUNCTION transparency_refuse('the transparency key is fixed on first start');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE transparency_verified;
    DROP TABLE transparency_nodes;
    DROP TABLE transparency_heads;
    DROP TABLE transparency_keys;
    DROP FUNCTION transparency_head_grows();
    DROP FUNCTION transparency_refuse();
  `.execute(db);
}
