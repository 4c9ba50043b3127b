import { randomUUID } from 'node:crypto';
import type { Database, Executor, Tx } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { assert, forbidden, invalidState, notFound } from '../../shared/errors.js';
import { decodeSeqCursor, toPage } from '../../shared/pagination.js';
import { oneLine } from '../../shared/text.js';
import { localDate } from '../../shared/time.js';
import type { Principal } from '../auth/auth.principal.js';
import { hasRole, requireRole, type CommunitiesService, type Member } from '../communities/communities.service.js';
import type { EvidenceService } from '../evidence/evidence.service.js';
import type { AttachmentRef } from '../evidence/evidence.schemas.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import * as repo from './repairs.repository.js';
import type { RepairRow } from './repairs.repository.js';
import type { Repair, RepairEvent, RepairEventBody, RepairListQuery, RepairStatus, ReportRepairBody } from './repairs.schemas.js';

export type RepairsService = ReturnType<typeof createRepairsService>;

/** `BX-<year>-<community number>-<repair number>`, like the spend requests' `XY-…`. */
export const REPAIR_TRACKING_PATTERN = /^BX-[0-9]{4}-([1-9][0-9]{0,14})-[0-9]{6,}$/;

/**
 * Which status each event moves a repair from, and to. The database keeps the same moves
 * (migration 2026-11-27T1300_repairs); here they give a clear 409 first.
 */
export const MOVES: Record<RepairEvent, { from: RepairStatus[]; to: RepairStatus }> = {
  assigned: { from: ['reported', 'reopened'], to: 'assigned' },
  started: { from: ['assigned', 'reopened'], to: 'started' },
  done: { from: ['started'], to: 'done' },
  confirmed: { from: ['done'], to: 'confirmed' },
  reopened: { from: ['done'], to: 'reopened' },
  cancelled: { from: ['reported'], to: 'cancelled' },
};

/** How residents read each event in the feed. */
const EVENT_WORDS: Record<RepairEvent, string> = {
  assigned: '已派单',
  started: '开始维修',
  done: '已完工',
  confirmed: '已确认修好',
  reopened: '已重新打开',
  cancelled: '已撤销',
};

export interface RepairsDeps {
  communities: Pick<CommunitiesService, 'member' | 'profiles' | 'findCommunity' | 'findCommunityByNumber'>;
  evidence: Pick<EvidenceService, 'resolve' | 'describe'>;
  ledger: Pick<LedgerService, 'publish' | 'lockHead'>;
  /** The spend requests naming a repair; spending is built after repairs, so this is late-bound. */
  spendRequestsFor: (executor: Executor, communityId: string, repairId: string) => Promise<Repair['spendRequests']>;
}

export function createRepairsService(db: Database, { communities, evidence, ledger, spendRequestsFor }: RepairsDeps) {
  async function view(executor: Executor, communityId: string, row: RepairRow): Promise<Repair> {
    const [events, links, spendRequests] = await Promise.all([
      repo.eventsOf(executor, communityId, row.id),
      repo.attachmentsOf(executor, communityId, row.id),
      spendRequestsFor(executor, communityId, row.id),
    ]);
    const [people, refs] = await Promise.all([
      communities.profiles(executor, communityId, [row.reported_by, ...events.map((e) => e.actor_id)]),
      evidence.describe(executor, communityId, links.map((l) => l.attachment_id)),
    ]);
    const byStep = new Map<number, AttachmentRef[]>();
    links.forEach((link, i) => byStep.set(link.step, [...(byStep.get(link.step) ?? []), refs[i]!]));
    const actor = (id: string) => {
      const person = people.get(id);
      assert(person, `the actor ${id} of a repair is known`);
      return person;
    };
    return {
      id: row.id,
      trackingNo: row.tracking_no,
      status: row.status,
      title: row.title,
      description: row.description,
      location: row.location,
      reportedBy: actor(row.reported_by),
      reportedAt: row.reported_at.toISOString(),
      timeline: events.map((e) => ({
        at: e.at.toISOString(),
        event: e.event,
        actor: actor(e.actor_id),
        ...(e.note === null ? {} : { note: e.note }),
        ...(e.ref === null ? {} : { ref: e.ref }),
        attachments: byStep.get(e.n) ?? [],
      })),
      spendRequests,
    };
  }

  /** A repair and its timeline read in one snapshot. */
  const snapshot = (communityId: string, find: (executor: Executor) => Promise<RepairRow | undefined>) =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const row = await find(tx);
        if (!row) throw notFound('repair');
        return view(tx, communityId, row);
      });

  return {
    async report(communityId: string, principal: Principal, input: ReportRepairBody): Promise<Repair> {
      const member = await communities.member(communityId, principal);
      requireMembership(member);
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      return inTransaction(db, async (tx) => {
        const community = await communities.findCommunity(tx, communityId);
        assert(community, 'the member’s community exists');
        const seq = await repo.nextSeq(tx, communityId);
        const year = localDate(new Date(), community.timezone).slice(0, 4);
        const trackingNo = `BX-${year}-${community.number}-${String(seq).padStart(6, '0')}`;
        const title = input.title.trim();
        const location = input.location.trim();
        const row = await repo.insertRepair(tx, {
          communityId,
          id: randomUUID(),
          seq,
          trackingNo,
          title,
          description: input.description?.trim() || null,
          location,
          reportedBy: member.userId,
        });
        const ids = attachments.map((a) => a.id);
        await repo.appendEvent(tx, { communityId, repairId: row.id, event: 'reported', actorId: member.userId, note: null, ref: null, attachmentIds: ids });
        await ledger.publish(tx, communityId, {
          type: 'repair.reported',
          amount: null,
          account: null,
          summary: `报修 ${trackingNo} 已登记：${title}（${location}）`,
          ref: trackingNo,
          actorId: member.userId,
          details: { title },
        });
        return view(tx, communityId, row);
      });
    },

    /** One event by the member whose role allows it, on a repair whose status allows it. */
    async act(communityId: string, principal: Principal, id: string, input: RepairEventBody): Promise<Repair> {
      const member = await communities.member(communityId, principal);
      const found = await repo.findRepair(db, communityId, id);
      if (!found) throw notFound('repair');
      mayAct(member, found, input.event);
      const attachments = await evidence.resolve(db, communityId, input.attachments ?? []);
      const note = input.note?.trim() ?? null;
      return inTransaction(db, async (tx) => {
        // The community's head first, the one lock order: a spend submission naming this
        // repair holds the head and then locks the repair, and must never meet us the other
        // way round.
        await ledger.lockHead(tx, communityId);
        const row = await repo.lockRepair(tx, communityId, id);
        assert(row, 'a repair is never deleted');
        const move = MOVES[input.event];
        if (!move.from.includes(row.status)) {
          throw invalidState(`This repair is ${row.status}; ${input.event} follows ${move.from.join(' or ')}`);
        }
        assert(await repo.setStatus(tx, communityId, id, row.status, move.to), 'a locked repair moves');
        await repo.appendEvent(tx, { communityId, repairId: id, event: input.event, actorId: member.userId, note, ref: null, attachmentIds: attachments.map((a) => a.id) });
        await ledger.publish(tx, communityId, {
          type: 'repair.updated',
          amount: null,
          account: null,
          summary: `报修 ${row.tracking_no} ${EVENT_WORDS[input.event]}：${row.title}`,
          ref: row.tracking_no,
          actorId: member.userId,
          details: { title: row.title, ...(note === null ? {} : { note: oneLine(note) }) },
        });
        return view(tx, communityId, { ...row, status: move.to });
      });
    },

    async get(communityId: string, principal: Principal, id: string): Promise<Repair> {
      await communities.member(communityId, principal);
      return snapshot(communityId, (executor) => repo.findRepair(executor, communityId, id));
    },

    async list(communityId: string, principal: Principal, query: RepairListQuery) {
      await communities.member(communityId, principal);
      const limit = query.limit ?? 50;
      const rows = await repo.listRepairs(db, communityId, decodeSeqCursor(query.after), limit + 1, query.status);
      const page = toPage(rows, limit, (r) => r.seq, (r) => r);
      return { items: await Promise.all(page.items.map((r) => view(db, communityId, r))), nextAfter: page.nextAfter };
    },

    /** A repair by its tracking number, for members of the community the number names (others: 404). */
    async track(principal: Principal, trackingNo: string): Promise<Repair> {
      const match = REPAIR_TRACKING_PATTERN.exec(trackingNo);
      if (!match) throw notFound('repair');
      const community = await communities.findCommunityByNumber(db, Number(match[1]));
      if (!community) throw notFound('repair');
      await communities.member(community.id, principal).catch(() => {
        throw notFound('repair');
      });
      return snapshot(community.id, (executor) => repo.findByTrackingNo(executor, community.id, trackingNo));
    },

    /** The repair a spend request names, for spending: its tracking number and reporter, or 404. */
    async linkable(executor: Executor, communityId: string, repairId: string): Promise<{ trackingNo: string; reportedBy: string }> {
      const row = await repo.findRepair(executor, communityId, repairId);
      if (!row) throw notFound('repair');
      return { trackingNo: row.tracking_no, reportedBy: row.reported_by };
    },

    /** Puts a spend request's step on the repair's timeline, in the spending transaction. */
    async recordSpendStep(tx: Tx, communityId: string, repairId: string, step: { event: 'spend.submitted' | 'spend.paid'; actorId: string; trackingNo: string }) {
      assert(await repo.lockRepair(tx, communityId, repairId), 'a linked repair exists');
      await repo.appendEvent(tx, { communityId, repairId, event: step.event, actorId: step.actorId, note: null, ref: step.trackingNo, attachmentIds: [] });
    },
  };
}

/** The platform admin reads every community, but repairs are reported by the people who live there. */
function requireMembership(member: Member): void {
  if (member.roles.length === 0) throw forbidden('Only members of the community report repairs');
}

/** Who may do what to a repair: decided before the repair is locked, the status after. */
function mayAct(member: Member, repair: RepairRow, event: RepairEvent): void {
  const reporter = repair.reported_by === member.userId;
  switch (event) {
    case 'assigned':
    case 'started':
    case 'done':
      requireRole(member, 'manager');
      return;
    case 'confirmed':
    case 'reopened':
      if (!reporter && !hasRole(member, 'cosigner')) throw forbidden('Only the member who reported it, or a co-signer, confirms or reopens a repair');
      return;
    case 'cancelled':
      if (!reporter) throw forbidden('Only the member who reported it cancels a repair');
      return;
  }
}
