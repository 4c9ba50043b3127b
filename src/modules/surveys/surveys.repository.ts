import type { Executor, Tx } from '../../db/database.js';
import type { SurveyItem, SurveysTables } from './surveys.tables.js';

/** Every SQL statement of the surveys module, on its own tables only. */
type Db = Executor<SurveysTables>;
type SurveysTx = Tx<SurveysTables>;

const COLUMNS = ['id', 'title', 'period', 'closes_at', 'items', 'created_by', 'created_at'] as const;

export function insertSurvey(
  tx: SurveysTx,
  s: { communityId: string; id: string; title: string; period: string; closesAt: Date; items: SurveyItem[]; createdBy: string },
) {
  return tx
    .insertInto('surveys')
    .values({
      community_id: s.communityId,
      id: s.id,
      title: s.title,
      period: s.period,
      closes_at: s.closesAt,
      items: JSON.stringify(s.items),
      created_by: s.createdBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export type SurveyRow = Awaited<ReturnType<typeof insertSurvey>>;

export function findSurvey(db: Db, communityId: string, id: string) {
  return db.selectFrom('surveys').select(COLUMNS).where('community_id', '=', communityId).where('id', '=', id).executeTakeFirst();
}

/** One response; the table's key refuses a second from the same owner (survey_responses_once). */
export function insertResponse(tx: SurveysTx, r: { communityId: string; surveyId: string; userId: string; scores: Record<string, number>; comment: string | null }) {
  return tx
    .insertInto('survey_responses')
    .values({ community_id: r.communityId, survey_id: r.surveyId, user_id: r.userId, scores: JSON.stringify(r.scores), comment: r.comment })
    .returning(['user_id', 'at'])
    .executeTakeFirstOrThrow();
}

export function responsesOf(db: Db, communityId: string, surveyId: string) {
  return db.selectFrom('survey_responses').select(['user_id', 'scores']).where('community_id', '=', communityId).where('survey_id', '=', surveyId).execute();
}

/** A page of the community's surveys, newest first, after the (created_at, id) of the cursor. */
export function listSurveys(db: Db, communityId: string, after: { at: Date; id: string } | undefined, limit: number) {
  let query = db
    .selectFrom('surveys')
    .select(COLUMNS)
    .where('community_id', '=', communityId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}
