import { Type, type Static } from 'typebox';
import { Id, Timestamp } from '../../shared/schemas.js';

/** The kinds of evidence accepted: photos and scanned or generated documents. */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
export const AttachmentType = Type.Enum([...ATTACHMENT_TYPES]);
export type AttachmentType = Static<typeof AttachmentType>;

/** At most 10 MiB a file: a phone photo or a scanned invoice, not a video. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Evidence named by one request, payout, repair step, verdict or answer. */
export const MAX_ATTACHMENTS = 20;

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the stored bytes, lowercase hex' });

/** What a spend request, repair or answer shows of each attachment it names. */
export const AttachmentRef = Type.Object({
  id: Id,
  sha256: Sha256,
  size: Type.Integer({ minimum: 1, maximum: MAX_ATTACHMENT_BYTES, description: 'Bytes stored' }),
  contentType: AttachmentType,
});
export type AttachmentRef = Static<typeof AttachmentRef>;

export const Attachment = Type.Object({
  ...AttachmentRef.properties,
  uploadedBy: Id,
  uploadedAt: Timestamp,
});
export type Attachment = Static<typeof Attachment>;

/** A list of attachment ids in a request body: up to 20, each once. */
export const AttachmentIds = Type.Array(Id, {
  maxItems: MAX_ATTACHMENTS,
  uniqueItems: true,
  description: 'Ids from POST …/attachments of this community, in the order to show (at most 20, each once)',
});

export const AttachmentParams = Type.Object({ cid: Id, id: Id });
