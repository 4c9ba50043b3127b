import type { Generated } from 'kysely';
import type { CreatedAt } from '../../db/columns.js';

/** The tables of the auth module: users and their passwords, the token key, the throttle. */
export interface AuthTables {
  users: UsersTable;
  app_secrets: AppSecretsTable;
  auth_throttle: AuthThrottleTable;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  is_platform_admin: Generated<boolean>;
  created_at: CreatedAt;
}

export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: CreatedAt;
}

export interface AuthThrottleTable {
  subject: string;
  window_start: Date;
  failures: number;
}
