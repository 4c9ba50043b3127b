import { sql, type Kysely } from 'kysely';

/**
 * Online fee payment (API.md, "Online fee payment"). A payment order is opened for a unit's
 * dues and becomes `paid` exactly once, when the provider's verified notification books the
 * fee payment; `transaction_id` and `fee_payment_id` are set in that same transaction, so an
 * order is paid if and only if its fee payment exists. The simulated provider's keys live in
 * a one-row table, so every process serving the same database signs and verifies alike.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payment_orders (
      community_id   text NOT NULL REFERENCES communities (id),
      id             text NOT NULL,
      out_trade_no   text NOT NULL UNIQUE CHECK (out_trade_no ~ '^[0-9A-Za-z_|*-]{6,32}$'),
      provider       text NOT NULL CHECK (provider IN ('wechat')),
      simulated      boolean NOT NULL,
      unit_id        text NOT NULL,
      amount         numeric(15, 2) NOT NULL CHECK (amount > 0),
      status         text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid')),
      created_by     text NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      paid_at        timestamptz,
      transaction_id text,
      fee_payment_id text,
      PRIMARY KEY (community_id, id),
      FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id),
      CHECK ((status = 'paid') = (paid_at IS NOT NULL AND transaction_id IS NOT NULL AND fee_payment_id IS NOT NULL))
    );

    CREATE TABLE payment_simulator_keys (
      id               smallint PRIMARY KEY CHECK (id = 1),
      private_key_pem  text NOT NULL,
      public_key_pem   text NOT NULL,
      serial           text NOT NULL,
      apiv3_key        text NOT NULL CHECK (length(apiv3_key) = 32),
      mchid            text NOT NULL,
      appid            text NOT NULL,
      created_at       timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE payment_simulator_keys; DROP TABLE payment_orders;`.execute(db);
}
