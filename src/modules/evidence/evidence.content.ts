import { validationFailed } from '../../shared/errors.js';
import { MalformedImage, stripMetadata } from './evidence.metadata.js';
import { ATTACHMENT_TYPES, type AttachmentType } from './evidence.schemas.js';

/**
 * What an upload's bytes must begin with for each declared type (magic bytes): a file whose
 * content is not what its Content-Type says is refused, so a page can never be served as a
 * photo, nor a script as a PDF.
 */
const MAGIC: Record<AttachmentType, (bytes: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  'application/pdf': (b) => b.toString('latin1', 0, 5) === '%PDF-',
};

/** The declared type, without parameters and in lower case, if it is one we accept. */
export function acceptedType(contentType: string | undefined): AttachmentType | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return (ATTACHMENT_TYPES as readonly string[]).includes(type ?? '') ? (type as AttachmentType) : undefined;
}

/**
 * The bytes to store for an upload: checked against the declared type, and for photos with
 * their EXIF and XMP metadata (the GPS position among it) removed. Throws
 * `validation_failed` for an empty body, a type we do not take, content that is not of the
 * declared type, or an image whose structure does not parse.
 */
export function bytesToStore(contentType: string | undefined, body: unknown): { type: AttachmentType; bytes: Buffer } {
  const type = acceptedType(contentType);
  if (type === undefined) {
    throw validationFailed(`Content-Type must be one of ${ATTACHMENT_TYPES.join(', ')}; the raw file is the body`);
  }
  if (!Buffer.isBuffer(body) || body.length === 0) throw validationFailed('The body is empty: send the file itself');
  if (!MAGIC[type](body)) throw validationFailed(`The content is not ${type}: its first bytes say otherwise`);
  if (type === 'application/pdf') return { type, bytes: body };
  try {
    return { type, bytes: stripMetadata(type, body) };
  } catch (error) {
    if (error instanceof MalformedImage) throw validationFailed(`The file is not a well-formed ${type}: ${error.message}`);
    throw error;
  }
}
