import type { Database } from '../../db/database.js';
import { connectionStringOf } from '../../db/database.js';
import type { Principal } from '../auth/auth.principal.js';
import { validationFailed } from '../../shared/errors.js';
import { formatMoney } from '../../shared/money.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import type { ListOrder } from '../../shared/schemas.js';
import type { Tokens } from '../auth/auth.tokens.js';
import { memberOf } from '../communities/communities.access.js';
import { FeedHub, type StreamOut } from './feed.hub.js';
import * as repo from './feed.repository.js';
import { FeedFacts, type FeedItem, type StreamToken } from './feed.schemas.js';

/** Stream tokens live five minutes: long enough to open an EventSource, short if one leaks. */
export const STREAM_TOKEN_TTL_SECONDS = 300;

export interface FeedServiceOptions {
  tokens: Tokens;
  warn?: (message: string, error?: unknown) => void;
  pollMs?: number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  batch?: number;
}

export type FeedService = ReturnType<typeof createFeedService>;

export function createFeedService(db: Database, options: FeedServiceOptions) {
  const hub = new FeedHub<FeedItem>({
    connectionString: connectionStringOf(db),
    load: async (communityId, afterSeq, limit) => (await repo.itemsAfter(db, communityId, afterSeq, limit)).map(toItem),
    heads: (ids) => repo.heads(db, ids),
    warn: options.warn ?? ((message, error) => console.warn(message, error)),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
    ...(options.batch ? { batch: options.batch } : {}),
  });

  return {
    hub,

    /**
     * The feed one page at a time: oldest first, or newest first with `order` `desc`, where the
     * cursor then marks the oldest item shown and the next page holds the items before it.
     */
    async page(communityId: string, principal: Principal, after: string | undefined, limit: number, order: ListOrder = 'asc') {
      await memberOf(db, communityId, principal);
      const rows =
        order === 'desc'
          ? await repo.itemsBefore(db, communityId, after === undefined ? null : decodeSeqCursor(after), limit + 1)
          : await repo.itemsAfter(db, communityId, decodeSeqCursor(after), limit + 1);
      return toPage(rows, limit, (row) => row.seq, toItem);
    },

    /**
     * Checks that the caller may read the community and where its stream starts: after the
     * given seq, or from the first item when none is given, like `GET …/feed` without `after`
     * (the stream is the same feed, kept open). Throws before any byte is streamed,
     * so refusals are ordinary problem responses.
     */
    async streamStart(communityId: string, principal: Principal, resumeAfter: string | undefined): Promise<number> {
      await memberOf(db, communityId, principal);
      const head = (await repo.heads(db, [communityId])).get(communityId) ?? 0;
      if (resumeAfter === undefined) return 0;
      const after = Number(resumeAfter);
      if (!Number.isSafeInteger(after) || after < 0) throw validationFailed('The event id to resume after is not valid');
      if (after > head) throw validationFailed(`The feed has no event ${after} yet; resume from an id this stream sent`);
      return after;
    },

    /** Hands an open event stream to the hub, which writes it every item after `cursor`. */
    attach(communityId: string, cursor: number, out: StreamOut): void {
      hub.subscribe(communityId, cursor, out);
    },

    /** A short-lived token a browser passes as `?access_token=` to the stream (and nowhere else). */
    async streamToken(communityId: string, principal: Principal): Promise<StreamToken> {
      await memberOf(db, communityId, principal);
      const token = await options.tokens.issue(principal, STREAM_TOKEN_TTL_SECONDS, 'stream');
      return {
        token,
        tokenType: 'stream',
        expiresIn: STREAM_TOKEN_TTL_SECONDS,
        streamUrl: `/v1/communities/${communityId}/feed/stream?access_token=${token}`,
      };
    },

    close: () => hub.close(),
  };
}

function toItem(row: repo.FeedRow): FeedItem {
  return {
    seq: row.seq,
    type: row.type as FeedItem['type'],
    at: row.at.toISOString(),
    ...(row.amount === null ? {} : { amount: formatMoney(row.amount) }),
    ...(row.account === null ? {} : { account: row.account }),
    ...(row.account_name === null ? {} : { accountName: row.account_name }),
    summary: row.summary,
    ref: row.ref,
    ...(row.actor_id === null || row.actor_name === null ? {} : { actor: { id: row.actor_id, displayName: row.actor_name } }),
    ...factsOf(row.details),
  };
}

const FACT_KEYS = Object.keys(FeedFacts.properties) as Array<keyof FeedFacts>;

/** The stored facts the schema names, and nothing else (the stream sends items as they are). */
function factsOf(details: Record<string, unknown>): FeedFacts {
  const facts: Record<string, unknown> = {};
  for (const key of FACT_KEYS) if (details[key] !== undefined && details[key] !== null) facts[key] = details[key];
  return facts as FeedFacts;
}
