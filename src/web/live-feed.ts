import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type FeedItem } from './api.js';
import { FEED_TYPES } from '../shared/feed-types.js';

export interface LiveFeed {
  /** The latest items, newest first. */
  items: FeedItem[];
  /** Counts the items that arrived live: screens reload their figures when it moves. */
  version: number;
  connected: boolean;
}

/** The latest items read when the page opens; the stream adds what comes after them. */
export const LATEST = 20;
/** Items held at most (the latest plus those that arrived live), so a page left open stays small. */
const KEEP = 50;

/**
 * The community's feed, kept live. It reads the latest items (newest first, one page), then
 * listens on the event stream with the session cookie from the newest of them, so opening
 * the page never reads the whole history. EventSource reconnects by itself after a dropped
 * connection (sending Last-Event-ID); when the server refuses (say 503 while the database is
 * away) EventSource gives up, so we open a new one after the last seq we hold, backing off
 * up to 30 s, for as long as the page is open.
 */
export function useLiveFeed(cid: string | undefined): LiveFeed {
  const [state, setState] = useState<LiveFeed>({ items: [], version: 0, connected: false });
  const lastSeq = useRef(0);

  useEffect(() => {
    if (!cid) return;
    let stopped = false;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let backoff = 1000;
    lastSeq.current = 0;
    setState({ items: [], version: 0, connected: false });

    const add = (item: FeedItem, live: boolean) => {
      if (item.seq <= lastSeq.current) return;
      lastSeq.current = item.seq;
      setState((s) => ({ items: [item, ...s.items].slice(0, KEEP), version: s.version + (live ? 1 : 0), connected: s.connected }));
    };

    const open = () => {
      if (stopped) return;
      source = new EventSource(api.feedStreamUrl(cid, lastSeq.current));
      source.onopen = () => {
        backoff = 1000;
        setState((s) => ({ ...s, connected: true }));
      };
      source.onerror = () => {
        setState((s) => ({ ...s, connected: false }));
        if (source?.readyState !== EventSource.CLOSED) return;
        // Refused outright: the session may have ended (then /v1/me says so and the app signs out).
        void api.me().catch(() => undefined);
        retry = setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, 30_000);
      };
      for (const type of STREAM_EVENTS) {
        source.addEventListener(type, (event) => add(JSON.parse((event as MessageEvent<string>).data) as FeedItem, true));
      }
    };

    // The latest page first (retried until it answers), so the stream starts after what we hold.
    const start = () => {
      if (stopped) return;
      api.feed(cid, { order: 'desc', limit: LATEST }).then(
        (page) => {
          if (stopped) return;
          for (const item of [...page.items].reverse()) add(item, false);
          open();
        },
        () => {
          retry = setTimeout(start, backoff);
          backoff = Math.min(backoff * 2, 30_000);
        },
      );
    };
    start();

    return () => {
      stopped = true;
      source?.close();
      if (retry) clearTimeout(retry);
    };
  }, [cid]);

  return state;
}

/** Every event type the stream may send; unknown future types still arrive as `message`. */
const STREAM_EVENTS = ['message', ...FEED_TYPES];
