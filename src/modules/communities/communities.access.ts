import type { Executor } from '../../db/database.js';
import type { Principal } from '../auth/auth.principal.js';
import { AppError, notFound } from '../../shared/errors.js';
import type { Role } from '../../shared/schemas.js';

/** The caller as seen by one community. */
export interface Member {
  communityId: string;
  userId: string;
  roles: Role[];
  /** The platform admin may administer and read every community without being a member. */
  isPlatformAdmin: boolean;
}

/**
 * Resolves the caller's standing in a community. Someone who is neither a member nor the
 * platform admin gets `404 not_found`, exactly as if the community did not exist, so nobody
 * can even learn which communities exist.
 */
export async function memberOf(db: Executor, communityId: string, principal: Principal): Promise<Member> {
  const row = await db
    .selectFrom('communities as c')
    .leftJoin('memberships as m', (join) => join.onRef('m.community_id', '=', 'c.id').on('m.user_id', '=', principal.userId))
    .select(['c.id', 'm.roles'])
    .where('c.id', '=', communityId)
    .executeTakeFirst();
  if (!row || (!row.roles && !principal.isPlatformAdmin)) throw notFound('community');
  return {
    communityId,
    userId: principal.userId,
    roles: (row.roles ?? []) as Role[],
    isPlatformAdmin: principal.isPlatformAdmin,
  };
}

export function hasRole(member: Member, ...roles: Role[]): boolean {
  return roles.some((role) => member.roles.includes(role));
}

/** Throws `403 forbidden` unless the member holds one of the roles. */
export function requireRole(member: Member, ...roles: Role[]): void {
  if (!hasRole(member, ...roles)) {
    throw new AppError('forbidden', `This needs one of the roles: ${roles.join(', ')}`);
  }
}

/** Community administration: its `admin` members, and the platform admin. */
export function requireAdministrator(member: Member): void {
  if (!member.isPlatformAdmin) requireRole(member, 'admin');
}
