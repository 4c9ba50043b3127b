import { sql, type Kysely } from 'kysely';

/**
 * Annual budgets under two keys. A community's budget for a year is a chain of versions:
 * at most one open draft at a time, and approved versions that never change again. The
 * database keeps the money rules as well as the server:
 * - line amounts are non-negative money with two decimals, one line per account;
 * - an approved version, its lines and its approvals are frozen (triggers refuse changes);
 * - an approval is recorded only on a draft, never by its drafter, once per co-signer;
 * - a version becomes approved only when it holds as many approvals as the community
 *   requires (checked by a trigger at the moment its status changes).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE budget_versions (
      community_id text NOT NULL REFERENCES communities (id),
      year         integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      version      integer NOT NULL CHECK (version > 0),
      status       text NOT NULL CHECK (status IN ('draft', 'approved')),
      digest       text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
      drafted_by   text NOT NULL REFERENCES users (id),
      drafted_at   timestamptz NOT NULL,
      approved_at  timestamptz,
      PRIMARY KEY (community_id, year, version),
      CONSTRAINT approved_has_time CHECK ((status = 'approved') = (approved_at IS NOT NULL))
    );
    -- One open draft per year: a second PUT replaces it instead of forking the history.
    CREATE UNIQUE INDEX budget_versions_one_draft ON budget_versions (community_id, year) WHERE status = 'draft';

    CREATE TABLE budget_lines (
      community_id text NOT NULL,
      year         integer NOT NULL,
      version      integer NOT NULL,
      account_code text NOT NULL,
      amount       numeric(15, 2) NOT NULL CHECK (amount >= 0),
      PRIMARY KEY (community_id, year, version, account_code),
      FOREIGN KEY (community_id, year, version) REFERENCES budget_versions (community_id, year, version),
      FOREIGN KEY (community_id, account_code) REFERENCES accounts (community_id, code)
    );

    CREATE TABLE budget_approvals (
      community_id text NOT NULL,
      year         integer NOT NULL,
      version      integer NOT NULL,
      cosigner_id  text NOT NULL REFERENCES users (id),
      digest       text NOT NULL,
      approved_at  timestamptz NOT NULL DEFAULT now(),
      -- One key per co-signer per version: a second approval is already_decided.
      PRIMARY KEY (community_id, year, version, cosigner_id),
      FOREIGN KEY (community_id, year, version) REFERENCES budget_versions (community_id, year, version)
    );
  `.execute(db);

  await sql`
    CREATE FUNCTION budget_status_of(p_community text, p_year integer, p_version integer) RETURNS text
      LANGUAGE sql STABLE AS $$
      SELECT status FROM budget_versions WHERE community_id = p_community AND year = p_year AND version = p_version
    $$;

    -- Lines and approvals of an approved version are history: nothing may change them.
    CREATE FUNCTION budget_child_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
    BEGIN
      IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
      IF budget_status_of(r.community_id, r.year, r.version) = 'approved'
         OR (TG_OP = 'UPDATE' AND budget_status_of(OLD.community_id, OLD.year, OLD.version) = 'approved') THEN
        RAISE EXCEPTION 'budget % version % is approved and frozen', r.year, r.version USING ERRCODE = 'restrict_violation';
      END IF;
      IF TG_TABLE_NAME = 'budget_approvals' AND TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM budget_versions v WHERE v.community_id = NEW.community_id AND v.year = NEW.year
                     AND v.version = NEW.version AND (v.drafted_by = NEW.cosigner_id OR v.digest <> NEW.digest)) THEN
          RAISE EXCEPTION 'an approval must come from someone other than the drafter, for the current digest'
            USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER budget_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON budget_lines
      FOR EACH ROW EXECUTE FUNCTION budget_child_guard();
    CREATE TRIGGER budget_approvals_guard BEFORE INSERT OR UPDATE OR DELETE ON budget_approvals
      FOR EACH ROW EXECUTE FUNCTION budget_child_guard();

    -- A version starts as a draft; an approved version never changes; a draft becomes
    -- approved only with enough keys from people other than its drafter.
    CREATE FUNCTION budget_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      keys integer;
      needed integer;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'approved' THEN
          RAISE EXCEPTION 'an approved budget is never deleted' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
          RAISE EXCEPTION 'a budget version starts as a draft' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.status = 'approved' THEN
        RAISE EXCEPTION 'budget % version % is approved and frozen', OLD.year, OLD.version USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.status = 'approved' THEN
        SELECT count(*) INTO keys FROM budget_approvals a
         WHERE a.community_id = NEW.community_id AND a.year = NEW.year AND a.version = NEW.version
           AND a.digest = NEW.digest AND a.cosigner_id <> NEW.drafted_by;
        SELECT required_approvals INTO needed FROM communities WHERE id = NEW.community_id;
        IF keys < needed THEN
          RAISE EXCEPTION 'budget % version % holds % of % approvals', NEW.year, NEW.version, keys, needed
            USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER budget_versions_guard BEFORE INSERT OR UPDATE OR DELETE ON budget_versions
      FOR EACH ROW EXECUTE FUNCTION budget_version_guard();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE budget_approvals, budget_lines, budget_versions;
    DROP FUNCTION budget_version_guard, budget_child_guard, budget_status_of;
  `.execute(db);
}
