import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { inTransaction, pgCode } from '../../db/transaction.js';
import { AppError, assert, forbidden, notFound, validationFailed } from '../../shared/errors.js';
import { formatArea, formatMoney, money } from '../../shared/money.js';
import { decodeCursor, toPage } from '../../shared/pagination.js';
import type { Role } from '../../shared/schemas.js';
import type { AuthService, Principal } from '../auth/auth.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { requireAdministrator, type CommunityDirectory } from './communities.members.js';
import * as repo from './communities.repository.js';
import type { Community, CreateCommunityBody, CreateMemberBody, CreateUnitBody, MemberResponse, PolicyBody, Unit } from './communities.schemas.js';

export { hasRole, requireAdministrator, requireRole, type Member } from './communities.members.js';

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export type CommunitiesService = ReturnType<typeof createCommunitiesService>;

export interface CommunitiesDeps {
  ledger: Pick<LedgerService, 'openBooks'>;
  auth: Pick<AuthService, 'user' | 'people' | 'hashSecret' | 'createUser'>;
  /** Membership, roles, keys and community facts (communities.members.ts), handed on whole. */
  directory: CommunityDirectory;
}

export function createCommunitiesService(db: Database, { ledger, auth, directory }: CommunitiesDeps) {
  const { member } = directory;
  return {
    ...directory,

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
      await member(communityId, principal);
      const row = await repo.findCommunity(db, communityId);
      if (!row) throw notFound('community');
      return toCommunity(row);
    },

    /** Sets the policy fields given (the others keep their value): community admin or platform admin. */
    async setPolicy(communityId: string, principal: Principal, body: PolicyBody): Promise<Community> {
      requireAdministrator(await member(communityId, principal));
      const voteRequiredAbove = body.voteRequiredAbove === undefined || body.voteRequiredAbove === null ? body.voteRequiredAbove : formatMoney(body.voteRequiredAbove);
      if (body.requiredApprovals === undefined && voteRequiredAbove === undefined) {
        const row = await repo.findCommunity(db, communityId);
        assert(row, 'the member’s community exists');
        return toCommunity(row);
      }
      return toCommunity(await repo.setPolicy(db, communityId, { requiredApprovals: body.requiredApprovals, voteRequiredAbove }));
    },

    async addMember(communityId: string, principal: Principal, body: CreateMemberBody): Promise<MemberResponse> {
      requireAdministrator(await member(communityId, principal));
      const roles = [...new Set(body.roles)] as Role[];
      if (roles.includes('cosigner') && body.signingPassword === undefined) {
        throw validationFailed('A cosigner needs a signingPassword: it is their key');
      }
      if (body.signingPassword !== undefined && body.signingPassword === body.password) {
        throw validationFailed('The signingPassword must differ from the login password');
      }
      const unitIds = body.unitIds ?? [];
      const [passwordHash, signingPasswordHash] = await Promise.all([
        auth.hashSecret(body.password),
        body.signingPassword === undefined ? null : auth.hashSecret(body.signingPassword),
      ]);
      const id = randomUUID();
      await inTransaction(db, async (tx) => {
        if (unitIds.length > 0 && (await repo.countUnits(tx, communityId, unitIds)).n !== unitIds.length) {
          throw notFound('unit among unitIds');
        }
        await auth.createUser(tx, { id, username: body.username, displayName: body.displayName.trim(), passwordHash });
        await repo.insertMembership(tx, { communityId, userId: id, roles, signingPasswordHash });
        await repo.insertUnitOwners(tx, communityId, id, unitIds);
      });
      return { id, username: body.username, displayName: body.displayName.trim(), roles, unitIds: [...unitIds].sort() };
    },

    async listMembers(communityId: string, principal: Principal, after: string | undefined, limit: number) {
      await member(communityId, principal);
      const rows = await repo.listMemberships(db, communityId, decodeCursor(after), limit);
      const ids = rows.map((r) => r.user_id);
      const [people, owned] = await Promise.all([auth.people(db, ids), repo.unitIdsOwnedBy(db, communityId, ids)]);
      return toPage(rows, limit, (r) => r.user_id, (r) => {
        const person = people.get(r.user_id);
        assert(person, 'every member is a user');
        return {
          id: r.user_id,
          username: person.username,
          displayName: person.displayName,
          roles: r.roles as Role[],
          unitIds: owned.filter((o) => o.user_id === r.user_id).map((o) => o.unit_id),
        };
      });
    },

    async addUnit(communityId: string, principal: Principal, body: CreateUnitBody): Promise<Unit> {
      requireAdministrator(await member(communityId, principal));
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
      await member(communityId, principal);
      const rows = await repo.listUnits(db, communityId, decodeCursor(after), limit);
      return toPage(rows, limit, (r) => r.id, toUnit);
    },

    async me(principal: Principal) {
      const user = await auth.user(principal.userId);
      if (!user) throw new AppError('unauthenticated', 'This user no longer exists');
      const communities = await repo.listCommunitiesOf(db, principal.userId);
      const owned = await repo.unitsOwnedBy(db, principal.userId, communities.map((c) => c.id));
      return {
        id: user.id,
        username: user.username,
        displayName: user.displayName,
        isPlatformAdmin: user.isPlatformAdmin,
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

/** A positive area to the hundredth of a m², from the decimal string the schema let through. */
function areaOf(text: string): string {
  const area = money(text);
  if (area.lte(0)) throw validationFailed('areaM2 must be positive');
  return formatArea(text);
}

function toCommunity(row: {
  id: string;
  number: number;
  name: string;
  management_fee_rate: string;
  timezone: string;
  required_approvals: number;
  vote_required_above: string | null;
  created_at: Date;
}): Community {
  return {
    id: row.id,
    number: row.number,
    name: row.name,
    managementFeeRate: row.management_fee_rate,
    timezone: row.timezone,
    requiredApprovals: row.required_approvals,
    voteRequiredAbove: row.vote_required_above === null ? null : formatMoney(row.vote_required_above),
    createdAt: row.created_at.toISOString(),
  };
}

function toUnit(row: { id: string; code: string; building: string; area_m2: string }): Unit {
  return { id: row.id, code: row.code, building: row.building, areaM2: formatArea(row.area_m2) };
}
