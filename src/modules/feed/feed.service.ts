import type { Database } from '../../db/database.js';
import { connectionStringOf } from '../../db/database.js';
import { validationFailed } from '../../shared/errors.js';
import { formatMoney } from '../../shared/money.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import type { ListOrder } from '../../shared/schemas.js';
import type { AuthService, Principal, Tokens } from '../auth/auth.service.js';
import type { CommunitiesService } from '../communities/communities.service.js';
import type { FeedRow, LedgerService } from '../ledger/ledger.service.js';
import { FeedHub, type LoadCursor, type StreamOut } from './feed.hub.js';
import { FeedFacts, type FeedItem, type StreamToken } from './feed.schemas.js';

/** Stream tokens live five minutes: long enough to open an EventSource, short if one leaks. */
export const STREAM_TOKEN_TTL_SECONDS = 300;

/**
 * The feed delivers the ledger's outbox (`feed_items`, written in each change's transaction):
 * it owns no table, and reads the items through the ledger's service and the actors' names
 * through the auth service.
 */
export interface FeedServiceOptions {
  tokens: Tokens;
  ledger: Pick<LedgerService, 'feedItemsAfter' | 'feedItemsAfterEach' | 'feedItemsBefore' | 'feedHeads'>;
  auth: Pick<AuthService, 'people'>;
  communities: Pick<CommunitiesService, 'member'>;
  warn?: (message: string, error?: unknown) => void;
  pollMs?: number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  batch?: number;
}

export type FeedService = ReturnType<typeof createFeedService>;

export function createFeedService(db: Database, options: FeedServiceOptions) {
  const { ledger, auth, communities } = options;
  /** Items as clients read them, each with its actor's display name. */
  async function described(rows: FeedRow[]): Promise<FeedItem[]> {
    const people = await auth.people(db, rows.flatMap((r) => (r.actor_id === null ? [] : [r.actor_id])));
    return rows.map((row) => toItem(row, row.actor_id === null ? null : (people.get(row.actor_id)?.displayName ?? null)));
  }

  /**
   * The stream's new items of every community woken together, keyed by community: one query
   * for the items and one for the actors' names, however many communities there are.
   */
  async function loadEach(cursors: LoadCursor[], limit: number): Promise<Map<string, FeedItem[]>> {
    const rows = await ledger.feedItemsAfterEach(db, cursors, limit);
    const items = await described(rows);
    const byCommunity = new Map<string, FeedItem[]>();
    rows.forEach((row, i) => {
      const list = byCommunity.get(row.community_id);
      if (list) list.push(items[i]!);
      else byCommunity.set(row.community_id, [items[i]!]);
    });
    return byCommunity;
  }

  const hub = new FeedHub<FeedItem>({
    connectionString: connectionStringOf(db),
    load: loadEach,
    heads: (ids) => ledger.feedHeads(db, ids),
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
      await communities.member(communityId, principal);
      const rows =
        order === 'desc'
          ? await ledger.feedItemsBefore(db, communityId, after === undefined ? null : decodeSeqCursor(after), limit + 1)
          : await ledger.feedItemsAfter(db, communityId, decodeSeqCursor(after), limit + 1);
      const page = toPage(rows, limit, (row) => row.seq, (row) => row);
      return { items: await described(page.items), nextAfter: page.nextAfter };
    },

    /**
     * Checks that the caller may read the community and where its stream starts: after the
     * given seq, or from the first item when none is given, like `GET …/feed` without `after`
     * (the stream is the same feed, kept open). Throws before any byte is streamed,
     * so refusals are ordinary problem responses.
     */
    async streamStart(communityId: string, principal: Principal, resumeAfter: string | undefined): Promise<number> {
      await communities.member(communityId, principal);
      const head = (await ledger.feedHeads(db, [communityId])).get(communityId) ?? 0;
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
      await communities.member(communityId, principal);
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

function toItem(row: FeedRow, actorName: string | null): FeedItem {
  return {
    seq: row.seq,
    type: row.type as FeedItem['type'],
    at: row.at.toISOString(),
    ...(row.amount === null ? {} : { amount: formatMoney(row.amount) }),
    ...(row.account === null ? {} : { account: row.account }),
    ...(row.account_name === null ? {} : { accountName: row.account_name }),
    summary: row.summary,
    ref: row.ref,
    ...(row.actor_id === null || actorName === null ? {} : { actor: { id: row.actor_id, displayName: actorName } }),
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
