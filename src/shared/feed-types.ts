/**
 * Every type a feed item may have (API.md), in one list with no imports, so the server's schema
 * and 信义家's EventSource listeners are the same list and the web bundle carries no schema
 * library for it.
 */
export const FEED_TYPES = [
  'income.recorded',
  'fee.paid',
  'spend.submitted',
  'spend.approved',
  'spend.rejected',
  'spend.paid',
  'entry.reversed',
  'budget.approved',
  'repair.reported',
  'repair.updated',
  'spend.accepted',
  'spend.disputed',
  'challenge.opened',
  'challenge.answered',
  'vote.opened',
  'vote.closed',
  'payment.received',
  'bank.reconciled',
] as const;
