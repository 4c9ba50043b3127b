import type { ColumnType } from 'kysely';
import type { AttachmentType } from './evidence.schemas.js';

/**
 * The tables of the evidence module. The bytes live once per community and SHA-256
 * (`attachment_blobs`, content-addressed); each upload is an `attachments` row naming them,
 * with who sent it and when. Both are append-only.
 */
export interface EvidenceTables {
  attachment_blobs: AttachmentBlobsTable;
  attachments: AttachmentsTable;
}

export interface AttachmentBlobsTable {
  community_id: string;
  sha256: string;
  size: number;
  bytes: Buffer;
}

export interface AttachmentsTable {
  community_id: string;
  id: string;
  sha256: string;
  content_type: AttachmentType;
  uploaded_by: string;
  uploaded_at: ColumnType<Date, Date | undefined, never>;
}
