import { Type, type Static } from 'typebox';
import { Body, Id, Timestamp } from '../../shared/schemas.js';
import { AttachmentIds, AttachmentRef } from '../evidence/evidence.schemas.js';

const Text = Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' });

export const ChallengeSubject = Type.Object(
  {
    type: Type.Enum(['entry', 'spend-request', 'budget']),
    id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'An entry’s or spend request’s id, or a budget’s year' }),
  },
  { additionalProperties: false },
);
export type ChallengeSubject = Static<typeof ChallengeSubject>;

export const OpenChallengeBody = Body({ subject: ChallengeSubject, question: Text });
export type OpenChallengeBody = Static<typeof OpenChallengeBody>;

export const AnswerBody = Body({ answer: Text, attachments: Type.Optional(AttachmentIds) });
export type AnswerBody = Static<typeof AnswerBody>;

const Person = Type.Object({ id: Id, displayName: Type.String() });

export const ChallengeStatus = Type.Enum(['open', 'answered']);

export const Challenge = Type.Object({
  id: Id,
  subject: ChallengeSubject,
  question: Type.String(),
  askedBy: Person,
  askedAt: Timestamp,
  dueAt: { ...Timestamp, description: 'Seven days after it was asked: the steward answers by then' },
  status: ChallengeStatus,
  overdue: Type.Boolean({ description: 'Still open past dueAt, computed when read' }),
  answer: Type.Union([
    Type.Object({ text: Type.String(), by: Person, at: Timestamp, attachments: Type.Array(AttachmentRef) }),
    Type.Null(),
  ]),
});
export type Challenge = Static<typeof Challenge>;

export const ChallengeParams = Type.Object({ cid: Id, id: Id });
export const ChallengeListQuery = Type.Object({
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `nextAfter` of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  status: Type.Optional(Type.Enum(['open', 'answered', 'overdue'], { description: '`overdue`: open past dueAt' })),
});
export type ChallengeListQuery = Static<typeof ChallengeListQuery>;
