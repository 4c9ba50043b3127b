import { sql, type Kysely } from 'kysely';

/**
 * Owners' votes (API.md, "Owners' votes", Civil Code art. 278).
 *
 * A vote opens at `opens_at` and closes at `closes_at`; it moves once, open -> closed, and the
 * closing writes the frozen result into the row (the figures as hundredths of a m² and
 * headcounts), so nothing read after closing is ever recounted. Whoever closes it first wins:
 * the closing is a conditional UPDATE of an open row that is due.
 *
 * A ballot is a row that is never updated or deleted: a changed mind is a new row with the next
 * number of its vote, so every ballot stays for the audit and the latest of each owner counts.
 * A ballot lands only while its vote is open and inside its window, by the database's clock.
 *
 * The community's policy gains `vote_required_above`; a spend request's timeline gains the
 * `vote` step naming the vote that allowed it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE communities ADD COLUMN vote_required_above numeric(15, 2) CHECK (vote_required_above >= 0);

    ALTER TABLE spend_events DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN
        ('submitted', 'repair', 'vote', 'key', 'approved', 'rejected', 'cancelled', 'paid', 'accepted', 'disputed'));

    CREATE TABLE votes (
      community_id  text NOT NULL REFERENCES communities (id),
      id            text NOT NULL,
      title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
      description   text CHECK (length(description) <= 5000),
      matter        text NOT NULL CHECK (matter IN ('ordinary', 'special')),
      created_by    text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      opens_at      timestamptz NOT NULL,
      closes_at     timestamptz NOT NULL,
      status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      closed_at     timestamptz,
      -- The frozen result: areas in hundredths of a m², headcounts of owners.
      result        jsonb,
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, created_by) REFERENCES memberships (community_id, user_id),
      CONSTRAINT votes_window CHECK (closes_at > opens_at),
      CONSTRAINT votes_closed_has_result CHECK ((status = 'closed') = (closed_at IS NOT NULL) AND (status = 'closed') = (result IS NOT NULL))
    );
    -- The sweep reads the open votes only; the partial index holds just those.
    CREATE INDEX votes_open_due ON votes (community_id, closes_at) WHERE status = 'open';

    CREATE FUNCTION vote_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
          RAISE EXCEPTION 'a vote opens open' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF (NEW.community_id, NEW.id, NEW.title, NEW.description, NEW.matter, NEW.created_by, NEW.created_at, NEW.opens_at, NEW.closes_at)
         IS DISTINCT FROM
         (OLD.community_id, OLD.id, OLD.title, OLD.description, OLD.matter, OLD.created_by, OLD.created_at, OLD.opens_at, OLD.closes_at) THEN
        RAISE EXCEPTION 'a vote''s question and window never change' USING ERRCODE = 'restrict_violation';
      END IF;
      IF NOT (OLD.status = 'open' AND NEW.status = 'closed' AND NEW.closed_at >= NEW.closes_at) THEN
        RAISE EXCEPTION 'a vote closes once, from open, at or after closes_at' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER votes_guard BEFORE INSERT OR UPDATE ON votes FOR EACH ROW EXECUTE FUNCTION vote_guard();
    CREATE TRIGGER votes_no_delete BEFORE DELETE ON votes FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER votes_no_truncate BEFORE TRUNCATE ON votes FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    CREATE TABLE vote_ballots (
      community_id text NOT NULL,
      vote_id      text NOT NULL,
      n            integer NOT NULL CHECK (n > 0),
      user_id      text NOT NULL,
      choice       text NOT NULL CHECK (choice IN ('for', 'against', 'abstain')),
      unit_ids     text[] NOT NULL CHECK (cardinality(unit_ids) > 0),
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, vote_id, n),
      FOREIGN KEY (community_id, vote_id) REFERENCES votes (community_id, id),
      FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id)
    );
    CREATE INDEX vote_ballots_by_owner ON vote_ballots (community_id, vote_id, user_id, n);

    CREATE FUNCTION vote_ballot_in_window() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      v votes%ROWTYPE;
    BEGIN
      SELECT * INTO v FROM votes WHERE community_id = NEW.community_id AND id = NEW.vote_id;
      IF v.status <> 'open' OR NEW.at < v.opens_at OR NEW.at >= v.closes_at THEN
        RAISE EXCEPTION 'vote % is not open for ballots at %', NEW.vote_id, NEW.at USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER vote_ballots_in_window BEFORE INSERT ON vote_ballots FOR EACH ROW EXECUTE FUNCTION vote_ballot_in_window();
    CREATE TRIGGER vote_ballots_append_only BEFORE UPDATE OR DELETE ON vote_ballots FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER vote_ballots_no_truncate BEFORE TRUNCATE ON vote_ballots FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE vote_ballots, votes;
    DROP FUNCTION vote_ballot_in_window, vote_guard;
    ALTER TABLE spend_events DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN
        ('submitted', 'repair', 'key', 'approved', 'rejected', 'cancelled', 'paid', 'accepted', 'disputed'));
    ALTER TABLE communities DROP COLUMN vote_required_above;
  `.execute(db);
}
