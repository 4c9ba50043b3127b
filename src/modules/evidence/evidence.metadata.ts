/**
 * Removing the metadata that can locate a resident from an uploaded photo, without touching
 * a pixel. A phone writes the GPS position of every photo into its EXIF block, and often into
 * XMP as well; a repair photo published to the whole community must not say where its
 * reporter lives or stood. We drop, and only drop, the containers of that metadata:
 *
 * - JPEG: APP1 segments holding `Exif\0\0` or XMP (`http://ns.adobe.com/xap/1.0/\0`), before
 *   the first scan; everything from the start of scan (SOS) on is copied verbatim.
 * - PNG: the `eXIf` chunk, and text chunks (`tEXt`, `zTXt`, `iTXt`) whose keyword names an
 *   EXIF or XMP profile (`Raw profile type exif|xmp|app1`, `XML:com.adobe.xmp`).
 * - WebP: the `EXIF` and `XMP ` chunks of the RIFF container, clearing their flags in `VP8X`.
 *
 * Chunks and segments are copied byte for byte, so a file with nothing to strip comes back as
 * the very same bytes (the same Buffer). A file whose structure does not parse is refused
 * rather than stored half-stripped: `MalformedImage`, which the service answers with 400.
 * Pure functions over Buffers, no I/O.
 */

export class MalformedImage extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedImage';
  }
}

export type StrippableType = 'image/jpeg' | 'image/png' | 'image/webp';

/** The bytes without their location metadata; `bytes` itself when there was none. */
export function stripMetadata(type: StrippableType, bytes: Buffer): Buffer {
  switch (type) {
    case 'image/jpeg':
      return stripJpeg(bytes);
    case 'image/png':
      return stripPng(bytes);
    case 'image/webp':
      return stripWebp(bytes);
  }
}

const EXIF_ID = Buffer.from('Exif\0\0', 'latin1');
const XMP_ID = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
const XMP_EXTENSION_ID = Buffer.from('http://ns.adobe.com/xmp/extension/\0', 'latin1');

/** JPEG markers that stand alone, without a length: TEM, RST0-7, SOI, EOI. */
function standalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8) || marker === 0xd9;
}

export function stripJpeg(bytes: Buffer): Buffer {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new MalformedImage('A JPEG starts with FF D8');
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  let dropped = false;
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw new MalformedImage(`A JPEG marker was expected at byte ${at}`);
    // Any number of FF fill bytes may precede a marker.
    let markerAt = at + 1;
    while (markerAt < bytes.length && bytes[markerAt] === 0xff) markerAt++;
    if (markerAt >= bytes.length) throw new MalformedImage('The JPEG ends inside a marker');
    const marker = bytes[markerAt]!;
    if (standalone(marker)) {
      kept.push(bytes.subarray(at, markerAt + 1));
      at = markerAt + 1;
      if (marker === 0xd9) break;
      continue;
    }
    if (markerAt + 3 > bytes.length) throw new MalformedImage('The JPEG ends inside a segment header');
    const length = bytes.readUInt16BE(markerAt + 1);
    const end = markerAt + 1 + length;
    if (length < 2 || end > bytes.length) throw new MalformedImage(`A JPEG segment at byte ${at} runs past the end of the file`);
    if (marker === 0xda) {
      // Start of scan: the entropy-coded data and everything after it carry no metadata
      // containers we strip; copied verbatim.
      kept.push(bytes.subarray(at));
      at = bytes.length;
      break;
    }
    const payload = bytes.subarray(markerAt + 3, end);
    if (marker === 0xe1 && (startsWith(payload, EXIF_ID) || startsWith(payload, XMP_ID) || startsWith(payload, XMP_EXTENSION_ID))) {
      dropped = true;
    } else {
      kept.push(bytes.subarray(at, end));
    }
    at = end;
  }
  if (at < bytes.length) kept.push(bytes.subarray(at));
  return dropped ? Buffer.concat(kept) : bytes;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_METADATA_KEYWORDS = new Set(['raw profile type exif', 'raw profile type app1', 'raw profile type xmp', 'xml:com.adobe.xmp']);

export function stripPng(bytes: Buffer): Buffer {
  if (!startsWith(bytes, PNG_SIGNATURE)) throw new MalformedImage('A PNG starts with its 8-byte signature');
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let dropped = false;
  let at = 8;
  let ended = false;
  while (at < bytes.length && !ended) {
    if (at + 12 > bytes.length) throw new MalformedImage(`A PNG chunk at byte ${at} is cut short`);
    const length = bytes.readUInt32BE(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) throw new MalformedImage(`A PNG chunk at byte ${at} runs past the end of the file`);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'eXIf' || (isTextChunk(type) && PNG_METADATA_KEYWORDS.has(keywordOf(data)))) {
      dropped = true;
    } else {
      kept.push(bytes.subarray(at, end));
    }
    ended = type === 'IEND';
    at = end;
  }
  if (!ended) throw new MalformedImage('A PNG ends with its IEND chunk');
  if (at < bytes.length) kept.push(bytes.subarray(at));
  return dropped ? Buffer.concat(kept) : bytes;
}

function isTextChunk(type: string): boolean {
  return type === 'tEXt' || type === 'zTXt' || type === 'iTXt';
}

/** A text chunk's keyword: Latin-1 up to its NUL separator. */
function keywordOf(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('latin1', 0, nul < 0 ? Math.min(data.length, 80) : nul).toLowerCase();
}

/** VP8X flags (first byte of its payload): bit 3 EXIF present, bit 2 XMP present. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

export function stripWebp(bytes: Buffer): Buffer {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') {
    throw new MalformedImage('A WebP is a RIFF container of form WEBP');
  }
  const riffEnd = 8 + bytes.readUInt32LE(4);
  if (riffEnd > bytes.length || riffEnd < 12) throw new MalformedImage('The RIFF size of the WebP does not fit the file');
  const chunks: Buffer[] = [];
  let dropped = false;
  let at = 12;
  while (at < riffEnd) {
    if (at + 8 > riffEnd) throw new MalformedImage(`A WebP chunk at byte ${at} is cut short`);
    const fourcc = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const end = at + 8 + size + (size % 2);
    if (end > riffEnd) throw new MalformedImage(`A WebP chunk at byte ${at} runs past the end of the container`);
    if (fourcc === 'EXIF' || fourcc === 'XMP ') dropped = true;
    else chunks.push(bytes.subarray(at, end));
    at = end;
  }
  if (!dropped) return bytes;
  const body = chunks.map((chunk) => {
    if (chunk.toString('latin1', 0, 4) !== 'VP8X' || chunk.length < 9) return chunk;
    const copy = Buffer.from(chunk);
    copy[8] = copy[8]! & ~(VP8X_EXIF | VP8X_XMP);
    return copy;
  });
  const header = Buffer.from(bytes.subarray(0, 12));
  const size = 4 + body.reduce((n, c) => n + c.length, 0);
  header.writeUInt32LE(size, 4);
  return Buffer.concat([header, ...body, bytes.subarray(riffEnd)]);
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}
