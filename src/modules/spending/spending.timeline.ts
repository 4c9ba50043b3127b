import type { Executor } from '../../db/database.js';
import { assert } from '../../shared/errors.js';
import { formatMoney } from '../../shared/money.js';
import { hasRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { AttachmentRef } from '../evidence/evidence.schemas.js';
import * as repo from './spending.repository.js';
import type { RequestRow } from './spending.repository.js';
import type { Actor, SpendRequest, SpendRequestSummary, TimelineEvent } from './spending.schemas.js';

/**
 * Who sees a payee's bank account whole: the people who pay it or sign for it (managers,
 * co-signers, admins). Owners and supervisors read every request, but the account only as
 * its last four characters: enough to recognise it, not enough to misuse it.
 */
export function seesWholeAccount(member: Member): boolean {
  return member.isPlatformAdmin || hasRole(member, 'manager', 'cosigner', 'admin');
}

export function maskAccount(account: string | null, whole: boolean): string | null {
  if (account === null || whole) return account;
  return `****${account.slice(-4)}`;
}

export function toSummary(row: RequestRow, approvalCount: number, whole: boolean): SpendRequestSummary {
  return {
    id: row.id,
    trackingNo: row.tracking_no,
    status: row.status,
    title: row.title,
    amount: formatMoney(row.amount),
    account: row.account_code,
    payee: { name: row.payee_name, account: maskAccount(row.payee_account, whole) },
    digest: row.digest,
    requiredApprovals: row.required_approvals,
    approvalCount,
    submittedAt: row.submitted_at.toISOString(),
  };
}

/**
 * The full body of a request as `member` may see it: its approvals and its parcel-style
 * timeline with each actor's name and roles. Reads through `executor`, so that a caller
 * inside a transaction describes what that transaction wrote.
 */
export async function spendBody(executor: Executor, views: SpendViews, member: Member, row: RequestRow): Promise<SpendRequest> {
  const communityId = member.communityId;
  const [events, approvals, evidence, verdicts] = await Promise.all([
    repo.eventsOf(executor, communityId, row.id),
    repo.approvalsOf(executor, communityId, row.id),
    evidenceByStep(executor, views, communityId, row.id),
    repo.verdictsOf(executor, communityId, row.id),
  ]);
  const people = await views.communities.profiles(executor, communityId, [row.submitted_by, ...events.map((e) => e.actor_id)]);
  return composeBody(member, row, { events, approvals, evidence, verdicts, people });
}

/**
 * What a request's body shows besides its row: read back by spendBody, or, for a request
 * just submitted, known without reading (spending.service.ts).
 */
export interface BodyParts {
  /** The stored steps, by number. */
  events: ReadonlyArray<StoredStep & { n: number; ref: string | null }>;
  approvals: ReadonlyArray<{ user_id: string; at: Date }>;
  /** The evidence of each step, by the step's number, in the order given. */
  evidence: ReadonlyMap<number, AttachmentRef[]>;
  verdicts: ReadonlyArray<{ user_id: string; verdict: 'accepted' | 'disputed'; note: string; step: number; at: Date }>;
  /** Everyone the row and its steps name, by id. */
  people: ReadonlyMap<string, Actor>;
}

/** The body of a request from its row and its parts, as `member` may see it; no I/O. */
export function composeBody(member: Member, row: RequestRow, { events, approvals, evidence, verdicts, people }: BodyParts): SpendRequest {
  const actor = (id: string): Actor => {
    const person = people.get(id);
    assert(person, `the actor ${id} of a spend request is known`);
    return person;
  };
  assert(events[0]?.event === 'submitted', 'a timeline starts with its submission');
  return {
    ...toSummary(row, approvals.length, seesWholeAccount(member)),
    description: row.description,
    budgetYear: row.budget_year,
    submittedBy: actor(row.submitted_by),
    approvals: approvals.map((a) => ({ by: a.user_id, displayName: actor(a.user_id).displayName, at: a.at.toISOString() })),
    repairId: row.repair_id,
    acceptance: verdicts.map((v) => ({
      by: v.user_id,
      displayName: actor(v.user_id).displayName,
      verdict: v.verdict,
      note: v.note,
      at: v.at.toISOString(),
      attachments: evidence.get(v.step) ?? [],
    })),
    attachments: evidence.get(events[0].n) ?? [],
    timeline: timelineSteps(events, row.required_approvals).map((e) => ({
      at: e.at.toISOString(),
      event: e.event,
      actor: actor(e.actor_id),
      ...(e.note === null ? {} : { note: e.note }),
      ...(e.ref === null ? {} : { ref: e.ref }),
      ...(evidence.has(e.n) && evidenceShownOn(e.event) ? { attachments: evidence.get(e.n)! } : {}),
    })),
    bankReference: row.bank_reference,
    paidAt: row.paid_at?.toISOString() ?? null,
    entryId: row.entry_id,
  };
}

/** What a request's body is read with besides its own tables: people's names and the evidence. */
export interface SpendViews {
  communities: Pick<CommunitiesService, 'profiles'>;
  evidence: Pick<EvidenceService, 'describe'>;
}

/** The evidence of each step of a request, by the step's number, in the order given. */
async function evidenceByStep(executor: Executor, views: SpendViews, communityId: string, requestId: string) {
  const links = await repo.attachmentsOf(executor, communityId, requestId);
  const refs = await views.evidence.describe(executor, communityId, links.map((l) => l.attachment_id));
  const byStep = new Map<number, AttachmentRef[]>();
  links.forEach((link, i) => byStep.set(link.step, [...(byStep.get(link.step) ?? []), refs[i]!]));
  return byStep;
}

/** A legacy key row read as two steps keeps its number on both; evidence belongs to these steps only. */
function evidenceShownOn(event: TimelineEvent): boolean {
  return event === 'submitted' || event === 'paid' || event === 'accepted' || event === 'disputed';
}

export interface StoredStep {
  at: Date;
  event: TimelineEvent;
  actor_id: string;
  note: string | null;
}

/**
 * The timeline as the contract reads it: `submitted`; one `key` per co-signer's key, noted
 * `k/N`; `approved` when the N-th key lands (same actor and time); then `rejected`,
 * `cancelled` or `paid`. Steps are stored that way. Requests that held keys before keys were
 * their own step stored each key as `approved`; such a row (one that does not follow its own
 * `key`) is read as the key it was, followed by `approved` at the N-th key.
 */
export function timelineSteps<S extends StoredStep>(stored: readonly S[], requiredApprovals: number): S[] {
  const steps: S[] = [];
  let keys = 0;
  for (const e of stored) {
    if (e.event === 'key') keys += 1;
    if (e.event !== 'approved' || confirmsKey(steps.at(-1), e)) {
      steps.push(e);
      continue;
    }
    keys += 1;
    steps.push({ ...e, event: 'key', note: `${keys}/${requiredApprovals}` });
    if (keys === requiredApprovals) steps.push({ ...e, event: 'approved', note: null });
  }
  return steps;
}

/** An `approved` step stored with the key that completed it: same actor, same time. */
function confirmsKey(previous: StoredStep | undefined, approved: StoredStep): boolean {
  return previous?.event === 'key' && previous.actor_id === approved.actor_id && previous.at.getTime() === approved.at.getTime();
}
