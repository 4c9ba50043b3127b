import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../src/db/database.js';
import { afterCommit, inTransaction } from '../src/db/transaction.js';

let db: Database;
beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 2);
});
afterAll(() => db.destroy());

describe('afterCommit', () => {
  it('runs its callback once the transaction commits, never when it rolls back', async () => {
    const ran: string[] = [];
    await inTransaction(db, async (tx) => {
      afterCommit(tx, () => ran.push('committed'));
      await sql`SELECT 1`.execute(tx);
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['committed']);

    await expect(
      inTransaction(db, async (tx) => {
        afterCommit(tx, () => ran.push('rolled back'));
        throw new Error('the work fails');
      }),
    ).rejects.toThrow('the work fails');
    expect(ran).toEqual(['committed']);
  });

  it('refuses a transaction inTransaction did not open, instead of running the callback at once', async () => {
    let ran = false;
    await expect(
      db.transaction().execute(async (tx) => {
        afterCommit(tx, () => {
          ran = true;
        });
      }),
    ).rejects.toThrow(/Invariant broken: afterCommit/);
    expect(ran).toBe(false);
  });
});
