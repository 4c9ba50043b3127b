import type { Executor, Tx } from '../../db/database.js';
import type { EvidenceTables } from './evidence.tables.js';
import type { AttachmentType } from './evidence.schemas.js';

/** Every SQL statement of the evidence module, on its own tables only. */
type Db = Executor<EvidenceTables>;
type EvidenceTx = Tx<EvidenceTables>;

export interface AttachmentRow {
  id: string;
  sha256: string;
  size: number;
  content_type: AttachmentType;
  uploaded_by: string;
  uploaded_at: Date;
}

/**
 * Stores the bytes under their SHA-256 unless the community holds them already (the same
 * photo uploaded twice is kept once), then records the upload. The database checks that the
 * hash and size describe the bytes.
 */
export async function insertAttachment(
  tx: EvidenceTx,
  a: { communityId: string; id: string; sha256: string; bytes: Buffer; contentType: AttachmentType; uploadedBy: string },
): Promise<AttachmentRow> {
  await tx
    .insertInto('attachment_blobs')
    .values({ community_id: a.communityId, sha256: a.sha256, size: a.bytes.length, bytes: a.bytes })
    .onConflict((oc) => oc.columns(['community_id', 'sha256']).doNothing())
    .execute();
  const row = await tx
    .insertInto('attachments')
    .values({ community_id: a.communityId, id: a.id, sha256: a.sha256, content_type: a.contentType, uploaded_by: a.uploadedBy })
    .returning(['id', 'sha256', 'content_type', 'uploaded_by', 'uploaded_at'])
    .executeTakeFirstOrThrow();
  return { ...row, size: a.bytes.length };
}

/** The attachments of the community among `ids` (any order; missing ones are simply absent). */
export function describe(db: Db, communityId: string, ids: readonly string[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('attachments as a')
    .innerJoin('attachment_blobs as b', (join) => join.onRef('b.community_id', '=', 'a.community_id').onRef('b.sha256', '=', 'a.sha256'))
    .select(['a.id', 'a.sha256', 'b.size', 'a.content_type', 'a.uploaded_by', 'a.uploaded_at'])
    .where('a.community_id', '=', communityId)
    .where('a.id', 'in', [...ids])
    .execute();
}

/** One attachment with its bytes. */
export function findWithBytes(db: Db, communityId: string, id: string) {
  return db
    .selectFrom('attachments as a')
    .innerJoin('attachment_blobs as b', (join) => join.onRef('b.community_id', '=', 'a.community_id').onRef('b.sha256', '=', 'a.sha256'))
    .select(['a.id', 'a.sha256', 'b.size', 'a.content_type', 'a.uploaded_at', 'b.bytes'])
    .where('a.community_id', '=', communityId)
    .where('a.id', '=', id)
    .executeTakeFirst();
}
