import { Type } from 'typebox';
import type { App } from '../../http/app-types.js';
import { Page, problems } from '../../shared/schemas.js';
import { CommunityOnly, FeedItem, FeedQuery, FeedStreamHeaders, FeedStreamQuery, StreamToken } from './feed.schemas.js';

const PAGE_DESCRIPTION = [
  'Oldest first by default: `nextAfter` continues with newer items, and the last page ends with `nextAfter: null`.',
  'With `order=desc` the newest items come first and `nextAfter` continues with older ones, the items before the',
  'last item of the page (a smaller `seq`), until a page ends with the first item and `null`. A cursor marks a position in',
  'the feed, so one taken from either order is valid in both. To show the latest items and then follow live ones,',
  'read `?order=desc&limit=20` and open the stream with `after` = the `seq` of its first item (0 when empty).',
].join(' ');

const STREAM_DESCRIPTION = [
  'Server-Sent Events. Each event carries `id: <seq>`, `event: <type>` and `data: <the feed item as JSON>`;',
  'a comment line (`: heartbeat`) arrives every 15 s. Resume with the `Last-Event-ID` header (EventSource',
  'sends it on reconnect) or `?after=<seq>`: the stream sends every item after it, in order, with no gap and',
  'no duplicate. Without either it starts from the first item, like `GET …/feed`; to skip the history, pass',
  "the last seq you hold (e.g. the last item of `GET …/feed`) as `after`.",
  '',
  'Authentication: `Authorization: Bearer <token>`, or, for a browser EventSource (which cannot set headers),',
  '`?access_token=<stream token>` from `POST …/feed/stream-token`. A stream token lives 5 minutes and opens',
  'streams only; an ordinary API token in the query is refused.',
].join(' ');

export async function feedRoutes(app: App): Promise<void> {
  const { feed } = app.services;
  const tags = ['feed'];

  // Streams are ended before the server stops accepting, or closing would wait on them forever.
  app.addHook('preClose', async () => feed.close());

  app.get(
    '/v1/communities/:cid/feed',
    {
      schema: {
        tags,
        summary: 'The public feed of money events, oldest first or newest first',
        description: PAGE_DESCRIPTION,
        params: CommunityOnly,
        querystring: FeedQuery,
        response: { 200: Page(FeedItem), ...problems(400, 401, 404) },
      },
    },
    async (request) => feed.page(request.params.cid, request.principal, request.query.after, request.query.limit ?? 100, request.query.order),
  );

  app.get(
    '/v1/communities/:cid/feed/stream',
    {
      config: { streamToken: true },
      schema: {
        tags,
        summary: 'The live feed as Server-Sent Events',
        description: STREAM_DESCRIPTION,
        params: CommunityOnly,
        querystring: FeedStreamQuery,
        headers: FeedStreamHeaders,
        produces: ['text/event-stream'],
        response: { 200: Type.String({ description: 'text/event-stream' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { cid } = request.params;
      const cursor = await feed.streamStart(cid, request.principal, request.headers['last-event-id'] ?? request.query.after);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      out.flushHeaders();
      request.raw.socket.setNoDelay(true);
      // Tells EventSource how long to wait before reconnecting, and opens the body at once.
      out.write('retry: 3000\n\n');
      feed.attach(cid, cursor, out);
    },
  );

  app.post(
    '/v1/communities/:cid/feed/stream-token',
    {
      schema: {
        tags,
        summary: 'A 5-minute token for opening the stream from a browser EventSource',
        description: 'Pass it as `?access_token=` to `GET …/feed/stream`; it is accepted nowhere else.',
        params: CommunityOnly,
        response: { 200: StreamToken, ...problems(401, 404) },
      },
    },
    async (request) => feed.streamToken(request.params.cid, request.principal),
  );
}
