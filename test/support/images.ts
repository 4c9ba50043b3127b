import { crc32, deflateSync } from 'node:zlib';

/**
 * Small images built byte by byte, each as a phone would write it: with an EXIF block that
 * holds a GPS position (and, for JPEG, XMP that repeats it). `clean` is the same image without
 * any of it: what the server must store.
 */

/** 31°13'N 121°28'E, the position a phone writes into a photo's GPS IFD. */
export const GPS_LATITUDE = [31, 1, 13, 1, 4200, 100];

/** A big-endian TIFF structure with IFD0 pointing at a GPS IFD: the payload of an EXIF block. */
export function exifTiff(): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4 + 2 + 12 * 2 + 4 + 24);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  // IFD0: one entry, GPSInfo (0x8825) -> the GPS IFD at offset 26.
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x8825, 10);
  tiff.writeUInt16BE(4, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18);
  tiff.writeUInt32BE(0, 22);
  // GPS IFD: GPSLatitudeRef 'N', GPSLatitude three rationals at offset 56.
  tiff.writeUInt16BE(2, 26);
  tiff.writeUInt16BE(0x0001, 28);
  tiff.writeUInt16BE(2, 30);
  tiff.writeUInt32BE(2, 32);
  tiff.write('N\0', 36, 'latin1');
  tiff.writeUInt16BE(0x0002, 40);
  tiff.writeUInt16BE(5, 42);
  tiff.writeUInt32BE(3, 44);
  tiff.writeUInt32BE(56, 48);
  tiff.writeUInt32BE(0, 52);
  GPS_LATITUDE.forEach((n, i) => tiff.writeUInt32BE(n, 56 + i * 4));
  return tiff;
}

/** The bytes a test looks for to tell whether the GPS block survived. */
export const GPS_MARK = exifTiff().subarray(26);

const XMP = Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>31,13.42N</exif:GPSLatitude></x:xmpmeta>', 'latin1');

function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xff00 | marker, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * An 8×8 grey baseline JPEG: JFIF, a quantisation table of ones, one Huffman table each for
 * DC and AC with a single one-bit code (DC difference 0, end of block), and a scan of one block.
 */
export function jpeg(options: { exif?: boolean; xmp?: boolean } = {}): Buffer {
  const jfif = segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  const dqt = segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]));
  const sof = segment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
  const table = (classAndId: number) => Buffer.concat([Buffer.from([classAndId, 1]), Buffer.alloc(15), Buffer.from([0x00])]);
  const dht = segment(0xc4, Buffer.concat([table(0x00), table(0x10)]));
  const sos = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
  const scan = Buffer.from([0x3f, 0xff, 0xd9]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jfif,
    ...(options.exif ? [segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff()]))] : []),
    ...(options.xmp ? [segment(0xe1, XMP)] : []),
    dqt,
    sof,
    dht,
    sos,
    scan,
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A 2×2 RGB PNG (red, green / blue, white), optionally with an eXIf chunk and XMP text. */
export function png(options: { exif?: boolean; xmpText?: boolean } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    ...(options.exif ? [chunk('eXIf', exifTiff())] : []),
    ...(options.xmpText ? [chunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), XMP.subarray(29)]))] : []),
    chunk('tEXt', Buffer.from('Software\0xinyi test', 'latin1')),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The pixel rows `png()` deflates, to check a stripped PNG still holds the same image. */
export const PNG_ROWS = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);

/** A 1×1 lossless WebP bitstream (the VP8L chunk of the smallest lossless WebP). */
const VP8L = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64').subarray(12);

function riffChunk(fourcc: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(fourcc, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/**
 * A 1×1 WebP in the extended format (VP8X), as cameras write it when they add metadata:
 * with `exif`, the VP8X flag for EXIF is set and an EXIF chunk follows the image.
 */
export function webp(options: { exif?: boolean } = {}): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x[0] = options.exif ? 0x08 : 0x00;
  // Canvas width and height minus one, 24 bits each: 1×1.
  const body = Buffer.concat([riffChunk('VP8X', vp8x), VP8L, ...(options.exif ? [riffChunk('EXIF', exifTiff())] : [])]);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, body]);
}

/** A one-page PDF, small but well-formed enough for a viewer. */
export function pdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
}
