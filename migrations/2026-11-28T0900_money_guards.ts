import { sql, type Kysely } from 'kysely';

/**
 * The money rules the database did not keep yet (test/database.guards.test.ts, issue 11),
 * kept now under the server as well as in it:
 * - balances, monthly totals, entries, postings and the chain head are written only by
 *   `ledger_post`: it runs with the transaction-local flag `xinyi.posting = on` (a SET clause
 *   of the function, so the flag ends when the call does), and triggers refuse those writes
 *   without it;
 * - the fund's `reserved` equals what its open (pending or approved) spend requests hold,
 *   checked at commit for each community touched;
 * - an account's community, code, type and floor never change; an account opens empty and
 *   is never deleted;
 * - a co-signer's key names the request's digest, and lands only on a request still open to
 *   it (an approval on a pending one, a rejection on a pending or approved one);
 * - a paid request names its own payout entry: kind `payout`, posted for this request,
 *   Dr its account / Cr 1001 of its amount, and nothing else;
 * - payouts, reversals, fee bills, fee payments and remuneration are never reversed (as the
 *   ledger service says: they are corrected where their records live);
 * - only a co-signer of the community approves a budget, and the lines of a version that
 *   carries an approval never change (a new PUT withdraws the approvals first);
 * - incomes, fee payments, settlements, billing runs, fee rates and feed items are
 *   append-only; a bill's `paid` only grows, and equals the sum of its settlements at commit;
 *   a chain head starts at the genesis hash and is never deleted;
 * - no table of money is ever truncated.
 *
 * The guards run AFTER the row is written so that a column's own CHECK or unique key, which
 * names the precise rule, speaks first. A posting pays little for them: the writer guards are
 * statement triggers whose WHEN clause reads the flag (PostgreSQL compiles a trigger's WHEN
 * once per statement, so a row-level condition on a hot table is paid on every posting); the
 * row triggers a posting meets are the reversal check (a WHEN on reverses_seq) and the
 * deferred reservation check (UPDATE OF reserved, a column ledger_post never sets, so it never
 * fires for a posting; PostgreSQL still reads each old account row for it).
 *
 * A later migration that redefines `ledger_post` (CREATE OR REPLACE drops SET clauses) must
 * keep `SET xinyi.posting = 'on'`; without it every posting is refused, loudly.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- Refuses a write, saying which rule forbids it (TG_ARGV[0], a sentence).
    CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '%: % on % refused', TG_ARGV[0], TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$;

    ALTER FUNCTION ledger_post SET xinyi.posting = 'on';

    -- Writing these tables (the balance column, for accounts; the head's entry columns) is
    -- ledger_post's alone. Checked once per statement, on the statement's columns, so that
    -- the hot path pays for one small condition per statement and nothing per row.
    CREATE TRIGGER entries_by_ledger_post AFTER INSERT ON entries FOR EACH STATEMENT
      WHEN (current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('entries are written only by ledger_post');
    CREATE TRIGGER postings_by_ledger_post AFTER INSERT ON postings FOR EACH STATEMENT
      WHEN (current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('postings are written only by ledger_post');
    CREATE TRIGGER account_months_by_ledger_post AFTER INSERT OR UPDATE OR DELETE ON account_months FOR EACH STATEMENT
      WHEN (current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('monthly totals are kept only by ledger_post');
    CREATE TRIGGER accounts_balance_by_ledger_post AFTER UPDATE OF balance ON accounts FOR EACH STATEMENT
      WHEN (current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('an account balance changes only through ledger_post');
    CREATE TRIGGER community_heads_by_ledger_post AFTER UPDATE OF entry_seq, entry_hash ON community_heads FOR EACH STATEMENT
      WHEN (current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('the chain head moves only through ledger_post');

    -- Guards off the hot path: ledger_post never inserts or deletes these rows, nor names
    -- these columns.
    CREATE TRIGGER accounts_open_empty AFTER INSERT ON accounts FOR EACH ROW
      WHEN (NEW.balance <> 0 AND current_setting('xinyi.posting', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION refuse_write('an account balance changes only through ledger_post');
    -- Nothing writes these columns after an account is opened: a statement naming them is
    -- refused whatever the values (a row trigger here would cost every posting a look at the
    -- old row, which PostgreSQL fetches for any row trigger on UPDATE).
    CREATE TRIGGER accounts_fixed AFTER UPDATE OF community_id, code, type, has_floor ON accounts FOR EACH STATEMENT
      EXECUTE FUNCTION refuse_write('the community, code, type and floor of an account never change');
    CREATE TRIGGER accounts_kept AFTER DELETE ON accounts FOR EACH ROW
      EXECUTE FUNCTION refuse_write('an account is never deleted');
    CREATE TRIGGER community_heads_start AFTER INSERT ON community_heads FOR EACH ROW
      WHEN (NEW.entry_seq <> 0 OR NEW.entry_hash <> repeat('0', 64) OR NEW.feed_seq <> 0 OR NEW.spend_seq <> 0)
      EXECUTE FUNCTION refuse_write('a chain head starts at the genesis hash with every counter at zero');
    CREATE TRIGGER community_heads_kept AFTER DELETE ON community_heads FOR EACH ROW
      EXECUTE FUNCTION refuse_write('a chain head is never deleted');
  `.execute(db);

  await sql`
    /*
     * The fund holds back exactly what its open spend requests ask for: 1001's reserved is the
     * sum of the amounts of the community's pending and approved requests, and no other
     * account reserves anything. Checked at commit, once per change, for that community only
     * (its accounts and its open requests, read through the partial index of open requests).
     */
    CREATE FUNCTION fund_reservation_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      held numeric;
      stray integer;
      owed numeric;
    BEGIN
      SELECT coalesce(sum(a.reserved) FILTER (WHERE a.code = '1001'), 0),
             count(*) FILTER (WHERE a.code <> '1001' AND a.reserved <> 0),
             (SELECT coalesce(sum(r.amount), 0) FROM spend_requests r
               WHERE r.community_id = NEW.community_id AND r.status IN ('pending', 'approved'))
        INTO held, stray, owed
        FROM accounts a WHERE a.community_id = NEW.community_id;
      IF held <> owed OR stray > 0 THEN
        RAISE EXCEPTION 'the fund of community % reserves %, but its open spend requests hold %', NEW.community_id, held, owed
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE CONSTRAINT TRIGGER accounts_reserve_for_open_requests AFTER UPDATE OF reserved ON accounts
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (OLD.reserved IS DISTINCT FROM NEW.reserved)
      EXECUTE FUNCTION fund_reservation_check();
    CREATE CONSTRAINT TRIGGER accounts_open_reserving_nothing AFTER INSERT ON accounts
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (NEW.reserved <> 0)
      EXECUTE FUNCTION fund_reservation_check();
    CREATE CONSTRAINT TRIGGER spend_requests_reserved_when_opened AFTER INSERT ON spend_requests
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      EXECUTE FUNCTION fund_reservation_check();
    CREATE CONSTRAINT TRIGGER spend_requests_released_when_closed AFTER UPDATE ON spend_requests
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN ((OLD.status IN ('pending', 'approved')) IS DISTINCT FROM (NEW.status IN ('pending', 'approved')))
      EXECUTE FUNCTION fund_reservation_check();

    -- A key names the digest of the request it is turned on, and the request is still open to
    -- it: an approval lands on a pending request, a rejection on a pending or approved one.
    CREATE FUNCTION spend_decision_fits_request() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
    BEGIN
      -- FOR SHARE: the status read here cannot change before this transaction ends.
      SELECT status, digest, tracking_no INTO r FROM spend_requests
       WHERE community_id = NEW.community_id AND id = NEW.request_id FOR SHARE;
      IF NEW.digest <> r.digest THEN
        RAISE EXCEPTION 'a key on spend request % names digest %, not the request''s', r.tracking_no, NEW.digest
          USING ERRCODE = 'check_violation';
      END IF;
      IF (NEW.decision = 'approve' AND r.status <> 'pending')
         OR (NEW.decision = 'reject' AND r.status NOT IN ('pending', 'approved')) THEN
        RAISE EXCEPTION 'spend request % is %: a key to % it is refused', r.tracking_no, r.status, NEW.decision
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER spend_decisions_fit_request AFTER INSERT ON spend_decisions
      FOR EACH ROW EXECUTE FUNCTION spend_decision_fits_request();

    -- A request is paid by its own payout: an entry of kind payout posted for this request,
    -- with exactly two lines, Dr the request's account and Cr 1001, each of its amount.
    CREATE FUNCTION spend_payout_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      fits boolean;
    BEGIN
      SELECT e.id = NEW.entry_id AND e.kind = 'payout'
             AND e.source_type = 'spend_request' AND e.source_id = NEW.id
             AND (SELECT count(*) = 2
                         AND count(*) FILTER (WHERE p.account_code = NEW.account_code AND p.debit = NEW.amount) = 1
                         AND count(*) FILTER (WHERE p.account_code = '1001' AND p.credit = NEW.amount) = 1
                    FROM postings p WHERE p.community_id = e.community_id AND p.entry_seq = e.seq)
        INTO fits
        FROM entries e WHERE e.community_id = NEW.community_id AND e.seq = NEW.entry_seq;
      IF fits IS NOT TRUE THEN
        RAISE EXCEPTION 'spend request % names entry % as its payout, but that entry does not pay Dr % / Cr 1001 % for it',
          NEW.tracking_no, NEW.entry_seq, NEW.account_code, NEW.amount USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER spend_requests_paid_by_payout AFTER UPDATE ON spend_requests FOR EACH ROW
      WHEN (NEW.status = 'paid' AND OLD.status <> 'paid')
      EXECUTE FUNCTION spend_payout_check();

    -- Kinds backed by another module's records are corrected there, never reversed here
    -- (NOT_REVERSIBLE in ledger.service.ts; API.md: payouts are not reversed this way).
    CREATE FUNCTION ledger_reversal_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      original text;
    BEGIN
      SELECT kind INTO original FROM entries WHERE community_id = NEW.community_id AND seq = NEW.reverses_seq;
      IF original IN ('payout', 'reversal', 'fee_bill', 'fee_payment', 'remuneration') THEN
        RAISE EXCEPTION 'entry % is a %, which is never reversed', NEW.reverses_seq, original USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER entries_reverse_what_may_be AFTER INSERT ON entries FOR EACH ROW
      WHEN (NEW.reverses_seq IS NOT NULL)
      EXECUTE FUNCTION ledger_reversal_check();
  `.execute(db);

  await sql`
    CREATE FUNCTION budget_approval_by_cosigner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM memberships m
                      WHERE m.community_id = NEW.community_id AND m.user_id = NEW.cosigner_id AND 'cosigner' = ANY (m.roles)) THEN
        RAISE EXCEPTION 'only a co-signer of the community approves a budget' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER budget_approvals_by_cosigner AFTER INSERT ON budget_approvals
      FOR EACH ROW EXECUTE FUNCTION budget_approval_by_cosigner();

    -- A co-signer approved these lines: they stay as signed. Replacing a draft withdraws its
    -- approvals first (budgets.repository.ts replaceDraft), then writes the new lines.
    CREATE FUNCTION budget_lines_unsigned() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
    BEGIN
      IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
      IF EXISTS (SELECT 1 FROM budget_approvals a WHERE a.community_id = r.community_id AND a.year = r.year AND a.version = r.version)
         OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM budget_approvals a
                                           WHERE a.community_id = OLD.community_id AND a.year = OLD.year AND a.version = OLD.version)) THEN
        RAISE EXCEPTION 'budget % version % carries a co-signer''s approval: its lines no longer change', r.year, r.version
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER budget_lines_unsigned AFTER INSERT OR UPDATE OR DELETE ON budget_lines
      FOR EACH ROW EXECUTE FUNCTION budget_lines_unsigned();
  `.execute(db);

  await sql`
    CREATE TRIGGER incomes_append_only AFTER UPDATE OR DELETE ON incomes
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER fee_payments_append_only AFTER UPDATE OR DELETE ON fee_payments
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER bill_settlements_append_only AFTER UPDATE OR DELETE ON bill_settlements
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER billing_runs_append_only AFTER UPDATE OR DELETE ON billing_runs
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER fee_schedules_append_only AFTER UPDATE OR DELETE ON fee_schedules
      FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER feed_items_append_only AFTER UPDATE OR DELETE ON feed_items
      FOR EACH ROW EXECUTE FUNCTION refuse_change();

    -- A bill changes only by what settles it: its paid amount grows, never shrinks.
    CREATE TRIGGER bills_settled_forward AFTER UPDATE ON bills FOR EACH ROW
      WHEN ((OLD.community_id, OLD.id, OLD.run_id, OLD.unit_id, OLD.period, OLD.area_m2, OLD.rate_per_m2, OLD.amount)
              IS DISTINCT FROM (NEW.community_id, NEW.id, NEW.run_id, NEW.unit_id, NEW.period, NEW.area_m2, NEW.rate_per_m2, NEW.amount)
            OR NEW.paid < OLD.paid)
      EXECUTE FUNCTION refuse_write('a bill changes only by the settlements that pay it');
    CREATE TRIGGER bills_kept AFTER DELETE ON bills FOR EACH ROW
      EXECUTE FUNCTION refuse_write('a bill is never deleted');
    CREATE TRIGGER unit_fee_advances_kept AFTER DELETE ON unit_fee_advances FOR EACH ROW
      EXECUTE FUNCTION refuse_write('a unit''s advance is never deleted');

    -- ...and by exactly what settles it: at commit, paid is the sum of the bill's settlements.
    CREATE FUNCTION bill_paid_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bill text;
      paid numeric;
      settled numeric;
    BEGIN
      IF TG_TABLE_NAME = 'bills' THEN bill := NEW.id; ELSE bill := NEW.bill_id; END IF;
      SELECT b.paid, (SELECT coalesce(sum(s.amount), 0) FROM bill_settlements s
                       WHERE s.community_id = b.community_id AND s.bill_id = b.id)
        INTO paid, settled
        FROM bills b WHERE b.community_id = NEW.community_id AND b.id = bill;
      IF paid <> settled THEN
        RAISE EXCEPTION 'bill % shows % paid, but its settlements add up to %', bill, paid, settled
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;

    CREATE CONSTRAINT TRIGGER bills_paid_by_settlements AFTER UPDATE ON bills
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (OLD.paid IS DISTINCT FROM NEW.paid)
      EXECUTE FUNCTION bill_paid_check();
    CREATE CONSTRAINT TRIGGER bills_open_unpaid AFTER INSERT ON bills
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (NEW.paid <> 0)
      EXECUTE FUNCTION bill_paid_check();
    CREATE CONSTRAINT TRIGGER bill_settlements_paid_on_bill AFTER INSERT ON bill_settlements
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      EXECUTE FUNCTION bill_paid_check();
  `.execute(db);

  // Row triggers do not fire on TRUNCATE: every table of money refuses it by statement.
  for (const table of NO_TRUNCATE) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)}
                FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`.execute(db);
  }
}

/** Tables of money that carried no TRUNCATE guard (entries, postings, spend_requests had one). */
const NO_TRUNCATE = [
  'accounts',
  'community_heads',
  'account_months',
  'feed_items',
  'incomes',
  'spend_decisions',
  'spend_events',
  'budget_versions',
  'budget_lines',
  'budget_approvals',
  'fee_schedules',
  'billing_runs',
  'bills',
  'fee_payments',
  'bill_settlements',
  'unit_fee_advances',
] as const;

const ROW_TRIGGERS: ReadonlyArray<[table: string, trigger: string]> = [
  ['entries', 'entries_by_ledger_post'],
  ['entries', 'entries_reverse_what_may_be'],
  ['postings', 'postings_by_ledger_post'],
  ['account_months', 'account_months_by_ledger_post'],
  ['accounts', 'accounts_balance_by_ledger_post'],
  ['accounts', 'accounts_open_empty'],
  ['accounts', 'accounts_fixed'],
  ['accounts', 'accounts_kept'],
  ['accounts', 'accounts_reserve_for_open_requests'],
  ['accounts', 'accounts_open_reserving_nothing'],
  ['community_heads', 'community_heads_start'],
  ['community_heads', 'community_heads_by_ledger_post'],
  ['community_heads', 'community_heads_kept'],
  ['spend_requests', 'spend_requests_reserved_when_opened'],
  ['spend_requests', 'spend_requests_released_when_closed'],
  ['spend_requests', 'spend_requests_paid_by_payout'],
  ['spend_decisions', 'spend_decisions_fit_request'],
  ['budget_approvals', 'budget_approvals_by_cosigner'],
  ['budget_lines', 'budget_lines_unsigned'],
  ['incomes', 'incomes_append_only'],
  ['fee_payments', 'fee_payments_append_only'],
  ['bill_settlements', 'bill_settlements_append_only'],
  ['billing_runs', 'billing_runs_append_only'],
  ['fee_schedules', 'fee_schedules_append_only'],
  ['feed_items', 'feed_items_append_only'],
  ['bills', 'bills_settled_forward'],
  ['bills', 'bills_kept'],
  ['unit_fee_advances', 'unit_fee_advances_kept'],
  ['bills', 'bills_paid_by_settlements'],
  ['bills', 'bills_open_unpaid'],
  ['bill_settlements', 'bill_settlements_paid_on_bill'],
];

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, trigger] of [...ROW_TRIGGERS, ...NO_TRUNCATE.map((t) => [t, `${t}_no_truncate`] as const)]) {
    await sql`DROP TRIGGER ${sql.id(trigger)} ON ${sql.table(table)}`.execute(db);
  }
  await sql`
    ALTER FUNCTION ledger_post RESET xinyi.posting;
    DROP FUNCTION bill_paid_check, budget_lines_unsigned, budget_approval_by_cosigner, ledger_reversal_check,
      spend_payout_check, spend_decision_fits_request, fund_reservation_check, refuse_write;
  `.execute(db);
}
