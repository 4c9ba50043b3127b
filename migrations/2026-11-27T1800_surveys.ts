import { sql, type Kysely } from 'kysely';

/**
 * Satisfaction surveys (满意度测评, API.md "Satisfaction"): a community admin asks the owners to
 * score the steward's service, item by item, for a period. One response per owner and survey
 * (the key), before the survey closes (a trigger, by the database's clock); responses never
 * change, and a survey's questions never change once asked.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE surveys (
      community_id text NOT NULL REFERENCES communities (id),
      id           text NOT NULL,
      title        text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
      period       text NOT NULL CHECK (period ~ '^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$'),
      closes_at    timestamptz NOT NULL,
      items        jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) BETWEEN 1 AND 20),
      created_by   text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, created_by) REFERENCES memberships (community_id, user_id)
    );
    CREATE TRIGGER surveys_append_only BEFORE UPDATE OR DELETE ON surveys FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER surveys_no_truncate BEFORE TRUNCATE ON surveys FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    CREATE TABLE survey_responses (
      community_id text NOT NULL,
      survey_id    text NOT NULL,
      user_id      text NOT NULL,
      scores       jsonb NOT NULL CHECK (jsonb_typeof(scores) = 'object'),
      comment      text CHECK (length(comment) <= 2000),
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      CONSTRAINT survey_responses_once PRIMARY KEY (community_id, survey_id, user_id),
      FOREIGN KEY (community_id, survey_id) REFERENCES surveys (community_id, id),
      FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id)
    );

    CREATE FUNCTION survey_response_before_close() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.at >= (SELECT closes_at FROM surveys WHERE community_id = NEW.community_id AND id = NEW.survey_id) THEN
        RAISE EXCEPTION 'survey % is closed', NEW.survey_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER survey_responses_before_close BEFORE INSERT ON survey_responses FOR EACH ROW EXECUTE FUNCTION survey_response_before_close();
    CREATE TRIGGER survey_responses_append_only BEFORE UPDATE OR DELETE ON survey_responses FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER survey_responses_no_truncate BEFORE TRUNCATE ON survey_responses FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE survey_responses, surveys;
    DROP FUNCTION survey_response_before_close;
  `.execute(db);
}
