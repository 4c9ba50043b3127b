import { Type, type Static } from 'typebox';
import { Body, Id, ListOrder, Money, PageQuery, ref, Timestamp } from '../../shared/schemas.js';

/** The five kinds of account; the first digit of an account's code names its kind (1 asset … 5 expense). */
export const AccountType = Type.Enum(['asset', 'liability', 'equity', 'income', 'expense']);
export type AccountType = Static<typeof AccountType>;

export const Account = Type.Object({
  code: Type.String(),
  name: Type.String(),
  type: AccountType,
  balance: Type.String({ description: "In the account's normal direction: debits minus credits for assets and expenses, credits minus debits for the rest" }),
});
export type Account = Static<typeof Account>;

export const AccountList = Type.Object({ items: Type.Array(Account) });

export const CreateAccountBody = Body({
  code: Type.String({ pattern: '^[1-5][0-9]{3,7}$', description: '4 to 8 digits; the first digit is the type: 1 asset … 5 expense' }),
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
});
export type CreateAccountBody = Static<typeof CreateAccountBody>;

export const LedgerHead = Type.Object({ seq: Type.Integer(), hash: Type.String() });

export const Fund = Type.Object({
  balance: Type.String(),
  reserved: Type.String({ description: 'Held by open spend requests' }),
  available: Type.String({ description: 'balance - reserved' }),
  currency: Type.Literal('CNY'),
  asOf: Timestamp,
  ledgerHead: LedgerHead,
});
export type Fund = Static<typeof Fund>;

export const IncomeCategory = Type.Enum(['parking', 'advertising', 'leasing', 'other']);

export const RecordIncomeBody = Body({
  category: IncomeCategory,
  amount: ref(Money),
  payer: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  receivedAt: Type.Optional(Timestamp),
  reference: Type.Optional(Type.String({ maxLength: 200 })),
  memo: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type RecordIncomeBody = Static<typeof RecordIncomeBody>;

export const Income = Type.Object({
  id: Id,
  entryId: Id,
  category: IncomeCategory,
  account: Type.String(),
  amount: Type.String(),
  payer: Type.String(),
  receivedAt: Timestamp,
  reference: Type.Union([Type.String(), Type.Null()]),
  memo: Type.Union([Type.String(), Type.Null()]),
});
export type Income = Static<typeof Income>;

export const Posting = Type.Object({ account: Type.String(), debit: Type.String(), credit: Type.String() });

export const Entry = Type.Object({
  seq: Type.Integer(),
  id: Id,
  occurredAt: Timestamp,
  recordedAt: Timestamp,
  kind: Type.String(),
  memo: Type.String(),
  source: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
  reverses: Type.Union([Type.String(), Type.Null()], { description: 'The id of the entry this one reverses' }),
  postings: Type.Array(Posting),
  prevHash: Type.String(),
  hash: Type.String(),
  leaf: Type.String({
    contentEncoding: 'base64',
    description: "The entry's canonical bytes in base64: the text its hash covers (hex(SHA-256(leaf)) = hash) and its leaf in the community's transparency log",
  }),
  leafIndex: Type.Integer({ minimum: 0, description: "The entry's 0-based position in the transparency log: seq - 1" }),
});
export type Entry = Static<typeof Entry>;

const LocalDate = (description: string) =>
  Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description, examples: ['2026-11-01'] });

export const EntriesQuery = Type.Object({
  ...PageQuery.properties,
  order: Type.Optional(ListOrder),
  from: Type.Optional(LocalDate("Only entries that occurred on or after this day (YYYY-MM-DD, in the community's time zone)")),
  to: Type.Optional(LocalDate("Only entries that occurred on or before this day (YYYY-MM-DD, in the community's time zone)")),
});
export type EntriesQuery = Static<typeof EntriesQuery>;

export const EntryParams = Type.Object({ cid: Id, id: Id });

export const ReversalBody = Body({
  reason: Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' }),
  signingPassword: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type ReversalBody = Static<typeof ReversalBody>;

export const Verification = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer(),
  head: LedgerHead,
  problems: Type.Array(Type.String(), { description: 'What failed, empty when ok' }),
});
export type Verification = Static<typeof Verification>;

export const VerifyQuery = Type.Object({
  full: Type.Optional(Type.Boolean({ default: false, description: 'Re-check from the first entry rather than from the last verified one' })),
});
export type VerifyQuery = Static<typeof VerifyQuery>;

export const ExportQuery = Type.Object({ format: Type.Literal('hledger') });
