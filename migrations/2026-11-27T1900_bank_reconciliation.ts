import { sql, type Kysely } from 'kysely';

/**
 * Bank reconciliation (API.md, "Bank reconciliation"). A statement is stored whole or not at
 * all, and never changes: its lines are what the bank said. Matching is not stored; it is
 * computed when asked, from every line ever uploaded and the fund account's movements, so a
 * late entry or statement is always judged against everything known.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE bank_statements (
      community_id text NOT NULL REFERENCES communities (id),
      id           text NOT NULL,
      seq          bigint GENERATED ALWAYS AS IDENTITY,
      lines        integer NOT NULL CHECK (lines > 0),
      uploaded_by  text NOT NULL,
      uploaded_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, uploaded_by) REFERENCES memberships (community_id, user_id)
    );

    CREATE TABLE bank_statement_lines (
      community_id text NOT NULL,
      statement_id text NOT NULL,
      n            integer NOT NULL CHECK (n > 0),
      date         date NOT NULL,
      amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
      direction    text NOT NULL CHECK (direction IN ('in', 'out')),
      counterparty text NOT NULL CHECK (length(counterparty) <= 200),
      reference    text CHECK (length(reference) <= 200),
      balance      numeric(15, 2) NOT NULL,
      PRIMARY KEY (community_id, statement_id, n),
      FOREIGN KEY (community_id, statement_id) REFERENCES bank_statements (community_id, id)
    );

    CREATE FUNCTION bank_statement_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'bank statements are kept as the bank sent them' USING ERRCODE = 'check_violation';
    END $$;
    CREATE TRIGGER bank_statements_immutable BEFORE UPDATE OR DELETE ON bank_statements
      FOR EACH ROW EXECUTE FUNCTION bank_statement_immutable();
    CREATE TRIGGER bank_statement_lines_immutable BEFORE UPDATE OR DELETE ON bank_statement_lines
      FOR EACH ROW EXECUTE FUNCTION bank_statement_immutable();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE bank_statement_lines;
    DROP TABLE bank_statements;
    DROP FUNCTION bank_statement_immutable();
  `.execute(db);
}
