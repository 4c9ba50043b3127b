import { sql, type Kysely } from 'kysely';

/**
 * Property fees: the rate history, billing runs, bills, payments, and which money settled
 * which bill. The money rules are kept here as well as in the server:
 * - a period is billed once per community (unique), a unit billed once per period (unique);
 * - a bill is positive and never paid beyond its amount (CHECK);
 * - a settlement is positive and comes from exactly one payment or one billing run's
 *   application of an advance; a payment splits exactly into bills and advance;
 * - a unit's advance never goes negative (CHECK).
 * Together with the ledger entries posted in the same transactions these make the sum of
 * unpaid bills equal the balance of 1101, the sum of advances equal 2101, and the sum of
 * settlement remuneration equal the movements of 5001 and 2201.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- Append-only: a new rate for a month is a new row; the latest row for a month wins.
    CREATE TABLE fee_schedules (
      community_id   text NOT NULL REFERENCES communities (id),
      id             text NOT NULL,
      effective_from text NOT NULL CHECK (effective_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      rate_per_m2    numeric(12, 4) NOT NULL CHECK (rate_per_m2 > 0),
      set_by         text NOT NULL,
      set_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (community_id, id)
    );
    CREATE INDEX fee_schedules_by_month ON fee_schedules (community_id, effective_from, set_at);

    CREATE TABLE billing_runs (
      community_id    text NOT NULL REFERENCES communities (id),
      id              text NOT NULL,
      period          text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      rate_per_m2     numeric(12, 4) NOT NULL CHECK (rate_per_m2 > 0),
      bills           integer NOT NULL CHECK (bills > 0),
      total           numeric NOT NULL CHECK (total > 0),
      advance_applied numeric NOT NULL DEFAULT 0 CHECK (advance_applied >= 0 AND advance_applied <= total),
      remuneration    numeric NOT NULL DEFAULT 0 CHECK (remuneration >= 0),
      entry_seq       bigint NOT NULL,
      created_by      text NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, id),
      CONSTRAINT billing_runs_period_once UNIQUE (community_id, period),
      FOREIGN KEY (community_id, entry_seq) REFERENCES entries (community_id, seq)
    );

    CREATE TABLE bills (
      community_id text NOT NULL,
      id           text NOT NULL,
      run_id       text NOT NULL,
      unit_id      text NOT NULL,
      period       text NOT NULL,
      area_m2      numeric(10, 2) NOT NULL CHECK (area_m2 > 0),
      rate_per_m2  numeric(12, 4) NOT NULL CHECK (rate_per_m2 > 0),
      amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
      paid         numeric(15, 2) NOT NULL DEFAULT 0,
      PRIMARY KEY (community_id, id),
      CONSTRAINT bills_once_per_unit_and_period UNIQUE (community_id, unit_id, period),
      CONSTRAINT bills_paid_within_amount CHECK (paid >= 0 AND paid <= amount),
      FOREIGN KEY (community_id, run_id) REFERENCES billing_runs (community_id, id),
      FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id)
    );
    CREATE INDEX bills_by_period ON bills (community_id, period);
    -- Arrears and the oldest-first settlement read only the unpaid bills.
    CREATE INDEX bills_unpaid ON bills (community_id, unit_id, period) WHERE paid < amount;

    CREATE TABLE fee_payments (
      community_id text NOT NULL,
      id           text NOT NULL,
      unit_id      text NOT NULL,
      amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
      method       text NOT NULL CHECK (method IN ('cash', 'bank', 'wechat', 'alipay', 'other')),
      reference    text,
      paid_at      timestamptz NOT NULL,
      to_bills     numeric(15, 2) NOT NULL CHECK (to_bills >= 0),
      to_advance   numeric(15, 2) NOT NULL CHECK (to_advance >= 0),
      remuneration numeric(15, 2) NOT NULL CHECK (remuneration >= 0),
      entry_seq    bigint NOT NULL,
      recorded_by  text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, id),
      CONSTRAINT fee_payments_split_exactly CHECK (to_bills + to_advance = amount),
      FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id),
      FOREIGN KEY (community_id, entry_seq) REFERENCES entries (community_id, seq)
    );
    CREATE INDEX fee_payments_by_unit ON fee_payments (community_id, unit_id, paid_at);

    -- Which money settled how much of which bill, and the remuneration it accrued.
    CREATE TABLE bill_settlements (
      community_id text NOT NULL,
      id           text NOT NULL,
      bill_id      text NOT NULL,
      payment_id   text,
      run_id       text,
      amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
      remuneration numeric(15, 2) NOT NULL CHECK (remuneration >= 0),
      settled_at   timestamptz NOT NULL,
      PRIMARY KEY (community_id, id),
      CONSTRAINT settlement_has_one_source CHECK ((payment_id IS NULL) <> (run_id IS NULL)),
      FOREIGN KEY (community_id, bill_id) REFERENCES bills (community_id, id),
      FOREIGN KEY (community_id, payment_id) REFERENCES fee_payments (community_id, id),
      FOREIGN KEY (community_id, run_id) REFERENCES billing_runs (community_id, id)
    );
    CREATE INDEX bill_settlements_by_bill ON bill_settlements (community_id, bill_id);

    -- What each unit has paid in advance (its share of 2101).
    CREATE TABLE unit_fee_advances (
      community_id text NOT NULL,
      unit_id      text NOT NULL,
      advance      numeric NOT NULL DEFAULT 0 CHECK (advance >= 0),
      PRIMARY KEY (community_id, unit_id),
      FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE unit_fee_advances, bill_settlements, fee_payments, bills, billing_runs, fee_schedules`.execute(db);
}
