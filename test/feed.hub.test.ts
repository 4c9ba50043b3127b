import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FeedHub, type StreamOut } from '../src/modules/feed/feed.hub.js';

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

describe('the feed hub', () => {
  it('serves a subscriber that joins while items are loading from its own cursor, with no gap', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, type: 'income.recorded' }));
    const hub = new FeedHub({
      // No database: nothing listens, and the slow load stands in for a query in flight.
      connectionString: 'postgres://nobody:nothing@127.0.0.1:1/none',
      load: async (_community, after, limit) => {
        await new Promise((r) => setTimeout(r, 30));
        return items.filter((i) => i.seq > after).slice(0, limit);
      },
      heads: async () => new Map([['c', 300]]),
      warn: () => undefined,
      batch: 1000,
    });
    const ahead = recorder();
    const behind = recorder();
    hub.subscribe('c', 200, ahead);
    await new Promise((r) => setTimeout(r, 10));
    hub.subscribe('c', 0, behind); // joins while the load for `ahead` is in flight
    await new Promise((r) => setTimeout(r, 200));
    await hub.close();
    expect(ahead.seqs).toEqual(items.slice(200).map((i) => i.seq));
    expect(behind.seqs).toEqual(items.map((i) => i.seq));
  });
});
