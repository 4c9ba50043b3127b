import { randomUUID } from 'node:crypto';
import type { Database, Executor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { assert, forbidden, invalidState, notFound } from '../../shared/errors.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import { oneLine } from '../../shared/text.js';
import type { Principal } from '../auth/auth.principal.js';
import type { BudgetsService } from '../budgets/budgets.service.js';
import { requireRole, type CommunitiesService } from '../communities/communities.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { SpendingService } from '../spending/spending.service.js';
import * as repo from './challenges.repository.js';
import type { ChallengeRow } from './challenges.repository.js';
import type { AnswerBody, Challenge, ChallengeListQuery, ChallengeSubject, OpenChallengeBody } from './challenges.schemas.js';

export type ChallengesService = ReturnType<typeof createChallengesService>;

export interface ChallengesDeps {
  communities: Pick<CommunitiesService, 'member' | 'profiles'>;
  evidence: Pick<EvidenceService, 'resolve' | 'describe'>;
  ledger: Pick<LedgerService, 'publish' | 'findEntry'>;
  spending: Pick<SpendingService, 'get'>;
  budgets: Pick<BudgetsService, 'get'>;
}

/** A question's first words, for a feed line. */
const gist = (text: string) => {
  const line = oneLine(text);
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
};

/**
 * 质询: any member asks a public question about an entry, a spend request or a budget; the
 * steward answers within seven days, or the question shows as overdue to everyone.
 */
export function createChallengesService(db: Database, { communities, evidence, ledger, spending, budgets }: ChallengesDeps) {
  /** The subject exists in this community, or the question is `404 not_found`. */
  async function requireSubject(communityId: string, principal: Principal, subject: ChallengeSubject): Promise<void> {
    switch (subject.type) {
      case 'entry':
        if (!(await ledger.findEntry(db, communityId, subject.id))) throw notFound('entry');
        return;
      case 'spend-request':
        await spending.get(communityId, principal, subject.id);
        return;
      case 'budget': {
        const year = /^(19|20|21)[0-9]{2}$/.test(subject.id) ? Number(subject.id) : NaN;
        if (Number.isNaN(year)) throw notFound('budget');
        await budgets.get(communityId, principal, year);
        return;
      }
    }
  }

  async function views(executor: Executor, communityId: string, rows: ChallengeRow[]): Promise<Challenge[]> {
    const links = await repo.attachmentsOf(executor, communityId, rows.map((r) => r.id));
    const [people, refs] = await Promise.all([
      communities.profiles(executor, communityId, rows.flatMap((r) => [r.asked_by, ...(r.answered_by ? [r.answered_by] : [])])),
      evidence.describe(executor, communityId, links.map((l) => l.attachment_id)),
    ]);
    const person = (id: string) => {
      const p = people.get(id);
      assert(p, `the member ${id} of a challenge is known`);
      return { id, displayName: p.displayName };
    };
    const now = Date.now();
    return rows.map((r) => ({
      id: r.id,
      subject: { type: r.subject_type, id: r.subject_id },
      question: r.question,
      askedBy: person(r.asked_by),
      askedAt: r.asked_at.toISOString(),
      dueAt: r.due_at.toISOString(),
      status: r.status,
      overdue: r.status === 'open' && r.due_at.getTime() < now,
      answer:
        r.status === 'answered' && r.answer !== null && r.answered_by !== null && r.answered_at !== null
          ? {
              text: r.answer,
              by: person(r.answered_by),
              at: r.answered_at.toISOString(),
              attachments: links.flatMap((l, i) => (l.challenge_id === r.id ? [refs[i]!] : [])),
            }
          : null,
    }));
  }

  return {
    async open(communityId: string, principal: Principal, input: OpenChallengeBody): Promise<Challenge> {
      const member = await communities.member(communityId, principal);
      if (member.roles.length === 0) throw forbidden('Only members of the community ask questions');
      await requireSubject(communityId, principal, input.subject);
      const question = input.question.trim();
      return inTransaction(db, async (tx) => {
        const seq = await repo.nextSeq(tx, communityId);
        const row = await repo.insertChallenge(tx, {
          communityId,
          id: randomUUID(),
          seq,
          subjectType: input.subject.type,
          subjectId: input.subject.id,
          question,
          askedBy: member.userId,
        });
        await ledger.publish(tx, communityId, {
          type: 'challenge.opened',
          amount: null,
          account: null,
          summary: `业主质询：${gist(question)}（7天内答复）`,
          ref: row.id,
          actorId: member.userId,
          details: { title: gist(question) },
        });
        return (await views(tx, communityId, [row]))[0]!;
      });
    },

    async answer(communityId: string, principal: Principal, id: string, input: AnswerBody): Promise<Challenge> {
      const member = await communities.member(communityId, principal);
      requireRole(member, 'manager');
      if (!(await repo.findChallenge(db, communityId, id))) throw notFound('challenge');
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      const text = input.answer.trim();
      return inTransaction(db, async (tx) => {
        const row = await repo.answer(tx, communityId, id, { text, by: member.userId, attachmentIds: attachments.map((a) => a.id) });
        if (!row) throw invalidState('This question has been answered already');
        await ledger.publish(tx, communityId, {
          type: 'challenge.answered',
          amount: null,
          account: null,
          summary: `质询已答复：${gist(row.question)}`,
          ref: row.id,
          actorId: member.userId,
          details: { title: gist(row.question), note: gist(text) },
        });
        return (await views(tx, communityId, [row]))[0]!;
      });
    },

    async get(communityId: string, principal: Principal, id: string): Promise<Challenge> {
      await communities.member(communityId, principal);
      const row = await repo.findChallenge(db, communityId, id);
      if (!row) throw notFound('challenge');
      return (await views(db, communityId, [row]))[0]!;
    },

    async list(communityId: string, principal: Principal, query: ChallengeListQuery) {
      await communities.member(communityId, principal);
      const limit = query.limit ?? 100;
      const rows = await repo.listChallenges(db, communityId, decodeSeqCursor(query.after), limit + 1, query.status, new Date());
      const page = toPage(rows, limit, (r) => r.seq, (r) => r);
      return { items: await views(db, communityId, page.items), nextAfter: page.nextAfter };
    },
  };
}
