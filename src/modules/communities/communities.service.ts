import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database, Executor } from '../../db/database.js';
import { inTransaction, pgCode, pgConstraint } from '../../db/transaction.js';
import type { Principal } from '../auth/auth.principal.js';
import { AppError, forbidden, notFound, validationFailed } from '../../shared/errors.js';
import { money } from '../../shared/money.js';
import { decodeCursor, toPage } from '../../shared/pagination.js';
import type { Role } from '../../shared/schemas.js';
import { hashPassword, verifyPassword } from '../auth/auth.passwords.js';
import { findUserById } from '../auth/auth.repository.js';
import { clearAttempts, takeAttempt } from '../auth/auth.throttle.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { memberOf, requireAdministrator, type Member } from './communities.access.js';
import * as repo from './communities.repository.js';
import type { Community, CreateCommunityBody, CreateMemberBody, CreateUnitBody, MemberResponse, Unit } from './communities.schemas.js';

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export type CommunitiesService = ReturnType<typeof createCommunitiesService>;

export function createCommunitiesService(db: Database, config: Config, ledger: LedgerService) {
  return {
    member: (communityId: string, principal: Principal) => memberOf(db, communityId, principal),

    async createCommunity(principal: Principal, body: CreateCommunityBody): Promise<Community> {
      if (!principal.isPlatformAdmin) throw forbidden('Only the platform admin creates communities');
      const timezone = body.timezone ?? DEFAULT_TIMEZONE;
      if (!isKnownTimezone(timezone)) throw validationFailed(`Unknown time zone ${JSON.stringify(timezone)}`);
      const row = await inTransaction(db, async (tx) => {
        const created = await repo.insertCommunity(tx, {
          id: randomUUID(),
          name: body.name.trim(),
          managementFeeRate: body.managementFeeRate,
          timezone,
        });
        await ledger.openBooks(tx, created.id);
        return created;
      });
      return toCommunity(row);
    },

    async getCommunity(communityId: string, principal: Principal): Promise<Community> {
      await memberOf(db, communityId, principal);
      const row = await repo.findCommunity(db, communityId);
      if (!row) throw notFound('community');
      return toCommunity(row);
    },

    async setRequiredApprovals(communityId: string, principal: Principal, requiredApprovals: number): Promise<Community> {
      requireAdministrator(await memberOf(db, communityId, principal));
      return toCommunity(await repo.setRequiredApprovals(db, communityId, requiredApprovals));
    },

    async addMember(communityId: string, principal: Principal, body: CreateMemberBody): Promise<MemberResponse> {
      requireAdministrator(await memberOf(db, communityId, principal));
      const roles = [...new Set(body.roles)] as Role[];
      if (roles.includes('cosigner') && body.signingPassword === undefined) {
        throw validationFailed('A cosigner needs a signingPassword: it is their key');
      }
      if (body.signingPassword !== undefined && body.signingPassword === body.password) {
        throw validationFailed('The signingPassword must differ from the login password');
      }
      const unitIds = body.unitIds ?? [];
      const [passwordHash, signingPasswordHash] = await Promise.all([
        hashPassword(body.password, config.PASSWORD_HASH_COST),
        body.signingPassword === undefined ? null : hashPassword(body.signingPassword, config.PASSWORD_HASH_COST),
      ]);
      const id = randomUUID();
      await inTransaction(db, async (tx) => {
        if (unitIds.length > 0 && (await repo.countUnits(tx, communityId, unitIds)).n !== unitIds.length) {
          throw notFound('unit among unitIds');
        }
        await repo.insertUser(tx, { id, username: body.username, displayName: body.displayName.trim(), passwordHash });
        await repo.insertMembership(tx, { communityId, userId: id, roles, signingPasswordHash });
        await repo.insertUnitOwners(tx, communityId, id, unitIds);
      }).catch((error: unknown) => {
        if (pgCode(error) === '23505' && pgConstraint(error) === 'users_username_key') {
          throw new AppError('invalid_state', `The username ${JSON.stringify(body.username)} is taken`);
        }
        throw error;
      });
      return { id, username: body.username, displayName: body.displayName.trim(), roles, unitIds: [...unitIds].sort() };
    },

    async listMembers(communityId: string, principal: Principal, after: string | undefined, limit: number) {
      await memberOf(db, communityId, principal);
      const rows = await repo.listMembers(db, communityId, decodeCursor(after), limit);
      const owned = await repo.unitIdsOwnedBy(db, communityId, rows.map((r) => r.id));
      return toPage(rows, limit, (r) => r.id, (r) => ({
        id: r.id,
        username: r.username,
        displayName: r.display_name,
        roles: r.roles as Role[],
        unitIds: owned.filter((o) => o.user_id === r.id).map((o) => o.unit_id),
      }));
    },

    async addUnit(communityId: string, principal: Principal, body: CreateUnitBody): Promise<Unit> {
      requireAdministrator(await memberOf(db, communityId, principal));
      const area = areaOf(body.areaM2);
      const row = await inTransaction(db, (tx) =>
        repo.insertUnit(tx, { communityId, id: randomUUID(), code: body.code.trim(), building: body.building.trim(), areaM2: area }),
      ).catch((error: unknown) => {
        if (pgCode(error) === '23505') throw new AppError('invalid_state', `A unit with code ${JSON.stringify(body.code)} exists`);
        throw error;
      });
      return toUnit(row);
    },

    async listUnits(communityId: string, principal: Principal, after: string | undefined, limit: number) {
      await memberOf(db, communityId, principal);
      const rows = await repo.listUnits(db, communityId, decodeCursor(after), limit);
      return toPage(rows, limit, (r) => r.id, toUnit);
    },

    async me(principal: Principal) {
      const user = await findUserById(db, principal.userId);
      if (!user) throw new AppError('unauthenticated', 'This user no longer exists');
      const communities = await repo.listCommunitiesOf(db, principal.userId);
      const owned = await repo.unitsOwnedBy(db, principal.userId, communities.map((c) => c.id));
      return {
        id: user.id,
        username: user.username,
        displayName: user.display_name,
        isPlatformAdmin: user.is_platform_admin,
        communities: communities.map((c) => ({
          id: c.id,
          number: c.number,
          name: c.name,
          timezone: c.timezone,
          roles: c.roles as Role[],
          unitIds: owned.filter((o) => o.community_id === c.id).map((o) => o.unit_id),
        })),
      };
    },

    /**
     * Checks a co-signer's signing password (their key). Wrong guesses are limited like
     * logins, per co-signer and community. Throws `bad_signing_password` or `rate_limited`.
     */
    async checkSigningPassword(member: Member, signingPassword: string): Promise<void> {
      const subject = `sign:${member.communityId}:${member.userId}`;
      await takeAttempt(db, subject);
      const [profile] = await repo.findMemberProfiles(db, member.communityId, [member.userId]);
      const ok = profile?.signing_password_hash ? await verifyPassword(signingPassword, profile.signing_password_hash) : false;
      if (!ok) throw new AppError('bad_signing_password', 'The signing password is wrong');
      await clearAttempts(db, subject);
    },

    /** Id, display name and roles of people, for timelines. */
    async profiles(executor: Executor, communityId: string, userIds: string[]) {
      const rows = await repo.findMemberProfiles(executor, communityId, [...new Set(userIds)]);
      return new Map(rows.map((r) => [r.id, { id: r.id, displayName: r.display_name, roles: (r.roles ?? []) as Role[] }]));
    },

    findCommunity: (executor: Executor, communityId: string) => repo.findCommunity(executor, communityId),
    findCommunityByNumber: (executor: Executor, number: number) => repo.findCommunityByNumber(executor, number),
    findUnit: (executor: Executor, communityId: string, unitId: string) => repo.findUnit(executor, communityId, unitId),
    isOwnerOf: (executor: Executor, communityId: string, userId: string, unitId: string) =>
      repo.isOwnerOf(executor, communityId, userId, unitId),
  };
}

function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
}

function areaOf(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (!/^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$/.test(text)) throw validationFailed('areaM2 must have at most two decimals');
  const area = money(text);
  if (area.lte(0)) throw validationFailed('areaM2 must be positive');
  return area.toFixed(2);
}

function toCommunity(row: {
  id: string;
  number: number;
  name: string;
  management_fee_rate: string;
  timezone: string;
  required_approvals: number;
  created_at: Date;
}): Community {
  return {
    id: row.id,
    number: row.number,
    name: row.name,
    managementFeeRate: row.management_fee_rate,
    timezone: row.timezone,
    requiredApprovals: row.required_approvals,
    createdAt: row.created_at.toISOString(),
  };
}

function toUnit(row: { id: string; code: string; building: string; area_m2: string }): Unit {
  return { id: row.id, code: row.code, building: row.building, areaM2: money(row.area_m2).toFixed(2) };
}
