import type { AuthTables } from '../modules/auth/auth.tables.js';
import type { BudgetsTables } from '../modules/budgets/budgets.tables.js';
import type { CommunitiesTables } from '../modules/communities/communities.tables.js';
import type { EvidenceTables } from '../modules/evidence/evidence.tables.js';
import type { RepairsTables } from '../modules/repairs/repairs.tables.js';
import type { ChallengesTables } from '../modules/challenges/challenges.tables.js';
import type { FeesTables } from '../modules/fees/fees.tables.js';
import type { IdempotencyTables } from '../modules/idempotency/idempotency.tables.js';
import type { PaymentsTables } from '../modules/payments/payments.tables.js';
import type { ReconciliationTables } from '../modules/reconciliation/reconciliation.tables.js';
import type { LedgerTables } from '../modules/ledger/ledger.tables.js';
import type { SessionsTables } from '../modules/sessions/sessions.tables.js';
import type { SpendingTables } from '../modules/spending/spending.tables.js';
import type { VotesTables } from '../modules/votes/votes.tables.js';
import type { SurveysTables } from '../modules/surveys/surveys.tables.js';
import type { TransparencyTables } from '../modules/transparency/transparency.tables.js';

/**
 * The whole database as Kysely sees it, composed from the tables each module owns and
 * declares next to its repository (`src/modules/<module>/<module>.tables.ts`). A module's
 * repository takes an executor typed with its own tables only (`Executor<LedgerTables>`), so
 * the compiler refuses a query of another module's table; test/architecture.test.ts checks
 * the raw SQL the compiler cannot see, and each declaration against the migrated database.
 * Only the composition root, migrations and tests see every table at once.
 */
export type DB = AuthTables &
  SessionsTables &
  CommunitiesTables &
  LedgerTables &
  IdempotencyTables &
  SpendingTables &
  BudgetsTables &
  FeesTables &
  EvidenceTables &
  RepairsTables &
  ChallengesTables &
  PaymentsTables &
  ReconciliationTables &
  VotesTables &
  SurveysTables &
  TransparencyTables;
