import { Type, type Static } from 'typebox';
import { Id, Timestamp } from '../../shared/schemas.js';

export const FeedType = Type.Enum([
  'income.recorded',
  'fee.paid',
  'spend.submitted',
  'spend.approved',
  'spend.rejected',
  'spend.paid',
  'entry.reversed',
  'budget.approved',
]);

export const FeedItem = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: "Gapless per community; the stream's event id" }),
    type: FeedType,
    at: Timestamp,
    amount: Type.Optional(Type.String({ description: 'CNY, two decimals; absent for events without an amount' })),
    account: Type.Optional(Type.String({ description: 'The account code the money went to or came from' })),
    accountName: Type.Optional(Type.String()),
    summary: Type.String({ description: 'One line for owners; never names a household' }),
    ref: Type.String({ description: 'What the item is about: a tracking number, an income or entry id, a budget version' }),
  },
);
export type FeedItem = Static<typeof FeedItem>;

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
