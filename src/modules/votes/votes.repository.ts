import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { Choice, Matter } from './votes.count.js';
import type { StoredResult, VotesTables } from './votes.tables.js';

/** Every SQL statement of the votes module, on its own tables only. */
type Db = Executor<VotesTables>;
type VotesTx = Tx<VotesTables>;

const VOTE_COLUMNS = ['id', 'title', 'description', 'matter', 'created_by', 'created_at', 'opens_at', 'closes_at', 'status', 'closed_at', 'result'] as const;

export function insertVote(
  tx: VotesTx,
  v: { communityId: string; id: string; title: string; description: string | null; matter: Matter; createdBy: string; opensAt: Date; closesAt: Date },
) {
  return tx
    .insertInto('votes')
    .values({
      community_id: v.communityId,
      id: v.id,
      title: v.title,
      description: v.description,
      matter: v.matter,
      created_by: v.createdBy,
      opens_at: v.opensAt,
      closes_at: v.closesAt,
    })
    .returning(VOTE_COLUMNS)
    .executeTakeFirstOrThrow();
}

export type VoteRow = Awaited<ReturnType<typeof insertVote>>;

export function findVote(db: Db, communityId: string, id: string) {
  return db.selectFrom('votes').select(VOTE_COLUMNS).where('community_id', '=', communityId).where('id', '=', id).executeTakeFirst();
}

/**
 * Locks the vote against closing while a ballot is cast (ballots of one vote queue here, so
 * their numbers follow the order they land) and reads the database's clock, to the millisecond,
 * which decides whether the window is open. The closing's FOR UPDATE waits for this lock.
 */
export async function lockForBallot(tx: VotesTx, communityId: string, id: string) {
  const { rows } = await sql<{ status: 'open' | 'closed'; opens_at: Date; closes_at: Date; now: Date; next_n: number }>`
    SELECT v.status, v.opens_at, v.closes_at, date_trunc('milliseconds', clock_timestamp()) AS now,
           (SELECT coalesce(max(b.n), 0) + 1 FROM vote_ballots b WHERE b.community_id = v.community_id AND b.vote_id = v.id) AS next_n
      FROM votes v
     WHERE v.community_id = ${communityId} AND v.id = ${id}
       FOR NO KEY UPDATE OF v`.execute(tx);
  return rows[0];
}

export function insertBallot(tx: VotesTx, b: { communityId: string; voteId: string; n: number; userId: string; choice: Choice; unitIds: string[]; at: Date }) {
  return tx
    .insertInto('vote_ballots')
    .values({ community_id: b.communityId, vote_id: b.voteId, n: b.n, user_id: b.userId, choice: b.choice, unit_ids: b.unitIds, at: b.at })
    .returning(['n', 'user_id', 'choice', 'unit_ids', 'at'])
    .executeTakeFirstOrThrow();
}

/** Every ballot of the vote, in the order cast. */
export function ballotsOf(db: Db, communityId: string, voteId: string) {
  return db
    .selectFrom('vote_ballots')
    .select(['n', 'user_id', 'choice', 'unit_ids', 'at'])
    .where('community_id', '=', communityId)
    .where('vote_id', '=', voteId)
    .orderBy('n')
    .execute();
}

export function latestBallotOf(db: Db, communityId: string, voteId: string, userId: string) {
  return db
    .selectFrom('vote_ballots')
    .select(['n', 'choice', 'at'])
    .where('community_id', '=', communityId)
    .where('vote_id', '=', voteId)
    .where('user_id', '=', userId)
    .orderBy('n', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Claims a due vote for closing: the row, locked, when it is still open and its closing time
 * has come by the database's clock; undefined when it is not due or another process closed it
 * first (a waiter re-reads the row after that commit and finds it closed).
 */
export function claimDue(tx: VotesTx, communityId: string, id: string) {
  return tx
    .selectFrom('votes')
    .select(VOTE_COLUMNS)
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .where('closes_at', '<=', sql<Date>`clock_timestamp()`)
    .forUpdate()
    .executeTakeFirst();
}

/** Closes a claimed vote with its frozen result. */
export function close(tx: VotesTx, communityId: string, id: string, result: StoredResult) {
  return tx
    .updateTable('votes')
    .set({ status: 'closed', closed_at: sql<Date>`greatest(date_trunc('milliseconds', clock_timestamp()), closes_at)`, result: JSON.stringify(result) })
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(VOTE_COLUMNS)
    .executeTakeFirstOrThrow();
}

/** Open votes whose closing time has passed, in any community: what the sweep closes. */
export function dueVotes(db: Db, limit: number) {
  return db
    .selectFrom('votes')
    .select(['community_id', 'id'])
    .where('status', '=', 'open')
    .where('closes_at', '<=', sql<Date>`clock_timestamp()`)
    .orderBy('closes_at')
    .limit(limit)
    .execute();
}

/** A page of the community's votes, newest first, after the (created_at, id) of the cursor. */
export function listVotes(db: Db, communityId: string, after: { at: Date; id: string } | undefined, limit: number) {
  let query = db
    .selectFrom('votes')
    .select(VOTE_COLUMNS)
    .where('community_id', '=', communityId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}
