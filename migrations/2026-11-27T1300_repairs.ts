import { sql, type Kysely } from 'kysely';

/**
 * Repairs (API.md, "Repairs"). A member reports, the steward assigns, starts and finishes,
 * the reporter (or a co-signer) confirms or reopens. The status moves the server allows are
 * kept here too: a repair starts `reported`, moves only along
 *   reported -> assigned | cancelled, assigned -> started, started -> done,
 *   done -> confirmed | reopened, reopened -> assigned | started,
 * and what was reported (title, place, reporter, number) never changes. Its timeline and the
 * evidence of each step are append-only; a repair is never deleted.
 *
 * A spend request may name the repair it pays for (`spend_requests.repair_id`, of the same
 * community); like every signed field it is fixed at submission, so the request guard is
 * redefined to cover it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE repair_counters (
      community_id text PRIMARY KEY REFERENCES communities (id),
      last_seq     bigint NOT NULL CHECK (last_seq > 0)
    );

    CREATE TABLE repairs (
      community_id text NOT NULL REFERENCES communities (id),
      id           text NOT NULL,
      seq          bigint NOT NULL CHECK (seq > 0),
      tracking_no  text NOT NULL CHECK (tracking_no ~ '^BX-[0-9]{4}-[0-9]+-[0-9]{6,}$'),
      title        text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
      description  text CHECK (length(description) <= 5000),
      location     text NOT NULL CHECK (length(btrim(location)) BETWEEN 1 AND 200),
      status       text NOT NULL DEFAULT 'reported'
                   CHECK (status IN ('reported', 'assigned', 'started', 'done', 'confirmed', 'reopened', 'cancelled')),
      reported_by  text NOT NULL,
      reported_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, id),
      UNIQUE (community_id, seq),
      UNIQUE (community_id, tracking_no),
      FOREIGN KEY (community_id, reported_by) REFERENCES memberships (community_id, user_id)
    );
    CREATE INDEX repairs_by_status ON repairs (community_id, status, seq);

    CREATE TABLE repair_events (
      community_id text NOT NULL,
      repair_id    text NOT NULL,
      n            integer NOT NULL CHECK (n > 0),
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      event        text NOT NULL CHECK (event IN ('reported', 'assigned', 'started', 'done', 'confirmed', 'reopened', 'cancelled',
                                                  'spend.submitted', 'spend.paid')),
      actor_id     text NOT NULL,
      note         text CHECK (length(btrim(note)) BETWEEN 1 AND 1000),
      ref          text CHECK (length(ref) BETWEEN 1 AND 64),
      PRIMARY KEY (community_id, repair_id, n),
      FOREIGN KEY (community_id, repair_id) REFERENCES repairs (community_id, id),
      FOREIGN KEY (community_id, actor_id) REFERENCES memberships (community_id, user_id),
      CONSTRAINT repair_spend_steps_name_the_request CHECK ((event LIKE 'spend.%') = (ref IS NOT NULL))
    );

    CREATE TABLE repair_attachments (
      community_id  text NOT NULL,
      repair_id     text NOT NULL,
      step          integer NOT NULL,
      position      integer NOT NULL CHECK (position BETWEEN 1 AND 20),
      attachment_id text NOT NULL,
      PRIMARY KEY (community_id, repair_id, step, position),
      UNIQUE (community_id, repair_id, step, attachment_id),
      FOREIGN KEY (community_id, repair_id, step) REFERENCES repair_events (community_id, repair_id, n),
      FOREIGN KEY (community_id, attachment_id) REFERENCES attachments (community_id, id)
    );

    CREATE FUNCTION repair_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'reported' THEN
          RAISE EXCEPTION 'a repair starts reported' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF (NEW.community_id, NEW.id, NEW.seq, NEW.tracking_no, NEW.title, NEW.description, NEW.location, NEW.reported_by, NEW.reported_at)
         IS DISTINCT FROM
         (OLD.community_id, OLD.id, OLD.seq, OLD.tracking_no, OLD.title, OLD.description, OLD.location, OLD.reported_by, OLD.reported_at) THEN
        RAISE EXCEPTION 'repair % is as it was reported: only its status moves', OLD.tracking_no USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
           ('reported', 'assigned'), ('reported', 'cancelled'), ('assigned', 'started'), ('started', 'done'),
           ('done', 'confirmed'), ('done', 'reopened'), ('reopened', 'assigned'), ('reopened', 'started')) THEN
        RAISE EXCEPTION 'repair % may not go from % to %', OLD.tracking_no, OLD.status, NEW.status USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER repairs_guard BEFORE INSERT OR UPDATE ON repairs FOR EACH ROW EXECUTE FUNCTION repair_guard();
    CREATE TRIGGER repairs_no_delete BEFORE DELETE ON repairs FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER repairs_no_truncate BEFORE TRUNCATE ON repairs FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER repair_events_append_only BEFORE UPDATE OR DELETE ON repair_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER repair_events_no_truncate BEFORE TRUNCATE ON repair_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER repair_attachments_append_only BEFORE UPDATE OR DELETE ON repair_attachments FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER repair_attachments_no_truncate BEFORE TRUNCATE ON repair_attachments FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    ALTER TABLE spend_requests ADD COLUMN repair_id text,
      ADD CONSTRAINT spend_requests_repair FOREIGN KEY (community_id, repair_id) REFERENCES repairs (community_id, id);
    CREATE INDEX spend_requests_by_repair ON spend_requests (community_id, repair_id) WHERE repair_id IS NOT NULL;
  `.execute(db);
  await defineSpendGuard(db, true);
}

export async function down(db: Kysely<any>): Promise<void> {
  await defineSpendGuard(db, false);
  await sql`
    ALTER TABLE spend_requests DROP COLUMN repair_id;
    DROP TABLE repair_attachments, repair_events, repairs, repair_counters;
    DROP FUNCTION repair_guard;
  `.execute(db);
}

/** The spend request guard of 2026-11-23T1900_spending, with the repair among what never changes. */
async function defineSpendGuard(db: Kysely<any>, withRepair: boolean): Promise<void> {
  const repair = sql.raw(withRepair ? ', NEW.repair_id' : '');
  const oldRepair = sql.raw(withRepair ? ', OLD.repair_id' : '');
  await sql`
    CREATE OR REPLACE FUNCTION spend_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      keys integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' THEN
          RAISE EXCEPTION 'a spend request starts pending' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF (NEW.community_id, NEW.id, NEW.seq, NEW.tracking_no, NEW.title, NEW.description, NEW.amount,
          NEW.account_code, NEW.payee_name, NEW.payee_account, NEW.budget_year, NEW.digest,
          NEW.required_approvals, NEW.submitted_by, NEW.submitted_at ${repair})
         IS DISTINCT FROM
         (OLD.community_id, OLD.id, OLD.seq, OLD.tracking_no, OLD.title, OLD.description, OLD.amount,
          OLD.account_code, OLD.payee_name, OLD.payee_account, OLD.budget_year, OLD.digest,
          OLD.required_approvals, OLD.submitted_by, OLD.submitted_at ${oldRepair}) THEN
        RAISE EXCEPTION 'spend request % is immutable once submitted', OLD.tracking_no USING ERRCODE = 'restrict_violation';
      END IF;
      IF (OLD.status, NEW.status) NOT IN (('pending', 'approved'), ('pending', 'rejected'), ('pending', 'cancelled'),
                                          ('approved', 'rejected'), ('approved', 'cancelled'), ('approved', 'paid')) THEN
        RAISE EXCEPTION 'spend request % may not go from % to %', OLD.tracking_no, OLD.status, NEW.status
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status = 'approved' THEN
        SELECT count(*) INTO keys FROM spend_decisions d
         WHERE d.community_id = NEW.community_id AND d.request_id = NEW.id
           AND d.decision = 'approve' AND d.user_id <> NEW.submitted_by;
        IF keys < NEW.required_approvals THEN
          RAISE EXCEPTION 'spend request % has % of % keys', NEW.tracking_no, keys, NEW.required_approvals
            USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$;
  `.execute(db);
}
