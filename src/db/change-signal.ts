import { sql } from 'kysely';
import type { Database } from './database.js';

export const FEED_CHANNEL = 'xinyi_feed';
const PAYLOAD_LIMIT = 7_000; // NOTIFY payloads must stay under 8,000 bytes.

/**
 * Tells every API process that a community's feed has new items. A NOTIFY in each posting
 * transaction would take PostgreSQL's global notify lock at every commit and halve
 * throughput (PERFORMANCE.md), so writers only mark communities as touched after their
 * commit, and one NOTIFY a few milliseconds later names all of them. Listeners also poll
 * slowly, so a process that dies between commit and NOTIFY delays an event, never loses it.
 */
export interface ChangeSignal {
  touched(communityId: string): void;
  close(): Promise<void>;
}

export function createChangeSignal(db: Database, delayMs = 5): ChangeSignal {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    const ids = [...pending];
    pending = new Set();
    inFlight = inFlight.then(async () => {
      for (const payload of chunk(ids)) {
        await sql`SELECT pg_notify(${FEED_CHANNEL}, ${payload})`.execute(db).catch(() => undefined);
      }
    });
  };

  return {
    touched(communityId) {
      pending.add(communityId);
      timer ??= setTimeout(flush, delayMs);
    },
    async close() {
      if (timer) {
        clearTimeout(timer);
        flush();
      }
      await inFlight;
    },
  };
}

function chunk(ids: string[]): string[] {
  const payloads: string[] = [];
  let current = '';
  for (const id of ids) {
    if (current.length + id.length + 1 > PAYLOAD_LIMIT) {
      payloads.push(current);
      current = '';
    }
    current = current ? `${current},${id}` : id;
  }
  if (current) payloads.push(current);
  return payloads;
}
