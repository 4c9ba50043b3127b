import { sql, type Kysely } from 'kysely';

/**
 * JSAPI prepay and the provider's daily bill (API.md, "Online fee payment"; README, "The
 * provider's bill against the orders").
 *
 * - `payment_orders.prepay_id`: the prepay session WeChat Pay answered when the order was
 *   opened with a merchant key; the order's `payParams` are signed over it. An order is stored
 *   only after the provider answered, so a prepay id, once there, never changes.
 * - `payment_simulator_trades`: the simulated provider's own record of every transaction it
 *   completed, from which it serves a day's trade bill. It is the provider's side of the
 *   books, kept apart from the orders on purpose: the bill check compares the two, and a
 *   record that could be derived from the orders would always agree with them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payment_orders ADD COLUMN prepay_id text CHECK (prepay_id IS NULL OR length(prepay_id) BETWEEN 1 AND 64);

    CREATE OR REPLACE FUNCTION payment_orders_prepay_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.prepay_id IS DISTINCT FROM OLD.prepay_id THEN
        RAISE EXCEPTION 'a payment order''s prepay_id never changes' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER payment_orders_prepay_fixed BEFORE UPDATE ON payment_orders
      FOR EACH ROW EXECUTE FUNCTION payment_orders_prepay_fixed();

    CREATE TABLE payment_simulator_trades (
      transaction_id text PRIMARY KEY,
      mchid          text NOT NULL,
      appid          text NOT NULL,
      out_trade_no   text NOT NULL CHECK (out_trade_no ~ '^[0-9A-Za-z_|*-]{6,32}$'),
      openid         text,
      trade_state    text NOT NULL CHECK (trade_state IN ('SUCCESS')),
      amount         numeric(15, 2) NOT NULL CHECK (amount > 0),
      success_time   timestamptz NOT NULL,
      description    text NOT NULL DEFAULT '',
      UNIQUE (mchid, out_trade_no)
    );
    CREATE INDEX payment_simulator_trades_by_time ON payment_simulator_trades (mchid, success_time);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE payment_simulator_trades;
    DROP TRIGGER payment_orders_prepay_fixed ON payment_orders;
    DROP FUNCTION payment_orders_prepay_fixed();
    ALTER TABLE payment_orders DROP COLUMN prepay_id;
  `.execute(db);
}
