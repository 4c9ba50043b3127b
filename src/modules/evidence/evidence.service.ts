import { createHash, randomUUID } from 'node:crypto';
import type { Database, Executor } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { assert, forbidden, notFound, validationFailed } from '../../shared/errors.js';
import type { Principal } from '../auth/auth.principal.js';
import type { CommunitiesService } from '../communities/communities.service.js';
import { bytesToStore } from './evidence.content.js';
import * as repo from './evidence.repository.js';
import type { AttachmentRow } from './evidence.repository.js';
import type { Attachment, AttachmentRef } from './evidence.schemas.js';

export type EvidenceService = ReturnType<typeof createEvidenceService>;

/**
 * Evidence: files members upload (quotes, invoices, photos, bank slips), stored once by
 * SHA-256 and never altered, that spend requests, payouts, repairs, verdicts and answers
 * name by id. Other modules reach the files only through `resolve` and `describe`.
 */
export function createEvidenceService(db: Database, communities: Pick<CommunitiesService, 'member'>) {
  return {
    /** Stores an upload of a member of the community; see `bytesToStore` for what is refused. */
    async upload(communityId: string, principal: Principal, contentType: string | undefined, body: unknown): Promise<Attachment> {
      const member = await communities.member(communityId, principal);
      // The platform admin administers communities without belonging to them: evidence is the
      // members' own.
      if (member.roles.length === 0) throw forbidden('Only members of the community upload evidence');
      const { type, bytes } = bytesToStore(contentType, body);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const row = await inTransaction(db, (tx) =>
        repo.insertAttachment(tx, { communityId, id: randomUUID(), sha256, bytes, contentType: type, uploadedBy: member.userId }),
      );
      return { ...toRef(row), uploadedBy: row.uploaded_by, uploadedAt: row.uploaded_at.toISOString() };
    },

    /** The stored bytes and what a response needs to serve them, for any member. */
    async read(communityId: string, principal: Principal, id: string) {
      await communities.member(communityId, principal);
      const row = await repo.findWithBytes(db, communityId, id);
      if (!row) throw notFound('attachment');
      return { bytes: row.bytes, contentType: row.content_type, sha256: row.sha256, size: row.size, uploadedAt: row.uploaded_at };
    },

    /**
     * The attachments `ids` name, in the order given, read through the caller's executor.
     * Throws `not_found` when one is not an attachment of this community (another
     * community's id is as unknown here as a made-up one), `validation_failed` when one is
     * named twice (the request schemas say so too).
     */
    async resolve(executor: Executor, communityId: string, ids: readonly string[]): Promise<AttachmentRef[]> {
      if (new Set(ids).size !== ids.length) throw validationFailed('An attachment is named twice in one list');
      const rows = await byId(executor, communityId, ids);
      return ids.map((id) => {
        const row = rows.get(id);
        if (!row) throw notFound(`attachment ${id}`);
        return toRef(row);
      });
    },

    /** Attachments already linked to a record, in the order given; each must exist. */
    async describe(executor: Executor, communityId: string, ids: readonly string[]): Promise<AttachmentRef[]> {
      const rows = await byId(executor, communityId, ids);
      return ids.map((id) => {
        const row = rows.get(id);
        assert(row, `the linked attachment ${id} exists`);
        return toRef(row);
      });
    },
  };
}

async function byId(executor: Executor, communityId: string, ids: readonly string[]): Promise<Map<string, AttachmentRow>> {
  return new Map((await repo.describe(executor, communityId, [...new Set(ids)])).map((r) => [r.id, r]));
}

function toRef(row: AttachmentRow): AttachmentRef {
  return { id: row.id, sha256: row.sha256, size: row.size, contentType: row.content_type };
}
