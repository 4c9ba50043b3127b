import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FeedHub, type LoadCursor, type StreamOut } from '../src/modules/feed/feed.hub.js';

/** A stream that records the event ids written to it. */
function recorder(): StreamOut & { seqs: number[] } {
  const seqs: number[] = [];
  return Object.assign(new EventEmitter(), {
    seqs,
    write(chunk: Buffer | string) {
      for (const m of String(chunk).matchAll(/^id: (\d+)$/gm)) seqs.push(Number(m[1]));
      return true;
    },
    end() {},
    writableLength: 0,
    destroyed: false,
  });
}

interface Item {
  seq: number;
  type: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done` holds (a loaded machine may be slow), then a little more for anything extra. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await sleep(10);
  await sleep(20);
}

/**
 * A hub over feeds kept in memory, with no database (nothing listens, so the test wakes it as a
 * notification would), whose load records every call and can be made slow or failing.
 */
function hubOver(feeds: Map<string, Item[]>, options: { delayMs?: number; batch?: number; communitiesPerLoad?: number; fail?: () => boolean } = {}) {
  const calls: LoadCursor[][] = [];
  const warnings: string[] = [];
  const hub = new FeedHub<Item>({
    connectionString: 'postgres://nobody:nothing@127.0.0.1:1/none',
    load: async (cursors, limit) => {
      calls.push(cursors);
      await sleep(options.delayMs ?? 0);
      if (options.fail?.()) throw new Error('the database is away');
      const loaded = new Map<string, Item[]>();
      for (const { communityId, afterSeq } of cursors) {
        const items = (feeds.get(communityId) ?? []).filter((i) => i.seq > afterSeq).slice(0, limit);
        if (items.length > 0) loaded.set(communityId, items);
      }
      return loaded;
    },
    heads: async (ids) => new Map(ids.map((id) => [id, feeds.get(id)?.length ?? 0])),
    warn: (message) => void warnings.push(message),
    pollMs: 60_000,
    batch: options.batch ?? 1000,
    communitiesPerLoad: options.communitiesPerLoad ?? 1000,
  });
  return { hub, calls, warnings };
}

/** `n` items more on a community's feed, numbered on from its last. */
function append(feeds: Map<string, Item[]>, communityId: string, n: number): void {
  const feed = feeds.get(communityId) ?? [];
  for (let i = 0; i < n; i++) feed.push({ seq: feed.length + 1, type: `${communityId}.recorded` });
  feeds.set(communityId, feed);
}

const seqsTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('the feed hub', () => {
  it('serves a subscriber that joins while items are loading from its own cursor, with no gap', async () => {
    const feeds = new Map<string, Item[]>();
    append(feeds, 'c', 300);
    // The slow load stands in for a query in flight.
    const { hub } = hubOver(feeds, { delayMs: 30 });
    const ahead = recorder();
    const behind = recorder();
    hub.subscribe('c', 200, ahead);
    await sleep(10);
    hub.subscribe('c', 0, behind); // joins while the load for `ahead` is in flight
    await until(() => behind.seqs.length === 300);
    await hub.close();
    expect(ahead.seqs).toEqual(seqsTo(300).slice(200));
    expect(behind.seqs).toEqual(seqsTo(300));
  });

  it('reads every community one notification names in one load, and gives each subscriber only its own items', async () => {
    const feeds = new Map<string, Item[]>();
    const communities = ['a', 'b', 'c', 'd'];
    const { hub, calls } = hubOver(feeds);
    const streams = new Map(communities.map((id) => [id, [recorder(), recorder()]]));
    for (const [id, [first, second]] of streams) {
      hub.subscribe(id, 0, first!);
      hub.subscribe(id, 0, second!);
    }
    await sleep(20);
    calls.length = 0;

    communities.forEach((id, i) => append(feeds, id, i + 1));
    // What the listener does with a payload `a,b,c,d`.
    for (const id of communities) hub.wake(id);
    await until(() => communities.every((id, i) => streams.get(id)!.every((out) => out.seqs.length === i + 1)));

    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((c) => c.communityId).sort()).toEqual(communities);
    expect(calls[0]!.every((c) => c.afterSeq === 0)).toBe(true);
    communities.forEach((id, i) => {
      for (const stream of streams.get(id)!) expect(stream.seqs).toEqual(seqsTo(i + 1));
    });
    await hub.close();
  });

  it('gathers the wakes that arrive while a load is in flight into the next load', async () => {
    const feeds = new Map<string, Item[]>();
    const { hub, calls } = hubOver(feeds, { delayMs: 30 });
    const a = recorder();
    const b = recorder();
    const c = recorder();
    hub.subscribe('a', 0, a);
    append(feeds, 'a', 2);
    await sleep(10); // the load for `a` is in flight
    hub.subscribe('b', 0, b);
    hub.subscribe('c', 0, c);
    append(feeds, 'b', 3);
    append(feeds, 'c', 1);
    await until(() => a.seqs.length === 2 && b.seqs.length === 3 && c.seqs.length === 1);

    expect(calls.map((cursors) => cursors.map((cursor) => cursor.communityId).sort())).toEqual([['a'], ['b', 'c']]);
    expect([a.seqs, b.seqs, c.seqs]).toEqual([seqsTo(2), seqsTo(3), seqsTo(1)]);
    await hub.close();
  });

  it('reads a community with more than a batch pending again, alongside the others, until it is caught up', async () => {
    const feeds = new Map<string, Item[]>();
    append(feeds, 'busy', 35);
    append(feeds, 'quiet', 5);
    const { hub, calls } = hubOver(feeds, { batch: 10 });
    const busy = recorder();
    const quiet = recorder();
    hub.subscribe('busy', 0, busy);
    hub.subscribe('quiet', 0, quiet);
    await until(() => busy.seqs.length === 35 && quiet.seqs.length === 5);

    expect(calls.map((cursors) => cursors.map((c) => `${c.communityId}>${c.afterSeq}`))).toEqual([
      ['busy>0', 'quiet>0'],
      ['busy>10'],
      ['busy>20'],
      ['busy>30'],
    ]);
    expect(busy.seqs).toEqual(seqsTo(35));
    expect(quiet.seqs).toEqual(seqsTo(5));
    await hub.close();
  });

  it('reads no more communities at once than it is allowed, and the rest in the rounds after', async () => {
    const feeds = new Map<string, Item[]>();
    const communities = ['a', 'b', 'c', 'd', 'e'];
    for (const id of communities) append(feeds, id, 2);
    const { hub, calls } = hubOver(feeds, { communitiesPerLoad: 2 });
    const streams = communities.map((id) => {
      const out = recorder();
      hub.subscribe(id, 0, out);
      return out;
    });
    await until(() => streams.every((out) => out.seqs.length === 2));
    expect(calls.map((cursors) => cursors.map((c) => c.communityId))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    for (const out of streams) expect(out.seqs).toEqual(seqsTo(2));
    await hub.close();
  });

  it('warns of a failed load and delivers everything on the next wake, with no gap', async () => {
    const feeds = new Map<string, Item[]>();
    append(feeds, 'a', 3);
    append(feeds, 'b', 2);
    let failing = true;
    const { hub, warnings } = hubOver(feeds, { fail: () => failing });
    const a = recorder();
    const b = recorder();
    hub.subscribe('a', 0, a);
    hub.subscribe('b', 0, b);
    await until(() => warnings.length > 0);
    expect(warnings).toContain('feed fan-out failed; the poll will retry');
    expect([a.seqs, b.seqs]).toEqual([[], []]);

    failing = false;
    await hub['poll'](); // what the poll does a moment later
    await until(() => a.seqs.length === 3 && b.seqs.length === 2);
    expect([a.seqs, b.seqs]).toEqual([seqsTo(3), seqsTo(2)]);
    await hub.close();
  });

  it('ends every stream on close and takes no one after it', async () => {
    const feeds = new Map<string, Item[]>();
    append(feeds, 'a', 1);
    const { hub } = hubOver(feeds, { delayMs: 20 });
    let ended = 0;
    const counted = () => Object.assign(recorder(), { end: () => void ended++ });
    hub.subscribe('a', 0, counted());
    await hub.close();
    hub.subscribe('a', 0, counted());
    expect(ended).toBe(2);
    expect(hub.subscriberCount).toBe(0);
  });
});
