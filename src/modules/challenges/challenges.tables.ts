import type { ColumnType, Generated } from 'kysely';

/** What a question may be about. */
export type ChallengeSubjectType = 'entry' | 'spend-request' | 'budget';

/** The tables of the challenges module (质询): public questions and their answers. */
export interface ChallengesTables {
  challenges: ChallengesTable;
  challenge_attachments: ChallengeAttachmentsTable;
  challenge_counters: ChallengeCountersTable;
}

export interface ChallengesTable {
  community_id: string;
  id: string;
  seq: number;
  subject_type: ChallengeSubjectType;
  subject_id: string;
  question: string;
  asked_by: string;
  asked_at: ColumnType<Date, Date | undefined, never>;
  due_at: ColumnType<Date, Date | undefined, never>;
  status: Generated<'open' | 'answered'>;
  answer: string | null;
  answered_by: string | null;
  answered_at: Date | null;
}

export interface ChallengeAttachmentsTable {
  community_id: string;
  challenge_id: string;
  position: number;
  attachment_id: string;
}

export interface ChallengeCountersTable {
  community_id: string;
  last_seq: number;
}
