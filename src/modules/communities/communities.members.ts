import type { Database, Executor } from '../../db/database.js';
import { AppError, notFound } from '../../shared/errors.js';
import type { Role } from '../../shared/schemas.js';
import type { AuthService, Principal } from '../auth/auth.service.js';
import * as repo from './communities.repository.js';

/** The caller as seen by one community. */
export interface Member {
  communityId: string;
  userId: string;
  roles: Role[];
  /** The platform admin may administer and read every community without being a member. */
  isPlatformAdmin: boolean;
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

export type CommunityDirectory = ReturnType<typeof createCommunityDirectory>;

/**
 * Who belongs to a community with which roles and keys, and the community's own facts: the
 * part of the communities module every other module reads. It is built before the ledger,
 * whose service the rest of the module needs to open a new community's books; the
 * communities service hands all of it on, so other modules reach it only through that service.
 */
export function createCommunityDirectory(db: Database, auth: Pick<AuthService, 'checkSecret' | 'people'>) {
  /**
   * The standing of each caller in the community they ask about, in one query: their
   * membership, the platform admin's standing without one, or undefined for an outsider (and
   * for everyone when the community does not exist).
   */
  async function membersEach(asks: ReadonlyArray<{ communityId: string; principal: Principal }>): Promise<Array<Member | undefined>> {
    if (asks.length === 0) return [];
    const rows = await repo.standingsEach(db, asks.map((a) => ({ communityId: a.communityId, userId: a.principal.userId })));
    return asks.map(({ communityId, principal }, i) => {
      const { exists, roles } = rows[i]!;
      if (!exists || (roles === null && !principal.isPlatformAdmin)) return undefined;
      return { communityId, userId: principal.userId, roles: (roles ?? []) as Role[], isPlatformAdmin: principal.isPlatformAdmin };
    });
  }

  /** The standing of each principal in one community (see membersEach). */
  const members = (communityId: string, principals: readonly Principal[]) => membersEach(principals.map((principal) => ({ communityId, principal })));

  return {
    members,
    membersEach,

    /**
     * Resolves the caller's standing in a community. Someone who is neither a member nor the
     * platform admin gets `404 not_found`, exactly as if the community did not exist, so nobody
     * can even learn which communities exist.
     */
    async member(communityId: string, principal: Principal): Promise<Member> {
      const [member] = await members(communityId, [principal]);
      if (!member) throw notFound('community');
      return member;
    },

    /**
     * Checks a co-signer's signing password (their key). Wrong guesses are limited like
     * logins, per co-signer and community. Throws `bad_signing_password` or `rate_limited`.
     */
    async checkSigningPassword(member: Member, signingPassword: string): Promise<void> {
      const [row] = await repo.membershipsOf(db, member.communityId, [member.userId]);
      const ok = await auth.checkSecret(`sign:${member.communityId}:${member.userId}`, signingPassword, row?.signing_password_hash ?? null);
      if (!ok) throw new AppError('bad_signing_password', 'The signing password is wrong');
    },

    /** Id, display name and roles here of people (former members keep their name), for timelines. */
    async profiles(executor: Executor, communityId: string, userIds: readonly string[]) {
      const ids = [...new Set(userIds)];
      const [people, memberships] = await Promise.all([auth.people(executor, ids), repo.membershipsOf(executor, communityId, ids)]);
      const roles = new Map(memberships.map((m) => [m.user_id, m.roles as Role[]]));
      return new Map([...people].map(([id, p]) => [id, { id, displayName: p.displayName, roles: roles.get(id) ?? [] }]));
    },

    findCommunity: (executor: Executor, communityId: string) => repo.findCommunity(executor, communityId),
    /** The communities of these ids that exist, by id, in one query. */
    findCommunities: async (executor: Executor, communityIds: readonly string[]) =>
      new Map((await repo.findCommunities(executor, [...new Set(communityIds)])).map((c) => [c.id, c])),
    findCommunityByNumber: (executor: Executor, number: number) => repo.findCommunityByNumber(executor, number),
    findUnit: (executor: Executor, communityId: string, unitId: string) => repo.findUnit(executor, communityId, unitId),
    /** Each (community, unit) asked, in one round trip: the unit and its community's fee rate, or undefined (see the repository). */
    unitsEach: (executor: Executor, asks: ReadonlyArray<{ communityId: string; unitId: string }>) => repo.unitsEach(executor, asks),
    /** Every unit of the community, by id: what a billing run bills, read in its transaction. */
    allUnits: (executor: Executor, communityId: string) => repo.allUnits(executor, communityId),
    isOwnerOf: (executor: Executor, communityId: string, userId: string, unitId: string) =>
      repo.isOwnerOf(executor, communityId, userId, unitId),
    /** The units a member holds here, by id (an owner in the sense of a vote holds at least one). */
    unitsHeldBy: async (executor: Executor, communityId: string, userId: string) =>
      (await repo.unitIdsOwnedBy(executor, communityId, [userId])).map((r) => r.unit_id),
    /** Every unit with its area and holders as it stood at `asOf`: the roll of an owners' vote. */
    unitRoll: async (executor: Executor, communityId: string, asOf: Date) => {
      const { units, holdings } = await repo.unitRoll(executor, communityId, asOf);
      const holders = new Map<string, string[]>();
      for (const h of holdings) holders.set(h.unit_id, [...(holders.get(h.unit_id) ?? []), h.user_id]);
      return units.map((u) => ({ id: u.id, areaM2: u.area_m2, ownerIds: holders.get(u.id) ?? [] }));
    },
  };
}
