import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { inTransaction, pgCode } from '../../db/transaction.js';
import { forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { decodeTimeCursor, timeKey, toPage } from '../../shared/pagination.js';
import type { Principal } from '../auth/auth.principal.js';
import { requireRole, type CommunitiesService } from '../communities/communities.service.js';
import * as repo from './surveys.repository.js';
import type { SurveyRow } from './surveys.repository.js';
import type { CreateSurveyBody, ResponseBody, Survey } from './surveys.schemas.js';

export type SurveysService = ReturnType<typeof createSurveysService>;

export interface SurveysDeps {
  communities: Pick<CommunitiesService, 'member' | 'unitsHeldBy' | 'unitRoll'>;
}

/** numerator ÷ denominator rounded half-up to `places` decimals, in integers only. */
export function ratio(numerator: bigint, denominator: bigint, places: number): string {
  if (denominator <= 0n || numerator < 0n) throw new Error('Invariant broken: a ratio of non-negative counts over a positive one');
  const scale = 10n ** BigInt(places);
  const scaled = (numerator * scale * 2n + denominator) / (denominator * 2n);
  const whole = scaled / scale;
  return places === 0 ? whole.toString() : `${whole}.${(scaled % scale).toString().padStart(places, '0')}`;
}

/**
 * 满意度测评: a community admin asks the owners to score the steward's service for a period;
 * each owner holding a unit responds once, before the survey closes; averages and the
 * response rate are public to every member.
 */
export function createSurveysService(db: Database, { communities }: SurveysDeps) {
  async function view(communityId: string, row: SurveyRow, userId: string): Promise<Survey> {
    const [responses, roll] = await Promise.all([repo.responsesOf(db, communityId, row.id), communities.unitRoll(db, communityId, new Date())]);
    const owners = new Set(roll.flatMap((u) => u.ownerIds)).size;
    const n = BigInt(responses.length);
    return {
      id: row.id,
      title: row.title,
      period: row.period,
      status: row.closes_at.getTime() <= Date.now() ? 'closed' : 'open',
      closesAt: row.closes_at.toISOString(),
      items: row.items.map((item) => ({
        key: item.key,
        label: item.label,
        average: n === 0n ? null : ratio(responses.reduce((sum, r) => sum + BigInt(r.scores[item.key] ?? 0), 0n), n, 2),
      })),
      responses: responses.length,
      responseRate: owners === 0 ? '0.0000' : ratio(n, BigInt(owners), 4),
      responded: responses.some((r) => r.user_id === userId),
    };
  }

  return {
    async create(communityId: string, principal: Principal, input: CreateSurveyBody): Promise<Survey> {
      const member = await communities.member(communityId, principal);
      requireRole(member, 'admin');
      const keys = input.items.map((i) => i.key);
      if (new Set(keys).size !== keys.length) throw validationFailed('Each item needs a key of its own');
      const closesAt = new Date(input.closesAt);
      if (closesAt.getTime() <= Date.now()) throw validationFailed('closesAt must be in the future');
      const row = await inTransaction(db, (tx) =>
        repo.insertSurvey(tx, {
          communityId,
          id: randomUUID(),
          title: input.title.trim(),
          period: input.period,
          closesAt,
          items: input.items.map((i) => ({ key: i.key, label: i.label.trim() })),
          createdBy: member.userId,
        }),
      );
      return view(communityId, row, member.userId);
    },

    async respond(communityId: string, principal: Principal, id: string, input: ResponseBody): Promise<Survey> {
      const member = await communities.member(communityId, principal);
      if ((await communities.unitsHeldBy(db, communityId, member.userId)).length === 0) throw forbidden('Only owners holding a unit respond');
      const row = await repo.findSurvey(db, communityId, id);
      if (!row) throw notFound('survey');
      const keys = row.items.map((i) => i.key);
      const given = Object.keys(input.scores);
      if (given.length !== keys.length || !keys.every((k) => given.includes(k))) {
        throw validationFailed(`Score every item, and only those: ${keys.join(', ')}`);
      }
      if (row.closes_at.getTime() <= Date.now()) throw invalidState('This survey has closed');
      await inTransaction(db, (tx) =>
        repo.insertResponse(tx, { communityId, surveyId: id, userId: member.userId, scores: input.scores, comment: input.comment?.trim() || null }),
      ).catch((error: unknown) => {
        if (pgCode(error) === '23505') throw invalidState('You have responded to this survey already');
        if (pgCode(error) === '23514') throw invalidState('This survey has closed');
        throw error;
      });
      return view(communityId, row, member.userId);
    },

    /** The community's surveys, newest first, with their averages: the steward's scores over time. */
    async list(communityId: string, principal: Principal, query: { after?: string; limit?: number }) {
      const member = await communities.member(communityId, principal);
      const limit = query.limit ?? 100;
      const after = decodeTimeCursor(query.after);
      const rows = await repo.listSurveys(db, communityId, after, limit + 1);
      const page = toPage(rows, limit, timeKey, (r) => r);
      return { items: await Promise.all(page.items.map((r) => view(communityId, r, member.userId))), nextAfter: page.nextAfter };
    },

    async get(communityId: string, principal: Principal, id: string): Promise<Survey> {
      const member = await communities.member(communityId, principal);
      const row = await repo.findSurvey(db, communityId, id);
      if (!row) throw notFound('survey');
      return view(communityId, row, member.userId);
    },
  };
}
