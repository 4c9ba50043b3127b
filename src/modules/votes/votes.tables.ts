import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from '../../db/columns.js';
import type { Choice, Matter } from './votes.count.js';

/** The tables of the votes module (业主共同决定): votes and every ballot ever cast. */
export interface VotesTables {
  votes: VotesTable;
  vote_ballots: VoteBallotsTable;
}

/** The frozen result of a closed vote: areas in hundredths of a m² (as strings), headcounts. */
export interface StoredResult {
  eligible: { area: string; owners: number };
  participating: { area: string; owners: number };
  for: { area: string; owners: number };
  against: { area: string; owners: number };
  abstain: { area: string; owners: number };
  quorumMet: boolean;
  passed: boolean;
}

export interface VotesTable {
  community_id: string;
  id: string;
  title: string;
  description: string | null;
  matter: Matter;
  created_by: string;
  created_at: CreatedAt;
  opens_at: Date;
  closes_at: Date;
  status: Generated<'open' | 'closed'>;
  closed_at: Date | null;
  result: ColumnType<StoredResult | null, string | null | undefined, string | null>;
}

export interface VoteBallotsTable {
  community_id: string;
  vote_id: string;
  n: number;
  user_id: string;
  choice: Choice;
  unit_ids: string[];
  at: ColumnType<Date, Date | undefined, never>;
}
