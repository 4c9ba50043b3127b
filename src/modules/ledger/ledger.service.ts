import type { Database, Executor, Tx } from '../../db/database.js';
import { afterCommit, inTransaction, pgCode } from '../../db/transaction.js';
import type { ChangeSignal } from '../../db/change-signal.js';
import type { Principal } from '../auth/auth.service.js';
import { AppError, assert, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, Money } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import { decodeSeqCursor, encodeCursor } from '../../shared/pagination.js';
import { requireAdministrator, requireRole, type CommunitiesService } from '../communities/communities.service.js';
import { runOnce, type Idempotency, type Outcome } from '../idempotency/idempotency.service.js';
import { toDraft, translatePostError, type PostRequest } from './ledger.drafts.js';
import { createGroupCommit, hashLanes } from '../../db/group-commit.js';
import { incomeOf, incomeRefusal, refusedIncome } from './ledger.income.js';
import { journalStream, type PayeesOf } from './ledger.journal.js';
import * as feedRepo from './ledger.feed.repository.js';
import type { FeedRow } from './ledger.feed.repository.js';
import * as posting from './ledger.posting.repository.js';
import type { EntryItem, FeedDraft, IncomeItem, Posted, PostingLine } from './ledger.posting.repository.js';
import * as repo from './ledger.repository.js';
import type { Account, AccountType, CreateAccountBody, EntriesQuery, Entry, Fund, Income, RecordIncomeBody, ReversalBody } from './ledger.schemas.js';
import { leavesAfter, verifyBooks, type VerifyOptions } from './ledger.verify.js';
import { entryRow, toAccount, withPostings } from './ledger.views.js';

export { pastOrPresent, positiveAmount, translatePostError, type PostRequest } from './ledger.drafts.js';
export { FEE_INCOME, FEES_IN_ADVANCE, FEES_RECEIVABLE, FUND_ACCOUNT, REMUNERATION_EXPENSE, REMUNERATION_PAYABLE } from './ledger.chart.js';
export type { EntryItem, FeedDraft, FeedRow, PayeesOf, PostingLine, Posted };
export type { VerificationProgress, VerifiedPrefix } from './ledger.verify.js';

/** What the ledger needs of the communities module: who the caller is there, their key, the community's clock. */
export type LedgerCommunities = Pick<CommunitiesService, 'member' | 'members' | 'checkSigningPassword' | 'findCommunity'>;

/** Kinds backed by another module's records, corrected there rather than by reversal. */
const NOT_REVERSIBLE = new Set(['payout', 'reversal', 'fee_bill', 'fee_payment', 'remuneration']);

const TYPE_BY_FIRST_DIGIT: Record<string, AccountType> = { '1': 'asset', '2': 'liability', '3': 'equity', '4': 'income', '5': 'expense' };

/** A YYYY-MM-DD the schema let through that is also a day of the calendar (no 2026-02-30, no year 0). */
function calendarDay(day: string | undefined, name: string): string | undefined {
  if (day === undefined) return undefined;
  const parsed = new Date(`${day}T00:00:00Z`);
  if (day < '0001' || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
    throw validationFailed(`\`${name}\` is not a day of the calendar: ${day}`);
  }
  return day;
}

export type LedgerService = ReturnType<typeof createLedgerService>;

export function createLedgerService(db: Database, signal: ChangeSignal, communities: LedgerCommunities) {
  const { member } = communities;
  const incomes = createGroupCommit<IncomeRequest, Posted | AppError | Promise<Posted>>((_lane, batch) => recordIncomes(batch), { laneOf: incomeLane });

  /**
   * Writes one batch of incomes, of one community or of several that share a lane, in one
   * statement, which is a transaction of its own: it checks who may record each income and
   * posts the rest (ledger_record_incomes_checked). The batch leaves the moment it is taken,
   * with no read before it, so the database starts on it while the API answers the last one.
   *
   * The batch takes only the heads that are free: another writer (a fee payment, a billing
   * run, another process's batch) may hold one, and a lane that waited for it would hold up
   * every other community of the lane, and their locks too. The incomes of a busy community
   * are handed to `contended`, which posts them when its head is free, one statement at a time
   * per community, while the lane goes on with its next batch; their callers are answered
   * when that statement is.
   */
  async function recordIncomes(batch: IncomeRequest[]): Promise<Array<Posted | AppError | Promise<Posted>>> {
    const items = batch.map(({ communityId, principal, item }) => ({ communityId, ...item, platformAdmin: principal.isPlatformAdmin }));
    // One statement is its own transaction: no BEGIN or COMMIT round trip (StatementTx).
    const outcomes = await posting.insertIncomesChecked(db, items, true);
    return outcomes.map((outcome, k) => {
      if (outcome === 'not_found' || outcome === 'forbidden') return refusedIncome(outcome);
      return outcome ?? contended.submit(batch[k]!.communityId, { communityId: batch[k]!.communityId, ...batch[k]!.item });
    });
  }

  /** Incomes of communities whose head was busy: per community, they wait for it together. */
  const contended = createGroupCommit<CommunityIncome, Posted>(async (_communityId, items) => {
    const posted = await posting.insertIncomes(db, items);
    return items.map((_, k) => posted.get(k)!);
  });

  /** The community's own facts, for its clock (the member has been checked already). */
  async function communityOf(communityId: string) {
    const community = await communities.findCommunity(db, communityId);
    if (!community) throw notFound('community');
    return community;
  }

  /**
   * Posts balanced entries of one community, in order, inside the caller's transaction, in
   * one round trip. The only way money moves. Throws `insufficient_funds` when the fund would
   * fall below what is reserved after any of them.
   */
  async function postAll(tx: Tx, requests: readonly PostRequest[]): Promise<Array<Posted & { id: string }>> {
    assert(requests.length > 0, 'something to post');
    const communityId = requests[0]!.communityId;
    const drafts = requests.map(toDraft);
    let posted: Posted[];
    try {
      posted = await posting.postEntries(tx, communityId, drafts);
    } catch (error) {
      throw translatePostError(error);
    }
    assert(posted.length === drafts.length, 'one answer per entry posted');
    if (drafts.some((d) => d.feed)) afterCommit(tx, () => signal.touched(communityId));
    return drafts.map((d, i) => ({ id: d.id, ...posted[i]! }));
  }

  /** Posts one balanced entry (see postAll). */
  async function post(tx: Tx, request: PostRequest): Promise<Posted & { id: string }> {
    return (await postAll(tx, [request]))[0]!;
  }

  return {
    post,

    /**
     * Entries checked and drafted for another module's statement that posts them through
     * `ledger_post_each` with its own writes, in one round trip (fee payments:
     * fees_record_payments_each). Returns the entries' ids, in order, and the items the
     * function reads. Whoever runs the statement tells the live feed once it has committed
     * (`touched`, or `afterCommit` inside a transaction).
     */
    draftEntries(requests: readonly PostRequest[]): { ids: string[]; items: EntryItem[] } {
      assert(requests.length > 0, 'something to post');
      const drafts = requests.map(toDraft);
      return { ids: drafts.map((d) => d.id), items: posting.entryItems(requests[0]!.communityId, drafts) };
    },

    /** Tells the live feed that a community's books moved (a statement committed outside inTransaction). */
    touched: (communityId: string) => signal.touched(communityId),

    /**
     * A feed item for another module's statement that publishes it through `feed_publish` with
     * its own writes, in one round trip (a spend submission: spending_submit). The statement
     * runs in `tx`; the live feed hears of it after the commit. Returns the JSON it reads.
     */
    prepareFeed(tx: Tx, communityId: string, feed: FeedDraft): string {
      afterCommit(tx, () => signal.touched(communityId));
      return JSON.stringify(feed);
    },

    /**
     * Publishes a feed item that has no entry of its own (a request submitted or approved, a
     * budget approved), in the caller's transaction. Returns its seq.
     */
    async publish(tx: Tx, communityId: string, feed: FeedDraft): Promise<number> {
      const seq = await posting.publishFeedItem(tx, communityId, feed);
      afterCommit(tx, () => signal.touched(communityId));
      return seq;
    },

    /** Opens a new community's books: the default chart and the head of its hash chain. */
    openBooks: (tx: Tx, communityId: string) => repo.insertDefaultChart(tx, communityId),

    /** Takes the community's first lock; every writer calls this (or posts) before others. */
    lockHead: (tx: Tx, communityId: string) => repo.lockHead(tx, communityId),

    /** Gives a reservation back (rejection, cancellation, or the payout that spends it). */
    async release(tx: Tx, communityId: string, amount: string): Promise<void> {
      assert(new Money(amount).gt(0), 'a release is positive');
      await repo.lockHead(tx, communityId);
      await repo.changeReserved(tx, communityId, formatMoney(new Money(amount).neg()));
    },

    async accounts(communityId: string, principal: Principal): Promise<{ items: Account[] }> {
      await member(communityId, principal);
      const rows = await repo.listAccounts(db, communityId);
      return { items: rows.map(toAccount) };
    },

    async addAccount(communityId: string, principal: Principal, body: CreateAccountBody): Promise<Account> {
      requireAdministrator(await member(communityId, principal));
      const type = TYPE_BY_FIRST_DIGIT[body.code[0]!]!;
      const row = await inTransaction(db, (tx) => repo.insertAccount(tx, communityId, { code: body.code, name: body.name.trim(), type })).catch(
        (error: unknown) => {
          if (pgCode(error) === '23505') throw invalidState(`Account ${body.code} exists already`);
          throw error;
        },
      );
      return toAccount(row);
    },

    /** Account rows for other modules' reports (names, types, balances). */
    accountRows: (executor: Executor, communityId: string) => repo.listAccounts(executor, communityId),
    findAccount: (executor: Executor, communityId: string, code: string) => repo.findAccount(executor, communityId, code),
    /** Accounts of several communities, each by its own community and code, in one query; in order, undefined where none. */
    findAccountsEach: (executor: Executor, asks: ReadonlyArray<{ communityId: string; code: string }>) => repo.findAccountsEach(executor, asks),
    /** An entry of the community by its id, or undefined (what a challenge may ask about). */
    findEntry: (executor: Executor, communityId: string, id: string) => repo.findEntryById(executor, communityId, id),

    async fund(communityId: string, principal: Principal): Promise<Fund> {
      await member(communityId, principal);
      const row = await repo.readFund(db, communityId);
      if (!row) throw notFound('community');
      const balance = new Money(row.balance);
      const reserved = new Money(row.reserved);
      return {
        balance: formatMoney(balance),
        reserved: formatMoney(reserved),
        available: formatMoney(balance.minus(reserved)),
        currency: 'CNY',
        asOf: row.as_of.toISOString(),
        ledgerHead: { seq: row.entry_seq, hash: row.entry_hash },
      };
    },

    async recordIncome(communityId: string, principal: Principal, body: RecordIncomeBody, idempotency: Idempotency): Promise<Outcome<Income>> {
      const { income, item } = incomeOf(body, principal.userId);
      const recorded: Outcome<Income> = { status: 201, body: income };
      let outcome: Outcome<Income>;
      try {
        if (idempotency.key === undefined) {
          // The hot path: concurrent incomes of a lane's communities share one membership
          // read, one statement and one commit.
          const result = await incomes.submit(communityId, { communityId, principal, item });
          if (result instanceof AppError) throw result;
          outcome = recorded;
        } else {
          const refusal = incomeRefusal((await communities.members(communityId, [principal]))[0]);
          if (refusal) throw refusal;
          outcome = await runOnce(db, { communityId, ...idempotency }, async (tx) => {
            await posting.insertIncomes(tx, [{ communityId, ...item }]);
            return recorded;
          });
        }
      } catch (error) {
        throw translatePostError(error);
      }
      signal.touched(communityId);
      return outcome;
    },

    /**
     * Entries one page at a time, oldest first or newest first (`order` desc: the cursor then
     * marks the oldest entry shown), optionally those that occurred between two local days.
     */
    async entries(communityId: string, principal: Principal, query: EntriesQuery) {
      await member(communityId, principal);
      const { after, limit = 100, order = 'asc' } = query;
      const from = calendarDay(query.from, 'from');
      const to = calendarDay(query.to, 'to');
      if (from !== undefined && to !== undefined && from > to) throw validationFailed('`from` is a later day than `to`');
      const position = after === undefined && order === 'desc' ? null : decodeSeqCursor(after);
      const timezone = from === undefined && to === undefined ? undefined : (await communityOf(communityId)).timezone;
      const rows = await repo.entriesPage(db, communityId, position, limit + 1, { order, from, to, ...(timezone ? { timezone } : {}) });
      const page = rows.slice(0, limit);
      const items = await withPostings(db, communityId, page);
      const last = page.at(-1);
      return { items, nextAfter: rows.length > limit && last ? encodeCursor(last.seq) : null };
    },

    async reverse(communityId: string, principal: Principal, entryId: string, body: ReversalBody): Promise<Entry> {
      const caller = await member(communityId, principal);
      requireRole(caller, 'cosigner');
      const original = await repo.findEntryById(db, communityId, entryId);
      if (!original) throw notFound('entry');
      if (NOT_REVERSIBLE.has(original.kind)) {
        throw invalidState(`A ${original.kind} entry is not reversed this way`);
      }
      await communities.checkSigningPassword(caller, body.signingPassword);
      const posted = await inTransaction(db, async (tx) => {
        if (await repo.findReversalOf(tx, communityId, original.seq)) throw invalidState('This entry was reversed already');
        const [lines] = await withPostings(tx, communityId, [{ ...(await entryRow(tx, communityId, original.seq)) }]);
        return post(tx, {
          communityId,
          kind: 'reversal',
          memo: `Reversal of entry ${original.seq}: ${body.reason}`,
          source: { type: 'entry', id: original.id },
          occurredAt: new Date(),
          reversesSeq: original.seq,
          lines: lines!.postings.map((p) => ({ account: p.account, debit: p.credit, credit: p.debit })),
          feed: {
            type: 'entry.reversed',
            amount: null,
            account: null,
            summary: `冲正分录 #${original.seq}：${oneLine(body.reason)}`,
            ref: original.id,
            actorId: caller.userId,
            details: { reversedSeq: original.seq, note: oneLine(body.reason) },
          },
        });
      });
      const [row] = await withPostings(db, communityId, [await entryRow(db, communityId, posted.seq)]);
      return row!;
    },

    /** Checks the books as of one snapshot, from the last good check unless `full` (ledger.verify.ts). */
    async verify(communityId: string, principal: Principal, options: VerifyOptions = {}) {
      await member(communityId, principal);
      const { timezone } = await communityOf(communityId);
      return verifyBooks(db, communityId, timezone, options);
    },

    /** Entries after a seq with their canonical bytes and stored hash: the transparency log's leaves. */
    leavesAfter: (executor: Executor, communityId: string, afterSeq: number, limit: number) => leavesAfter(executor, communityId, afterSeq, limit),

    /**
     * The books as an hledger journal, from one snapshot (see ledger.journal.ts). A payout's
     * payee is the spending module's: the caller hands in how to read it.
     */
    async exportHledger(communityId: string, principal: Principal, payeesOf: PayeesOf) {
      await member(communityId, principal);
      const { name, timezone } = await communityOf(communityId);
      return journalStream(db, { id: communityId, name, timezone }, payeesOf);
    },

    /** The feed after `afterSeq`, oldest first. */
    feedItemsAfter: (executor: Executor, communityId: string, afterSeq: number, limit: number) => feedRepo.feedItemsAfter(executor, communityId, afterSeq, limit),
    /** The feed of several communities after each one's own seq, at most `limit` items each, in one round trip. */
    feedItemsAfterEach: (executor: Executor, cursors: readonly feedRepo.FeedCursor[], limit: number) => feedRepo.feedItemsAfterEach(executor, cursors, limit),
    /** The feed before `beforeSeq` (null: from the newest), newest first. */
    feedItemsBefore: (executor: Executor, communityId: string, beforeSeq: number | null, limit: number) =>
      feedRepo.feedItemsBefore(executor, communityId, beforeSeq, limit),
    /** The last feed seq of each community (0 for none yet). */
    feedHeads: (executor: Executor, communityIds: string[]) => feedRepo.feedHeads(executor, communityIds),
    /** A year's debits and credits per account and month (months in the community's time zone), from stored totals. */
    monthlyActuals: (executor: Executor, communityId: string, year: number) => repo.monthlyActuals(executor, communityId, year),
    /** The fund account's movements, for reconciliation with the bank; see the repository. */
    fundMovements: (executor: Executor, communityId: string, timezone: string) => repo.fundMovements(executor, communityId, timezone),
  };
}

/** An income as the database takes it: with its community. */
type CommunityIncome = IncomeItem & { communityId: string };

/** One income waiting for its batch, with who asks to record it and where. */
interface IncomeRequest {
  communityId: string;
  principal: Principal;
  item: IncomeItem;
}

/** Incomes wait in one of a few lanes, by community (see hashLanes). */
const incomeLane = hashLanes(4);
