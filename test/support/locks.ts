import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** A promise and the function that settles it: what a test holds shut and then opens. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Holds a community's head in a transaction of its own, as another writer would (a fee
 * payment, a billing run, another process's batch), until released; `other` settles when
 * that transaction has ended.
 */
export async function holdHead(db: Database, communityId: string): Promise<{ release: () => void; other: Promise<void> }> {
  const held = gate();
  const locked = gate();
  const other = db.transaction().execute(async (tx) => {
    await sql`SELECT 1 FROM community_heads WHERE community_id = ${communityId} FOR UPDATE`.execute(tx);
    locked.open();
    await held.opened;
  });
  await locked.opened;
  return { release: held.open, other };
}
