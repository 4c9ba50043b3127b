import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { CommunitiesTables } from './communities.tables.js';

/** Every SQL statement of the communities module, on its own tables only. */
type Db = Executor<CommunitiesTables>;
type CommunitiesTx = Tx<CommunitiesTables>;

export function insertCommunity(tx: CommunitiesTx, row: { id: string; name: string; managementFeeRate: string; timezone: string }) {
  return tx
    .insertInto('communities')
    .values({ id: row.id, name: row.name, management_fee_rate: row.managementFeeRate, timezone: row.timezone })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findCommunity(db: Db, id: string) {
  return db.selectFrom('communities').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The communities of these ids that exist, in one query (a lane's batch reads its communities' policies so). */
export function findCommunities(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('communities').selectAll().where('id', 'in', ids).execute();
}

export function findCommunityByNumber(db: Db, number: number) {
  return db.selectFrom('communities').selectAll().where('number', '=', number).executeTakeFirst();
}

/** Sets the fields of the policy that are given; the others keep their value. */
export function setPolicy(db: Db, id: string, policy: { requiredApprovals?: number; voteRequiredAbove?: string | null }) {
  return db
    .updateTable('communities')
    .set({
      ...(policy.requiredApprovals === undefined ? {} : { required_approvals: policy.requiredApprovals }),
      ...(policy.voteRequiredAbove === undefined ? {} : { vote_required_above: policy.voteRequiredAbove }),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * For each (community, user) asked, in the order asked, in one round trip: whether the
 * community exists and the user's roles in it (null for none). Every lookup is by its own
 * community's key, a routed read per community, so a batch of writes to many communities
 * (the income lanes) checks all its callers at once without any row of one community being
 * compared with another's.
 */
export async function standingsEach(db: Db, asks: ReadonlyArray<{ communityId: string; userId: string }>) {
  const { rows } = await sql<{ ord: string; exists: boolean; roles: string[] | null }>`
    SELECT w.ord, c.id IS NOT NULL AS exists, m.roles
      FROM unnest(${asks.map((a) => a.communityId)}::text[], ${asks.map((a) => a.userId)}::text[])
             WITH ORDINALITY AS w(community_id, user_id, ord)
      LEFT JOIN communities c ON c.id = w.community_id
      LEFT JOIN memberships m ON m.community_id = w.community_id AND m.user_id = w.user_id
     ORDER BY w.ord`.execute(db);
  return rows.map((r) => ({ exists: r.exists, roles: r.roles }));
}

export function listCommunitiesOf(db: Db, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('communities as c', 'c.id', 'm.community_id')
    .select(['c.id', 'c.number', 'c.name', 'c.timezone', 'm.roles'])
    .where('m.user_id', '=', userId)
    .orderBy('c.number')
    .execute();
}

/** The units the user owns in these communities (by the unit_owners_by_user index). */
export function unitsOwnedBy(db: Db, userId: string, communityIds: string[]) {
  if (communityIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('unit_owners')
    .select(['community_id', 'unit_id'])
    .where('community_id', 'in', communityIds)
    .where('user_id', '=', userId)
    .orderBy('unit_id')
    .execute();
}

export function insertMembership(tx: CommunitiesTx, row: { communityId: string; userId: string; roles: string[]; signingPasswordHash: string | null }) {
  return tx
    .insertInto('memberships')
    .values({ community_id: row.communityId, user_id: row.userId, roles: row.roles, signing_password_hash: row.signingPasswordHash })
    .execute();
}

/** One page of a community's memberships, by user id (fetch limit + 1 to know if more follow). */
export function listMemberships(db: Db, communityId: string, after: string | undefined, limit: number) {
  let query = db
    .selectFrom('memberships')
    .select(['user_id', 'roles'])
    .where('community_id', '=', communityId)
    .orderBy('user_id')
    .limit(limit + 1);
  if (after) query = query.where('user_id', '>', after);
  return query.execute();
}

export function unitIdsOwnedBy(db: Db, communityId: string, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('unit_owners')
    .select(['user_id', 'unit_id'])
    .where('community_id', '=', communityId)
    .where('user_id', 'in', userIds)
    .orderBy('unit_id')
    .execute();
}

export function insertUnitOwners(tx: CommunitiesTx, communityId: string, userId: string, unitIds: string[]) {
  if (unitIds.length === 0) return Promise.resolve();
  return tx
    .insertInto('unit_owners')
    .values(unitIds.map((unitId) => ({ community_id: communityId, unit_id: unitId, user_id: userId })))
    .execute()
    .then(() => undefined);
}

export function countUnits(db: Db, communityId: string, unitIds: string[]) {
  return db
    .selectFrom('units')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('community_id', '=', communityId)
    .where('id', 'in', unitIds)
    .executeTakeFirstOrThrow();
}

export function insertUnit(tx: CommunitiesTx, row: { communityId: string; id: string; code: string; building: string; areaM2: string }) {
  return tx
    .insertInto('units')
    .values({ community_id: row.communityId, id: row.id, code: row.code, building: row.building, area_m2: row.areaM2 })
    .returning(['id', 'code', 'building', 'area_m2'])
    .executeTakeFirstOrThrow();
}

export function findUnit(db: Db, communityId: string, unitId: string) {
  return db
    .selectFrom('units')
    .select(['id', 'code', 'building', 'area_m2'])
    .where('community_id', '=', communityId)
    .where('id', '=', unitId)
    .executeTakeFirst();
}

/**
 * Each (community, unit) asked, in the order asked, in one round trip: the unit (null when the
 * community has no such unit) and its community's management fee rate. Every lookup is by its
 * own community's key, as in standingsEach: what a lane of fee payments reads for all of them.
 */
export async function unitsEach(db: Db, asks: ReadonlyArray<{ communityId: string; unitId: string }>) {
  const { rows } = await sql<{ id: string | null; code: string | null; building: string | null; area_m2: string | null; management_fee_rate: string | null }>`
    SELECT u.id, u.code, u.building, u.area_m2, c.management_fee_rate
      FROM unnest(${asks.map((a) => a.communityId)}::text[], ${asks.map((a) => a.unitId)}::text[])
             WITH ORDINALITY AS w(community_id, unit_id, ord)
      LEFT JOIN communities c ON c.id = w.community_id
      LEFT JOIN units u ON u.community_id = w.community_id AND u.id = w.unit_id
     ORDER BY w.ord`.execute(db);
  return rows.map((r) =>
    r.id === null || r.management_fee_rate === null
      ? undefined
      : { unit: { id: r.id, code: r.code!, building: r.building!, area_m2: r.area_m2! }, managementFeeRate: r.management_fee_rate },
  );
}

/** Every unit of the community, by id. */
export function allUnits(db: Db, communityId: string) {
  return db.selectFrom('units').select(['id', 'code', 'building', 'area_m2']).where('community_id', '=', communityId).orderBy('id').execute();
}

export function listUnits(db: Db, communityId: string, after: string | undefined, limit: number) {
  let query = db
    .selectFrom('units')
    .select(['id', 'code', 'building', 'area_m2'])
    .where('community_id', '=', communityId)
    .orderBy('id')
    .limit(limit + 1);
  if (after) query = query.where('id', '>', after);
  return query.execute();
}

export function isOwnerOf(db: Db, communityId: string, userId: string, unitId: string) {
  return db
    .selectFrom('unit_owners')
    .select('unit_id')
    .where('community_id', '=', communityId)
    .where('user_id', '=', userId)
    .where('unit_id', '=', unitId)
    .executeTakeFirst()
    .then((row) => row !== undefined);
}

/** The roles and signing-password hashes of these users in the community (members only). */
export function membershipsOf(db: Db, communityId: string, userIds: readonly string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('memberships')
    .select(['user_id', 'roles', 'signing_password_hash'])
    .where('community_id', '=', communityId)
    .where('user_id', 'in', [...userIds])
    .execute();
}

/**
 * The roll of an owners' vote as it stood at `asOf`: every unit created by then with its area,
 * and who held it (an owner's units are given with their membership, so a holding counts from
 * when its member joined).
 */
export async function unitRoll(db: Db, communityId: string, asOf: Date) {
  const [units, holdings] = await Promise.all([
    db
      .selectFrom('units')
      .select(['id', 'area_m2'])
      .where('community_id', '=', communityId)
      .where('created_at', '<=', asOf)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('unit_owners as o')
      .innerJoin('memberships as m', (join) => join.onRef('m.community_id', '=', 'o.community_id').onRef('m.user_id', '=', 'o.user_id'))
      .select(['o.unit_id', 'o.user_id'])
      .where('o.community_id', '=', communityId)
      .where('m.created_at', '<=', asOf)
      .orderBy('o.unit_id')
      .orderBy('o.user_id')
      .execute(),
  ]);
  return { units, holdings };
}
