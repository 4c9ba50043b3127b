import { randomUUID } from 'node:crypto';
import { pgCode, pgConstraint } from '../../db/transaction.js';
import { AppError, assert, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, Money, sum, ZERO } from '../../shared/money.js';
import type { EntryDraft, FeedDraft, PostingLine } from './ledger.posting.repository.js';

/**
 * Turning what a caller asks for into an entry the database will take, and the database's
 * refusals back into contract errors. Pure functions: no I/O.
 */
/** What another module asks the ledger to post. Amounts are decimal strings. */
export interface PostRequest {
  communityId: string;
  kind: string;
  memo: string;
  source: { type: string; id: string } | null;
  occurredAt: Date;
  lines: ReadonlyArray<{ account: string; debit?: string | Money; credit?: string | Money }>;
  feed?: FeedDraft | null;
  reversesSeq?: number | null;
}

export function toDraft(request: PostRequest): EntryDraft {
  const postings: PostingLine[] = request.lines.map((l) => ({
    account: l.account,
    debit: formatMoney(l.debit ?? ZERO),
    credit: formatMoney(l.credit ?? ZERO),
  }));
  // The database checks all of this too; asserting here names the bug before it gets there.
  assert(postings.length >= 2, 'an entry has two or more postings');
  for (const p of postings) {
    assert(new Money(p.debit).gt(0) !== new Money(p.credit).gt(0), 'a posting line has exactly one positive side');
    assert(new Money(p.debit).gte(0) && new Money(p.credit).gte(0), 'posting sides are not negative');
  }
  assert(sum(postings.map((p) => p.debit)).eq(sum(postings.map((p) => p.credit))), 'debits equal credits');
  return {
    communityId: request.communityId,
    id: randomUUID(),
    kind: request.kind,
    memo: request.memo,
    sourceType: request.source?.type ?? null,
    sourceId: request.source?.id ?? null,
    occurredAt: request.occurredAt,
    reversesSeq: request.reversesSeq ?? null,
    postings,
    feed: request.feed ?? null,
  };
}

export function translatePostError(error: unknown): unknown {
  const code = pgCode(error);
  if (code === '23514' && pgConstraint(error) === 'available_not_negative') {
    return new AppError('insufficient_funds', 'The fund does not have that much available');
  }
  if (code === '23505' && pgConstraint(error) === 'entries_reversed_once') return invalidState('This entry was reversed already');
  if (code === 'P0002') return notFound('community or account');
  return error;
}

/** A positive amount in the contract's money format, normalised to two decimals. */
export function positiveAmount(value: string): string {
  const amount = new Money(value);
  if (amount.lte(0)) throw validationFailed('The amount must be positive');
  return formatMoney(amount);
}

/** The earliest time the books accept: nothing a community records happened before it. */
const EARLIEST = Date.UTC(1970, 0, 1);

/**
 * A time given by the client may not lie in the future (a little clock skew is forgiven) nor
 * before 1970, which keeps every date inside what PostgreSQL and the hledger export can hold.
 */
export function pastOrPresent(value: string | undefined, name: string): Date {
  if (value === undefined) return new Date();
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw validationFailed(`${name} is not a valid time`);
  if (at.getTime() > Date.now() + 5 * 60_000) throw validationFailed(`${name} lies in the future`);
  if (at.getTime() < EARLIEST) throw validationFailed(`${name} lies before 1970`);
  return at;
}
