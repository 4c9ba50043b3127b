import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { ChallengesTables } from './challenges.tables.js';

/** Every SQL statement of the challenges module, on its own tables only. */
type Db = Executor<ChallengesTables>;
type ChallengesTx = Tx<ChallengesTables>;

const COLUMNS = [
  'id', 'seq', 'subject_type', 'subject_id', 'question', 'asked_by', 'asked_at', 'due_at', 'status', 'answer', 'answered_by', 'answered_at',
] as const;

export async function nextSeq(tx: ChallengesTx, communityId: string): Promise<number> {
  const { rows } = await sql<{ last_seq: number }>`
    INSERT INTO challenge_counters (community_id, last_seq) VALUES (${communityId}, 1)
    ON CONFLICT (community_id) DO UPDATE SET last_seq = challenge_counters.last_seq + 1
    RETURNING last_seq`.execute(tx);
  return rows[0]!.last_seq;
}

/** Opens a question; the database sets its due date, seven days after it was asked. */
export function insertChallenge(
  tx: ChallengesTx,
  c: { communityId: string; id: string; seq: number; subjectType: 'entry' | 'spend-request' | 'budget'; subjectId: string; question: string; askedBy: string },
) {
  return tx
    .insertInto('challenges')
    .values({
      community_id: c.communityId,
      id: c.id,
      seq: c.seq,
      subject_type: c.subjectType,
      subject_id: c.subjectId,
      question: c.question,
      asked_by: c.askedBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export type ChallengeRow = Awaited<ReturnType<typeof insertChallenge>>;

export function findChallenge(db: Db, communityId: string, id: string) {
  return db.selectFrom('challenges').select(COLUMNS).where('community_id', '=', communityId).where('id', '=', id).executeTakeFirst();
}

/** Answers an open question; false when it was answered meanwhile. */
export async function answer(tx: ChallengesTx, communityId: string, id: string, a: { text: string; by: string; attachmentIds: readonly string[] }) {
  const row = await tx
    .updateTable('challenges')
    .set({ status: 'answered', answer: a.text, answered_by: a.by, answered_at: sql<Date>`date_trunc('milliseconds', clock_timestamp())` })
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(COLUMNS)
    .executeTakeFirst();
  if (row && a.attachmentIds.length > 0) {
    await tx
      .insertInto('challenge_attachments')
      .values(a.attachmentIds.map((attachmentId, i) => ({ community_id: communityId, challenge_id: id, position: i + 1, attachment_id: attachmentId })))
      .execute();
  }
  return row;
}

export function attachmentsOf(db: Db, communityId: string, challengeIds: readonly string[]) {
  if (challengeIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('challenge_attachments')
    .select(['challenge_id', 'attachment_id'])
    .where('community_id', '=', communityId)
    .where('challenge_id', 'in', [...challengeIds])
    .orderBy('challenge_id')
    .orderBy('position')
    .execute();
}

/** A page by seq; `overdue` keeps the open ones past their due date at `now`. */
export function listChallenges(db: Db, communityId: string, afterSeq: number, limit: number, status: 'open' | 'answered' | 'overdue' | undefined, now: Date) {
  let query = db.selectFrom('challenges').select(COLUMNS).where('community_id', '=', communityId).where('seq', '>', afterSeq).orderBy('seq').limit(limit);
  if (status === 'overdue') query = query.where('status', '=', 'open').where('due_at', '<', now);
  else if (status) query = query.where('status', '=', status);
  return query.execute();
}
