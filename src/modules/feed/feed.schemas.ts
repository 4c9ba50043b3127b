import { Type, type Static } from 'typebox';
import { FEED_TYPES } from '../../shared/feed-types.js';
import { Id, ListOrder, PageQuery, Timestamp } from '../../shared/schemas.js';
import { PaymentMethod } from '../fees/fees.schemas.js';
import { IncomeCategory } from '../ledger/ledger.schemas.js';

export const FeedType = Type.Enum([...FEED_TYPES]);

/**
 * The facts of a feed item, for a web app to render in its own words and layout; which ones
 * an item carries depends on its type. Stored with the item when it is written.
 */
export const FeedFacts = Type.Object({
  counterparty: Type.Optional(
    Type.String({ description: 'Who paid the community (income.recorded: the payer) or is paid by it (spend.*: the payee’s name, never its account)' }),
  ),
  category: Type.Optional({ ...IncomeCategory, description: 'income.recorded: the kind of public income' }),
  title: Type.Optional(Type.String({ description: 'spend.*: the title of the spend request' })),
  building: Type.Optional(Type.String({ description: 'fee.paid: the building of the paying unit (the household is never named)' })),
  method: Type.Optional({ ...PaymentMethod, description: 'fee.paid: how the fee was paid' }),
  note: Type.Optional(Type.String({ description: 'spend.rejected, entry.reversed: the reason given' })),
  keys: Type.Optional(Type.Integer({ minimum: 1, description: 'spend.approved, budget.approved: the co-signers’ keys that approved it' })),
  year: Type.Optional(Type.Integer({ description: 'budget.approved: the budget year' })),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'budget.approved: the version approved' })),
  reversedSeq: Type.Optional(Type.Integer({ minimum: 1, description: 'entry.reversed: the seq of the entry reversed (see /entries)' })),
});
export type FeedFacts = Static<typeof FeedFacts>;

export const FeedActor = Type.Object(
  { id: Id, displayName: Type.String() },
  { description: 'The member who did it: who recorded the income or payment, submitted, approved, rejected or paid the request, reversed the entry, or turned the key that approved the budget' },
);

export const FeedItem = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: "Gapless per community; the stream's event id" }),
    type: FeedType,
    at: Timestamp,
    amount: Type.Optional(Type.String({ description: 'CNY, two decimals; absent for events without an amount' })),
    account: Type.Optional(Type.String({ description: 'The account code the money went to or came from' })),
    accountName: Type.Optional(Type.String()),
    summary: Type.String({
      description: 'One line in Chinese for residents, amounts as ¥12,345.67, e.g. 收到停车收益 ¥1,280.00（付款方：某某停车管理公司）; never names a household',
    }),
    ref: Type.String({ description: 'What the item is about: a tracking number, an income or entry id, a budget version' }),
    actor: Type.Optional(FeedActor),
    ...FeedFacts.properties,
  },
);
export type FeedItem = Static<typeof FeedItem>;

export const FeedQuery = Type.Object({ ...PageQuery.properties, order: Type.Optional(ListOrder) });
export type FeedQuery = Static<typeof FeedQuery>;

export const FeedStreamQuery = Type.Object({
  after: Type.Optional(
    Type.String({
      pattern: '^(0|[1-9][0-9]{0,15})$',
      description: 'Resume after this seq (the `id:` of the last event seen). `Last-Event-ID` wins when both are sent. Without either, the stream starts from the first item.',
    }),
  ),
  access_token: Type.Optional(
    Type.String({ maxLength: 4096, description: 'A stream token from POST …/feed/stream-token, for browsers whose EventSource cannot set headers' }),
  ),
});
export type FeedStreamQuery = Static<typeof FeedStreamQuery>;

export const FeedStreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$', description: 'Sent by EventSource on reconnect' })),
});

export const StreamToken = Type.Object({
  token: Type.String({ description: 'Pass as `?access_token=` to the stream; good for nothing else' }),
  tokenType: Type.Literal('stream'),
  expiresIn: Type.Integer({ description: 'Seconds until it expires; an open stream stays open' }),
  streamUrl: Type.String({ description: 'The stream URL with the token, ready for `new EventSource(...)`' }),
});
export type StreamToken = Static<typeof StreamToken>;

export const CommunityOnly = Type.Object({ cid: Id });
