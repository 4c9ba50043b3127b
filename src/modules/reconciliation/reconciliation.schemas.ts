import { Type, type Static } from 'typebox';
import { Id, Money, ref, Timestamp } from '../../shared/schemas.js';

const Direction = Type.Enum(['in', 'out']);
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "A date in the community's time zone" });

export const StatementUpload = Type.Object({
  id: Id,
  lines: Type.Integer({ minimum: 1 }),
  matched: Type.Integer({ minimum: 0, description: "This statement's lines matched to a movement of account 1001" }),
  unmatched: Type.Integer({ minimum: 0 }),
});
export type StatementUpload = Static<typeof StatementUpload>;

export const UnmatchedLedger = Type.Object({
  entryId: Id,
  date: Day,
  amount: ref(Money),
  direction: Direction,
  reference: Type.Union([Type.String(), Type.Null()]),
});

export const UnmatchedBank = Type.Object({
  date: Day,
  amount: ref(Money),
  direction: Direction,
  counterparty: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
  balance: ref(Money),
});

export const Reconciliation = Type.Object({
  asOf: Timestamp,
  statementBalance: Type.Union([ref(Money), Type.Null()], { description: 'The balance of the last line of the latest statement; null before any' }),
  ledgerBalance: ref(Money),
  matchesBank: Type.Boolean(),
  unmatchedLedger: Type.Array(UnmatchedLedger),
  unmatchedBank: Type.Array(UnmatchedBank),
});
export type Reconciliation = Static<typeof Reconciliation>;
