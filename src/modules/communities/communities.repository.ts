import type { Executor, Tx } from '../../db/database.js';

export function insertCommunity(tx: Tx, row: { id: string; name: string; managementFeeRate: string; timezone: string }) {
  return tx
    .insertInto('communities')
    .values({ id: row.id, name: row.name, management_fee_rate: row.managementFeeRate, timezone: row.timezone })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findCommunity(db: Executor, id: string) {
  return db.selectFrom('communities').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findCommunityByNumber(db: Executor, number: number) {
  return db.selectFrom('communities').selectAll().where('number', '=', number).executeTakeFirst();
}

export function setRequiredApprovals(db: Executor, id: string, requiredApprovals: number) {
  return db
    .updateTable('communities')
    .set({ required_approvals: requiredApprovals })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listCommunitiesOf(db: Executor, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('communities as c', 'c.id', 'm.community_id')
    .select(['c.id', 'c.number', 'c.name', 'c.timezone', 'm.roles'])
    .where('m.user_id', '=', userId)
    .orderBy('c.number')
    .execute();
}

/** The units the user owns in these communities (by the unit_owners_by_user index). */
export function unitsOwnedBy(db: Executor, userId: string, communityIds: string[]) {
  if (communityIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('unit_owners')
    .select(['community_id', 'unit_id'])
    .where('community_id', 'in', communityIds)
    .where('user_id', '=', userId)
    .orderBy('unit_id')
    .execute();
}

export function insertUser(tx: Tx, row: { id: string; username: string; displayName: string; passwordHash: string }) {
  return tx
    .insertInto('users')
    .values({ id: row.id, username: row.username, display_name: row.displayName, password_hash: row.passwordHash })
    .execute();
}

export function insertMembership(tx: Tx, row: { communityId: string; userId: string; roles: string[]; signingPasswordHash: string | null }) {
  return tx
    .insertInto('memberships')
    .values({ community_id: row.communityId, user_id: row.userId, roles: row.roles, signing_password_hash: row.signingPasswordHash })
    .execute();
}

export function listMembers(db: Executor, communityId: string, after: string | undefined, limit: number) {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.username', 'u.display_name', 'm.roles'])
    .where('m.community_id', '=', communityId)
    .orderBy('u.id')
    .limit(limit + 1);
  if (after) query = query.where('u.id', '>', after);
  return query.execute();
}

export function unitIdsOwnedBy(db: Executor, communityId: string, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('unit_owners')
    .select(['user_id', 'unit_id'])
    .where('community_id', '=', communityId)
    .where('user_id', 'in', userIds)
    .orderBy('unit_id')
    .execute();
}

export function insertUnitOwners(tx: Tx, communityId: string, userId: string, unitIds: string[]) {
  if (unitIds.length === 0) return Promise.resolve();
  return tx
    .insertInto('unit_owners')
    .values(unitIds.map((unitId) => ({ community_id: communityId, unit_id: unitId, user_id: userId })))
    .execute()
    .then(() => undefined);
}

export function countUnits(db: Executor, communityId: string, unitIds: string[]) {
  return db
    .selectFrom('units')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('community_id', '=', communityId)
    .where('id', 'in', unitIds)
    .executeTakeFirstOrThrow();
}

export function insertUnit(tx: Tx, row: { communityId: string; id: string; code: string; building: string; areaM2: string }) {
  return tx
    .insertInto('units')
    .values({ community_id: row.communityId, id: row.id, code: row.code, building: row.building, area_m2: row.areaM2 })
    .returning(['id', 'code', 'building', 'area_m2'])
    .executeTakeFirstOrThrow();
}

export function findUnit(db: Executor, communityId: string, unitId: string) {
  return db
    .selectFrom('units')
    .select(['id', 'code', 'building', 'area_m2'])
    .where('community_id', '=', communityId)
    .where('id', '=', unitId)
    .executeTakeFirst();
}

export function listUnits(db: Executor, communityId: string, after: string | undefined, limit: number) {
  let query = db
    .selectFrom('units')
    .select(['id', 'code', 'building', 'area_m2'])
    .where('community_id', '=', communityId)
    .orderBy('id')
    .limit(limit + 1);
  if (after) query = query.where('id', '>', after);
  return query.execute();
}

export function isOwnerOf(db: Executor, communityId: string, userId: string, unitId: string) {
  return db
    .selectFrom('unit_owners')
    .select('unit_id')
    .where('community_id', '=', communityId)
    .where('user_id', '=', userId)
    .where('unit_id', '=', unitId)
    .executeTakeFirst()
    .then((row) => row !== undefined);
}

export function findMemberProfiles(db: Executor, communityId: string, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users as u')
    .leftJoin('memberships as m', (join) => join.onRef('m.user_id', '=', 'u.id').on('m.community_id', '=', communityId))
    .select(['u.id', 'u.display_name', 'm.roles', 'm.signing_password_hash'])
    .where('u.id', 'in', userIds)
    .execute();
}
