import { Type, type Static } from 'typebox';
import { Body, Id, Money, ref, Timestamp } from '../../shared/schemas.js';

export const YearParams = Type.Object({ cid: Id, year: Type.Integer({ minimum: 2000, maximum: 2100 }) });

const AccountCode = Type.String({ pattern: '^[0-9]{4,8}$', description: 'An income or expense account code of the community' });

export const PutBudgetBody = Body({
  lines: Type.Array(Body({ account: AccountCode, amount: ref(Money) }), {
    minItems: 1,
    maxItems: 500,
    description: 'One line per income or expense account; amounts may be zero ("nothing planned")',
  }),
});
export type PutBudgetBody = Static<typeof PutBudgetBody>;

export const BudgetApprovalBody = Body({
  signingPassword: Type.String({ minLength: 1, maxLength: 1024 }),
  digest: Type.Optional(
    Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The digest of the draft being approved; when given it must match (409 digest_mismatch)' }),
  ),
});
export type BudgetApprovalBody = Static<typeof BudgetApprovalBody>;

const Person = Type.Object({ id: Type.String(), displayName: Type.String(), roles: Type.Array(Type.String()) });

const BudgetTotals = Type.Object({ income: Type.String(), expense: Type.String() });

export const Budget = Type.Object({
  year: Type.Integer(),
  version: Type.Integer({ description: 'Versions count up from 1; an approved version never changes' }),
  status: Type.Enum(['draft', 'approved']),
  digest: Type.String({ description: 'SHA-256 over the community, year, version and lines; what co-signers approve' }),
  lines: Type.Array(Type.Object({ account: Type.String(), name: Type.String(), type: Type.Enum(['income', 'expense']), amount: Type.String() })),
  totals: BudgetTotals,
  draftedBy: Person,
  draftedAt: Timestamp,
  approvals: Type.Array(Type.Object({ by: Person, at: Timestamp })),
  requiredApprovals: Type.Integer(),
  approvedAt: Type.Union([Timestamp, Type.Null()]),
  inForceVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The approved version the report measures against, if any' }),
});
export type Budget = Static<typeof Budget>;

const ReportFigures = Type.Object({
  budget: Type.String(),
  actual: Type.String(),
  remaining: Type.String(),
  executionRate: Type.Union([Type.String(), Type.Null()], { description: 'actual / budget, 4 decimals half-up; null when the budget is zero' }),
});

export const BudgetReport = Type.Object({
  year: Type.Integer(),
  status: Type.Enum(['draft', 'approved'], { description: 'The status of the latest version' }),
  version: Type.Integer({ description: 'The version whose lines are measured: the latest approved one, else the draft' }),
  latestVersion: Type.Integer(),
  timezone: Type.String({ description: 'Months and the year are counted in this time zone' }),
  lines: Type.Array(
    Type.Object({
      account: Type.String(),
      name: Type.String(),
      type: Type.Enum(['income', 'expense']),
      budget: Type.String(),
      actual: Type.String({ description: "The year's movement in the account's normal direction" }),
      remaining: Type.String({ description: 'budget - actual' }),
      executionRate: Type.Union([Type.String(), Type.Null()]),
      months: Type.Array(Type.String(), { minItems: 12, maxItems: 12, description: 'Actuals of January … December' }),
    }),
  ),
  totals: Type.Object(ReportFigures.properties, { description: 'Over the expense lines: the budget of spending and its execution' }),
  totalsByType: Type.Object({ income: ReportFigures, expense: ReportFigures }),
});
export type BudgetReport = Static<typeof BudgetReport>;
