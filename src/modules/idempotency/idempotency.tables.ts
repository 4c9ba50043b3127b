import type { CreatedAt } from '../../db/columns.js';

/** The table of the idempotency module: the stored answer of each Idempotency-Key. */
export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeysTable;
}

export interface IdempotencyKeysTable {
  community_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: CreatedAt;
}
