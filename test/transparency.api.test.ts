import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransparencyService } from '../src/modules/transparency/transparency.service.js';
import { inclusionRanges, consistencyRanges, leafHash, rootOf, verifyConsistency, verifyInclusion, type LeafRange } from '../src/shared/merkle.js';
import { formatVerifierKey, fromBase64, NoteError, openCheckpoint, parseVerifierKey, type Checkpoint, type VerifierKey } from '../src/shared/signed-note.js';
import { client, fund, setupCommunity, startHarness, type Community, type Harness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

/**
 * Verifiable books, end to end through the API (API.md "Verifiable books"): an owner takes the
 * published key, the community's signed checkpoint, its entries with their leaves, and the
 * proofs, and checks them with nothing but src/shared (what the verifier and the web app
 * use). The tree behind them is the server's stored one, appended in the background.
 */

let h: Harness;
let key: VerifierKey;
beforeAll(async () => {
  h = await startHarness();
  const reply = await client(h.app).get('/v1/transparency/key');
  key = parseVerifierKey(reply.text);
});
afterAll(() => h?.close());

const sha256hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function checkpointOf(c: Community): Promise<{ note: string; checkpoint: Checkpoint }> {
  const reply = await c.owner.api.get(`/v1/communities/${c.id}/ledger/checkpoint`);
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain/);
  return { note: reply.text, checkpoint: await openCheckpoint(reply.text, [key], { origin: `${key.name}/${c.id}` }) };
}

async function allEntries(c: Community): Promise<any[]> {
  const items: any[] = [];
  for (let after: string | null = null; ; ) {
    const reply: any = await c.owner.api.get(`/v1/communities/${c.id}/entries?limit=500${after ? `&after=${after}` : ''}`);
    expect(reply.status).toBe(200);
    items.push(...reply.body.items);
    after = reply.body.nextAfter;
    if (!after) return items;
  }
}

/** The size of the stored tree, read from the database: what the background appender has done. */
async function storedSize(communityId: string): Promise<number> {
  const { rows } = await sql<{ size: string }>`SELECT size FROM transparency_heads WHERE community_id = ${communityId}`.execute(h.db);
  return rows[0] ? Number(rows[0].size) : -1;
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function income(c: Community, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await fund(c, `${(i % 97) + 1}.${String(i % 100).padStart(2, '0')}`);
}

describe('the checkpoint, the key and the leaves', () => {
  it('a new community has a signed checkpoint of size 0 whose root is SHA-256 of the empty string', async () => {
    const c = await setupCommunity(h.app);
    const entries = await allEntries(c);
    const { note, checkpoint } = await checkpointOf(c);
    expect(checkpoint.size).toBe(entries.length);
    if (entries.length === 0) expect(Buffer.from(checkpoint.root).toString('hex')).toBe(createHash('sha256').update('').digest('hex'));
    expect(note.split('\n').slice(0, 3)).toEqual([`${key.name}/${c.id}`, String(checkpoint.size), b64(checkpoint.root)]);
    expect(note).toMatch(new RegExp(`\\n\\n\u2014 ${key.name.replace(/\./g, '\\.')} [A-Za-z0-9+/]+=*\\n$`));
  });

  it('the key is public, in vkey form, and the same on every call', async () => {
    const first = await client(h.app).get('/v1/transparency/key');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/plain/);
    expect(first.text.trim()).toMatch(/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]=?$/);
    expect((await client(h.app).get('/v1/transparency/key')).text).toBe(first.text);
  });

  it('every entry carries its leaf (SHA-256 of it is its hash) and leafIndex seq - 1; the checkpoint root is the tree of the leaves', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 5);
    const entries = await allEntries(c);
    expect(entries.length).toBeGreaterThanOrEqual(5);
    for (const e of entries) {
      expect(sha256hex(Buffer.from(e.leaf, 'base64'))).toBe(e.hash);
      expect(e.leafIndex).toBe(e.seq - 1);
      expect(Buffer.from(e.leaf, 'base64').toString('utf8')).toContain(`${e.id.length}:${e.id};`);
    }
    const { checkpoint } = await checkpointOf(c);
    expect(checkpoint.size).toBe(entries.length);
    expect(b64(checkpoint.root)).toBe(b64(rootOf(entries.map((e) => leafHash(Buffer.from(e.leaf, 'base64'))))));
  });

  it('a checkpoint covers new entries within a few seconds without anyone asking for it (the background appender)', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 3);
    const total = (await allEntries(c)).length;
    await until('the stored tree', () => storedSize(c.id), (size) => size === total);
    await income(c, 4);
    await until('the stored tree', () => storedSize(c.id), (size) => size === total + 4);
    const { rows } = await sql<{ checkpoint: string }>`SELECT checkpoint FROM transparency_heads WHERE community_id = ${c.id}`.execute(h.db);
    expect((await openCheckpoint(rows[0]!.checkpoint, [key])).size).toBe(total + 4);
  });
});

describe('proofs', () => {
  let c: Community;
  let leaves: Uint8Array[];
  beforeAll(async () => {
    c = await setupCommunity(h.app);
    // Appended in bursts of different sizes, so the stored tree was extended from many frontiers.
    for (const burst of [1, 2, 5, 9, 16, 3]) {
      await income(c, burst);
      const total = (await allEntries(c)).length;
      await until('the stored tree', () => storedSize(c.id), (size) => size === total);
    }
    leaves = (await allEntries(c)).map((e) => leafHash(Buffer.from(e.leaf, 'base64')));
  });

  const naive = (ranges: LeafRange[]) => ranges.map((r) => b64(rootOf(leaves.slice(r.start, r.end))));

  it('inclusion and consistency proofs equal those of a naive tree over the leaves, and verify, for random sizes', async () => {
    const { checkpoint } = await checkpointOf(c);
    expect(checkpoint.size).toBe(leaves.length);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: leaves.length }), fc.nat(), fc.nat(), async (treeSize, a, b) => {
        const seq = (a % treeSize) + 1;
        const inclusion = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/inclusion?seq=${seq}&treeSize=${treeSize}`);
        expect(inclusion.status).toBe(200);
        expect(inclusion.body).toEqual({ seq, leafIndex: seq - 1, treeSize, leafHash: b64(leaves[seq - 1]!), hashes: naive(inclusionRanges(seq - 1, treeSize)) });
        const root = rootOf(leaves.slice(0, treeSize));
        expect(verifyInclusion(seq - 1, treeSize, leaves[seq - 1]!, inclusion.body.hashes.map((x: string) => fromBase64(x)!), root)).toBe(true);

        const from = b % (treeSize + 1);
        const consistency = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/consistency?from=${from}&to=${treeSize}`);
        expect(consistency.status).toBe(200);
        expect(consistency.body).toEqual({ from, to: treeSize, hashes: naive(consistencyRanges(from, treeSize)) });
        const proof = consistency.body.hashes.map((x: string) => fromBase64(x)!);
        expect(verifyConsistency(from, treeSize, rootOf(leaves.slice(0, from)), root, proof)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a proof against the checkpoint: my payment is in the books I was shown, and today’s books extend last month’s', async () => {
    const before = (await checkpointOf(c)).checkpoint;
    await income(c, 2);
    const entries = await allEntries(c);
    const after = (await checkpointOf(c)).checkpoint;
    expect(after.size).toBe(entries.length);
    const mine = entries.at(-1)!;
    const inclusion = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/inclusion?seq=${mine.seq}&treeSize=${after.size}`);
    const leaf = leafHash(Buffer.from(mine.leaf, 'base64'));
    expect(verifyInclusion(mine.leafIndex, after.size, leaf, inclusion.body.hashes.map((x: string) => fromBase64(x)!), after.root)).toBe(true);
    const consistency = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/consistency?from=${before.size}&to=${after.size}`);
    expect(verifyConsistency(before.size, after.size, before.root, after.root, consistency.body.hashes.map((x: string) => fromBase64(x)!))).toBe(true);
    // A changed leaf is not in the tree: the entry's bytes are what the checkpoint pins.
    const forged = Buffer.from(mine.leaf, 'base64');
    forged[forged.length - 2]! ^= 1;
    expect(verifyInclusion(mine.leafIndex, after.size, leafHash(forged), inclusion.body.hashes.map((x: string) => fromBase64(x)!), after.root)).toBe(false);
  });

  it('bad parameters are 400 validation_failed', async () => {
    const size = (await checkpointOf(c)).checkpoint.size;
    const base = `/v1/communities/${c.id}/ledger/proof`;
    for (const query of [
      '', 'seq=1', 'treeSize=1', 'seq=0&treeSize=1', `seq=1&treeSize=0`, `seq=2&treeSize=1`, `seq=1&treeSize=${size + 1}`, 'seq=-1&treeSize=3',
      'seq=1.5&treeSize=3', 'seq=abc&treeSize=3', 'seq=1&treeSize=1e400', `seq=1&treeSize=9007199254740993`, 'seq=&treeSize=',
    ]) {
      expectProblem(await c.owner.api.get(`${base}/inclusion?${query}`), 400, 'validation_failed');
    }
    for (const query of ['', 'from=1', 'to=1', 'from=2&to=1', `from=0&to=${size + 1}`, `from=${size + 1}&to=${size + 1}`, 'from=-1&to=1', 'from=x&to=1', 'from=0.5&to=1']) {
      expectProblem(await c.owner.api.get(`${base}/consistency?${query}`), 400, 'validation_failed');
    }
    expect((await c.owner.api.get(`${base}/consistency?from=0&to=0`)).body).toEqual({ from: 0, to: 0, hashes: [] });
    expect((await c.owner.api.get(`${base}/consistency?from=${size}&to=${size}`)).body).toEqual({ from: size, to: size, hashes: [] });
  });

  it('outsiders get 404 for every route, the anonymous 401; every member may read', async () => {
    const other = await setupCommunity(h.app);
    const paths = ['ledger/checkpoint', 'ledger/proof/inclusion?seq=1&treeSize=1', 'ledger/proof/consistency?from=0&to=1'];
    for (const path of paths) {
      expectProblem(await other.owner.api.get(`/v1/communities/${c.id}/${path}`), 404, 'not_found');
      expectProblem(await other.manager.api.get(`/v1/communities/${c.id}/${path}`), 404, 'not_found');
      expectProblem(await client(h.app).get(`/v1/communities/${c.id}/${path}`), 401, 'unauthenticated');
      expectProblem(await c.owner.api.get(`/v1/communities/nosuchcommunity/${path}`), 404, 'not_found');
      for (const member of [c.owner, c.manager, c.supervisor, c.cosigners[0]]) expect((await member.api.get(`/v1/communities/${c.id}/${path}`)).status).toBe(200);
    }
  });
});

describe('forgeries and tampering are caught', () => {
  it('a checkpoint with a changed size or root, another key, or another origin does not open', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 3);
    const { note, checkpoint } = await checkpointOf(c);
    const lines = note.split('\n');
    const changedSize = [lines[0], String(checkpoint.size + 1), ...lines.slice(2)].join('\n');
    const otherRoot = b64(rootOf([leafHash(Buffer.from('forged'))]));
    const changedRoot = [lines[0], lines[1], otherRoot, ...lines.slice(3)].join('\n');
    await expect(openCheckpoint(changedSize, [key])).rejects.toThrow(NoteError);
    await expect(openCheckpoint(changedRoot, [key])).rejects.toThrow(/does not verify/);
    // A note signed by another key under the same name is not this log's.
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    const impostor = parseVerifierKey(formatVerifierKey(key.name, raw));
    const text = `${lines.slice(0, 3).join('\n')}\n`;
    const forged = `${text}\n\u2014 ${key.name} ${b64(Buffer.concat([impostor.keyId, sign(null, Buffer.from(text), privateKey)]))}\n`;
    await expect(openCheckpoint(forged, [key])).rejects.toThrow(/no signature from a known key/);
    expect((await openCheckpoint(forged, [impostor])).size).toBe(checkpoint.size);
    await expect(openCheckpoint(note, [key], { origin: `${key.name}/someone-else` })).rejects.toThrow(/origin/);
  });

  it('an entry changed in the database after the fact is no longer in the checkpointed tree, and /ledger/verify?full=true names it', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 4);
    const total = (await allEntries(c)).length;
    const { checkpoint } = await checkpointOf(c);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`)).body).toMatchObject({ ok: true, entries: total });
    // Someone with the database's keys rewrites entry 2's memo, past the append-only trigger.
    await h.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`UPDATE entries SET memo = memo || ' (edited)' WHERE community_id = ${c.id} AND seq = 2`.execute(tx);
    });
    const entry = (await allEntries(c)).find((e) => e.seq === 2)!;
    const proof = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/inclusion?seq=2&treeSize=${checkpoint.size}`);
    expect(proof.status, proof.text).toBe(200);
    const hashes = proof.body.hashes.map((x: string) => fromBase64(x)!);
    expect(verifyInclusion(1, checkpoint.size, leafHash(Buffer.from(entry.leaf, 'base64')), hashes, checkpoint.root)).toBe(false);
    expect(sha256hex(Buffer.from(entry.leaf, 'base64'))).not.toBe(entry.hash);
    const full = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify?full=true`);
    expect(full.body.ok).toBe(false);
    expect(full.body.problems).toContain('entry 2 does not match its hash');
  });

  it('the appender stops before an entry whose bytes do not hash to its stored hash, and the checkpoint never claims it', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 2);
    const good = (await allEntries(c)).length;
    await until('the stored tree', () => storedSize(c.id), (size) => size === good);
    // Hold the tree's lock (every appender skips it) while an entry is posted and then changed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = h.db.transaction().execute(async (tx) => {
      await sql`SELECT 1 FROM transparency_heads WHERE community_id = ${c.id} FOR UPDATE`.execute(tx);
      locked();
      await held;
    });
    await isLocked;
    await income(c, 1);
    expect((await checkpointOf(c)).checkpoint.size).toBe(good);
    await h.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      await sql`UPDATE entries SET memo = 'rewritten' WHERE community_id = ${c.id} AND seq = ${good + 1}`.execute(tx);
    });
    release();
    await holder;
    await income(c, 1);
    // Two sweeps' time: the tree does not move past the changed entry.
    await new Promise((r) => setTimeout(r, 4_500));
    expect(await storedSize(c.id)).toBe(good);
    expect((await checkpointOf(c)).checkpoint.size).toBe(good);
  });
});

describe('the tree only grows', () => {
  it('the database refuses a head that shrinks, changes its root, claims an unstored leaf, or loses rows', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 3);
    const size = (await checkpointOf(c)).checkpoint.size;
    const attempt = (statement: ReturnType<typeof sql>) =>
      h.db.transaction().execute(async (tx) => {
        await statement.execute(tx);
      });
    await expect(attempt(sql`UPDATE transparency_heads SET size = size - 1 WHERE community_id = ${c.id}`)).rejects.toThrow(/never shrinks/);
    await expect(attempt(sql`UPDATE transparency_heads SET root = sha256('x'::bytea) WHERE community_id = ${c.id}`)).rejects.toThrow(/one root/);
    await expect(attempt(sql`UPDATE transparency_heads SET size = size + 5 WHERE community_id = ${c.id}`)).rejects.toThrow(/not stored/);
    await expect(attempt(sql`DELETE FROM transparency_heads WHERE community_id = ${c.id}`)).rejects.toThrow(/never deleted/);
    await expect(attempt(sql`UPDATE transparency_nodes SET hash = sha256('x'::bytea) WHERE community_id = ${c.id}`)).rejects.toThrow(/append-only/);
    await expect(attempt(sql`DELETE FROM transparency_nodes WHERE community_id = ${c.id}`)).rejects.toThrow(/append-only/);
    await expect(attempt(sql`TRUNCATE transparency_nodes`)).rejects.toThrow(/never truncated/);
    await expect(attempt(sql`UPDATE transparency_keys SET host = 'elsewhere'`)).rejects.toThrow(/fixed on first start/);
    expect(await storedSize(c.id)).toBe(size);
  });

  it('checkpoints read over time never go back, and each extends the one before', async () => {
    const c = await setupCommunity(h.app);
    let previous = (await checkpointOf(c)).checkpoint;
    for (let round = 0; round < 5; round++) {
      await income(c, round + 1);
      const next = (await checkpointOf(c)).checkpoint;
      expect(next.size).toBeGreaterThanOrEqual(previous.size);
      const proof = await c.owner.api.get(`/v1/communities/${c.id}/ledger/proof/consistency?from=${previous.size}&to=${next.size}`);
      expect(verifyConsistency(previous.size, next.size, previous.root, next.root, proof.body.hashes.map((x: string) => fromBase64(x)!))).toBe(true);
      previous = next;
    }
  });
});

describe('appenders in several processes', () => {
  it('two appenders racing (and the app’s own) build one tree: every leaf once, the root of all the leaves', async () => {
    const c = await setupCommunity(h.app);
    const { ledger, communities } = h.app.services;
    const quiet = { warn: () => undefined, error: (m: string) => console.error(m) };
    const first = createTransparencyService(h.db, { ledger, communities, host: key.name, log: quiet });
    const second = createTransparencyService(h.db, { ledger, communities, host: key.name, log: quiet });
    const posting = (async () => {
      for (let i = 0; i < 6; i++) await Promise.all(Array.from({ length: 25 }, (_, j) => fund(c, `${j + 1}.00`)));
    })();
    const race = async (s: typeof first) => {
      while (true) {
        await s.appender.catchUp(c.id, 1);
        if (await Promise.race([posting.then(() => true), new Promise((r) => setTimeout(() => r(false), 1))])) break;
      }
      await s.appender.catchUp(c.id, 10);
    };
    await Promise.all([posting, race(first), race(second)]);
    const entries = await allEntries(c);
    await until('the stored tree', () => storedSize(c.id), (size) => size === entries.length);
    const { checkpoint } = await checkpointOf(c);
    expect(checkpoint.size).toBe(entries.length);
    expect(b64(checkpoint.root)).toBe(b64(rootOf(entries.map((e) => leafHash(Buffer.from(e.leaf, 'base64'))))));
    const { rows } = await sql<{ level: number; n: string }>`
      SELECT level, count(*) AS n FROM transparency_nodes WHERE community_id = ${c.id} GROUP BY level ORDER BY level`.execute(h.db);
    for (const { level, n } of rows) expect(Number(n), `nodes at level ${level}`).toBe(Math.floor(entries.length / 2 ** level));
  });
});

describe('/ledger/verify from the last verification', () => {
  it('counts every entry, starts where the last good check ended, and re-checks all with full=true', async () => {
    const c = await setupCommunity(h.app);
    await income(c, 3);
    const first = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`);
    expect(first.body).toMatchObject({ ok: true, problems: [] });
    const { rows } = await sql<{ seq: string }>`SELECT seq FROM transparency_verified WHERE community_id = ${c.id}`.execute(h.db);
    expect(Number(rows[0]!.seq)).toBe(first.body.entries);
    await income(c, 2);
    const second = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify`);
    expect(second.body).toMatchObject({ ok: true, entries: first.body.entries + 2 });
    const full = await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify?full=true`);
    expect(full.body).toEqual(second.body);
    expectProblem(await c.owner.api.get(`/v1/communities/${c.id}/ledger/verify?full=maybe`), 400, 'validation_failed');
  });
});
