import { sql, type Kysely } from 'kysely';

/**
 * Spend requests and the co-signers' keys. The rules of the two-key payout are kept here as
 * well as in the server:
 * - a request is immutable once submitted: only its status and payout fields change, along
 *   the allowed transitions (pending -> approved | rejected | cancelled,
 *   approved -> rejected | cancelled | paid); rows are never deleted;
 * - a request becomes `approved` only when it holds approvals from as many distinct
 *   co-signers, other than its submitter, as it requires (never fewer than two);
 * - a co-signer decides once per request (approve or reject), never on their own request;
 * - decisions and timeline events are append-only;
 * - a paid request names its payout entry and bank reference, and only a paid one does.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE spend_requests (
      community_id       text NOT NULL REFERENCES communities (id),
      id                 text NOT NULL,
      seq                bigint NOT NULL CHECK (seq > 0),
      tracking_no        text NOT NULL CHECK (tracking_no ~ '^XY-[0-9]{4}-[0-9]+-[0-9]{6,}$'),
      title              text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
      description        text CHECK (length(description) <= 5000),
      amount             numeric(15, 2) NOT NULL CHECK (amount > 0),
      account_code       text NOT NULL,
      payee_name         text NOT NULL CHECK (length(btrim(payee_name)) BETWEEN 1 AND 200),
      payee_account      text CHECK (payee_account ~ '^[0-9A-Za-z]{6,40}$'),
      budget_year        integer CHECK (budget_year BETWEEN 2000 AND 2100),
      digest             text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
      required_approvals integer NOT NULL CHECK (required_approvals >= 2),
      submitted_by       text NOT NULL,
      submitted_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      status             text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'paid')),
      bank_reference     text CHECK (length(btrim(bank_reference)) BETWEEN 1 AND 200),
      paid_at            timestamptz,
      paid_by            text,
      entry_seq          bigint,
      entry_id           text,
      PRIMARY KEY (community_id, id),
      UNIQUE (community_id, seq),
      -- Tracking numbers embed the community's public number, so this is unique globally.
      UNIQUE (community_id, tracking_no),
      FOREIGN KEY (community_id, account_code) REFERENCES accounts (community_id, code),
      FOREIGN KEY (community_id, submitted_by) REFERENCES memberships (community_id, user_id),
      FOREIGN KEY (community_id, paid_by) REFERENCES memberships (community_id, user_id),
      FOREIGN KEY (community_id, entry_seq) REFERENCES entries (community_id, seq),
      CONSTRAINT paid_has_payout CHECK (
        (status = 'paid') = (entry_seq IS NOT NULL)
        AND (status = 'paid') = (bank_reference IS NOT NULL)
        AND (status = 'paid') = (paid_at IS NOT NULL)
        AND (status = 'paid') = (paid_by IS NOT NULL)
        AND (status = 'paid') = (entry_id IS NOT NULL)
      )
    );
    CREATE INDEX spend_requests_open ON spend_requests (community_id, account_code) WHERE status IN ('pending', 'approved');
    CREATE UNIQUE INDEX spend_requests_entry ON spend_requests (community_id, entry_seq) WHERE entry_seq IS NOT NULL;

    -- One decision per co-signer and request, approve or reject: the key counts once.
    CREATE TABLE spend_decisions (
      community_id text NOT NULL,
      request_id   text NOT NULL,
      user_id      text NOT NULL,
      decision     text NOT NULL CHECK (decision IN ('approve', 'reject')),
      -- The digest the co-signer approved (a rejection names the request's digest too).
      digest       text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
      reason       text CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, request_id, user_id),
      FOREIGN KEY (community_id, request_id) REFERENCES spend_requests (community_id, id),
      FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id),
      CONSTRAINT rejection_has_reason CHECK (decision = 'approve' OR reason IS NOT NULL)
    );

    -- The parcel-style timeline, numbered per request in the order things happened.
    CREATE TABLE spend_events (
      community_id text NOT NULL,
      request_id   text NOT NULL,
      n            integer NOT NULL CHECK (n > 0),
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      event        text NOT NULL CHECK (event IN ('submitted', 'approved', 'rejected', 'cancelled', 'paid')),
      actor_id     text NOT NULL,
      note         text,
      PRIMARY KEY (community_id, request_id, n),
      FOREIGN KEY (community_id, request_id) REFERENCES spend_requests (community_id, id),
      FOREIGN KEY (community_id, actor_id) REFERENCES memberships (community_id, user_id)
    );
  `.execute(db);

  await sql`
    CREATE TRIGGER spend_decisions_append_only BEFORE UPDATE OR DELETE ON spend_decisions
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER spend_events_append_only BEFORE UPDATE OR DELETE ON spend_events
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER spend_requests_no_delete BEFORE DELETE ON spend_requests
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER spend_no_truncate BEFORE TRUNCATE ON spend_requests
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    -- What a signer approved never changes; the status moves only forward, and only to
    -- approved with enough distinct keys.
    CREATE FUNCTION spend_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
          NEW.required_approvals, NEW.submitted_by, NEW.submitted_at)
         IS DISTINCT FROM
         (OLD.community_id, OLD.id, OLD.seq, OLD.tracking_no, OLD.title, OLD.description, OLD.amount,
          OLD.account_code, OLD.payee_name, OLD.payee_account, OLD.budget_year, OLD.digest,
          OLD.required_approvals, OLD.submitted_by, OLD.submitted_at) THEN
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

    CREATE TRIGGER spend_requests_guard BEFORE INSERT OR UPDATE ON spend_requests
      FOR EACH ROW EXECUTE FUNCTION spend_request_guard();

    -- A key is a co-signer's, and never the submitter's on their own request.
    CREATE FUNCTION spend_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM spend_requests r
                  WHERE r.community_id = NEW.community_id AND r.id = NEW.request_id AND r.submitted_by = NEW.user_id) THEN
        RAISE EXCEPTION 'the submitter of a spend request cannot decide on it' USING ERRCODE = 'check_violation';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM memberships m
                      WHERE m.community_id = NEW.community_id AND m.user_id = NEW.user_id AND 'cosigner' = ANY (m.roles)) THEN
        RAISE EXCEPTION 'only a co-signer decides on a spend request' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER spend_decisions_guard BEFORE INSERT ON spend_decisions
      FOR EACH ROW EXECUTE FUNCTION spend_decision_guard();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE spend_events, spend_decisions, spend_requests;
    DROP FUNCTION spend_decision_guard, spend_request_guard;
  `.execute(db);
}
