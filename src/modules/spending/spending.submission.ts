import { randomUUID } from 'node:crypto';
import { pgCode, pgConstraint } from '../../db/transaction.js';
import { AppError, invalidState, validationFailed } from '../../shared/errors.js';
import { formatMoney, formatYuan, money, Money } from '../../shared/money.js';
import type { Member } from '../communities/communities.service.js';
import type { AttachmentRef } from '../evidence/evidence.schemas.js';
import { positiveAmount, REMUNERATION_PAYABLE, translatePostError, type FeedDraft, type LedgerService } from '../ledger/ledger.service.js';
import { spendDigest } from './spending.digest.js';
import type { RequestRow, Submission, Submitted } from './spending.repository.js';
import type { SpendRequest, SubmitSpendBody } from './spending.schemas.js';
import { composeBody } from './spending.timeline.js';

/**
 * What a submission is made of, the same on both of its paths: alone in a transaction (with an
 * Idempotency-Key, or naming a repair) and in a lane's batch (spending.lanes.ts). Each path
 * reads what it needs its own way; the rules, their order and the answers live here once.
 */

/** An account of the community's chart, as the ledger reads it. */
export type ChartAccount = NonNullable<Awaited<ReturnType<LedgerService['findAccount']>>>;

/**
 * Checks and normalises a submission's fields, given the account it names as the ledger found
 * it (undefined: none). What may be paid is an expense of the community or the steward's
 * accrued remuneration. Throws `validation_failed`, the amount first.
 */
export function submissionFields(input: SubmitSpendBody, account: ChartAccount | undefined) {
  const amount = positiveAmount(input.amount);
  if (!account) throw validationFailed(`There is no account ${input.account} in this community's chart`);
  if (account.type !== 'expense' && account.code !== REMUNERATION_PAYABLE) {
    throw validationFailed(`Account ${account.code} is an ${account.type} account; a spend request pays an expense account or 2201`);
  }
  const payeeAccount = input.payee.account === undefined ? null : input.payee.account.replace(/[ -]/g, '');
  if (payeeAccount !== null && !/^[0-9A-Za-z]{6,40}$/.test(payeeAccount)) {
    throw validationFailed('payee.account needs 6 to 40 letters and digits');
  }
  const description = input.description?.trim() || null;
  return {
    amount,
    account: account.code,
    title: input.title.trim(),
    description,
    payeeName: input.payee.name.trim(),
    payeeAccount,
    budgetYear: input.budgetYear ?? null,
  };
}

export type SubmissionFields = ReturnType<typeof submissionFields>;

/** An owners' vote that allowed a spend. */
export type AllowingVote = { id: string; title: string } | undefined;

/**
 * The vote a request names, which must be a closed vote of this community that passed; a
 * request above the policy's voteRequiredAbove (`threshold`) must name one. `passedVote`
 * looks the named vote up. Throws `409 quorum_not_met`.
 */
export async function allowingVote(
  threshold: string | null,
  amount: string,
  voteId: string | undefined,
  passedVote: (voteId: string) => Promise<AllowingVote>,
): Promise<AllowingVote> {
  const needed = threshold !== null && money(amount).gt(threshold);
  if (voteId === undefined) {
    if (needed) throw new AppError('quorum_not_met', `A spend above ${formatYuan(threshold)} needs a passed owners' vote: name it as voteId`);
    return undefined;
  }
  const vote = await passedVote(voteId);
  if (!vote) throw new AppError('quorum_not_met', 'The vote named is not a closed vote of this community that passed');
  return vote;
}

/** A request as its submission knows it before the statement: its fields, evidence and steps. */
export type SubmittedRequest = Submission['request'] & { attachments: AttachmentRef[]; steps: Submission['steps'] };

/** What a checked submission links to: its evidence, the repair it pays for, the vote that allowed it. */
export interface SubmissionLinks {
  attachments: AttachmentRef[];
  repair: { id: string; trackingNo: string } | null;
  vote: AllowingVote;
}

/** The request to write: a new id, the digest its co-signers will sign, and the steps shown with it. */
export function draftRequest(communityId: string, member: Member, fields: SubmissionFields, { attachments, repair, vote }: SubmissionLinks): SubmittedRequest {
  const id = randomUUID();
  const repairId = repair?.id ?? null;
  const digest = spendDigest({ id, communityId, ...fields }, { repairId, attachments: attachments.map((a) => a.sha256) });
  const steps: Submission['steps'] = [
    // Each timeline shows the other: the request its repair, the repair this request.
    ...(repair === null ? [] : [{ event: 'repair' as const, note: null, ref: repair.trackingNo }]),
    // 五议两公开: the resolution that allowed the spend is published on its timeline.
    ...(vote ? [{ event: 'vote' as const, note: vote.title, ref: vote.id }] : []),
  ];
  return { ...fields, id, digest, submittedBy: member.userId, repairId, remuneration: fields.account === REMUNERATION_PAYABLE, attachments, steps };
}

/** The request's fields as the submission statement reads them (without its evidence and steps, given apart). */
export function requestOf({ attachments: _attachments, steps: _steps, ...request }: SubmittedRequest): Submission['request'] {
  return request;
}

/** The `spend.submitted` feed item. */
export function submissionFeed(request: SubmittedRequest): FeedDraft {
  return {
    type: 'spend.submitted',
    amount: request.amount,
    account: request.account,
    // Templates of PostgreSQL's format(): the statement puts in the tracking number it takes.
    summary: `支出申请 %1$s 已提交：${formatLiteral(request.title)} ${formatYuan(request.amount)}`,
    ref: '%1$s',
    actorId: request.submittedBy,
    details: { title: request.title, counterparty: request.payeeName },
  };
}

/** Text that PostgreSQL's format() gives back as it is: a % is written %%. */
const formatLiteral = (text: string) => text.replaceAll('%', '%%');

/**
 * The steward is paid only what it has earned: 2201's balance less what open requests on 2201
 * already ask for. `payable` is what the statement found payable.
 */
export function remunerationRefusal(payable: string, amount: string): AppError {
  return invalidState(`Only ${formatMoney(Money.max(new Money(payable), 0))} CNY of accrued remuneration (2201) is payable, less than ${amount}`);
}

/** The fund's floor, in the words the ledger answers a refused reservation with (translatePostError). */
export const fundRefusal = () => new AppError('insufficient_funds', 'The fund does not have that much available');

/**
 * The submission statement's refusals as the contract names them: `remuneration_payable`, with
 * what is payable as its DETAIL, and the fund's floor (`insufficient_funds`), as for any
 * reservation.
 */
export function submissionRefusal(error: unknown, amount: string): unknown {
  if (pgCode(error) === '23514' && pgConstraint(error) === 'remuneration_payable') {
    return remunerationRefusal(String((error as { detail?: unknown }).detail), amount);
  }
  return translatePostError(error);
}

/**
 * The body of a request just submitted, from what the submission knew and what its statement
 * answered: byte for byte what spendBody reads back (test/spending.submission.test.ts), without
 * reading it. A new request has no approvals or verdicts; its evidence is on its first step;
 * every step is the submitter's, at the time of the submission.
 */
export function submittedBody(member: Member, request: SubmittedRequest, submitted: Submitted): SpendRequest {
  const at = submitted.submitted_at;
  const row: RequestRow = {
    id: request.id,
    seq: submitted.seq,
    tracking_no: submitted.tracking_no,
    title: request.title,
    description: request.description,
    amount: request.amount,
    account_code: request.account,
    payee_name: request.payeeName,
    payee_account: request.payeeAccount,
    budget_year: request.budgetYear,
    digest: request.digest,
    required_approvals: submitted.required_approvals,
    submitted_by: member.userId,
    submitted_at: at,
    status: 'pending',
    bank_reference: null,
    paid_at: null,
    paid_by: null,
    entry_seq: null,
    entry_id: null,
    repair_id: request.repairId,
  };
  const events = [
    { n: 1, at, event: 'submitted' as const, actor_id: member.userId, note: null, ref: null },
    ...request.steps.map((step, i) => ({ n: i + 2, at, event: step.event, actor_id: member.userId, note: step.note, ref: step.ref })),
  ];
  return composeBody(member, row, {
    events,
    approvals: [],
    evidence: new Map(request.attachments.length === 0 ? [] : [[1, request.attachments]]),
    verdicts: [],
    people: new Map([[member.userId, { id: member.userId, displayName: submitted.submitter_name, roles: member.roles }]]),
  });
}
