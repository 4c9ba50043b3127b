import type { ColumnType, Generated } from 'kysely';
import type { RepairStatus, RepairStepEvent } from './repairs.schemas.js';

/** The tables of the repairs module (报事报修): reports, their timeline, its evidence, the numbering. */
export interface RepairsTables {
  repairs: RepairsTable;
  repair_events: RepairEventsTable;
  repair_attachments: RepairAttachmentsTable;
  repair_counters: RepairCountersTable;
}

export interface RepairsTable {
  community_id: string;
  id: string;
  seq: number;
  tracking_no: string;
  title: string;
  description: string | null;
  location: string;
  status: Generated<RepairStatus>;
  reported_by: string;
  reported_at: ColumnType<Date, Date | undefined, never>;
}

export interface RepairEventsTable {
  community_id: string;
  repair_id: string;
  n: number;
  at: ColumnType<Date, Date | undefined, never>;
  event: RepairStepEvent;
  actor_id: string;
  note: string | null;
  ref: string | null;
}

export interface RepairAttachmentsTable {
  community_id: string;
  repair_id: string;
  step: number;
  position: number;
  attachment_id: string;
}

export interface RepairCountersTable {
  community_id: string;
  last_seq: number;
}
