import type { ColumnType, Generated } from 'kysely';
import type { Numeric } from '../../db/columns.js';
import type { SpendStatus, TimelineEvent } from './spending.schemas.js';

/** The tables of the spending module: requests, the co-signers' decisions, the timeline. */
export interface SpendingTables {
  spend_requests: SpendRequestsTable;
  spend_decisions: SpendDecisionsTable;
  spend_events: SpendEventsTable;
  spend_attachments: SpendAttachmentsTable;
  spend_acceptances: SpendAcceptancesTable;
}

/** 验收: one verdict per person on a paid request, with the timeline step that shows it. */
export interface SpendAcceptancesTable {
  community_id: string;
  request_id: string;
  user_id: string;
  verdict: 'accepted' | 'disputed';
  note: string;
  step: number;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface SpendRequestsTable {
  community_id: string;
  id: string;
  seq: number;
  tracking_no: string;
  title: string;
  description: string | null;
  amount: Numeric;
  account_code: string;
  payee_name: string;
  payee_account: string | null;
  budget_year: number | null;
  digest: string;
  required_approvals: number;
  submitted_by: string;
  submitted_at: ColumnType<Date, Date | undefined, never>;
  status: Generated<SpendStatus>;
  bank_reference: string | null;
  paid_at: Date | null;
  paid_by: string | null;
  entry_seq: number | null;
  entry_id: string | null;
  /** The repair this request pays for, if any; signed with the request (xinyi-spend/v2). */
  repair_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface SpendDecisionsTable {
  community_id: string;
  request_id: string;
  user_id: string;
  decision: 'approve' | 'reject';
  digest: string;
  reason: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface SpendEventsTable {
  community_id: string;
  request_id: string;
  n: number;
  at: ColumnType<Date, Date | undefined, never>;
  event: TimelineEvent;
  actor_id: string;
  note: string | null;
  /** What the step points at: the linked repair's tracking number on a `repair` step. */
  ref: ColumnType<string | null, string | null | undefined, never>;
}

/** The evidence of a step, in the order given: the request's own on `submitted`, the payout's on `paid`, a verdict's on it. */
export interface SpendAttachmentsTable {
  community_id: string;
  request_id: string;
  step: number;
  position: number;
  attachment_id: string;
}
