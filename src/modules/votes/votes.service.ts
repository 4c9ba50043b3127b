import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Executor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, assert, forbidden, notFound, validationFailed } from '../../shared/errors.js';
import { decodeTimeCursor, timeKey, toPage } from '../../shared/pagination.js';
import type { Principal } from '../auth/auth.principal.js';
import { hasRole, requireRole, type CommunitiesService } from '../communities/communities.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { countVote, fromCents, toCents, type Share, type Tally } from './votes.count.js';
import * as repo from './votes.repository.js';
import type { VoteRow } from './votes.repository.js';
import type { Ballot, BallotBody, CreateVoteBody, Vote } from './votes.schemas.js';
import type { StoredResult } from './votes.tables.js';

export type VotesService = ReturnType<typeof createVotesService>;

export interface VotesDeps {
  communities: Pick<CommunitiesService, 'member' | 'profiles' | 'unitsHeldBy' | 'unitRoll'>;
  ledger: Pick<LedgerService, 'publish'>;
}

const MATTER_NAME = { ordinary: '一般事项', special: '重大事项' } as const;

const voteClosed = (detail: string) => new AppError('vote_closed', detail);

/** A tally as stored in the closed row: areas in hundredths as strings (JSON has no bigint). */
function toStored(t: Tally): StoredResult {
  const share = (s: Share) => ({ area: s.areaCents.toString(), owners: Number(s.owners) });
  return {
    eligible: share(t.eligible),
    participating: share(t.participating),
    for: share(t.for),
    against: share(t.against),
    abstain: share(t.abstain),
    quorumMet: t.quorumMet,
    passed: t.passed,
  };
}

/**
 * 业主共同决定: a community admin or co-signer puts a question to the owners; each owner holding
 * a unit casts a ballot, changeable until the vote closes at its time; the result is counted
 * exactly (votes.count.ts), frozen in the vote's row when it closes and published in the feed.
 */
export function createVotesService(db: Database, { communities, ledger }: VotesDeps) {
  /** Counts the vote as it stands at `asOf` (its closing time, or now while open). */
  async function tally(executor: Executor, communityId: string, row: VoteRow, asOf: Date): Promise<StoredResult> {
    const [roll, ballots] = await Promise.all([communities.unitRoll(executor, communityId, asOf), repo.ballotsOf(executor, communityId, row.id)]);
    const counted = countVote(
      row.matter,
      roll.map((u) => ({ id: u.id, areaCents: toCents(u.areaM2), ownerIds: u.ownerIds })),
      ballots.filter((b) => b.at < row.closes_at).map((b) => ({ n: b.n, ownerId: b.user_id, choice: b.choice })),
    );
    return toStored(counted);
  }

  /**
   * Closes the vote if it is due and still open, exactly once across every process: the row is
   * claimed with FOR UPDATE under `status = 'open' AND closes_at <= now`, so a second closer
   * waits and then finds it closed. Returns whether this call closed it.
   */
  async function closeIfDue(communityId: string, id: string): Promise<boolean> {
    return inTransaction(db, async (tx) => {
      const claimed = await repo.claimDue(tx, communityId, id);
      if (!claimed) return false;
      const result = await tally(tx, communityId, claimed, claimed.closes_at);
      const row = await repo.close(tx, communityId, id, result);
      await ledger.publish(tx, communityId, {
        type: 'vote.closed',
        amount: null,
        account: null,
        summary: `业主投票结果：${row.title}${result.passed ? '，通过' : result.quorumMet ? '，未通过' : '，参与人数或面积未达三分之二，未通过'}`,
        ref: row.id,
        actorId: null,
        details: { title: row.title },
      });
      return true;
    });
  }

  function view(row: VoteRow, result: StoredResult, myChoice: Vote['myChoice']): Vote {
    const share = (s: StoredResult['for']) => ({ area: fromCents(BigInt(s.area)), owners: s.owners });
    return {
      id: row.id,
      title: row.title,
      description: row.description,
      matter: row.matter,
      status: row.status,
      opensAt: row.opens_at.toISOString(),
      closesAt: row.closes_at.toISOString(),
      closedAt: row.closed_at?.toISOString() ?? null,
      eligible: share(result.eligible),
      participating: share(result.participating),
      for: share(result.for),
      against: share(result.against),
      abstain: share(result.abstain),
      quorumMet: result.quorumMet,
      passed: result.passed,
      myChoice,
    };
  }

  /** The vote, closed first if its time has come, so no reader ever sees a due vote open. */
  async function current(communityId: string, id: string): Promise<VoteRow> {
    let row = await repo.findVote(db, communityId, id);
    if (!row) throw notFound('vote');
    if (row.status === 'open' && row.closes_at.getTime() <= Date.now()) {
      await closeIfDue(communityId, id);
      row = await repo.findVote(db, communityId, id);
      assert(row, 'a vote is never deleted');
    }
    return row;
  }

  async function describe(communityId: string, row: VoteRow, userId: string): Promise<Vote> {
    const [result, mine] = await Promise.all([
      row.result ?? tally(db, communityId, row, new Date()),
      repo.latestBallotOf(db, communityId, row.id, userId),
    ]);
    return view(row, result, mine?.choice ?? null);
  }

  return {
    closeIfDue,

    async create(communityId: string, principal: Principal, input: CreateVoteBody): Promise<Vote> {
      const member = await communities.member(communityId, principal);
      requireRole(member, 'admin', 'cosigner');
      const opensAt = input.opensAt === undefined ? new Date() : new Date(input.opensAt);
      const closesAt = new Date(input.closesAt);
      if (!(closesAt.getTime() > opensAt.getTime())) throw validationFailed('closesAt must be later than opensAt');
      const title = input.title.trim();
      const row = await inTransaction(db, async (tx) => {
        const created = await repo.insertVote(tx, {
          communityId,
          id: randomUUID(),
          title,
          description: input.description?.trim() || null,
          matter: input.matter,
          createdBy: member.userId,
          opensAt,
          closesAt,
        });
        await ledger.publish(tx, communityId, {
          type: 'vote.opened',
          amount: null,
          account: null,
          summary: `业主投票（${MATTER_NAME[input.matter]}）：${title}，截止 ${closesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          ref: created.id,
          actorId: member.userId,
          details: { title },
        });
        return created;
      });
      return describe(communityId, row, member.userId);
    },

    /** The community's votes, newest first, each with its figures (every member). */
    async list(communityId: string, principal: Principal, query: { after?: string; limit?: number }) {
      const member = await communities.member(communityId, principal);
      const limit = query.limit ?? 100;
      const after = decodeTimeCursor(query.after);
      const rows = await repo.listVotes(db, communityId, after, limit + 1);
      // Due votes are closed before they are shown, as a single read would.
      const settled = await Promise.all(rows.map((r) => (r.status === 'open' && r.closes_at.getTime() <= Date.now() ? current(communityId, r.id) : r)));
      const page = toPage(settled, limit, timeKey, (r) => r);
      return { items: await Promise.all(page.items.map((r) => describe(communityId, r, member.userId))), nextAfter: page.nextAfter };
    },

    async get(communityId: string, principal: Principal, id: string): Promise<Vote> {
      const member = await communities.member(communityId, principal);
      return describe(communityId, await current(communityId, id), member.userId);
    },

    /** One ballot of an owner holding a unit, while the vote is open; a changed mind is a new ballot. */
    async cast(communityId: string, principal: Principal, id: string, input: BallotBody): Promise<Ballot> {
      const member = await communities.member(communityId, principal);
      const unitIds = await communities.unitsHeldBy(db, communityId, member.userId);
      if (unitIds.length === 0) throw forbidden('Only owners holding a unit vote');
      const outcome = await inTransaction(db, async (tx) => {
        const vote = await repo.lockForBallot(tx, communityId, id);
        if (!vote) throw notFound('vote');
        if (vote.status !== 'open' || vote.now < vote.opens_at) return { closed: vote.status === 'open' ? 'not open yet' : 'closed' } as const;
        if (vote.now >= vote.closes_at) return { closed: 'due' } as const;
        const ballot = await repo.insertBallot(tx, { communityId, voteId: id, n: vote.next_n, userId: member.userId, choice: input.choice, unitIds, at: vote.now });
        return { ballot } as const;
      });
      if ('closed' in outcome) {
        if (outcome.closed === 'due') await closeIfDue(communityId, id);
        throw voteClosed(outcome.closed === 'not open yet' ? 'This vote is not open yet' : 'This vote has closed');
      }
      const people = await communities.profiles(db, communityId, [member.userId]);
      const { ballot } = outcome;
      return { owner: { id: member.userId, displayName: people.get(member.userId)?.displayName ?? '' }, unitIds: ballot.unit_ids, choice: ballot.choice, at: ballot.at.toISOString() };
    },

    /** Who voted how: the community admin and supervisors (and the platform admin) only. */
    async ballots(communityId: string, principal: Principal, id: string): Promise<{ items: Ballot[] }> {
      const member = await communities.member(communityId, principal);
      if (!member.isPlatformAdmin && !hasRole(member, 'admin', 'supervisor')) throw forbidden('Who voted how is for the community admin and supervisors');
      await current(communityId, id);
      const rows = await repo.ballotsOf(db, communityId, id);
      const people = await communities.profiles(db, communityId, rows.map((r) => r.user_id));
      return {
        items: rows.map((r) => ({
          owner: { id: r.user_id, displayName: people.get(r.user_id)?.displayName ?? '' },
          unitIds: r.unit_ids,
          choice: r.choice,
          at: r.at.toISOString(),
        })),
      };
    },

    /**
     * A vote a spend request names, for spending: its title when it is a closed vote of this
     * community that passed, else undefined (closing it first if it is due).
     */
    async passedVote(communityId: string, id: string): Promise<{ id: string; title: string } | undefined> {
      const row = await repo.findVote(db, communityId, id);
      if (!row) return undefined;
      const settled = row.status === 'open' && row.closes_at.getTime() <= Date.now() ? await current(communityId, id) : row;
      return settled.status === 'closed' && settled.result?.passed === true ? { id: settled.id, title: settled.title } : undefined;
    },

    /**
     * Closes every due vote, in any community; safe to run in any number of processes at once
     * (each vote closes exactly once). Runs every `intervalMs` until the returned stop is
     * called, so `vote.closed` reaches the feed whether or not anyone reads the vote.
     */
    startSweep(intervalMs: number, log: FastifyBaseLogger): () => void {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        void (async () => {
          for (const due of await repo.dueVotes(db, 100)) await closeIfDue(due.community_id, due.id);
        })()
          .catch((error: unknown) => log.warn({ err: error }, 'closing due votes failed; the next sweep tries again'))
          .finally(() => {
            running = false;
          });
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
