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

/** Where one community's stream is to be read from: the items after `afterSeq`. */
export interface LoadCursor {
  communityId: string;
  afterSeq: number;
}

export interface HubOptions<Item extends StreamItem> {
  connectionString: string;
  /**
   * The items of several communities, each after its own cursor, at most `limit` each, oldest
   * first, keyed by community (one with no new items may be missing). The hub calls it once per
   * round for every community woken together, so it should be one round trip however many.
   */
  load(cursors: LoadCursor[], limit: number): Promise<Map<string, Item[]>>;
  /** Each community's last feed seq. */
  heads(communityIds: string[]): Promise<Map<string, number>>;
  warn(message: string, error?: unknown): void;
  pollMs?: number;
  heartbeatMs?: number;
  /** A subscriber whose socket holds more than this many unsent bytes gets nothing more until it drains. */
  maxBufferedBytes?: number;
  /** The most items one load reads for one community; a community with more is read again. */
  batch?: number;
  /** The most communities one load reads; the rest wait for the next round, a tick later. */
  communitiesPerLoad?: number;
}

interface Subscriber {
  communityId: string;
  /** The seq of the last event written to this subscriber: where it resumes. */
  cursor: number;
  out: StreamOut;
  stalled: boolean;
}

/** The subscribers of one community's stream. */
type Room = Set<Subscriber>;

/**
 * The per-process fan-out of the live feed. One dedicated connection LISTENs for the
 * coalesced notifications writers send after commit; on a wake-up the hub reads the new items
 * of every community woken together in ONE load, and writes each community's items to all of
 * its subscribers, each from its own cursor, so every subscriber gets every item in seq order
 * with no gap and no duplicate.
 *
 * Wakes gather in `due`, and a single pump reads all the due communities at once: those one
 * NOTIFY payload or one poll names, and those woken while a load is in flight. With a thousand
 * busy communities that is a round trip per round instead of two per write.
 *
 * A notification can be lost (the listener reconnecting, a writer dying between commit and
 * NOTIFY), so a slow poll of the communities' head seqs is the safety net: it delays an event,
 * never loses it. Memory per subscriber stays bounded: the hub keeps no queue, only a cursor;
 * a subscriber whose socket stops draining is skipped and catches up from the database when
 * it drains.
 */
export class FeedHub<Item extends StreamItem> {
  private readonly rooms = new Map<string, Room>();
  /** Communities woken since they were last read; the next round reads them together. */
  private readonly due = new Set<string>();
  /** The one pump, while it runs; a wake meanwhile only adds to `due`. */
  private pumping: Promise<void> | null = null;
  private readonly options: Required<HubOptions<Item>>;
  private listener: pg.Client | null = null;
  private connecting = false;
  private started = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: HubOptions<Item>) {
    this.options = { pollMs: 2_000, heartbeatMs: 15_000, maxBufferedBytes: 64 * 1024, batch: 100, communitiesPerLoad: 1_000, ...options };
  }

  get subscriberCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.size;
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
      room = new Set();
      this.rooms.set(communityId, room);
    }
    const subscriber: Subscriber = { communityId, cursor, out, stalled: false };
    room.add(subscriber);
    out.once('close', () => this.remove(subscriber));
    this.wake(communityId);
  }

  /** Something may have been committed for this community: read it, with the others due, and fan it out. */
  wake(communityId: string): void {
    if (this.closed || !this.rooms.has(communityId)) return;
    this.due.add(communityId);
    this.pumping ??= this.pump();
  }

  /** Ends every stream and the listener; streams are told nothing more, clients reconnect elsewhere. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const room of this.rooms.values()) for (const s of room) s.out.end();
    this.rooms.clear();
    this.due.clear();
    await this.pumping;
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
    room.delete(subscriber);
    // A round in flight looks the room up again when its items arrive, and skips it if gone.
    if (room.size === 0) this.rooms.delete(subscriber.communityId);
  }

  /**
   * Reads the due communities, all in one load, and delivers each one's items, round after
   * round until nothing is due. Never rejects: a failed load is warned about and its
   * communities are left to the poll, which wakes them again.
   */
  private async pump(): Promise<void> {
    // One tick's wait, so the wakes of one notification, one poll or one reconnect make one round.
    await Promise.resolve();
    while (this.due.size > 0 && !this.closed) {
      const cursors = this.takeDue();
      if (cursors.length === 0) continue;
      try {
        const loaded = await this.options.load(cursors, this.options.batch);
        if (!this.closed) this.deliverEach(cursors, loaded);
      } catch (error) {
        // Nothing may escape the pump: it would leave `pumping` set and stop every stream.
        try {
          this.options.warn('feed fan-out failed; the poll will retry', error);
        } catch {
          // A logger that fails loses the warning, not the fan-out.
        }
      }
    }
    // Set in the same synchronous step as the last look at `due`, so no wake is left waiting.
    this.pumping = null;
  }

  /**
   * Takes up to `communitiesPerLoad` due communities off `due`, each with the cursor to read it
   * from: that of its furthest-behind subscriber not stalled. One with no such subscriber is
   * dropped; a stalled subscriber wakes its community again when it drains.
   */
  private takeDue(): LoadCursor[] {
    const cursors: LoadCursor[] = [];
    for (const communityId of this.due) {
      if (cursors.length === this.options.communitiesPerLoad) break;
      this.due.delete(communityId);
      let from = Number.POSITIVE_INFINITY;
      for (const s of this.rooms.get(communityId) ?? []) if (!s.stalled && s.cursor < from) from = s.cursor;
      if (from !== Number.POSITIVE_INFINITY) cursors.push({ communityId, afterSeq: from });
    }
    return cursors;
  }

  private deliverEach(cursors: LoadCursor[], loaded: Map<string, Item[]>): void {
    for (const { communityId, afterSeq } of cursors) {
      const items = loaded.get(communityId) ?? [];
      const room = this.rooms.get(communityId);
      if (room && items.length > 0) this.deliver(room, items, afterSeq);
      // A full batch may not be all there is: read the community again in the next round.
      if (items.length >= this.options.batch) this.wake(communityId);
    }
  }

  /**
   * Writes each subscriber the items after its cursor; subscribers at one cursor share one
   * buffer. `items` start right after `from`: a subscriber behind that (one that joined or
   * drained while they were loading) is left for the next round, which `wake` has already
   * asked for, so it gets its own items from its own cursor and never skips any.
   */
  private deliver(room: Room, items: Item[], from: number): void {
    const frames = items.map((item) => `id: ${item.seq}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`);
    const shared = new Map<number, Buffer>();
    const last = items.at(-1)!.seq;
    for (const s of room) {
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
      for (const s of room) if (!s.stalled && !s.out.destroyed) s.out.write(': heartbeat\n\n');
    }
  }

  private async poll(): Promise<void> {
    const ids = [...this.rooms.keys()];
    if (ids.length === 0 || this.closed) return;
    try {
      const heads = await this.options.heads(ids);
      for (const [id, head] of heads) {
        const room = this.rooms.get(id);
        if (room && [...room].some((s) => !s.stalled && s.cursor < head)) this.wake(id);
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
