import { Type, type Static } from 'typebox';
import { Body, Id, Money, ref, Role, Timestamp } from '../../shared/schemas.js';
import { AttachmentIds, AttachmentRef } from '../evidence/evidence.schemas.js';

/** One line of text: no control characters, so feed summaries stay one line. */
const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\x00-\\x1F\\x7F]*\\S[^\\x00-\\x1F\\x7F]*$' });
const Reason = Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' });

export const SpendStatus = Type.Enum(['pending', 'approved', 'rejected', 'cancelled', 'paid']);
export type SpendStatus = Static<typeof SpendStatus>;

export const TimelineEvent = Type.Enum(['submitted', 'repair', 'vote', 'key', 'approved', 'rejected', 'cancelled', 'paid', 'accepted', 'disputed']);
export type TimelineEvent = Static<typeof TimelineEvent>;

export const SubmitSpendBody = Body({
  title: Line(200),
  amount: ref(Money),
  account: Type.String({ pattern: '^[0-9]{4,8}$', description: 'An expense account code, or 2201 to pay the steward its accrued remuneration' }),
  payee: Body({
    name: Line(200),
    account: Type.Optional(
      Type.String({
        pattern: '^[0-9A-Za-z][0-9A-Za-z -]{4,48}[0-9A-Za-z]$',
        description: 'Bank account: 6 to 40 letters and digits; spaces and hyphens are ignored',
      }),
    ),
  }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  budgetYear: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
  attachments: Type.Optional(AttachmentIds),
  repairId: Type.Optional({ ...Id, description: 'The repair this request pays for (a repair of this community): it shows on both timelines and is signed' }),
  voteId: Type.Optional({
    ...Id,
    description: 'The owners’ vote that allowed this spend: a closed vote of this community that passed (else 409 quorum_not_met); required above the policy’s voteRequiredAbove; shown on the timeline as `vote`',
  }),
});
export type SubmitSpendBody = Static<typeof SubmitSpendBody>;

export const AcceptanceBody = Body({
  verdict: Type.Enum(['accepted', 'disputed'], { description: '验收: accepted (已验收) or disputed (有异议)' }),
  note: Reason,
  attachments: Type.Optional({ ...AttachmentIds, description: 'Photos of the work as it was found' }),
});
export type AcceptanceBody = Static<typeof AcceptanceBody>;

export const ApprovalBody = Body({
  signingPassword: Type.String({ minLength: 1, maxLength: 1024, description: "The co-signer's key" }),
  digest: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The digest of the request as the co-signer saw it' }),
});
export type ApprovalBody = Static<typeof ApprovalBody>;

export const RejectionBody = Body({
  signingPassword: Type.String({ minLength: 1, maxLength: 1024, description: "The co-signer's key" }),
  reason: Reason,
});
export type RejectionBody = Static<typeof RejectionBody>;

export const CancellationBody = Body({ reason: Reason });
export type CancellationBody = Static<typeof CancellationBody>;

export const PayoutBody = Body({
  bankReference: Line(200),
  paidAt: Type.Optional({ ...Timestamp, description: 'When the bank transfer was made; default now; never in the future' }),
  attachments: Type.Optional({ ...AttachmentIds, description: 'The invoice and the bank slip: they show on the `paid` step' }),
});
export type PayoutBody = Static<typeof PayoutBody>;

export const Actor = Type.Object({ id: Id, displayName: Type.String(), roles: Type.Array(ref(Role)) });
export type Actor = Static<typeof Actor>;

export const Payee = Type.Object({
  name: Type.String(),
  account: Type.Union([Type.String(), Type.Null()], {
    description: 'Whole for managers, co-signers and admins; "****" and the last four characters for owners and supervisors',
  }),
});

export const SpendRequestSummary = Type.Object({
  id: Id,
  trackingNo: Type.String({ examples: ['XY-2026-12-000123'] }),
  status: SpendStatus,
  title: Type.String(),
  amount: Type.String(),
  account: Type.String(),
  payee: Payee,
  digest: Type.String({ description: 'SHA-256 (hex) over the canonical form of what a co-signer approves' }),
  requiredApprovals: Type.Integer({ minimum: 2, description: 'Keys this request needs, fixed when it was submitted' }),
  approvalCount: Type.Integer({ minimum: 0 }),
  submittedAt: Timestamp,
});
export type SpendRequestSummary = Static<typeof SpendRequestSummary>;

export const SpendRequest = Type.Object({
  ...SpendRequestSummary.properties,
  description: Type.Union([Type.String(), Type.Null()]),
  budgetYear: Type.Union([Type.Integer(), Type.Null()]),
  submittedBy: Actor,
  approvals: Type.Array(Type.Object({ by: Id, displayName: Type.String(), at: Timestamp })),
  timeline: Type.Array(
    Type.Object({
      at: Timestamp,
      event: TimelineEvent,
      actor: Actor,
      note: Type.Optional(Type.String()),
      ref: Type.Optional(Type.String({ description: '`repair`: the tracking number of the repair this request pays for; `vote`: the id of the vote that allowed it (its title is the note)' })),
      attachments: Type.Optional(Type.Array(AttachmentRef, { description: 'The evidence of this step (submitted, paid, accepted, disputed), when it has any' })),
    }),
    {
      description:
        'Every step, in order: submitted; one `key` per co-signer’s key (`note` `k/N`, e.g. `1/2`); `approved` when the N-th key ' +
        'lands (same actor and time as that key); rejected, cancelled, paid. A paid two-key request reads submitted, key, key, approved, paid.',
    },
  ),
  repairId: Type.Union([Id, Type.Null()], { description: 'The repair this request pays for' }),
  acceptance: Type.Array(
    Type.Object({ by: Id, displayName: Type.String(), verdict: Type.Enum(['accepted', 'disputed']), note: Type.String(), at: Timestamp, attachments: Type.Array(AttachmentRef) }),
    { description: 'Every verdict after the payout (验收), by co-signers and the reporter of the linked repair, in order' },
  ),
  attachments: Type.Array(AttachmentRef, { description: 'The evidence the request was submitted with, in the order given: its SHA-256s are signed (xinyi-spend/v2)' }),
  bankReference: Type.Union([Type.String(), Type.Null()]),
  paidAt: Type.Union([Timestamp, Type.Null()]),
  entryId: Type.Union([Id, Type.Null()], { description: 'The payout entry in /entries, once paid' }),
});
export type SpendRequest = Static<typeof SpendRequest>;

export const SpendParams = Type.Object({ cid: Id, id: Id });
export const TrackParams = Type.Object({ trackingNo: Type.String({ minLength: 1, maxLength: 64 }) });

export const SpendListQuery = Type.Object({
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `nextAfter` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  status: Type.Optional(SpendStatus),
});
export type SpendListQuery = Static<typeof SpendListQuery>;
