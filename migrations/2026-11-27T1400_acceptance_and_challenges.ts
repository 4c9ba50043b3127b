import { sql, type Kysely } from 'kysely';

/**
 * The owners' say after the money moved (API.md, "Acceptance and challenges").
 *
 * 验收: one verdict per person and paid request (`spend_acceptances`, keyed by person), shown
 * by its own timeline step; a verdict lands only on a paid request and never changes.
 *
 * 质询: a member's public question about an entry, a spend request or a budget, due seven
 * days after it was asked (set here, not by the caller). It moves once, open -> answered, with
 * the answer, who gave it and when; the question itself never changes, and nothing is deleted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE spend_acceptances (
      community_id text NOT NULL,
      request_id   text NOT NULL,
      user_id      text NOT NULL,
      verdict      text NOT NULL CHECK (verdict IN ('accepted', 'disputed')),
      note         text NOT NULL CHECK (length(btrim(note)) BETWEEN 1 AND 1000),
      step         integer NOT NULL,
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, request_id, user_id),
      FOREIGN KEY (community_id, request_id) REFERENCES spend_requests (community_id, id),
      FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id)
    );

    CREATE FUNCTION spend_acceptance_after_payout() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM spend_requests r
                      WHERE r.community_id = NEW.community_id AND r.id = NEW.request_id AND r.status = 'paid') THEN
        RAISE EXCEPTION 'spend request % is not paid: no verdict yet', NEW.request_id USING ERRCODE = 'check_violation';
      END IF;
      -- A verdict is shown by the step appended for it, in the same transaction.
      IF NEW.step IS DISTINCT FROM (SELECT max(n) FROM spend_events WHERE community_id = NEW.community_id AND request_id = NEW.request_id) THEN
        RAISE EXCEPTION 'a verdict on spend request % is shown by its latest step, not step %', NEW.request_id, NEW.step
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER spend_acceptances_after_payout BEFORE INSERT ON spend_acceptances
      FOR EACH ROW EXECUTE FUNCTION spend_acceptance_after_payout();
    CREATE TRIGGER spend_acceptances_append_only BEFORE UPDATE OR DELETE ON spend_acceptances
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER spend_acceptances_no_truncate BEFORE TRUNCATE ON spend_acceptances
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    CREATE TABLE challenge_counters (
      community_id text PRIMARY KEY REFERENCES communities (id),
      last_seq     bigint NOT NULL CHECK (last_seq > 0)
    );

    CREATE TABLE challenges (
      community_id text NOT NULL REFERENCES communities (id),
      id           text NOT NULL,
      seq          bigint NOT NULL CHECK (seq > 0),
      subject_type text NOT NULL CHECK (subject_type IN ('entry', 'spend-request', 'budget')),
      subject_id   text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 64),
      question     text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 2000),
      asked_by     text NOT NULL,
      asked_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      due_at       timestamptz NOT NULL,
      status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
      answer       text CHECK (length(btrim(answer)) BETWEEN 1 AND 2000),
      answered_by  text,
      answered_at  timestamptz,
      PRIMARY KEY (community_id, id),
      UNIQUE (community_id, seq),
      FOREIGN KEY (community_id, asked_by) REFERENCES memberships (community_id, user_id),
      FOREIGN KEY (community_id, answered_by) REFERENCES memberships (community_id, user_id),
      CONSTRAINT challenges_due_in_seven_days CHECK (due_at = asked_at + interval '7 days'),
      CONSTRAINT challenges_answered_has_answer CHECK (
        (status = 'answered') = (answer IS NOT NULL)
        AND (status = 'answered') = (answered_by IS NOT NULL)
        AND (status = 'answered') = (answered_at IS NOT NULL))
    );
    CREATE INDEX challenges_open ON challenges (community_id, due_at) WHERE status = 'open';

    CREATE TABLE challenge_attachments (
      community_id  text NOT NULL,
      challenge_id  text NOT NULL,
      position      integer NOT NULL CHECK (position BETWEEN 1 AND 20),
      attachment_id text NOT NULL,
      PRIMARY KEY (community_id, challenge_id, position),
      UNIQUE (community_id, challenge_id, attachment_id),
      FOREIGN KEY (community_id, challenge_id) REFERENCES challenges (community_id, id),
      FOREIGN KEY (community_id, attachment_id) REFERENCES attachments (community_id, id)
    );

    CREATE FUNCTION challenge_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
          RAISE EXCEPTION 'a challenge opens open' USING ERRCODE = 'check_violation';
        END IF;
        NEW.due_at := NEW.asked_at + interval '7 days';
        RETURN NEW;
      END IF;
      IF (NEW.community_id, NEW.id, NEW.seq, NEW.subject_type, NEW.subject_id, NEW.question, NEW.asked_by, NEW.asked_at, NEW.due_at)
         IS DISTINCT FROM
         (OLD.community_id, OLD.id, OLD.seq, OLD.subject_type, OLD.subject_id, OLD.question, OLD.asked_by, OLD.asked_at, OLD.due_at) THEN
        RAISE EXCEPTION 'a challenge''s question never changes' USING ERRCODE = 'restrict_violation';
      END IF;
      IF NOT (OLD.status = 'open' AND NEW.status = 'answered') THEN
        RAISE EXCEPTION 'a challenge is answered once, from open' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER challenges_guard BEFORE INSERT OR UPDATE ON challenges FOR EACH ROW EXECUTE FUNCTION challenge_guard();
    CREATE TRIGGER challenges_no_delete BEFORE DELETE ON challenges FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER challenges_no_truncate BEFORE TRUNCATE ON challenges FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER challenge_attachments_append_only BEFORE UPDATE OR DELETE ON challenge_attachments FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER challenge_attachments_no_truncate BEFORE TRUNCATE ON challenge_attachments FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE challenge_attachments, challenges, challenge_counters, spend_acceptances;
    DROP FUNCTION challenge_guard, spend_acceptance_after_payout;
  `.execute(db);
}
