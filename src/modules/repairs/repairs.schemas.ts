import { Type, type Static } from 'typebox';
import { Body, Id, Money, ref, Role, Timestamp } from '../../shared/schemas.js';
import { AttachmentIds, AttachmentRef } from '../evidence/evidence.schemas.js';

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\x00-\\x1F\\x7F]*\\S[^\\x00-\\x1F\\x7F]*$' });

export const RepairStatus = Type.Enum(['reported', 'assigned', 'started', 'done', 'confirmed', 'reopened', 'cancelled']);
export type RepairStatus = Static<typeof RepairStatus>;

/** What a member does to a repair; the repair's status follows the last of these. */
export const RepairEvent = Type.Enum(['assigned', 'started', 'done', 'confirmed', 'reopened', 'cancelled'], {
  description: 'assigned, started, done: by a manager; confirmed, reopened: by the reporter or a co-signer; cancelled: by the reporter while reported',
});
export type RepairEvent = Static<typeof RepairEvent>;

/** Every step a repair's timeline shows: its report, its events, and the money spent on it. */
export const RepairStepEvent = Type.Enum(['reported', 'assigned', 'started', 'done', 'confirmed', 'reopened', 'cancelled', 'spend.submitted', 'spend.paid']);
export type RepairStepEvent = Static<typeof RepairStepEvent>;

export const ReportRepairBody = Body({
  title: Line(200),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  location: Line(200),
  attachments: Type.Optional(AttachmentIds),
});
export type ReportRepairBody = Static<typeof ReportRepairBody>;

export const RepairEventBody = Body({
  event: RepairEvent,
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' })),
  attachments: Type.Optional(AttachmentIds),
});
export type RepairEventBody = Static<typeof RepairEventBody>;

const Actor = Type.Object({ id: Id, displayName: Type.String(), roles: Type.Array(ref(Role)) });

export const Repair = Type.Object({
  id: Id,
  trackingNo: Type.String({ examples: ['BX-2026-12-000045'] }),
  status: RepairStatus,
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  location: Type.String(),
  reportedBy: Actor,
  reportedAt: Timestamp,
  timeline: Type.Array(
    Type.Object({
      at: Timestamp,
      event: RepairStepEvent,
      actor: Actor,
      note: Type.Optional(Type.String()),
      ref: Type.Optional(Type.String({ description: 'spend.submitted, spend.paid: the spend request’s tracking number' })),
      attachments: Type.Array(AttachmentRef),
    }),
  ),
  spendRequests: Type.Array(
    Type.Object({ id: Id, trackingNo: Type.String(), status: Type.String(), amount: ref(Money) }),
    { description: 'The spend requests that name this repair, oldest first' },
  ),
});
export type Repair = Static<typeof Repair>;

export const RepairParams = Type.Object({ cid: Id, id: Id });
export const RepairListQuery = Type.Object({
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `nextAfter` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  status: Type.Optional(RepairStatus),
});
export type RepairListQuery = Static<typeof RepairListQuery>;
