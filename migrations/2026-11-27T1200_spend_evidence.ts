import { sql, type Kysely } from 'kysely';

/**
 * Evidence under the keys (API.md, "Evidence"): a spend request names its quotes, invoices
 * and photos when it is submitted, a payout its invoice and bank slip, a verdict its photos.
 * Each link belongs to one step of the request's timeline (`spend_attachments.step` is the
 * step's `n`), in the order given. The request's own evidence is signed (xinyi-spend/v2), so
 * it is fixed at submission: a link may be made only to the latest step of the timeline, in
 * the transaction that appends it, and links, like steps, are never changed or removed.
 *
 * Steps gain `ref` (the linked repair's tracking number on a `repair` step) and three events:
 * `repair`, and the verdicts after payout, `accepted` and `disputed`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE spend_events ADD COLUMN ref text CHECK (length(ref) BETWEEN 1 AND 64),
      DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN
        ('submitted', 'repair', 'key', 'approved', 'rejected', 'cancelled', 'paid', 'accepted', 'disputed'));

    CREATE TABLE spend_attachments (
      community_id  text NOT NULL,
      request_id    text NOT NULL,
      step          integer NOT NULL,
      position      integer NOT NULL CHECK (position BETWEEN 1 AND 20),
      attachment_id text NOT NULL,
      PRIMARY KEY (community_id, request_id, step, position),
      CONSTRAINT spend_attachments_once UNIQUE (community_id, request_id, step, attachment_id),
      -- The step exists: the trigger below checks it is the request's latest (a foreign key to
      -- spend_events would also stop TRUNCATE before that table's own append-only guard speaks).
      FOREIGN KEY (community_id, request_id) REFERENCES spend_requests (community_id, id),
      FOREIGN KEY (community_id, attachment_id) REFERENCES attachments (community_id, id)
    );

    CREATE FUNCTION spend_attachment_on_latest_step() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.step <> (SELECT max(n) FROM spend_events WHERE community_id = NEW.community_id AND request_id = NEW.request_id) THEN
        RAISE EXCEPTION 'evidence joins the latest step of spend request %, not step %', NEW.request_id, NEW.step
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;

    CREATE TRIGGER spend_attachments_latest_step BEFORE INSERT ON spend_attachments
      FOR EACH ROW EXECUTE FUNCTION spend_attachment_on_latest_step();
    CREATE TRIGGER spend_attachments_append_only BEFORE UPDATE OR DELETE ON spend_attachments
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER spend_attachments_no_truncate BEFORE TRUNCATE ON spend_attachments
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE spend_attachments;
    DROP FUNCTION spend_attachment_on_latest_step;
    ALTER TABLE spend_events DROP CONSTRAINT spend_events_event_check,
      ADD CONSTRAINT spend_events_event_check CHECK (event IN ('submitted', 'key', 'approved', 'rejected', 'cancelled', 'paid')),
      DROP COLUMN ref;
  `.execute(db);
}
