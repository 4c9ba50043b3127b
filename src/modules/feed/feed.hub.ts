import pg from 'pg';
import { FEED_CHANNEL } from '../../db/change-signal.js';

/** Where a stream writes: a hijacked HTTP response (or anything shaped like one). */
export interface StreamOut {
  write(chunk: Buffer | string): boolean;
  end(): void;
  readonly writableLength: number;
  readonly destroyed: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

/** An item as the stream sends it; `seq` and `type` become the event's `id:` and `event:`. */
export interface StreamItem {
  seq: number;
  type: string;
}

export interface HubOptions<Item extends StreamItem> {
  connectionString: string;
  /** Items of a community after a seq, oldest first. */
  load(communityId: string, afterSeq: number, limit: number): Promise<Item[]>;
  /** Each community's last feed seq. */
  heads(communityIds: string[]): Promise<Map<string, number>>;
  warn(message: string, error?: unknown): void;
  pollMs?: number;
  heartbeatMs?: number;
  /** A subscriber whose socket holds more than this many unsent bytes gets nothing more until it drains. */
  maxBufferedBytes?: number;
  batch?: number;
}

interface Subscriber {
  communityId: string;
  /** The seq of the last event written to this subscriber: where it resumes. */
  cursor: number;
  out: StreamOut;
  stalled: boolean;
}

interface Room {
  subscribers: Set<Subscriber>;
  pumping: Promise<void> | null;
  again: boolean;
}

/**
 * The per-process fan-out of the live feed. One dedicated connection LISTENs for the
 * coalesced notifications writers send after commit; on a wake-up the hub reads the new
 * items of that community ONCE and writes them to all of its subscribers, each from its own
 * cursor, so every subscriber gets every item in seq order with no gap and no duplicate.
 *
 * A notification can be lost (the listener reconnecting, a writer dying between commit and
 * NOTIFY), so a slow poll of the communities' head seqs is the safety net: it delays an event,
 * never loses it. Memory per subscriber stays bounded: the hub keeps no queue, only a cursor;
 * a subscriber whose socket stops draining is skipped and catches up from the database when
 * it drains.
 */
export class FeedHub<Item extends StreamItem> {
  private readonly rooms = new Map<string, Room>();
  private readonly options: Required<HubOptions<Item>>;
  private listener: pg.Client | null = null;
  private connecting = false;
  private started = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: HubOptions<Item>) {
    this.options = { pollMs: 2_000, heartbeatMs: 15_000, maxBufferedBytes: 64 * 1024, batch: 100, ...options };
  }

  get subscriberCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.subscribers.size;
    return n;
  }

  /** Adds a subscriber that has seen everything up to `cursor`, and catches it up at once. */
  subscribe(communityId: string, cursor: number, out: StreamOut): void {
    if (this.closed) {
      out.end();
      return;
    }
    this.start();
    let room = this.rooms.get(communityId);
    if (!room) {
      room = { subscribers: new Set(), pumping: null, again: false };
      this.rooms.set(communityId, room);
    }
    const subscriber: Subscriber = { communityId, cursor, out, stalled: false };
    room.subscribers.add(subscriber);
    out.once('close', () => this.remove(subscriber));
    this.wake(communityId);
  }

  /** Something may have been committed for this community: read it and fan it out. */
  wake(communityId: string): void {
    const room = this.rooms.get(communityId);
    if (!room || this.closed) return;
    if (room.pumping) {
      room.again = true;
      return;
    }
    room.pumping = this.pump(communityId, room)
      .catch((error: unknown) => this.options.warn('feed fan-out failed; the poll will retry', error))
      .finally(() => {
        room.pumping = null;
      });
  }

  /** Ends every stream and the listener; streams are told nothing more, clients reconnect elsewhere. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    const pumping = [...this.rooms.values()].map((r) => r.pumping).filter((p) => p !== null);
    for (const room of this.rooms.values()) for (const s of room.subscribers) s.out.end();
    this.rooms.clear();
    await Promise.allSettled(pumping);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    void this.listen();
    const poll = setInterval(() => void this.poll(), this.options.pollMs);
    // One timer for every subscriber's heartbeat, rather than one per connection.
    const heartbeat = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    poll.unref();
    heartbeat.unref();
    this.timers.push(poll, heartbeat);
  }

  private remove(subscriber: Subscriber): void {
    const room = this.rooms.get(subscriber.communityId);
    if (!room) return;
    room.subscribers.delete(subscriber);
    if (room.subscribers.size === 0 && !room.pumping) this.rooms.delete(subscriber.communityId);
  }

  private async pump(communityId: string, room: Room): Promise<void> {
    do {
      room.again = false;
      for (;;) {
        let from = Number.POSITIVE_INFINITY;
        for (const s of room.subscribers) if (!s.stalled && s.cursor < from) from = s.cursor;
        if (from === Number.POSITIVE_INFINITY || this.closed) break;
        const items = await this.options.load(communityId, from, this.options.batch);
        if (items.length > 0) this.deliver(room, items, from);
        if (items.length < this.options.batch) break;
      }
    } while (room.again && !this.closed);
    if (room.subscribers.size === 0) this.rooms.delete(communityId);
  }

  /**
   * Writes each subscriber the items after its cursor; subscribers at one cursor share one
   * buffer. `items` start right after `from`: a subscriber behind that (one that joined or
   * drained while they were loading) is left for the next pass, which `wake` has already
   * asked for, so it gets its own items from its own cursor and never skips any.
   */
  private deliver(room: Room, items: Item[], from: number): void {
    const frames = items.map((item) => `id: ${item.seq}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`);
    const shared = new Map<number, Buffer>();
    const last = items.at(-1)!.seq;
    for (const s of room.subscribers) {
      if (s.stalled || s.out.destroyed || s.cursor < from || s.cursor >= last) continue;
      const start = items.findIndex((item) => item.seq > s.cursor);
      let chunk = shared.get(start);
      if (!chunk) {
        chunk = Buffer.from(frames.slice(start).join(''), 'utf8');
        shared.set(start, chunk);
      }
      const drained = s.out.write(chunk);
      s.cursor = last;
      if (!drained || s.out.writableLength > this.options.maxBufferedBytes) this.stall(s);
    }
  }

  /**
   * A subscriber that is not reading gets nothing more until its socket drains; then it
   * resumes from its cursor, read again from the database. Its memory is the socket's buffer,
   * which one write can fill to at most the cap plus one batch.
   */
  private stall(s: Subscriber): void {
    s.stalled = true;
    s.out.once('drain', () => {
      s.stalled = false;
      this.wake(s.communityId);
    });
  }

  private heartbeat(): void {
    for (const room of this.rooms.values()) {
      for (const s of room.subscribers) if (!s.stalled && !s.out.destroyed) s.out.write(': heartbeat\n\n');
    }
  }

  private async poll(): Promise<void> {
    const ids = [...this.rooms.keys()];
    if (ids.length === 0 || this.closed) return;
    try {
      const heads = await this.options.heads(ids);
      for (const [id, head] of heads) {
        const room = this.rooms.get(id);
        if (room && [...room.subscribers].some((s) => !s.stalled && s.cursor < head)) this.wake(id);
      }
    } catch (error) {
      this.options.warn('feed poll failed', error);
    }
    if (!this.listener && !this.connecting) void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed || this.listener || this.connecting) return;
    this.connecting = true;
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: 'xinyi-ledger-feed' });
    const lost = (error?: unknown) => {
      if (this.listener !== client) return;
      this.listener = null;
      if (!this.closed) this.options.warn('feed listener lost; reconnecting', error);
      void client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1_000).unref();
    };
    client.on('notification', (message) => {
      for (const id of (message.payload ?? '').split(',')) if (id) this.wake(id);
    });
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${FEED_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      // Anything committed while we were not listening is read now.
      for (const id of this.rooms.keys()) this.wake(id);
    } catch (error) {
      this.options.warn('feed listener could not connect; the poll keeps streams going', error);
      await client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1_000).unref();
    } finally {
      this.connecting = false;
    }
  }
}
