import { createHash } from 'node:crypto';
import { inflateSync, crc32 } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MalformedImage, stripJpeg, stripPng, stripWebp } from '../src/modules/evidence/evidence.metadata.js';
import { adminLogin, fund, setupCommunity, startHarness, type Community, type Harness, type Person } from './support/harness.js';
import { GPS_MARK, jpeg, pdf, png, PNG_ROWS, PNG_SIGNATURE, webp } from './support/images.js';
import { evidenceId, upload as uploadTo } from './support/evidence.js';
import { approve, problem, repair, twoKeys } from './support/spending.js';
import { DIGEST_EXAMPLE } from '../src/modules/spending/spending.digest-docs.js';
import { spendDigest } from '../src/modules/spending/spending.digest.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const upload = (c: { id: string }, who: { token: string }, bytes: Buffer, contentType: string | null) => uploadTo(h.app, c, who, bytes, contentType);

function download(c: { id: string }, who: { token: string }, id: string, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'GET', url: `/v1/communities/${c.id}/attachments/${id}`, headers: { authorization: `Bearer ${who.token}`, ...headers } });
}

async function storedCount(c: { id: string }): Promise<{ uploads: number; blobs: number }> {
  const { rows } = await sql<{ uploads: number; blobs: number }>`
    SELECT (SELECT count(*) FROM attachments WHERE community_id = ${c.id})::int AS uploads,
           (SELECT count(*) FROM attachment_blobs WHERE community_id = ${c.id})::int AS blobs`.execute(h.db);
  return rows[0]!;
}

/** The segments of a JPEG up to its scan, as [marker, payload]. */
function jpegSegments(bytes: Buffer): Array<[number, Buffer]> {
  const segments: Array<[number, Buffer]> = [];
  let at = 2;
  while (at < bytes.length) {
    const marker = bytes[at + 1]!;
    const length = bytes.readUInt16BE(at + 2);
    segments.push([marker, bytes.subarray(at + 4, at + 2 + length)]);
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return segments;
}

function pngChunks(bytes: Buffer): Array<{ type: string; data: Buffer; crcOk: boolean }> {
  const chunks = [];
  let at = 8;
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const crcOk = bytes.readUInt32BE(at + 8 + length) === crc32(bytes.subarray(at + 4, at + 8 + length));
    chunks.push({ type, data, crcOk });
    at += 12 + length;
  }
  return chunks;
}

describe('a photo’s location never leaves the phone’s owner: EXIF stripped on real bytes', () => {
  it('JPEG: the Exif APP1 block with its GPS IFD, and XMP, are gone; JFIF, tables and scan are intact', () => {
    const taken = jpeg({ exif: true, xmp: true });
    expect(taken.includes(GPS_MARK)).toBe(true);
    const stored = stripJpeg(taken);
    expect(stored.includes(GPS_MARK)).toBe(false);
    expect(stored.includes(Buffer.from('Exif\0\0'))).toBe(false);
    expect(stored.includes(Buffer.from('GPSLatitude'))).toBe(false);
    // Exactly the same picture, segment for segment, ending with the same scan and EOI.
    expect(stored.equals(jpeg())).toBe(true);
    expect(jpegSegments(stored).map(([m]) => m)).toEqual([0xe0, 0xdb, 0xc0, 0xc4, 0xda]);
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(stored.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  });

  it('PNG: the eXIf chunk and XMP text are gone; every other chunk keeps its CRC and the pixels inflate the same', () => {
    const stored = stripPng(png({ exif: true, xmpText: true }));
    expect(stored.includes(GPS_MARK)).toBe(false);
    expect(stored.equals(png())).toBe(true);
    const chunks = pngChunks(stored);
    expect(stored.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    expect(inflateSync(chunks.find((c) => c.type === 'IDAT')!.data)).toEqual(PNG_ROWS);
  });

  it('WebP: the EXIF chunk is gone, its VP8X flag cleared and the RIFF size told again; the bitstream is untouched', () => {
    const taken = webp({ exif: true });
    const stored = stripWebp(taken);
    expect(stored.includes(GPS_MARK)).toBe(false);
    expect(stored.equals(webp())).toBe(true);
    expect(stored.readUInt32LE(4)).toBe(stored.length - 8);
    expect(stored.toString('latin1', 12, 16)).toBe('VP8X');
    expect(stored[20]! & 0x08).toBe(0);
    expect(stored.includes(Buffer.from('VP8L'))).toBe(true);
  });

  it('a file with nothing to strip comes back as the very same bytes', () => {
    for (const [strip, clean] of [[stripJpeg, jpeg()], [stripPng, png()], [stripWebp, webp()]] as const) {
      expect(strip(clean)).toBe(clean);
    }
  });

  it('an image whose structure does not parse is refused rather than stored half-stripped', () => {
    const cut = jpeg({ exif: true }).subarray(0, 30);
    expect(() => stripJpeg(cut)).toThrow(MalformedImage);
    expect(() => stripPng(png().subarray(0, 40))).toThrow(MalformedImage);
    const lying = webp({ exif: true });
    lying.writeUInt32LE(lying.length * 2, 4);
    expect(() => stripWebp(lying)).toThrow(MalformedImage);
  });
});

describe('a manager uploads a quote and a photo; every member can see them', () => {
  let c: Community;
  beforeAll(async () => {
    c = await setupCommunity(h.app);
  });

  it('a photo with GPS is stored without it: 201 with the stored bytes’ hash and size', async () => {
    const taken = jpeg({ exif: true });
    const reply = await upload(c, c.manager, taken, 'image/jpeg');
    expect(reply.status).toBe(201);
    const clean = jpeg();
    expect(reply.body).toEqual({
      id: expect.any(String),
      sha256: sha256(clean),
      size: clean.length,
      contentType: 'image/jpeg',
      uploadedBy: c.manager.id,
      uploadedAt: expect.any(String),
    });
    expect(reply.headers.location).toBe(`/v1/communities/${c.id}/attachments/${reply.body.id}`);

    const seen = await download(c, c.owner, reply.body.id);
    expect(seen.statusCode).toBe(200);
    expect(seen.rawPayload.equals(clean)).toBe(true);
    expect(seen.rawPayload.includes(GPS_MARK)).toBe(false);
    expect(seen.headers['content-type']).toBe('image/jpeg');
    expect(seen.headers['content-disposition']).toMatch(/^inline/);
    expect(seen.headers['x-content-type-options']).toBe('nosniff');
    expect(seen.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(seen.headers['content-security-policy']).toMatch(/sandbox/);
    expect(seen.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(seen.headers.etag).toBe(`"${sha256(clean)}"`);
    const again = await download(c, c.supervisor, reply.body.id, { 'if-none-match': `"${sha256(clean)}"` });
    expect(again.statusCode).toBe(304);
  });

  it('PNG and WebP lose their EXIF too; a PDF invoice is stored exactly as sent', async () => {
    for (const [taken, clean, type] of [
      [png({ exif: true }), png(), 'image/png'],
      [webp({ exif: true }), webp(), 'image/webp'],
      [pdf(), pdf(), 'application/pdf'],
      [png(), png(), 'image/png; charset=binary'],
    ] as const) {
      const reply = await upload(c, c.owner, taken, type);
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ sha256: sha256(clean), size: clean.length, contentType: type.split(';')[0] });
      const seen = await download(c, c.cosigners[0], reply.body.id);
      expect(seen.rawPayload.equals(clean)).toBe(true);
    }
  });

  it('the same file uploaded twice is two uploads of one stored copy', async () => {
    const fresh = await setupCommunity(h.app);
    const first = await upload(fresh, fresh.manager, pdf(), 'application/pdf');
    const second = await upload(fresh, fresh.owner, pdf(), 'application/pdf');
    expect(first.body.id).not.toBe(second.body.id);
    expect(first.body.sha256).toBe(second.body.sha256);
    expect(second.body.uploadedBy).toBe(fresh.owner.id);
    expect(await storedCount(fresh)).toEqual({ uploads: 2, blobs: 1 });
  });

  it('a file of 3 MiB is taken (the 10 MiB limit is this route’s), while other routes keep 1 MiB', async () => {
    const big = Buffer.concat([pdf(), Buffer.alloc(3 * 1024 * 1024, 0x20)]);
    const reply = await upload(c, c.manager, big, 'application/pdf');
    expect(reply.status).toBe(201);
    expect(reply.body.size).toBe(big.length);
    const json = await c.manager.api.post(`/v1/communities/${c.id}/income`, { category: 'other', amount: '1', payer: 'x'.repeat(2 * 1024 * 1024) });
    problem(json, 413, 'payload_too_large');
    expect(json.body.detail).toMatch(/1 MiB/);
  });
});

describe('bad uploads are refused with a clear problem, and nothing is stored', () => {
  let c: Community;
  beforeAll(async () => {
    c = await setupCommunity(h.app);
  });

  const refusals: Array<[string, () => Buffer, string | null, number, string]> = [
    ['a PNG declared as a JPEG', () => png(), 'image/jpeg', 400, 'validation_failed'],
    ['an HTML page declared as a PDF', () => Buffer.from('<html><script>alert(1)</script></html>'), 'application/pdf', 400, 'validation_failed'],
    ['a JPEG declared as WebP', () => jpeg(), 'image/webp', 400, 'validation_failed'],
    ['a GIF, a type not taken', () => Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif', 400, 'validation_failed'],
    ['an SVG, which can carry script', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 400, 'validation_failed'],
    ['text', () => Buffer.from('hello'), 'text/plain', 400, 'validation_failed'],
    ['JSON', () => Buffer.from('{"a":1}'), 'application/json', 400, 'validation_failed'],
    ['no Content-Type at all', () => jpeg(), null, 400, 'validation_failed'],
    ['an empty body', () => Buffer.alloc(0), 'image/png', 400, 'validation_failed'],
    ['a JPEG cut off inside its EXIF block', () => jpeg({ exif: true }).subarray(0, 40), 'image/jpeg', 400, 'validation_failed'],
    ['a file one byte over 10 MiB', () => Buffer.concat([pdf(), Buffer.alloc(10 * 1024 * 1024 + 1 - pdf().length)]), 'application/pdf', 413, 'payload_too_large'],
  ];

  for (const [story, bytes, type, status, code] of refusals) {
    it(`${story}: ${status} ${code}`, async () => {
      const reply = await upload(c, c.manager, bytes(), type);
      expect({ status: reply.status, code: reply.body.code }).toEqual({ status, code });
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (status === 413) expect(reply.body.detail).toMatch(/10 MiB/);
    });
  }

  it('after all of them the community holds no file', async () => {
    expect(await storedCount(c)).toEqual({ uploads: 0, blobs: 0 });
  });
});

describe('evidence belongs to its community', () => {
  it('another community’s member can neither read nor upload: 404 as if it did not exist', async () => {
    const [a, b] = await Promise.all([setupCommunity(h.app), setupCommunity(h.app)]);
    const mine = await upload(a, a.manager, jpeg(), 'image/jpeg');
    expect(mine.status).toBe(201);
    const stranger: Person = b.manager;
    problem(toReply(await download(a, stranger, mine.body.id)), 404, 'not_found');
    problem(toReply(await download(b, b.manager, mine.body.id)), 404, 'not_found');
    const intrusion = await upload(a, stranger, jpeg(), 'image/jpeg');
    expect({ status: intrusion.status, code: intrusion.body.code }).toEqual({ status: 404, code: 'not_found' });
    problem(toReply(await download(a, a.owner, 'no-such-attachment')), 404, 'not_found');
    expect((await download(a, { token: 'forged' }, mine.body.id)).statusCode).toBe(401);
  });

  it('the platform admin administers communities but uploads no evidence: 403', async () => {
    const c = await setupCommunity(h.app);
    const reply = await upload(c, { token: await adminLogin(h.app) }, jpeg(), 'image/jpeg');
    expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 403, code: 'forbidden' });
  });

  it('stored files never change: the database refuses an UPDATE, a DELETE and bytes that do not match their hash', async () => {
    const c = await setupCommunity(h.app);
    const up = await upload(c, c.manager, pdf(), 'application/pdf');
    await expect(sql`UPDATE attachment_blobs SET bytes = 'x' WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM attachments WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    await expect(
      sql`INSERT INTO attachment_blobs (community_id, sha256, size, bytes) VALUES (${c.id}, ${'0'.repeat(64)}, 1, 'x')`.execute(h.db),
    ).rejects.toThrow(/attachment_blobs_addressed/);
    const seen = await download(c, c.owner, up.body.id);
    expect(seen.rawPayload.equals(pdf())).toBe(true);
  });
});

function toReply(response: Awaited<ReturnType<typeof download>>) {
  return { status: response.statusCode, body: response.json(), headers: response.headers, text: response.body };
}


describe('evidence under the keys: a co-signer signs the quote and the photo it sees', () => {
  const spendUrl = (c: Community) => `/v1/communities/${c.id}/spend-requests`;

  async function fundedWithEvidence() {
    const c = await setupCommunity(h.app);
    await fund(c, '10000.00');
    const quote = await evidenceId(h.app, c, c.manager, pdf(), 'application/pdf');
    const photo = await evidenceId(h.app, c, c.owner, jpeg({ exif: true }), 'image/jpeg');
    return { c, quote, photo };
  }

  it('submitted with a quote and a photo, approved under xinyi-spend/v2, paid with the invoice and the slip', async () => {
    const { c, quote, photo } = await fundedWithEvidence();
    const submitted = await c.manager.api.post(spendUrl(c), repair({ attachments: [quote, photo] }));
    expect(submitted.status).toBe(201);
    const request = submitted.body;
    expect(request.attachments).toEqual([
      { id: quote, sha256: sha256(pdf()), size: pdf().length, contentType: 'application/pdf' },
      { id: photo, sha256: sha256(jpeg()), size: jpeg().length, contentType: 'image/jpeg' },
    ]);
    expect(request.timeline[0]).toMatchObject({ event: 'submitted', attachments: request.attachments });
    // The digest covers the fields and each hash in order, exactly as documented.
    const fields = {
      id: request.id, communityId: c.id, amount: '1280.50', account: '5105', payeeName: 'Hangzhou Pump Repair Co.',
      payeeAccount: '62220212345678901234', title: 'Replace the pump of building 3', description: 'Quote attached; the old pump leaks.', budgetYear: 2026,
    };
    const text = `xinyi-spend/v2;${[fields.id, fields.communityId, fields.amount, fields.account, fields.payeeName, fields.payeeAccount, fields.title, fields.description, '2026']
      .map((v) => `${Buffer.byteLength(v)}:${v};`)
      .join('')}~;64:${sha256(pdf())};64:${sha256(jpeg())};`;
    expect(request.digest).toBe(sha256(Buffer.from(text, 'utf8')));
    expect(request.digest).toBe(spendDigest(fields, { repairId: null, attachments: [sha256(pdf()), sha256(jpeg())] }));
    // The same evidence in another order is another digest: the key covers the order shown.
    expect(spendDigest(fields, { repairId: null, attachments: [sha256(jpeg()), sha256(pdf())] })).not.toBe(request.digest);

    await twoKeys(c, request);
    const invoice = await evidenceId(h.app, c, c.manager, Buffer.concat([pdf(), Buffer.from('% invoice\n')]), 'application/pdf');
    const slip = await evidenceId(h.app, c, c.manager, png(), 'image/png');
    const paid = await c.manager.api.post(`${spendUrl(c)}/${request.id}/payout`, { bankReference: 'ICBC-7', attachments: [invoice, slip] }, { 'idempotency-key': 'payout-1' });
    expect(paid.status).toBe(200);
    const paidStep = paid.body.timeline.find((e: any) => e.event === 'paid');
    expect(paidStep.attachments.map((a: any) => a.id)).toEqual([invoice, slip]);
    expect(paid.body.attachments.map((a: any) => a.id)).toEqual([quote, photo]);
    expect(paid.body.digest).toBe(request.digest);
    // A retry of the payout replays; the same key with other evidence is a conflict.
    const replay = await c.manager.api.post(`${spendUrl(c)}/${request.id}/payout`, { bankReference: 'ICBC-7', attachments: [invoice, slip] }, { 'idempotency-key': 'payout-1' });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await c.manager.api.post(`${spendUrl(c)}/${request.id}/payout`, { bankReference: 'ICBC-7', attachments: [slip] }, { 'idempotency-key': 'payout-1' });
    problem(other, 422, 'idempotency_conflict');

    const tracked = await c.owner.api.get(`/v1/track/${request.trackingNo}`);
    expect(tracked.body.attachments.map((a: any) => a.id)).toEqual([quote, photo]);
    expect(tracked.body.timeline.map((e: any) => [e.event, (e.attachments ?? []).length])).toEqual([
      ['submitted', 2], ['key', 0], ['key', 0], ['approved', 0], ['paid', 2],
    ]);
  });

  it('a request without evidence keeps xinyi-spend/v1, as every request made before evidence existed', async () => {
    const { c } = await fundedWithEvidence();
    const request = (await c.manager.api.post(spendUrl(c), repair({ description: undefined }))).body;
    expect(request.attachments).toEqual([]);
    const text = `xinyi-spend/v1;${[request.id, c.id, '1280.50', '5105', 'Hangzhou Pump Repair Co.', '62220212345678901234', 'Replace the pump of building 3']
      .map((v) => `${Buffer.byteLength(v)}:${v};`)
      .join('')}~;4:2026;`;
    expect(request.digest).toBe(sha256(Buffer.from(text, 'utf8')));
    expect(request.timeline[0]).not.toHaveProperty('attachments');
  });

  it('the worked example in the OpenAPI description recomputes from its text alone', async () => {
    expect(sha256(Buffer.from(DIGEST_EXAMPLE.canonical, 'utf8'))).toBe(DIGEST_EXAMPLE.digest);
    expect(spendDigest(DIGEST_EXAMPLE.fields, DIGEST_EXAMPLE.evidence)).toBe(DIGEST_EXAMPLE.digest);
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const description: string = doc.paths['/v1/communities/{cid}/spend-requests'].post.description;
    expect(description).toContain(DIGEST_EXAMPLE.canonical);
    expect(description).toContain(DIGEST_EXAMPLE.digest);
    expect(description).toContain('xinyi-spend/v1');
  });

  it('bad evidence lists are refused and nothing is stored or reserved', async () => {
    const { c, quote } = await fundedWithEvidence();
    const elsewhere = await setupCommunity(h.app);
    const foreign = await evidenceId(h.app, elsewhere, elsewhere.manager, pdf(), 'application/pdf');
    const many = await Promise.all(Array.from({ length: 21 }, (_, i) => evidenceId(h.app, c, c.manager, Buffer.concat([pdf(), Buffer.from(`%${i}`)]), 'application/pdf')));
    problem(await c.manager.api.post(spendUrl(c), repair({ attachments: many })), 400, 'validation_failed');
    problem(await c.manager.api.post(spendUrl(c), repair({ attachments: [quote, quote] })), 400, 'validation_failed');
    problem(await c.manager.api.post(spendUrl(c), repair({ attachments: [quote, foreign] })), 404, 'not_found');
    problem(await c.manager.api.post(spendUrl(c), repair({ attachments: ['no-such-file'] })), 404, 'not_found');
    problem(await c.manager.api.post(spendUrl(c), repair({ attachments: [7] })), 400, 'validation_failed');
    expect((await c.owner.api.get(spendUrl(c))).body.items).toEqual([]);
    expect((await c.owner.api.get(`/v1/communities/${c.id}/fund`)).body.reserved).toBe('0.00');

    // A payout naming foreign evidence is refused and the request stays approved, unpaid.
    const request = (await c.manager.api.post(spendUrl(c), repair({ attachments: many.slice(0, 20) }))).body;
    expect(request.attachments).toHaveLength(20);
    await twoKeys(c, request);
    problem(await c.manager.api.post(`${spendUrl(c)}/${request.id}/payout`, { bankReference: 'B-1', attachments: [foreign] }), 404, 'not_found');
    expect((await c.owner.api.get(`${spendUrl(c)}/${request.id}`)).body.status).toBe('approved');
  });

  it('the signed evidence is fixed: the database refuses a link added to the submitted step later', async () => {
    const { c, quote, photo } = await fundedWithEvidence();
    const request = (await c.manager.api.post(spendUrl(c), repair({ attachments: [quote] }))).body;
    await approve(c, c.cosigners[0], request);
    await expect(
      sql`INSERT INTO spend_attachments (community_id, request_id, step, position, attachment_id) VALUES (${c.id}, ${request.id}, 1, 2, ${photo})`.execute(h.db),
    ).rejects.toThrow(/latest step/);
    await expect(sql`DELETE FROM spend_attachments WHERE community_id = ${c.id}`.execute(h.db)).rejects.toThrow(/append-only/);
  });
});
