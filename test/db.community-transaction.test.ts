import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCommunityTransaction } from '../src/db/community-transaction.js';
import { afterCommit } from '../src/db/transaction.js';
import { startHarness, unique, type Harness } from './support/harness.js';

/**
 * The batched write path every money write of a community takes (src/db/community-transaction.ts):
 * work that arrives together shares one transaction and one commit, each item in a savepoint,
 * so one refused item is undone and answered alone while the others are kept.
 */
describe('a community’s writes share one transaction', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    // A scratch table of this test's own, in a schema of its own (the suite shares one
    // database, and the architecture test reads every table of `public`): no money is touched.
    await sql`CREATE SCHEMA IF NOT EXISTS community_batch_probe`.execute(h.db);
    await sql`CREATE TABLE IF NOT EXISTS community_batch_probe.batch_probe (community_id text NOT NULL, label text NOT NULL,
              txid bigint NOT NULL, PRIMARY KEY (community_id, label))`.execute(h.db);
  });
  afterAll(async () => {
    await sql`DROP SCHEMA IF EXISTS community_batch_probe CASCADE`.execute(h.db);
    await h?.close();
  });

  const write = (communityId: string, label: string, options: { fail?: boolean; onCommit?: () => void } = {}) =>
    inCommunityTransaction(h.db, communityId, async (tx) => {
      const { rows } = await sql<{ txid: string }>`INSERT INTO community_batch_probe.batch_probe VALUES (${communityId}, ${label}, txid_current())
                                                   RETURNING txid::text`.execute(tx);
      if (options.onCommit) afterCommit(tx, options.onCommit);
      if (options.fail) throw new Error(`refused ${label}`);
      return rows[0]!.txid;
    });

  it('batches concurrent work of one community, and undoes a failing item alone', async () => {
    const community = unique('c');
    const committed: string[] = [];
    const labels = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const outcomes = await Promise.allSettled(
      labels.map((label, i) => write(community, label, { fail: i === 5, onCommit: () => committed.push(label) })),
    );
    expect(outcomes[5]).toMatchObject({ status: 'rejected', reason: { message: 'refused w5' } });
    const kept = labels.filter((_, i) => i !== 5);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(11);

    const { rows } = await sql<{ label: string; txid: string }>`SELECT label, txid::text FROM community_batch_probe.batch_probe
                                                                WHERE community_id = ${community} ORDER BY label`.execute(h.db);
    expect(rows.map((r) => r.label).sort()).toEqual([...kept].sort());
    // The first goes out alone; what arrived meanwhile shares the next transaction.
    expect(new Set(rows.map((r) => r.txid)).size).toBeLessThan(rows.length);
    // Each caller is told the transaction its own item committed in.
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') expect(outcome.value).toBe(rows.find((r) => r.label === labels[i])!.txid);
    }
    // Callbacks run after the commit, for the kept items only.
    expect(committed.sort()).toEqual([...kept].sort());
  });

  it('keeps communities apart: each has its own transactions', async () => {
    const [a, b] = [unique('a'), unique('b')];
    const txids = await Promise.all([write(a, 'x'), write(b, 'x'), write(a, 'y'), write(b, 'y')]);
    expect(new Set([txids[0], txids[2]]).has(txids[1]!)).toBe(false);
    expect(new Set([txids[0], txids[2]]).has(txids[3]!)).toBe(false);
  });

  it('retries each item alone when the database refuses the batch at commit', async () => {
    const community = unique('c');
    // A deferred check that fails at commit for one label only: the batch rolls back whole,
    // then each item is run again in a transaction of its own.
    await sql`
      CREATE OR REPLACE FUNCTION community_batch_probe.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.label = 'poison' THEN RAISE EXCEPTION 'poison refused at commit' USING ERRCODE = 'check_violation'; END IF;
        RETURN NULL;
      END $$;
      DROP TRIGGER IF EXISTS batch_probe_poison ON community_batch_probe.batch_probe;
      CREATE CONSTRAINT TRIGGER batch_probe_poison AFTER INSERT ON community_batch_probe.batch_probe DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION community_batch_probe.refuse_poison();`.execute(h.db);
    const labels = ['first', 'a', 'poison', 'b', 'c'];
    const outcomes = await Promise.allSettled(labels.map((label) => write(community, label)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ reason: { code: '23514' } });
    const { rows } = await sql<{ label: string }>`SELECT label FROM community_batch_probe.batch_probe WHERE community_id = ${community} ORDER BY label`.execute(h.db);
    expect(rows.map((r) => r.label)).toEqual(['a', 'b', 'c', 'first']);
  });
});
