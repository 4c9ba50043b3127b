import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../src/db/database.js';
import { addUnits, billPeriod, pay, setRate } from './support/fees.js';
import { fund, setupCommunity, startHarness, unique, type Community, type Harness, type Person } from './support/harness.js';
import { approve as approveRequest, cancel, payout, reject, submit, twoKeys } from './support/spending.js';

/*
 * The database keeps the money rules a second time, under the server (STYLE.md point 6,
 * issue 11): if a TypeScript check is removed or a script writes SQL by hand, PostgreSQL
 * still refuses. Each test here builds its rows through the API, then attempts one forbidden
 * change directly in SQL as the application's own database user, and names the guard that
 * refused it (SQLSTATE, constraint, or the trigger function in the error's context).
 *
 * Every attempt runs in a transaction that is rolled back, so the shared books below stay as
 * the API left them. Deferred guards are asked for before the rollback (SET CONSTRAINTS ALL
 * IMMEDIATE), or at a real commit where the story is "refused at commit".
 *
 * Where one guard stands behind another (the balance of an entry behind "only ledger_post
 * writes entries"), the test takes the outer guard's permission explicitly, as the tables'
 * owner may, to reach the inner one. A few tests show the legitimate change next to the
 * forbidden one and expect it accepted, so that a guard is never broader than its rule.
 */

let h: Harness;

const ROLLBACK = Symbol('rollback');
const ACCEPTED = Object.freeze({ accepted: 'PostgreSQL carried out the forbidden change' });

/** What PostgreSQL said: the fields of its error that name a guard. */
interface Answer {
  code?: string;
  constraint?: string;
  where?: string;
  message?: string;
}

/**
 * Runs `attack` as the application's database user and answers PostgreSQL's refusal, or
 * ACCEPTED when it carried the change out. Nothing is kept unless `commit` is asked for.
 */
async function attempt(attack: (tx: Tx) => Promise<unknown>, options: { commit?: boolean } = {}): Promise<Answer | typeof ACCEPTED> {
  let outcome: Answer | typeof ACCEPTED = ACCEPTED;
  try {
    await h.db.transaction().execute(async (tx) => {
      await attack(tx);
      if (options.commit) return;
      // Deferred guards (the balanced entry) run now, as they would at commit.
      await sql`SET CONSTRAINTS ALL IMMEDIATE`.execute(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error === ROLLBACK) return ACCEPTED;
    const e = error as Record<string, unknown>;
    outcome = { code: e.code as string, constraint: e.constraint as string, where: e.where as string, message: e.message as string };
  }
  return outcome;
}

/**
 * `attempt` of a TRUNCATE of `table`, never waiting long for its lock. Other test files share
 * this database, and a writer there may hold the table for a moment; a TRUNCATE waiting in
 * the lock queue holds up every writer that queues behind it, and a test that holds a lock
 * while it waits for those writers would then wait for good. So the TRUNCATE waits a second
 * at most, and asks again.
 */
async function truncating(table: string): Promise<Answer | typeof ACCEPTED> {
  for (let attempts = 1; ; attempts++) {
    const outcome = await attempt(async (tx) => {
      await sql`SET LOCAL lock_timeout = '1s'`.execute(tx);
      await sql`TRUNCATE ${sql.table(table)}`.execute(tx);
    });
    if (!('code' in outcome) || outcome.code !== '55P03' || attempts === 30) return outcome;
  }
}

/** Which guard is expected to refuse: by SQLSTATE and its constraint, trigger function or words. */
interface Guard {
  code: string;
  constraint?: string;
  trigger?: string;
  message?: RegExp;
}

const SQLSTATE = {
  check: '23514',
  restrict: '23001',
  unique: '23505',
  foreignKey: '23503',
  insufficientPrivilege: '42501',
} as const;

function expectRefused(outcome: Answer | typeof ACCEPTED, guard: Guard): void {
  expect(outcome).toMatchObject({
    code: guard.code,
    ...(guard.constraint ? { constraint: guard.constraint } : {}),
    ...(guard.trigger ? { where: expect.stringContaining(`function ${guard.trigger}(`) } : {}),
    ...(guard.message ? { message: expect.stringMatching(guard.message) } : {}),
  });
}

/** The first row of a query on the pool. */
async function one<T>(query: RawBuilder<T>): Promise<T> {
  const { rows } = await query.execute(h.db);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

interface Request {
  id: string;
  digest: string;
  trackingNo: string;
  amount: string;
}

/**
 * One community's books, built through the API: income, fees billed and paid (partly, and in
 * advance, then applied by a later run), spend requests in every status, an approved budget
 * and a draft holding one key, and a reversed income.
 */
interface Books {
  c: Community;
  /** A manager who is also a co-signer: submits `oneKey` and drafts the 2027 budget. */
  both: Person;
  paid: Request;
  approved: Request;
  /** Pending, submitted by `both`, holding the key of cosigners[0]. */
  oneKey: Request;
  rejected: Request;
  cancelled: Request;
  /** The income that funded the community, never reversed. */
  incomeSeq: number;
  /** An income reversed through the API. */
  reversedSeq: number;
  payoutSeq: number;
  units: string[];
}

let books: Books;
/** A funded community with no open request, so its fund reserves nothing. */
let plain: Community;

const entrySeq = async (communityId: string, entryId: string) =>
  (await one(sql<{ seq: number }>`SELECT seq FROM entries WHERE community_id = ${communityId} AND id = ${entryId}`)).seq;

async function buildBooks(): Promise<Books> {
  const c = await setupCommunity(h.app);
  const both = await c.addMember(['manager', 'cosigner']);
  await fund(c, '100000');

  const paid = await submit(c, { amount: '1000' });
  await twoKeys(c, paid);
  expect((await payout(c, paid)).status).toBe(200);
  const approved = await submit(c, { amount: '2000' });
  await twoKeys(c, approved);
  const oneKey = await submit(c, { amount: '300' }, both);
  expect((await approveRequest(c, c.cosigners[0], oneKey)).body.status).toBe('pending');
  const rejected = await submit(c, { amount: '400' });
  expect((await reject(c, c.cosigners[0], rejected)).body.status).toBe('rejected');
  const cancelled = await submit(c, { amount: '500' });
  expect((await cancel(c, cancelled)).body.status).toBe('cancelled');

  const income = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'parking', amount: '500', payer: 'Tenant' });
  expect(income.status).toBe(201);
  const reversal = await c.cosigners[2].api.post(`/v1/communities/${c.id}/entries/${income.body.entryId}/reversal`, {
    reason: 'Recorded twice',
    signingPassword: c.cosigners[2].signingPassword,
  });
  expect(reversal.status, reversal.text).toBe(201);

  const units = await addUnits(c, [
    { code: '1-101', building: '1', areaM2: '100' },
    { code: '1-102', building: '1', areaM2: '80.50' },
  ]);
  await setRate(c, '2.00', '2026-01');
  await billPeriod(c, '2026-01');
  await pay(c, units[0]!, '150');
  await pay(c, units[1]!, '300'); // 161.00 to the bill, 139.00 in advance
  await billPeriod(c, '2026-02'); // applies the advance: a settlement whose source is the run

  const lines = [
    { account: '5102', amount: '12000' },
    { account: '5105', amount: '3000.50' },
  ];
  expect((await c.manager.api.put(`/v1/communities/${c.id}/budgets/2026`, { lines })).status).toBe(200);
  for (const cosigner of [c.cosigners[0], c.cosigners[1]]) {
    const reply = await cosigner.api.post(`/v1/communities/${c.id}/budgets/2026/approvals`, { signingPassword: cosigner.signingPassword });
    expect(reply.status, reply.text).toBe(200);
  }
  expect((await both.api.put(`/v1/communities/${c.id}/budgets/2027`, { lines })).status).toBe(200);
  const key = await c.cosigners[0].api.post(`/v1/communities/${c.id}/budgets/2027/approvals`, { signingPassword: c.cosigners[0].signingPassword });
  expect(key.body.status).toBe('draft');

  const paidRow = await one(sql<{ entry_seq: number }>`SELECT entry_seq FROM spend_requests WHERE community_id = ${c.id} AND id = ${paid.id}`);
  return {
    c,
    both,
    paid,
    approved,
    oneKey,
    rejected,
    cancelled,
    incomeSeq: (await one(sql<{ seq: number }>`SELECT min(seq) AS seq FROM entries WHERE community_id = ${c.id} AND kind = 'income'`)).seq,
    reversedSeq: await entrySeq(c.id, income.body.entryId),
    payoutSeq: paidRow.entry_seq,
    units,
  };
}

beforeAll(async () => {
  h = await startHarness();
  [books, plain] = await Promise.all([
    buildBooks(),
    setupCommunity(h.app).then(async (c) => {
      await fund(c, '1000');
      return c;
    }),
  ]);
});
afterAll(() => h?.close());

const ZERO_DIGEST = '0'.repeat(64);

/** Calls the ledger's own writer with postings of the caller's choosing, as a script could. */
const ledgerPost = (
  tx: Tx,
  communityId: string,
  postings: Array<{ account: string; debit?: string; credit?: string }>,
  options: { kind?: string; reversesSeq?: number | null; entryId?: string; source?: { type: string; id: string } } = {},
) =>
  sql<{ seq: number }>`SELECT seq FROM ledger_post(${communityId}, ${options.entryId ?? unique('entry')}, ${options.kind ?? 'adjustment'},
    'written by hand', ${options.source?.type ?? null}, ${options.source?.id ?? null}, now(), ${options.reversesSeq ?? null}::bigint,
    ${JSON.stringify(postings)}::jsonb, NULL)`.execute(tx);

// ---------------------------------------------------------------------------------------------
describe('the two keys of a spend request', () => {
  const decide = (tx: Tx, request: Request, userId: string, decision = 'approve', digest = request.digest) =>
    sql`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest, reason)
        VALUES (${books.c.id}, ${request.id}, ${userId}, ${decision}, ${digest}, ${decision === 'reject' ? 'No' : null})`.execute(tx);

  it("the database refuses an approval by the request's own submitter, even when the submitter holds a key", async () => {
    // `both` is a co-signer, so only the submitter guard stands between this row and a key.
    expectRefused(await attempt((tx) => decide(tx, books.oneKey, books.both.id)), {
      code: SQLSTATE.check,
      trigger: 'spend_decision_guard',
      message: /the submitter of a spend request cannot decide on it/,
    });
  });

  it("the database refuses a rejection by the request's own submitter", async () => {
    expectRefused(await attempt((tx) => decide(tx, books.oneKey, books.both.id, 'reject')), {
      code: SQLSTATE.check,
      trigger: 'spend_decision_guard',
      message: /submitter of a spend request cannot decide/,
    });
  });

  it('the database refuses a key from a member who is not a co-signer', async () => {
    for (const member of [books.c.owner, books.c.manager, books.c.supervisor]) {
      expectRefused(await attempt((tx) => decide(tx, books.oneKey, member.id)), {
        code: SQLSTATE.check,
        trigger: 'spend_decision_guard',
        message: /only a co-signer decides on a spend request/,
      });
    }
  });

  it("the database refuses the same co-signer's key twice, and a rejection after that co-signer's approval", async () => {
    for (const decision of ['approve', 'reject']) {
      expectRefused(await attempt((tx) => decide(tx, books.oneKey, books.c.cosigners[0].id, decision)), {
        code: SQLSTATE.unique,
        constraint: 'spend_decisions_pkey',
      });
    }
  });

  it('the database refuses a rejection without a reason', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest)
                  VALUES (${books.c.id}, ${books.oneKey.id}, ${books.c.cosigners[1].id}, 'reject', ${books.oneKey.digest})`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'rejection_has_reason' });
  });

  it('the database refuses a request moved to approved with fewer keys than required', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests SET status = 'approved' WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'spend_request_guard', message: /has 1 of 2 keys/ });
  });

  it("the database never counts the submitter's own key toward approval, even if one got past the decision guard", async () => {
    // Defence in depth: the key count skips the submitter on its own. To reach it, this
    // transaction (rolled back) switches the decision guard off, as the tables' owner may.
    const outcome = await attempt(async (tx) => {
      await sql`ALTER TABLE spend_decisions DISABLE TRIGGER spend_decisions_guard`.execute(tx);
      await decide(tx, books.oneKey, books.both.id);
      await sql`UPDATE spend_requests SET status = 'approved' WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx);
    });
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'spend_request_guard', message: /has 1 of 2 keys/ });
  });

  it('the database refuses a request that needs fewer than two keys, and a community policy of one key', async () => {
    const request = await attempt(
      (tx) => sql`INSERT INTO spend_requests (community_id, id, seq, tracking_no, title, description, amount, account_code, payee_name,
                    payee_account, budget_year, digest, required_approvals, submitted_by, submitted_at)
                  SELECT community_id, id || '-one-key', seq + 1000000, tracking_no || '0', title, description, amount, account_code,
                         payee_name, payee_account, budget_year, digest, 1, submitted_by, submitted_at
                    FROM spend_requests WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx),
    );
    expectRefused(request, { code: SQLSTATE.check, constraint: 'spend_requests_required_approvals_check' });
    const policy = await attempt((tx) => sql`UPDATE communities SET required_approvals = 1 WHERE id = ${books.c.id}`.execute(tx));
    expectRefused(policy, { code: SQLSTATE.check, constraint: 'communities_required_approvals_check' });
  });

  it('the database refuses a spend request that does not start pending', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO spend_requests (community_id, id, seq, tracking_no, title, description, amount, account_code, payee_name,
                    payee_account, budget_year, digest, required_approvals, submitted_by, submitted_at, status)
                  SELECT community_id, id || '-born-approved', seq + 1000000, tracking_no || '0', title, description, amount, account_code,
                         payee_name, payee_account, budget_year, digest, required_approvals, submitted_by, submitted_at, 'approved'
                    FROM spend_requests WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'spend_request_guard', message: /a spend request starts pending/ });
  });
});

// ---------------------------------------------------------------------------------------------
describe('a spend request after it is submitted', () => {
  const transitions: Array<['paid' | 'rejected' | 'cancelled' | 'approved', string]> = [
    ['paid', 'pending'],
    ['paid', 'approved'],
    ['paid', 'rejected'],
    ['paid', 'cancelled'],
    ['rejected', 'approved'],
    ['rejected', 'pending'],
    ['cancelled', 'approved'],
    ['cancelled', 'pending'],
    ['approved', 'pending'],
    // Even "no move": a submitted request changes only by moving along the allowed transitions.
    ['approved', 'approved'],
  ];

  it.each(transitions)('the database refuses a request moved from %s to %s', async (from, to) => {
    const request = books[from];
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests SET status = ${to} WHERE community_id = ${books.c.id} AND id = ${request.id}`.execute(tx),
    );
    expectRefused(outcome, {
      code: SQLSTATE.check,
      trigger: 'spend_request_guard',
      message: new RegExp(`may not go from ${from} to ${to}$`),
    });
  });

  it('the database refuses a pending request paid without its keys, even with a complete payout', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests
                     SET status = 'paid', entry_seq = ${books.payoutSeq}, entry_id = 'forged', bank_reference = 'FORGED-1',
                         paid_at = now(), paid_by = ${books.c.manager.id}
                   WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'spend_request_guard', message: /may not go from pending to paid$/ });
  });

  it('the database refuses a request marked paid without a payout entry', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests
                     SET status = 'paid', bank_reference = 'ICBC-NO-ENTRY', paid_at = now(), paid_by = ${books.c.manager.id}
                   WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'paid_has_payout' });
  });

  it('the database refuses a payout recorded on a request that is not paid', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests SET status = 'cancelled', bank_reference = 'ICBC-EARLY'
                   WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'paid_has_payout' });
  });

  it('the database refuses one payout entry for two requests', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests
                     SET status = 'paid', entry_seq = ${books.payoutSeq}, entry_id = 'reused', bank_reference = 'ICBC-REUSED',
                         paid_at = now(), paid_by = ${books.c.manager.id}
                   WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.unique, constraint: 'spend_requests_entry' });
  });

  const signed: Array<[string, () => RawBuilder<unknown>]> = [
    ['amount', () => sql`amount * 10`],
    ['payee_name', () => sql`${'Someone Else Ltd.'}`],
    ['payee_account', () => sql`${'9999888877776666'}`],
    ['account_code', () => sql`${'5199'}`],
    ['title', () => sql`${'Something else'}`],
    ['digest', () => sql`${ZERO_DIGEST}`],
    ['required_approvals', () => sql`required_approvals + 1`],
    ['submitted_by', () => sql`${books.both.id}`],
  ];

  it.each(signed)('the database refuses a change to an approved request’s %s, which its co-signers signed', async (column, value) => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests SET ${sql.ref(column)} = ${value()}
                   WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.restrict, trigger: 'spend_request_guard', message: /is immutable once submitted/ });
  });
});

// ---------------------------------------------------------------------------------------------
describe('what is written once is never rewritten', () => {
  const inBooks = () => sql`community_id = ${books.c.id}`;
  const appendOnly: Array<[string, string, string, () => RawBuilder<unknown>]> = [
    ['an entry', 'UPDATE', 'entries', () => sql`UPDATE entries SET memo = 'nothing to see' WHERE ${inBooks()}`],
    ['an entry', 'DELETE', 'entries', () => sql`DELETE FROM entries WHERE ${inBooks()}`],
    ['a posting', 'UPDATE', 'postings', () => sql`UPDATE postings SET credit = credit * 2 WHERE ${inBooks()} AND credit > 0`],
    ['a posting', 'DELETE', 'postings', () => sql`DELETE FROM postings WHERE ${inBooks()}`],
    ["a co-signer's decision", 'UPDATE', 'spend_decisions', () => sql`UPDATE spend_decisions SET decision = 'reject', reason = 'changed my mind' WHERE ${inBooks()}`],
    ["a co-signer's decision", 'DELETE', 'spend_decisions', () => sql`DELETE FROM spend_decisions WHERE ${inBooks()}`],
    ['a timeline event', 'UPDATE', 'spend_events', () => sql`UPDATE spend_events SET note = 'rewritten' WHERE ${inBooks()}`],
    ['a timeline event', 'DELETE', 'spend_events', () => sql`DELETE FROM spend_events WHERE ${inBooks()}`],
    ['a spend request', 'DELETE', 'spend_requests', () => sql`DELETE FROM spend_requests WHERE ${inBooks()}`],
  ];

  it.each(appendOnly)('the database refuses to alter or remove %s (%s)', async (_what, operation, table, statement) => {
    const outcome = await attempt((tx) => statement().execute(tx));
    expectRefused(outcome, {
      code: SQLSTATE.restrict,
      trigger: 'refuse_change',
      message: new RegExp(`^rows of ${table} are append-only: ${operation} refused$`),
    });
  });

  it('the database refuses to truncate the postings', async () => {
    // TRUNCATE skips row triggers; a statement trigger guards it. The lock it takes is
    // released at once by the rollback.
    const outcome = await truncating('postings');
    expectRefused(outcome, { code: SQLSTATE.restrict, trigger: 'refuse_change', message: /^rows of postings are append-only: TRUNCATE refused$/ });
  });
});

// ---------------------------------------------------------------------------------------------
describe('every entry balances', () => {
  it('the database refuses an unbalanced entry at commit', async () => {
    const outcome = await attempt(
      (tx) =>
        ledgerPost(tx, books.c.id, [
          { account: '1001', debit: '100' },
          { account: '4199', credit: '90' },
        ]),
      { commit: true },
    );
    expectRefused(outcome, {
      code: SQLSTATE.check,
      trigger: 'ledger_check_balanced',
      message: /is unbalanced \(2 lines, debits 100\.00, credits 90\.00\)/,
    });
  });

  it('the database refuses an entry without postings at commit, even from a writer holding the posting flag', async () => {
    const outcome = await attempt(
      async (tx) => {
        // Only ledger_post writes entries (entries_by_ledger_post); taking its flag, as the
        // tables' owner may, reaches the balance check behind that guard.
        await sql`SELECT set_config('xinyi.posting', 'on', true)`.execute(tx);
        await sql`INSERT INTO entries (community_id, seq, id, kind, occurred_at, recorded_at, prev_hash, hash)
                  SELECT community_id, entry_seq + 1, ${unique('empty')}, 'adjustment', now(), now(), entry_hash, ${'a'.repeat(64)}
                    FROM community_heads WHERE community_id = ${books.c.id}`.execute(tx);
      },
      { commit: true },
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'ledger_check_balanced', message: /is unbalanced \(0 lines/ });
  });

  const sides: Array<[string, string, string]> = [
    ['both sides positive', '10.00', '10.00'],
    ['neither side positive', '0', '0'],
    ['a negative debit', '-10.00', '0'],
    ['a negative credit beside a debit', '10.00', '-10.00'],
  ];

  it.each(sides)('the database refuses a posting with %s', async (_story, debit, credit) => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
                  VALUES (${books.c.id}, ${books.incomeSeq}, 99, '1001', ${debit}::numeric, ${credit}::numeric)`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'one_positive_side' });
  });

  it('the database refuses a posting to an account the community does not have', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO postings (community_id, entry_seq, line, account_code, debit)
                  VALUES (${books.c.id}, ${books.incomeSeq}, 99, '9999', 10)`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.foreignKey, constraint: 'postings_community_id_account_code_fkey' });
  });

  it('the database refuses a second reversal of an entry', async () => {
    const outcome = await attempt((tx) =>
      ledgerPost(
        tx,
        books.c.id,
        [
          { account: '4101', debit: '500' },
          { account: '1001', credit: '500' },
        ],
        { kind: 'reversal', reversesSeq: books.reversedSeq },
      ),
    );
    expectRefused(outcome, { code: SQLSTATE.unique, constraint: 'entries_reversed_once' });
  });

  it('the database refuses a reversal that names no entry, and an entry naming one that is not a reversal', async () => {
    const lines = [
      { account: '4199', debit: '1' },
      { account: '1001', credit: '1' },
    ];
    for (const options of [{ kind: 'reversal', reversesSeq: null }, { kind: 'adjustment', reversesSeq: books.incomeSeq }]) {
      expectRefused(await attempt((tx) => ledgerPost(tx, books.c.id, lines, options)), {
        code: SQLSTATE.check,
        constraint: 'reversal_has_origin',
      });
    }
  });

  // Who may record income is decided in TypeScript, once per batch (ledger.test.ts); on the
  // group-commit path the database keeps the money rules, as on every other.
  it('the database refuses an unbalanced income on the group-commit path at commit', async () => {
    const item = {
      id: unique('income'),
      entryId: unique('entry'),
      recordedBy: books.c.manager.id,
      category: 'parking',
      amount: '10.00',
      payer: 'Tenant',
      receivedAt: new Date().toISOString(),
      memo: 'parking',
      postings: [
        { account: '1001', debit: '10.00' },
        { account: '4101', credit: '9.00' },
      ],
      feed: { type: 'income.recorded', amount: '10.00', account: '4101', summary: 'parking', ref: 'income', actorId: books.c.manager.id },
    };
    const outcome = await attempt(
      (tx) => sql`SELECT * FROM ledger_record_incomes(${books.c.id}, ${JSON.stringify([item])}::jsonb)`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'ledger_check_balanced', message: /is unbalanced \(2 lines, debits 10\.00, credits 9\.00\)/ });
  });
});

// ---------------------------------------------------------------------------------------------
describe('the fund never spends what it has reserved', () => {
  it('the database refuses a fund whose reservations exceed its balance', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE accounts SET reserved = balance + 0.01 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'available_not_negative' });
  });

  it('the database refuses a posting that takes the fund below what is reserved', async () => {
    const fundRow = await one(
      sql<{ available: string }>`SELECT (balance - reserved + 0.01)::text AS available FROM accounts WHERE community_id = ${books.c.id} AND code = '1001'`,
    );
    const outcome = await attempt((tx) =>
      ledgerPost(tx, books.c.id, [
        { account: '5105', debit: fundRow.available },
        { account: '1001', credit: fundRow.available },
      ]),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'available_not_negative' });
  });

  // A batch updates each balance once; the floor must still hold after every entry of it, or an
  // income later in the batch would cover a payout earlier in it that the fund could not pay.
  it('the database refuses a batch whose later income would cover an earlier overdraft', async () => {
    const fundRow = await one(
      sql<{ available: string }>`SELECT (balance - reserved + 0.01)::text AS available FROM accounts WHERE community_id = ${books.c.id} AND code = '1001'`,
    );
    const entry = (postings: object[]) => ({
      entryId: unique('entry'), kind: 'adjustment', memo: 'batched by hand', sourceType: null, sourceId: null,
      occurredAt: new Date().toISOString(), reversesSeq: null, postings, feed: null,
    });
    const batch = [
      entry([{ account: '5105', debit: fundRow.available }, { account: '1001', credit: fundRow.available }]),
      entry([{ account: '1001', debit: '100.00' }, { account: '4199', credit: '100.00' }]),
    ];
    const outcome = await attempt((tx) => sql`SELECT * FROM ledger_post_many(${books.c.id}, ${JSON.stringify(batch)}::jsonb)`.execute(tx));
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'available_not_negative' });
    // The same two in the other order are fine: the income comes first.
    expect(await attempt((tx) => sql`SELECT * FROM ledger_post_many(${books.c.id}, ${JSON.stringify(batch.reverse())}::jsonb)`.execute(tx))).toBe(ACCEPTED);
  });

  // A batch of several communities (the income lanes) keeps each community's floor and chain
  // to itself: another community's income never covers this one's overdraft.
  it('a batch of two communities checks each fund against its own entries and continues each chain from its own head', async () => {
    const available = async (communityId: string) =>
      (await one(sql<{ v: string }>`SELECT (balance - reserved)::text AS v FROM accounts WHERE community_id = ${communityId} AND code = '1001'`)).v;
    const entry = (communityId: string, postings: object[]) => ({
      communityId, entryId: unique('entry'), kind: 'adjustment', memo: 'two communities', sourceType: null, sourceId: null,
      occurredAt: new Date().toISOString(), reversesSeq: null, postings, feed: null,
    });
    const overdraft = (await one(sql<{ v: string }>`SELECT (${await available(books.c.id)}::numeric + 0.01)::text AS v`)).v;
    const refused = await attempt((tx) =>
      sql`SELECT * FROM ledger_post_each(${JSON.stringify([
        entry(plain.id, [{ account: '1001', debit: '1000000.00' }, { account: '4199', credit: '1000000.00' }]),
        entry(books.c.id, [{ account: '5105', debit: overdraft }, { account: '1001', credit: overdraft }]),
      ])}::jsonb)`.execute(tx),
    );
    expectRefused(refused, { code: SQLSTATE.check, constraint: 'available_not_negative' });
    const { communityId: _none, ...nameless } = entry(plain.id, [{ account: '1001', debit: '1.00' }, { account: '4199', credit: '1.00' }]);
    const unnamed = await attempt((tx) => sql`SELECT * FROM ledger_post_each(${JSON.stringify([nameless])}::jsonb)`.execute(tx));
    expectRefused(unnamed, { code: 'P0002', message: /^an entry names no community$/ });

    const heads = async () =>
      (await sql<{ community_id: string; entry_seq: string; entry_hash: string }>`
        SELECT community_id, entry_seq::text, entry_hash FROM community_heads WHERE community_id IN (${books.c.id}, ${plain.id})`.execute(h.db)).rows;
    const before = new Map((await heads()).map((r) => [r.community_id, r]));
    const interleaved = [plain.id, books.c.id, plain.id, books.c.id, plain.id].map((id) =>
      entry(id, [{ account: '1001', debit: '1.00' }, { account: '4199', credit: '1.00' }]),
    );
    expect(await attempt((tx) => sql`SELECT * FROM ledger_post_each(${JSON.stringify(interleaved)}::jsonb)`.execute(tx), { commit: true })).toBe(ACCEPTED);
    for (const [communityId, count] of [[plain.id, 3], [books.c.id, 2]] as const) {
      const { rows } = await sql<{ seq: string; prev_hash: string; hash: string }>`
        SELECT seq::text, prev_hash, hash FROM entries WHERE community_id = ${communityId} AND seq > ${before.get(communityId)!.entry_seq}::bigint ORDER BY seq`.execute(h.db);
      expect(rows.map((r) => Number(r.seq) - Number(before.get(communityId)!.entry_seq))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(rows[0]!.prev_hash, 'the chain continues its own head').toBe(before.get(communityId)!.entry_hash);
      rows.slice(1).forEach((r, i) => expect(r.prev_hash).toBe(rows[i]!.hash));
    }
    for (const c of [books.c, plain]) expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body.ok).toBe(true);
  });

  it('the database refuses a reservation on an account without a floor', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE accounts SET reserved = 1 WHERE community_id = ${books.c.id} AND code = '5105'`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'reserve_only_with_floor' });
  });

  it('the database refuses a negative reservation, which would lift the floor', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE accounts SET reserved = -1000 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'accounts_reserved_check' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('who holds a key', () => {
  it('the database refuses a co-signer member without a signing key', async () => {
    const dropKey = await attempt(
      (tx) => sql`UPDATE memberships SET signing_password_hash = NULL
                   WHERE community_id = ${books.c.id} AND user_id = ${books.c.cosigners[0].id}`.execute(tx),
    );
    expectRefused(dropKey, { code: SQLSTATE.check, constraint: 'cosigner_has_key' });
    const grantRole = await attempt(
      (tx) => sql`UPDATE memberships SET roles = roles || ARRAY['cosigner']
                   WHERE community_id = ${books.c.id} AND user_id = ${books.c.owner.id}`.execute(tx),
    );
    expectRefused(grantRole, { code: SQLSTATE.check, constraint: 'cosigner_has_key' });
  });

  it('the database refuses a role outside the closed list, and a membership with no role', async () => {
    for (const roles of [['treasurer'], []]) {
      const outcome = await attempt(
        (tx) => sql`UPDATE memberships SET roles = ${roles}::text[]
                     WHERE community_id = ${books.c.id} AND user_id = ${books.c.owner.id}`.execute(tx),
      );
      expectRefused(outcome, { code: SQLSTATE.check, constraint: 'memberships_roles_check' });
    }
  });

  it('the database refuses a username that differs from a co-signer’s only in case', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO users (id, username, display_name, password_hash)
                  VALUES (${unique('user')}, ${books.c.cosigners[0].username.toUpperCase()}, 'Impostor', 'x')`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.unique, constraint: 'users_username_key' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('property fees', () => {
  const firstBill = () => sql`community_id = ${books.c.id} AND unit_id = ${books.units[0]!} AND period = '2026-01'`;

  it('the database refuses a bill paid over its amount, or below nothing', async () => {
    for (const paid of [sql`amount + 0.01`, sql`-0.01`]) {
      const outcome = await attempt((tx) => sql`UPDATE bills SET paid = ${paid} WHERE ${firstBill()}`.execute(tx));
      expectRefused(outcome, { code: SQLSTATE.check, constraint: 'bills_paid_within_amount' });
    }
  });

  it('the database refuses a second bill for a unit and period', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO bills (community_id, id, run_id, unit_id, period, area_m2, rate_per_m2, amount)
                  SELECT community_id, id || '-again', run_id, unit_id, period, area_m2, rate_per_m2, amount FROM bills WHERE ${firstBill()}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.unique, constraint: 'bills_once_per_unit_and_period' });
  });

  it('the database refuses a second billing run for a period', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO billing_runs (community_id, id, period, rate_per_m2, bills, total, entry_seq, created_by)
                  SELECT community_id, id || '-again', period, rate_per_m2, bills, total, entry_seq, created_by
                    FROM billing_runs WHERE community_id = ${books.c.id} AND period = '2026-01'`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.unique, constraint: 'billing_runs_period_once' });
  });

  it('the database refuses a billing run that applies more advance than it billed', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE billing_runs SET advance_applied = total + 1 WHERE community_id = ${books.c.id} AND period = '2026-02'`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'billing_runs_check' });
  });

  it('the database refuses a fee payment whose split does not add up to its amount', async () => {
    for (const change of [sql`to_bills = to_bills + 1`, sql`to_advance = to_advance + 0.01`, sql`amount = amount - 1`]) {
      const outcome = await attempt(
        (tx) => sql`UPDATE fee_payments SET ${change} WHERE community_id = ${books.c.id} AND unit_id = ${books.units[1]!}`.execute(tx),
      );
      expectRefused(outcome, { code: SQLSTATE.check, constraint: 'fee_payments_split_exactly' });
    }
  });

  it('the database refuses a settlement with two sources, or with none', async () => {
    const both = await attempt(
      (tx) => sql`UPDATE bill_settlements s SET run_id = r.id FROM billing_runs r
                   WHERE s.community_id = ${books.c.id} AND s.payment_id IS NOT NULL AND r.community_id = s.community_id`.execute(tx),
    );
    expectRefused(both, { code: SQLSTATE.check, constraint: 'settlement_has_one_source' });
    const none = await attempt(
      (tx) => sql`UPDATE bill_settlements SET payment_id = NULL WHERE community_id = ${books.c.id} AND payment_id IS NOT NULL`.execute(tx),
    );
    expectRefused(none, { code: SQLSTATE.check, constraint: 'settlement_has_one_source' });
    const fromRun = await one(
      sql<{ n: number }>`SELECT count(*)::int AS n FROM bill_settlements WHERE community_id = ${books.c.id} AND run_id IS NOT NULL`,
    );
    expect(fromRun.n, 'the 2026-02 run applied an advance').toBe(1);
  });

  it('the database refuses a settlement of nothing', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE bill_settlements SET amount = 0 WHERE community_id = ${books.c.id}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'bill_settlements_amount_check' });
  });

  it("the database refuses a unit's advance below zero", async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE unit_fee_advances SET advance = -0.01 WHERE community_id = ${books.c.id} AND unit_id = ${books.units[1]!}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'unit_fee_advances_advance_check' });
  });

  it('the database refuses a unit of no area, and a management fee rate of 100% or below zero', async () => {
    const area = await attempt((tx) => sql`UPDATE units SET area_m2 = 0 WHERE community_id = ${books.c.id}`.execute(tx));
    expectRefused(area, { code: SQLSTATE.check, constraint: 'units_area_m2_check' });
    for (const rate of ['1', '-0.01']) {
      const outcome = await attempt(
        (tx) => sql`UPDATE communities SET management_fee_rate = ${rate}::numeric WHERE id = ${books.c.id}`.execute(tx),
      );
      expectRefused(outcome, { code: SQLSTATE.check, constraint: 'communities_management_fee_rate_check' });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('the annual budget under two keys', () => {
  const draft2027 = () => sql`community_id = ${books.c.id} AND year = 2027 AND status = 'draft'`;
  const approved2026 = () => sql`community_id = ${books.c.id} AND year = 2026`;
  const approveBudget = (tx: Tx, userId: string, digest?: string) =>
    sql`INSERT INTO budget_approvals (community_id, year, version, cosigner_id, digest)
        SELECT community_id, year, version, ${userId}, ${digest ?? sql.ref('digest')} FROM budget_versions WHERE ${draft2027()}`.execute(tx);

  it('the database refuses a budget approved by its drafter, even when the drafter holds a key', async () => {
    expectRefused(await attempt((tx) => approveBudget(tx, books.both.id)), {
      code: SQLSTATE.check,
      trigger: 'budget_child_guard',
      message: /an approval must come from someone other than the drafter/,
    });
  });

  it('the database refuses a budget approval for a digest other than the draft’s', async () => {
    expectRefused(await attempt((tx) => approveBudget(tx, books.c.cosigners[1].id, ZERO_DIGEST)), {
      code: SQLSTATE.check,
      trigger: 'budget_child_guard',
      message: /for the current digest/,
    });
  });

  it("the database refuses the same co-signer's budget approval twice", async () => {
    expectRefused(await attempt((tx) => approveBudget(tx, books.c.cosigners[0].id)), {
      code: SQLSTATE.unique,
      constraint: 'budget_approvals_pkey',
    });
  });

  it('the database refuses a budget approved with fewer approvals than the community requires', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE budget_versions SET status = 'approved', approved_at = now() WHERE ${draft2027()}`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'budget_version_guard', message: /holds 1 of 2 approvals/ });
  });

  it("the database never counts the drafter's own approval, even if one got past the approval guard", async () => {
    const outcome = await attempt(async (tx) => {
      await sql`ALTER TABLE budget_approvals DISABLE TRIGGER budget_approvals_guard`.execute(tx);
      await approveBudget(tx, books.both.id);
      await sql`UPDATE budget_versions SET status = 'approved', approved_at = now() WHERE ${draft2027()}`.execute(tx);
    });
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'budget_version_guard', message: /holds 1 of 2 approvals/ });
  });

  it('the database refuses a budget version that does not start as a draft', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO budget_versions (community_id, year, version, status, digest, drafted_by, drafted_at, approved_at)
                  VALUES (${books.c.id}, 2028, 1, 'approved', ${ZERO_DIGEST}, ${books.c.manager.id}, now(), now())`.execute(tx),
    );
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'budget_version_guard', message: /a budget version starts as a draft/ });
  });

  it('the database refuses a second open draft for a year, and a draft that claims an approval time', async () => {
    const second = await attempt(
      (tx) => sql`INSERT INTO budget_versions (community_id, year, version, status, digest, drafted_by, drafted_at)
                  VALUES (${books.c.id}, 2027, 99, 'draft', ${ZERO_DIGEST}, ${books.c.manager.id}, now())`.execute(tx),
    );
    expectRefused(second, { code: SQLSTATE.unique, constraint: 'budget_versions_one_draft' });
    const timed = await attempt(
      (tx) => sql`INSERT INTO budget_versions (community_id, year, version, status, digest, drafted_by, drafted_at, approved_at)
                  VALUES (${books.c.id}, 2028, 1, 'draft', ${ZERO_DIGEST}, ${books.c.manager.id}, now(), now())`.execute(tx),
    );
    expectRefused(timed, { code: SQLSTATE.check, constraint: 'approved_has_time' });
  });

  it('the database refuses a negative budget line', async () => {
    const outcome = await attempt((tx) => sql`UPDATE budget_lines SET amount = -1 WHERE community_id = ${books.c.id} AND year = 2027`.execute(tx));
    expectRefused(outcome, { code: SQLSTATE.check, constraint: 'budget_lines_amount_check' });
  });

  const frozen: Array<[string, () => RawBuilder<unknown>, string, RegExp]> = [
    ['its digest changed', () => sql`UPDATE budget_versions SET digest = ${ZERO_DIGEST} WHERE ${approved2026()}`, 'budget_version_guard', /approved and frozen/],
    ['it sent back to draft', () => sql`UPDATE budget_versions SET status = 'draft', approved_at = NULL WHERE ${approved2026()}`, 'budget_version_guard', /approved and frozen/],
    ['it deleted', () => sql`DELETE FROM budget_versions WHERE ${approved2026()}`, 'budget_version_guard', /an approved budget is never deleted/],
    ['a line raised', () => sql`UPDATE budget_lines SET amount = amount * 10 WHERE ${approved2026()}`, 'budget_child_guard', /approved and frozen/],
    ['a line deleted', () => sql`DELETE FROM budget_lines WHERE ${approved2026()}`, 'budget_child_guard', /approved and frozen/],
    [
      'a line added',
      () => sql`INSERT INTO budget_lines (community_id, year, version, account_code, amount)
                SELECT community_id, year, version, '5199', 99999 FROM budget_versions WHERE ${approved2026()}`,
      'budget_child_guard',
      /approved and frozen/,
    ],
    ['an approval deleted', () => sql`DELETE FROM budget_approvals WHERE ${approved2026()}`, 'budget_child_guard', /approved and frozen/],
    ['an approval reassigned', () => sql`UPDATE budget_approvals SET cosigner_id = ${books.c.cosigners[2].id} WHERE ${approved2026()}`, 'budget_child_guard', /approved and frozen/],
    [
      'an approval added',
      () => sql`INSERT INTO budget_approvals (community_id, year, version, cosigner_id, digest)
                SELECT community_id, year, version, ${books.c.cosigners[2].id}, digest FROM budget_versions WHERE ${approved2026()}`,
      'budget_child_guard',
      /approved and frozen/,
    ],
  ];

  it.each(frozen)('the database refuses an approved budget with %s', async (_story, statement, trigger, message) => {
    expectRefused(await attempt((tx) => statement().execute(tx)), { code: SQLSTATE.restrict, trigger, message });
  });
});

// ---------------------------------------------------------------------------------------------
// The rules below were kept only by the server until migration 2026-11-28T0900_money_guards.

/** Refused by `refuse_write`, which names the rule it keeps in its message. */
const writeRefused = (message: RegExp): Guard => ({ code: SQLSTATE.restrict, trigger: 'refuse_write', message });

describe('the fund reserves exactly what its open requests hold', () => {
  const reservation: Guard = { code: SQLSTATE.check, trigger: 'fund_reservation_check', message: /reserves .*, but its open spend requests hold/ };

  // API.md: a payout "posts Dr account / Cr 1001, releases the reservation, status paid".
  it('the database refuses a payout that keeps its reservation', async () => {
    const outcome = await attempt(async (tx) => {
      const entryId = unique('payout');
      const { rows } = await ledgerPost(
        tx,
        books.c.id,
        [
          { account: '5105', debit: books.approved.amount },
          { account: '1001', credit: books.approved.amount },
        ],
        { kind: 'payout', entryId, source: { type: 'spend_request', id: books.approved.id } },
      );
      await sql`UPDATE spend_requests
                   SET status = 'paid', entry_seq = ${rows[0]!.seq}, entry_id = ${entryId}, bank_reference = 'ICBC-KEEPS-RESERVATION',
                       paid_at = now(), paid_by = ${books.c.manager.id}
                 WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx);
    });
    expectRefused(outcome, reservation);
  });

  // API.md: the amount stays reserved while a request is pending or approved. A reservation
  // released behind an open request would let the fund pay the same money twice.
  it('the database refuses a reservation released while its request is still open', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE accounts SET reserved = 0 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx),
    );
    expectRefused(outcome, reservation);
  });

  it('the database refuses a request opened without reserving its amount', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO spend_requests (community_id, id, seq, tracking_no, title, description, amount, account_code, payee_name,
                    payee_account, budget_year, digest, required_approvals, submitted_by, submitted_at)
                  SELECT community_id, id || '-unreserved', seq + 1000000, tracking_no || '0', title, description, amount, account_code,
                         payee_name, payee_account, budget_year, digest, required_approvals, submitted_by, submitted_at
                    FROM spend_requests WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx),
    );
    expectRefused(outcome, reservation);
  });

  it('the database refuses a request closed without releasing its reservation', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE spend_requests SET status = 'cancelled' WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx),
    );
    expectRefused(outcome, reservation);
  });

  it('the database accepts a request closed together with the release of its reservation', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`UPDATE spend_requests SET status = 'cancelled' WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx);
      await sql`UPDATE accounts SET reserved = reserved - ${books.approved.amount}::numeric
                 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx);
    });
    expect(outcome).toBe(ACCEPTED);
  });
});

// ---------------------------------------------------------------------------------------------
describe('balances, entries and the chain head are written only by ledger_post', () => {
  // API.md: /fund's balance is "balance of account 1001", the sum of its postings.
  it('the database refuses a stored balance changed without a posting', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE accounts SET balance = balance + 1000000 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx),
    );
    expectRefused(outcome, writeRefused(/^an account balance changes only through ledger_post: UPDATE on accounts refused$/));
  });

  it('the database refuses an account that opens with a balance', async () => {
    const outcome = await attempt(
      (tx) => sql`INSERT INTO accounts (community_id, code, name, type, balance)
                  VALUES (${books.c.id}, '1002', 'A second fund', 'asset', 1000000)`.execute(tx),
    );
    expectRefused(outcome, writeRefused(/^an account balance changes only through ledger_post: INSERT on accounts refused$/));
  });

  // The hash chain is kept by ledger_post; an entry inserted past it, balanced but naming any
  // prev_hash, would break the chain that /ledger/verify and the Merkle log rely on.
  it('the database refuses an entry that does not extend the hash chain, written outside ledger_post', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`INSERT INTO entries (community_id, seq, id, kind, occurred_at, recorded_at, prev_hash, hash)
                SELECT community_id, entry_seq + 1, ${unique('forged')}, 'income', now(), now(), ${ZERO_DIGEST}, ${'1'.repeat(64)}
                  FROM community_heads WHERE community_id = ${books.c.id}`.execute(tx);
      await sql`INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
                SELECT community_id, entry_seq + 1, n, account, debit, credit
                  FROM community_heads, (VALUES (1, '1001', 10.00, 0), (2, '4199', 0, 10.00)) AS l(n, account, debit, credit)
                 WHERE community_id = ${books.c.id}`.execute(tx);
    });
    expectRefused(outcome, writeRefused(/^entries are written only by ledger_post: INSERT on entries refused$/));
  });

  it('the database refuses postings added to an entry after it was posted', async () => {
    // Balanced among themselves, so the entry still balances: only the writer guard stands here.
    const outcome = await attempt(
      (tx) => sql`INSERT INTO postings (community_id, entry_seq, line, account_code, debit, credit)
                  VALUES (${books.c.id}, ${books.incomeSeq}, 98, '1001', 10, 0), (${books.c.id}, ${books.incomeSeq}, 99, '4199', 0, 10)`.execute(tx),
    );
    expectRefused(outcome, writeRefused(/^postings are written only by ledger_post: INSERT on postings refused$/));
  });

  it('the database refuses a monthly total changed (the budget report reads it)', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE account_months SET debit = debit + 1000 WHERE community_id = ${books.c.id}`.execute(tx),
    );
    expectRefused(outcome, writeRefused(/^monthly totals are kept only by ledger_post: UPDATE on account_months refused$/));
  });

  it('the database refuses the chain head rewritten', async () => {
    const outcome = await attempt(
      (tx) => sql`UPDATE community_heads SET entry_hash = ${ZERO_DIGEST} WHERE community_id = ${books.c.id}`.execute(tx),
    );
    expectRefused(outcome, writeRefused(/^the chain head moves only through ledger_post: UPDATE on community_heads refused$/));
  });

  it('the database refuses a chain head deleted, and one that starts anywhere but the genesis hash', async () => {
    const deleted = await attempt((tx) => sql`DELETE FROM community_heads WHERE community_id = ${books.c.id}`.execute(tx));
    expectRefused(deleted, writeRefused(/^a chain head is never deleted: DELETE on community_heads refused$/));
    const forged = await attempt(async (tx) => {
      const id = unique('community');
      await sql`INSERT INTO communities (id, name, management_fee_rate, timezone) VALUES (${id}, 'Forged', 0, 'Asia/Shanghai')`.execute(tx);
      await sql`INSERT INTO community_heads (community_id, entry_seq, entry_hash) VALUES (${id}, 7, ${'1'.repeat(64)})`.execute(tx);
    });
    expectRefused(forged, writeRefused(/^a chain head starts at the genesis hash with every counter at zero: INSERT on community_heads refused$/));
  });

  it('ledger_post_many (which ledger_post calls with a batch of one) runs with the posting flag, and the flag ends with the call', async () => {
    const { rows } = await sql<{ config: string[] | null }>`SELECT proconfig AS config FROM pg_proc WHERE proname = 'ledger_post_many'`.execute(h.db);
    expect(rows).toEqual([{ config: ['xinyi.posting=on'] }]);
    const outcome = await attempt(async (tx) => {
      await ledgerPost(tx, plain.id, [
        { account: '1001', debit: '1' },
        { account: '4199', credit: '1' },
      ]);
      await sql`UPDATE accounts SET balance = balance + 1 WHERE community_id = ${plain.id} AND code = '1001'`.execute(tx);
    });
    expectRefused(outcome, writeRefused(/^an account balance changes only through ledger_post/));
  });
});

// ---------------------------------------------------------------------------------------------
describe('an account keeps what it is', () => {
  // The fund's floor is a column: with nothing reserved it could be switched off, and the
  // fund would then pay out more than it holds.
  it('the database refuses a fund that loses its floor and goes below zero', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`UPDATE accounts SET has_floor = false WHERE community_id = ${plain.id} AND code = '1001'`.execute(tx);
      await ledgerPost(tx, plain.id, [
        { account: '5105', debit: '5000' },
        { account: '1001', credit: '5000' },
      ]);
    });
    expectRefused(outcome, writeRefused(/^the community, code, type and floor of an account never change: UPDATE on accounts refused$/));
  });

  it('the database refuses an account that changes its type, and one deleted', async () => {
    const retyped = await attempt(
      (tx) => sql`UPDATE accounts SET type = 'income' WHERE community_id = ${plain.id} AND code = '5107'`.execute(tx),
    );
    expectRefused(retyped, writeRefused(/^the community, code, type and floor of an account never change/));
    const deleted = await attempt((tx) => sql`DELETE FROM accounts WHERE community_id = ${plain.id} AND code = '5107'`.execute(tx));
    expectRefused(deleted, writeRefused(/^an account is never deleted: DELETE on accounts refused$/));
  });
});

// ---------------------------------------------------------------------------------------------
describe('a key fits the request it is turned on', () => {
  const misfit = (message: RegExp): Guard => ({ code: SQLSTATE.check, trigger: 'spend_decision_fits_request', message });

  // API.md: an approval names the request's digest (409 digest_mismatch).
  it('the database refuses a key turned on a digest other than the request’s', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest)
                VALUES (${books.c.id}, ${books.oneKey.id}, ${books.c.cosigners[1].id}, 'approve', ${ZERO_DIGEST})`.execute(tx);
      await sql`UPDATE spend_requests SET status = 'approved' WHERE community_id = ${books.c.id} AND id = ${books.oneKey.id}`.execute(tx);
    });
    expectRefused(outcome, misfit(/names digest 0{64}, not the request's$/));
  });

  // API.md: approvals of a rejected, cancelled or paid request are invalid_state.
  it('the database refuses a key on a request that is no longer pending', async () => {
    for (const [request, decision] of [
      [books.paid, 'approve'],
      [books.approved, 'approve'],
      [books.paid, 'reject'],
      [books.cancelled, 'reject'],
    ] as const) {
      const outcome = await attempt(
        (tx) => sql`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest, reason)
                    VALUES (${books.c.id}, ${request.id}, ${books.c.cosigners[2].id}, ${decision}, ${request.digest},
                            ${decision === 'reject' ? 'No' : null})`.execute(tx),
      );
      expectRefused(outcome, misfit(new RegExp(`is (paid|approved|cancelled): a key to ${decision} it is refused$`)));
    }
  });

  it('the database accepts a rejection of an approved request that is not paid yet', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`INSERT INTO spend_decisions (community_id, request_id, user_id, decision, digest, reason)
                VALUES (${books.c.id}, ${books.approved.id}, ${books.c.cosigners[2].id}, 'reject', ${books.approved.digest}, 'No')`.execute(tx);
      await sql`UPDATE spend_requests SET status = 'rejected' WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx);
      await sql`UPDATE accounts SET reserved = reserved - ${books.approved.amount}::numeric
                 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx);
    });
    expect(outcome).toBe(ACCEPTED);
  });
});

// ---------------------------------------------------------------------------------------------
describe('a paid request names its own payout, which is never reversed', () => {
  const markPaid = (tx: Tx, entrySeq: number, entryId: string) =>
    sql`UPDATE spend_requests
           SET status = 'paid', entry_seq = ${entrySeq}, entry_id = ${entryId}, bank_reference = 'ICBC-NOT-ITS-PAYOUT',
               paid_at = now(), paid_by = ${books.c.manager.id}
         WHERE community_id = ${books.c.id} AND id = ${books.approved.id}`.execute(tx);
  const notItsPayout: Guard = { code: SQLSTATE.check, trigger: 'spend_payout_check', message: /as its payout, but that entry does not pay/ };

  // API.md: payout "posts Dr account / Cr 1001" of the request's amount.
  it('the database refuses a request paid with an entry that is not its payout', async () => {
    const income = await one(sql<{ id: string }>`SELECT id FROM entries WHERE community_id = ${books.c.id} AND seq = ${books.incomeSeq}`);
    expectRefused(await attempt((tx) => markPaid(tx, books.incomeSeq, income.id)), notItsPayout);
  });

  it('the database refuses a request paid with a payout of another amount, account or request', async () => {
    const variants = [
      { account: '5105', amount: '1999.99', source: books.approved.id },
      { account: '5102', amount: books.approved.amount, source: books.approved.id },
      { account: '5105', amount: books.approved.amount, source: books.oneKey.id },
    ];
    for (const v of variants) {
      const outcome = await attempt(async (tx) => {
        const entryId = unique('payout');
        const lines = [
          { account: v.account, debit: v.amount },
          { account: '1001', credit: v.amount },
        ];
        const { rows } = await ledgerPost(tx, books.c.id, lines, { kind: 'payout', entryId, source: { type: 'spend_request', id: v.source } });
        await sql`UPDATE accounts SET reserved = reserved - ${books.approved.amount}::numeric
                   WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx);
        await markPaid(tx, rows[0]!.seq, entryId);
      });
      expectRefused(outcome, notItsPayout);
    }
  });

  it('the database accepts a request paid with its own payout, its reservation released', async () => {
    const outcome = await attempt(async (tx) => {
      const entryId = unique('payout');
      await sql`UPDATE accounts SET reserved = reserved - ${books.approved.amount}::numeric
                 WHERE community_id = ${books.c.id} AND code = '1001'`.execute(tx);
      const lines = [
        { account: '5105', debit: books.approved.amount },
        { account: '1001', credit: books.approved.amount },
      ];
      const { rows } = await ledgerPost(tx, books.c.id, lines, { kind: 'payout', entryId, source: { type: 'spend_request', id: books.approved.id } });
      await markPaid(tx, rows[0]!.seq, entryId);
    });
    expect(outcome).toBe(ACCEPTED);
  });

  // API.md: "payouts are not reversed this way": the money would return to the fund while
  // the request stays paid. Fee entries likewise belong to the records of the fees module.
  it('the database refuses a reversal of a payout, and of a fee payment', async () => {
    const feePayment = await one(
      sql<{ seq: number }>`SELECT min(seq) AS seq FROM entries WHERE community_id = ${books.c.id} AND kind = 'fee_payment'`,
    );
    for (const [seq, kind] of [
      [books.payoutSeq, 'payout'],
      [feePayment.seq, 'fee_payment'],
    ] as const) {
      const outcome = await attempt((tx) =>
        ledgerPost(
          tx,
          books.c.id,
          [
            { account: '1001', debit: '1' },
            { account: '5105', credit: '1' },
          ],
          { kind: 'reversal', reversesSeq: seq },
        ),
      );
      expectRefused(outcome, { code: SQLSTATE.check, trigger: 'ledger_reversal_check', message: new RegExp(`is a ${kind}, which is never reversed$`) });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('a budget is approved by co-signers, on the lines they saw', () => {
  const draft2027 = () => sql`community_id = ${books.c.id} AND year = 2027 AND status = 'draft'`;

  // API.md: budgets are approved by co-signers.
  it('the database refuses a budget approved with the key of a member who is not a co-signer', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`INSERT INTO budget_approvals (community_id, year, version, cosigner_id, digest)
                SELECT community_id, year, version, ${books.c.owner.id}, digest FROM budget_versions WHERE ${draft2027()}`.execute(tx);
      await sql`UPDATE budget_versions SET status = 'approved', approved_at = now() WHERE ${draft2027()}`.execute(tx);
    });
    expectRefused(outcome, { code: SQLSTATE.check, trigger: 'budget_approval_by_cosigner', message: /^only a co-signer of the community approves a budget$/ });
  });

  // The digest is computed in TypeScript only: lines changed under a co-signer's key would keep
  // the digest that co-signer approved, and the second key would approve lines the first never saw.
  it('the database refuses a draft budget changed under a co-signer’s key', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`UPDATE budget_lines SET amount = amount * 10 WHERE community_id = ${books.c.id} AND year = 2027`.execute(tx);
      await sql`INSERT INTO budget_approvals (community_id, year, version, cosigner_id, digest)
                SELECT community_id, year, version, ${books.c.cosigners[1].id}, digest FROM budget_versions WHERE ${draft2027()}`.execute(tx);
      await sql`UPDATE budget_versions SET status = 'approved', approved_at = now() WHERE ${draft2027()}`.execute(tx);
    });
    expectRefused(outcome, { code: SQLSTATE.restrict, trigger: 'budget_lines_unsigned', message: /carries a co-signer's approval: its lines no longer change$/ });
  });

  it('the database refuses a line added to, or taken from, a draft under a co-signer’s key', async () => {
    const statements = [
      sql`INSERT INTO budget_lines (community_id, year, version, account_code, amount)
          SELECT community_id, year, version, '5199', 1 FROM budget_versions WHERE ${draft2027()}`,
      sql`DELETE FROM budget_lines WHERE community_id = ${books.c.id} AND year = 2027 AND account_code = '5105'`,
    ];
    for (const statement of statements) {
      expectRefused(await attempt((tx) => statement.execute(tx)), { code: SQLSTATE.restrict, trigger: 'budget_lines_unsigned' });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('records of money are never rewritten', () => {
  // Row triggers do not fire on TRUNCATE: every table of money carries a statement trigger.
  const moneyTables = [
    'accounts', 'community_heads', 'entries', 'postings', 'account_months', 'feed_items', 'incomes', 'spend_requests',
    'spend_decisions', 'spend_events', 'budget_versions', 'budget_lines', 'budget_approvals', 'fee_schedules', 'billing_runs',
    'bills', 'fee_payments', 'bill_settlements', 'unit_fee_advances',
  ];

  it('every table of money refuses TRUNCATE by a statement trigger', async () => {
    const { rows } = await sql<{ table: string }>`
      SELECT t.tgrelid::regclass::text AS table FROM pg_trigger t
       WHERE t.tgfoid = 'refuse_change'::regproc AND t.tgtype & 32 <> 0 AND t.tgenabled <> 'D'`.execute(h.db);
    expect(rows.map((r) => r.table)).toEqual(expect.arrayContaining(moneyTables));
  });

  // Tables that no foreign key names are truncated for real (PostgreSQL itself refuses the
  // others without CASCADE, which would lock half the schema). The rollback ends the lock.
  it.each([
    'spend_decisions', 'spend_events', 'budget_approvals', 'budget_lines', 'account_months', 'feed_items', 'incomes',
    'bill_settlements', 'unit_fee_advances', 'community_heads', 'fee_schedules',
  ])('the database refuses to truncate %s', async (table) => {
    const outcome = await truncating(table);
    expectRefused(outcome, {
      code: SQLSTATE.restrict,
      trigger: 'refuse_change',
      message: new RegExp(`^rows of ${table} are append-only: TRUNCATE refused$`),
    });
  });

  const appendOnly: Array<[string, string, string, () => RawBuilder<unknown>]> = [
    ['an income’s amount changed (its entry says otherwise)', 'incomes', 'UPDATE', () => sql`UPDATE incomes SET amount = amount + 1000 WHERE community_id = ${books.c.id}`],
    ['an income deleted', 'incomes', 'DELETE', () => sql`DELETE FROM incomes WHERE community_id = ${books.c.id}`],
    ['a fee payment enlarged, split kept', 'fee_payments', 'UPDATE', () => sql`UPDATE fee_payments SET amount = amount + 100, to_advance = to_advance + 100 WHERE community_id = ${books.c.id}`],
    ['a settlement deleted', 'bill_settlements', 'DELETE', () => sql`DELETE FROM bill_settlements WHERE community_id = ${books.c.id}`],
    ['a billing run’s total changed', 'billing_runs', 'UPDATE', () => sql`UPDATE billing_runs SET total = total + 1000 WHERE community_id = ${books.c.id}`],
    ['a past fee rate rewritten', 'fee_schedules', 'UPDATE', () => sql`UPDATE fee_schedules SET rate_per_m2 = rate_per_m2 * 2 WHERE community_id = ${books.c.id}`],
    ['a published feed item rewritten', 'feed_items', 'UPDATE', () => sql`UPDATE feed_items SET amount = amount / 10 WHERE community_id = ${books.c.id} AND amount IS NOT NULL`],
    ['a published feed item deleted', 'feed_items', 'DELETE', () => sql`DELETE FROM feed_items WHERE community_id = ${books.c.id}`],
  ];

  it.each(appendOnly)('the database refuses %s', async (_story, table, operation, statement) => {
    expectRefused(await attempt((tx) => statement().execute(tx)), {
      code: SQLSTATE.restrict,
      trigger: 'refuse_change',
      message: new RegExp(`^rows of ${table} are append-only: ${operation} refused$`),
    });
  });

  it("the database refuses a unit's advance deleted", async () => {
    const outcome = await attempt((tx) => sql`DELETE FROM unit_fee_advances WHERE community_id = ${books.c.id}`.execute(tx));
    expectRefused(outcome, writeRefused(/^a unit's advance is never deleted: DELETE on unit_fee_advances refused$/));
  });
});

// ---------------------------------------------------------------------------------------------
describe('a bill is paid by exactly its settlements', () => {
  const firstBill = () => sql`community_id = ${books.c.id} AND unit_id = ${books.units[0]!} AND period = '2026-01'`;
  const settle = (tx: Tx, amount: string) =>
    sql`INSERT INTO bill_settlements (community_id, id, bill_id, payment_id, amount, remuneration, settled_at)
        SELECT community_id, ${unique('settlement')}, bill_id, payment_id, ${amount}::numeric, 0, now()
          FROM bill_settlements s WHERE s.community_id = ${books.c.id}
           AND s.bill_id = (SELECT id FROM bills WHERE ${firstBill()}) LIMIT 1`.execute(tx);
  const unsettled: Guard = { code: SQLSTATE.check, trigger: 'bill_paid_check', message: /shows .* paid, but its settlements add up to/ };

  it('the database refuses a bill marked unpaid without a settlement', async () => {
    const outcome = await attempt((tx) => sql`UPDATE bills SET paid = 0 WHERE community_id = ${books.c.id}`.execute(tx));
    expectRefused(outcome, writeRefused(/^a bill changes only by the settlements that pay it: UPDATE on bills refused$/));
  });

  it('the database refuses a bill whose amount or unit is changed', async () => {
    for (const change of [sql`amount = amount + 1`, sql`unit_id = ${books.units[1]!}, period = '2025-12'`]) {
      const outcome = await attempt((tx) => sql`UPDATE bills SET ${change} WHERE ${firstBill()}`.execute(tx));
      expectRefused(outcome, writeRefused(/^a bill changes only by the settlements that pay it/));
    }
  });

  it('the database refuses a bill paid further without a settlement, and a settlement that its bill does not show', async () => {
    expectRefused(await attempt((tx) => sql`UPDATE bills SET paid = paid + 1 WHERE ${firstBill()}`.execute(tx)), unsettled);
    expectRefused(await attempt((tx) => settle(tx, '1')), unsettled);
  });

  it('the database accepts a settlement recorded together with what it adds to its bill', async () => {
    const outcome = await attempt(async (tx) => {
      await sql`UPDATE bills SET paid = paid + 1 WHERE ${firstBill()}`.execute(tx);
      await settle(tx, '1');
    });
    expect(outcome).toBe(ACCEPTED);
  });
});
