import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/database.js';
import type { RepairsTables } from './repairs.tables.js';
import type { RepairStatus, RepairStepEvent } from './repairs.schemas.js';

/** Every SQL statement of the repairs module, on its own tables only. */
type Db = Executor<RepairsTables>;
type RepairsTx = Tx<RepairsTables>;

const COLUMNS = ['id', 'seq', 'tracking_no', 'title', 'description', 'location', 'status', 'reported_by', 'reported_at'] as const;

/** The community's next repair number; the counter row's lock makes racing reports queue. */
export async function nextSeq(tx: RepairsTx, communityId: string): Promise<number> {
  const { rows } = await sql<{ last_seq: number }>`
    INSERT INTO repair_counters (community_id, last_seq) VALUES (${communityId}, 1)
    ON CONFLICT (community_id) DO UPDATE SET last_seq = repair_counters.last_seq + 1
    RETURNING last_seq`.execute(tx);
  return rows[0]!.last_seq;
}

export function insertRepair(
  tx: RepairsTx,
  r: { communityId: string; id: string; seq: number; trackingNo: string; title: string; description: string | null; location: string; reportedBy: string },
) {
  return tx
    .insertInto('repairs')
    .values({
      community_id: r.communityId,
      id: r.id,
      seq: r.seq,
      tracking_no: r.trackingNo,
      title: r.title,
      description: r.description,
      location: r.location,
      reported_by: r.reportedBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export type RepairRow = Awaited<ReturnType<typeof insertRepair>>;

export function findRepair(db: Db, communityId: string, id: string) {
  return db.selectFrom('repairs').select(COLUMNS).where('community_id', '=', communityId).where('id', '=', id).executeTakeFirst();
}

export function findByTrackingNo(db: Db, communityId: string, trackingNo: string) {
  return db.selectFrom('repairs').select(COLUMNS).where('community_id', '=', communityId).where('tracking_no', '=', trackingNo).executeTakeFirst();
}

/** Locks the repair's row: its events are numbered and its status moved under this lock. */
export function lockRepair(tx: RepairsTx, communityId: string, id: string) {
  return tx.selectFrom('repairs').select(COLUMNS).where('community_id', '=', communityId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function setStatus(tx: RepairsTx, communityId: string, id: string, from: RepairStatus, to: RepairStatus): Promise<boolean> {
  const result = await tx
    .updateTable('repairs')
    .set({ status: to })
    .where('community_id', '=', communityId)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export function listRepairs(db: Db, communityId: string, afterSeq: number, limit: number, status: RepairStatus | undefined) {
  let query = db.selectFrom('repairs').select(COLUMNS).where('community_id', '=', communityId).where('seq', '>', afterSeq).orderBy('seq').limit(limit);
  if (status) query = query.where('status', '=', status);
  return query.execute();
}

/** Appends a step to the timeline, numbered after the last; the caller holds the repair's lock. */
export async function appendEvent(
  tx: RepairsTx,
  e: { communityId: string; repairId: string; event: RepairStepEvent; actorId: string; note: string | null; ref: string | null; attachmentIds: readonly string[] },
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    INSERT INTO repair_events (community_id, repair_id, n, event, actor_id, note, ref)
    SELECT ${e.communityId}, ${e.repairId}, coalesce(max(n), 0) + 1, ${e.event}, ${e.actorId}, ${e.note}, ${e.ref}
      FROM repair_events WHERE community_id = ${e.communityId} AND repair_id = ${e.repairId}
    RETURNING n`.execute(tx);
  const n = rows[0]!.n;
  if (e.attachmentIds.length > 0) {
    await tx
      .insertInto('repair_attachments')
      .values(e.attachmentIds.map((id, i) => ({ community_id: e.communityId, repair_id: e.repairId, step: n, position: i + 1, attachment_id: id })))
      .execute();
  }
  return n;
}

export function eventsOf(db: Db, communityId: string, repairId: string) {
  return db
    .selectFrom('repair_events')
    .select(['n', 'at', 'event', 'actor_id', 'note', 'ref'])
    .where('community_id', '=', communityId)
    .where('repair_id', '=', repairId)
    .orderBy('n')
    .execute();
}

export function attachmentsOf(db: Db, communityId: string, repairId: string) {
  return db
    .selectFrom('repair_attachments')
    .select(['step', 'attachment_id'])
    .where('community_id', '=', communityId)
    .where('repair_id', '=', repairId)
    .orderBy('step')
    .orderBy('position')
    .execute();
}
