import fc from 'fast-check';

/**
 * Files for routes whose body is not JSON (evidence uploads): built from the formats' own
 * structure (JPEG segments, PNG chunks, a WebP's RIFF chunks, a PDF header), with lengths that
 * lie, containers cut short and metadata blocks where a parser strips them, and sent under
 * their own type, another declared type, or none.
 */
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** A length field that is right most of the time, and otherwise any value its width holds. */
const lying = (truth: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(truth) },
    fc.constantFrom(0, 1, 2, Math.max(0, truth - 1), Math.min(max, truth + 1), max),
    fc.integer({ min: 0, max }),
  );

const EXIF = Buffer.from('Exif\0\0', 'latin1');
const XMP = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');

const jpegSegment = fc
  .tuple(fc.constantFrom(0xe0, 0xe1, 0xe1, 0xdb, 0xc0, 0xc4, 0xfe, 0xda, 0xd9, 0xd0, 0x01, 0xff, 0x00), fc.constantFrom(Buffer.alloc(0), EXIF, XMP), bytes(40))
  .chain(([marker, id, data]) => {
    const payload = Buffer.concat([id, data]);
    return lying(payload.length + 2, 0xffff).map((length) => {
      const header = Buffer.from([0xff, marker, 0, 0]);
      header.writeUInt16BE(length, 2);
      return Buffer.concat([header, payload]);
    });
  });

const jpeg = fc
  .tuple(fc.array(jpegSegment, { maxLength: 6 }), fc.boolean(), bytes(30))
  .map(([segments, eoi, scan]) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...segments, scan, eoi ? Buffer.from([0xff, 0xd9]) : Buffer.alloc(0)]));

const pngChunk = fc
  .tuple(fc.constantFrom('IHDR', 'eXIf', 'tEXt', 'iTXt', 'zTXt', 'IDAT', 'IEND', 'abcd'), fc.constantFrom('', 'Raw profile type exif\0', 'XML:com.adobe.xmp\0', 'Comment\0'), bytes(40))
  .chain(([type, keyword, data]) => {
    const payload = Buffer.concat([Buffer.from(keyword, 'latin1'), data]);
    return lying(payload.length, 0xffffffff).map((length) => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(length, 0);
      header.write(type, 4, 'latin1');
      return Buffer.concat([header, payload, Buffer.alloc(4)]);
    });
  });

const png = fc
  .array(pngChunk, { maxLength: 6 })
  .map((chunks) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]));

const webpChunk = fc.tuple(fc.constantFrom('VP8X', 'VP8 ', 'VP8L', 'EXIF', 'XMP ', 'ALPH', 'ICCP'), bytes(31)).chain(([fourcc, data]) =>
  lying(data.length, 0xffffffff).map((size) => {
    const header = Buffer.alloc(8);
    header.write(fourcc, 0, 'latin1');
    header.writeUInt32LE(size, 4);
    return Buffer.concat([header, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  }),
);

const webp = fc.array(webpChunk, { maxLength: 5 }).chain((chunks) => {
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks]);
  return lying(body.length, 0xffffffff).map((size) => {
    const header = Buffer.from('RIFF\0\0\0\0', 'latin1');
    header.writeUInt32LE(size, 4);
    return Buffer.concat([header, body]);
  });
});

const pdf = fc.tuple(fc.constantFrom('%PDF-1.4\n', '%PDF-', '%PDF-2.0\r\n'), bytes(60), fc.constantFrom('', '\n%%EOF\n')).map(([head, data, tail]) => Buffer.concat([Buffer.from(head), data, Buffer.from(tail)]));

const FILES: Record<string, fc.Arbitrary<Buffer>> = { 'image/jpeg': jpeg, 'image/png': png, 'image/webp': webp, 'application/pdf': pdf };

/** A file and the type it is sent as: mostly its own, else another declared type, or an odd one. */
export function binaryBody(types: string[]): fc.Arbitrary<{ contentType?: string; payload: Buffer }> {
  const ownFormat = (type: string) => FILES[type] ?? bytes(100);
  const anyFile = fc.oneof(
    ...Object.values(FILES),
    bytes(100),
    fc.constantFrom(Buffer.alloc(0), Buffer.from([0xff]), Buffer.from([0xff, 0xd8]), Buffer.from('RIFF', 'latin1')),
  );
  const oddTypes = fc.constantFrom<string | undefined>(undefined, 'application/octet-stream', 'image/gif', 'image/jpeg; charset=utf-8', 'IMAGE/PNG', 'application/json');
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...types).chain((type) => ownFormat(type).map((payload) => ({ contentType: type, payload }))) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...types), anyFile).map(([contentType, payload]) => ({ contentType, payload })) },
    { weight: 1, arbitrary: fc.tuple(oddTypes, anyFile).map(([contentType, payload]) => (contentType === undefined ? { payload } : { contentType, payload })) },
  );
}
