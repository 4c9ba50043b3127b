import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Numeric } from '../../db/columns.js';

/** The tables of the communities module: communities, who belongs with which roles, units and their owners. */
export interface CommunitiesTables {
  communities: CommunitiesTable;
  memberships: MembershipsTable;
  units: UnitsTable;
  unit_owners: UnitOwnersTable;
}

export interface CommunitiesTable {
  id: string;
  number: Generated<number>;
  name: string;
  management_fee_rate: Numeric;
  timezone: string;
  required_approvals: Generated<number>;
  /** Spend requests above this amount need a passed owners' vote; null: none do. */
  vote_required_above: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  community_id: string;
  user_id: string;
  roles: string[];
  signing_password_hash: string | null;
  created_at: CreatedAt;
}

export interface UnitsTable {
  community_id: string;
  id: string;
  code: string;
  building: string;
  area_m2: Numeric;
  created_at: CreatedAt;
}

export interface UnitOwnersTable {
  community_id: string;
  unit_id: string;
  user_id: string;
}
