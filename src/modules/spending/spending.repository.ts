import { sql, type Selectable } from 'kysely';
import type { Executor, StatementTx, Tx } from '../../db/database.js';
import { assert } from '../../shared/errors.js';
import type { SpendRequestsTable, SpendingTables } from './spending.tables.js';
import type { SpendStatus, TimelineEvent } from './spending.schemas.js';

/** Every SQL statement of the spending module, on its own tables only. */
type Db = Executor<SpendingTables>;
type SpendingTx = Tx<SpendingTables>;

/** A submission as `spending_submit` reads it (see that migration for what it checks and writes). */
export interface Submission {
  request: {
    id: string;
    title: string;
    description: string | null;
    amount: string;
    account: string;
    payeeName: string;
    payeeAccount: string | null;
    budgetYear: number | null;
    digest: string;
    submittedBy: string;
    repairId: string | null;
    /** It pays the steward's accrued remuneration (2201): checked against what is payable. */
    remuneration: boolean;
  };
  /** The request's evidence, on its `submitted` step, in the order given. */
  attachmentIds: readonly string[];
  /** The steps shown with the submission, after it and at its time. */
  steps: ReadonlyArray<{ event: 'repair' | 'vote'; note: string | null; ref: string }>;
  /** The feed item, from ledger.prepareFeed; its summary and ref are format() templates of the tracking number. */
  feedJson: string;
}

/** What `spending_submit` answers: what the response needs that only the lock could tell. */
export interface Submitted {
  seq: number;
  tracking_no: string;
  submitted_at: Date;
  required_approvals: number;
  submitter_name: string;
}

/**
 * Everything a submission writes, under the community's head lock, in one statement (the
 * function `spending_submit`): the request's number, the remuneration check, the reservation,
 * the request with its steps and evidence, and its feed item. The fund's floor refuses it as
 * a posting would (`available_not_negative`), an unpayable remuneration on
 * `remuneration_payable`; either way nothing is written.
 */
export async function submitRequest(tx: SpendingTx, communityId: string, s: Submission): Promise<Submitted> {
  const { rows } = await sql<Submitted>`
    SELECT seq, tracking_no, submitted_at, required_approvals, submitter_name
      FROM spending_submit(${communityId}, ${JSON.stringify(s.request)}::jsonb, ${JSON.stringify(s.attachmentIds)}::jsonb,
                           ${JSON.stringify(s.steps)}::jsonb, ${s.feedJson}::jsonb)`.execute(tx);
  return rows[0]!;
}

/** A submission as `spending_submit_each` reads it: one community's request among any number. */
export interface SubmissionItem {
  communityId: string;
  request: Submission['request'];
  /** The request's evidence, on its `submitted` step, in the order given. */
  attachments: readonly string[];
  steps: Submission['steps'];
  /** The feed item; its summary and ref are format() templates of the tracking number. */
  feed: object;
}

/**
 * What became of one submission of a batch: `done` (written, and `submitted` is what
 * spending_submit answers), `busy` (its head was held: nothing written), or refused with
 * nothing written: `insufficient_funds`, or `remuneration` with what is payable.
 */
export type SubmissionOutcome =
  | { status: 'done'; submitted: Submitted }
  | { status: 'busy' }
  | { status: 'insufficient_funds' }
  | { status: 'remuneration'; payable: string };

/**
 * Submissions of any number of communities in one statement (`spending_submit_each`, see that
 * migration): each community's under its own head lock, each request checked against what
 * the earlier ones of its community left, a refusal writing nothing of its request only. On
 * the pool it is a transaction of its own (StatementTx). With `skipLocked` the requests of a
 * community whose head another writer holds are answered `busy`; without, it waits for it.
 * Answers in the order given.
 */
export async function submitRequests(
  tx: SpendingTx | StatementTx<SpendingTables>,
  items: readonly SubmissionItem[],
  skipLocked: boolean,
): Promise<SubmissionOutcome[]> {
  if (items.length === 0) return [];
  const { rows } = await sql<Partial<Submitted> & { ord: number; status: SubmissionOutcome['status']; payable: string | null }>`
    SELECT ord, status, seq, tracking_no, submitted_at, required_approvals, submitter_name, payable
      FROM spending_submit_each(${JSON.stringify(items)}::jsonb, ${skipLocked})`.execute(tx);
  assert(rows.length === items.length, 'one outcome per submission');
  return rows.map((r, k): SubmissionOutcome => {
    assert(r.ord === k + 1, 'outcomes in the order given');
    if (r.status === 'remuneration') return { status: r.status, payable: r.payable! };
    if (r.status === 'busy' || r.status === 'insufficient_funds') return { status: r.status };
    const { seq, tracking_no, submitted_at, required_approvals, submitter_name } = r;
    return { status: r.status, submitted: { seq: seq!, tracking_no: tracking_no!, submitted_at: submitted_at!, required_approvals: required_approvals!, submitter_name: submitter_name! } };
  });
}

const REQUEST_COLUMNS = [
  'id', 'seq', 'tracking_no', 'title', 'description', 'amount', 'account_code', 'payee_name', 'payee_account',
  'budget_year', 'digest', 'required_approvals', 'submitted_by', 'submitted_at', 'status', 'bank_reference',
  'paid_at', 'paid_by', 'entry_seq', 'entry_id', 'repair_id',
] as const;

export type RequestRow = Pick<Selectable<SpendRequestsTable>, (typeof REQUEST_COLUMNS)[number]>;

export async function findRequest(db: Db, communityId: string, id: string): Promise<RequestRow | undefined> {
  return (await db
    .selectFrom('spend_requests')
    .select(REQUEST_COLUMNS)
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .executeTakeFirst()) as RequestRow | undefined;
}

export async function findByTrackingNo(db: Db, communityId: string, trackingNo: string): Promise<RequestRow | undefined> {
  return (await db
    .selectFrom('spend_requests')
    .select(REQUEST_COLUMNS)
    .where('community_id', '=', communityId)
    .where('tracking_no', '=', trackingNo)
    .executeTakeFirst()) as RequestRow | undefined;
}

/** Locks the request row. Call it after the community head lock (the lock order). */
export async function lockRequest(tx: SpendingTx, communityId: string, id: string): Promise<RequestRow | undefined> {
  return (await tx
    .selectFrom('spend_requests')
    .select(REQUEST_COLUMNS)
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()) as RequestRow | undefined;
}

/**
 * Moves the request from one of `from` to `to`; the WHERE clause re-checks the status, so
 * the caller learns from the row count whether the move happened. Payout fields go with
 * `paid` only.
 */
export async function transition(
  tx: SpendingTx,
  communityId: string,
  id: string,
  from: SpendStatus[],
  to: SpendStatus,
  payout?: { bankReference: string; paidAt: Date; paidBy: string; entrySeq: number; entryId: string },
): Promise<boolean> {
  const result = await tx
    .updateTable('spend_requests')
    .set({
      status: to,
      ...(payout ? { bank_reference: payout.bankReference, paid_at: payout.paidAt, paid_by: payout.paidBy, entry_seq: payout.entrySeq, entry_id: payout.entryId } : {}),
    })
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export function listRequests(db: Db, communityId: string, afterSeq: number, limit: number, status: SpendStatus | undefined) {
  let query = db
    .selectFrom('spend_requests as r')
    .select(REQUEST_COLUMNS.map((c) => `r.${c}` as const))
    .select((eb) =>
      eb
        .selectFrom('spend_decisions as d')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('d.community_id', '=', 'r.community_id')
        .whereRef('d.request_id', '=', 'r.id')
        .where('d.decision', '=', 'approve')
        .as('approval_count'),
    )
    .where('r.community_id', '=', communityId)
    .where('r.seq', '>', afterSeq)
    .orderBy('r.seq')
    .limit(limit);
  if (status) query = query.where('r.status', '=', status);
  return query.execute();
}

export function findDecision(db: Db, communityId: string, requestId: string, userId: string) {
  return db
    .selectFrom('spend_decisions')
    .select(['decision', 'at'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export function insertDecision(
  tx: SpendingTx,
  d: { communityId: string; requestId: string; userId: string; decision: 'approve' | 'reject'; digest: string; reason: string | null },
) {
  return tx
    .insertInto('spend_decisions')
    .values({ community_id: d.communityId, request_id: d.requestId, user_id: d.userId, decision: d.decision, digest: d.digest, reason: d.reason })
    .returning(['at'])
    .executeTakeFirstOrThrow();
}

export function approvalsOf(db: Db, communityId: string, requestId: string) {
  return db
    .selectFrom('spend_decisions')
    .select(['user_id', 'at'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .where('decision', '=', 'approve')
    .orderBy('at')
    .orderBy('user_id')
    .execute();
}

/** Appends a timeline event, numbered after the last one; the caller holds the request's lock. */
export async function appendEvent(
  tx: SpendingTx,
  e: { communityId: string; requestId: string; event: TimelineEvent; actorId: string; note: string | null; at?: Date; ref?: string },
): Promise<{ n: number; at: Date }> {
  const { rows } = await sql<{ n: number; at: Date }>`
    INSERT INTO spend_events (community_id, request_id, n, at, event, actor_id, note, ref)
    SELECT ${e.communityId}, ${e.requestId}, coalesce(max(n), 0) + 1,
           coalesce(${e.at ?? null}::timestamptz, date_trunc('milliseconds', clock_timestamp())),
           ${e.event}, ${e.actorId}, ${e.note}, ${e.ref ?? null}
      FROM spend_events WHERE community_id = ${e.communityId} AND request_id = ${e.requestId}
    RETURNING n, at`.execute(tx);
  return rows[0]!;
}

export function findVerdict(db: Db, communityId: string, requestId: string, userId: string) {
  return db
    .selectFrom('spend_acceptances')
    .select(['verdict'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function insertVerdict(
  tx: SpendingTx,
  v: { communityId: string; requestId: string; userId: string; verdict: 'accepted' | 'disputed'; note: string; step: number; at: Date },
): Promise<void> {
  await tx
    .insertInto('spend_acceptances')
    .values({ community_id: v.communityId, request_id: v.requestId, user_id: v.userId, verdict: v.verdict, note: v.note, step: v.step, at: v.at })
    .execute();
}

/** Every verdict on a request, in the order given. */
export function verdictsOf(db: Db, communityId: string, requestId: string) {
  return db
    .selectFrom('spend_acceptances')
    .select(['user_id', 'verdict', 'note', 'step', 'at'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .orderBy('step')
    .execute();
}

/** The requests that name a repair, oldest first. */
export function requestsForRepair(db: Db, communityId: string, repairId: string) {
  return db
    .selectFrom('spend_requests')
    .select(['id', 'tracking_no', 'status', 'amount'])
    .where('community_id', '=', communityId)
    .where('repair_id', '=', repairId)
    .orderBy('seq')
    .execute();
}

/** Links evidence to the step just appended (the database refuses any earlier step). */
export async function insertAttachments(tx: SpendingTx, communityId: string, requestId: string, step: number, attachmentIds: readonly string[]) {
  if (attachmentIds.length === 0) return;
  await tx
    .insertInto('spend_attachments')
    .values(attachmentIds.map((id, i) => ({ community_id: communityId, request_id: requestId, step, position: i + 1, attachment_id: id })))
    .execute();
}

/** Every piece of evidence of a request, by step and in the order given. */
export function attachmentsOf(db: Db, communityId: string, requestId: string) {
  return db
    .selectFrom('spend_attachments')
    .select(['step', 'attachment_id'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .orderBy('step')
    .orderBy('position')
    .execute();
}

export function eventsOf(db: Db, communityId: string, requestId: string) {
  return db
    .selectFrom('spend_events')
    .select(['n', 'at', 'event', 'actor_id', 'note', 'ref'])
    .where('community_id', '=', communityId)
    .where('request_id', '=', requestId)
    .orderBy('n')
    .execute();
}

/** Who each of the given requests pays, by request id. */
export async function payeesOf(db: Db, communityId: string, requestIds: readonly string[]): Promise<Map<string, string>> {
  if (requestIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('spend_requests')
    .select(['id', 'payee_name'])
    .where('community_id', '=', communityId)
    .where('id', 'in', [...requestIds])
    .execute();
  return new Map(rows.map((r) => [r.id, r.payee_name]));
}

/** The bank references of the community's payouts, by the entry that paid each out. */
export function payoutReferences(db: Db, communityId: string) {
  return db
    .selectFrom('spend_requests')
    .select(['entry_seq', 'bank_reference'])
    .where('community_id', '=', communityId)
    .where('entry_seq', 'is not', null)
    .where('bank_reference', 'is not', null)
    .execute();
}
