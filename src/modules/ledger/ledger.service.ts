import type { Database, Executor, Tx } from '../../db/database.js';
import { afterCommit, inTransaction, pgCode } from '../../db/transaction.js';
import type { ChangeSignal } from '../../db/change-signal.js';
import type { Principal } from '../auth/auth.principal.js';
import { assert, forbidden, invalidState, notFound, validationFailed } from '../../shared/errors.js';
import { formatMoney, Money } from '../../shared/money.js';
import { oneLine } from '../../shared/text.js';
import { decodeSeqCursor, encodeCursor } from '../../shared/pagination.js';
import { memberOf, requireAdministrator, requireRole } from '../communities/communities.access.js';
import { runOnce, type Outcome } from '../idempotency/idempotency.service.js';
import { toDraft, translatePostError, type PostRequest } from './ledger.drafts.js';
import { createGroupCommit } from './ledger.group-commit.js';
import { incomeOf } from './ledger.income.js';
import { journalStream } from './ledger.journal.js';
import * as repo from './ledger.repository.js';
import type { FeedDraft, IncomeItem, Posted, PostingLine } from './ledger.repository.js';
import type { Account, AccountType, CreateAccountBody, EntriesQuery, Entry, Fund, Income, RecordIncomeBody, ReversalBody } from './ledger.schemas.js';
import { verifyLedger } from './ledger.verify.js';
import { entryRow, toAccount, withPostings } from './ledger.views.js';

export { pastOrPresent, positiveAmount, type PostRequest } from './ledger.drafts.js';
export type { FeedDraft, PostingLine, Posted };

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

export function createLedgerService(db: Database, signal: ChangeSignal) {
  const incomes = createGroupCommit<IncomeItem, Posted>((communityId, items) => repo.insertIncomes(db, communityId, items));


  /**
   * Posts a balanced entry inside the caller's transaction. The only way money moves.
   * Throws `insufficient_funds` when the fund would fall below what is reserved.
   */
  async function post(tx: Executor, request: PostRequest): Promise<Posted & { id: string }> {
    const draft = toDraft(request);
    let posted: Posted;
    try {
      posted = await repo.postEntry(tx, draft);
    } catch (error) {
      throw translatePostError(error);
    }
    if (draft.feed) afterCommit(tx, () => signal.touched(request.communityId));
    return { id: draft.id, ...posted };
  }

  return {
    post,

    /**
     * Publishes a feed item that has no entry of its own (a request submitted or approved, a
     * budget approved), in the caller's transaction. Returns its seq.
     */
    async publish(tx: Tx, communityId: string, feed: FeedDraft): Promise<number> {
      const seq = await repo.publishFeedItem(tx, communityId, feed);
      afterCommit(tx, () => signal.touched(communityId));
      return seq;
    },

    /** Opens a new community's books: the default chart and the head of its hash chain. */
    openBooks: (tx: Tx, communityId: string) => repo.insertDefaultChart(tx, communityId),

    /** Takes the community's first lock; every writer calls this (or posts) before others. */
    lockHead: (tx: Tx, communityId: string) => repo.lockHead(tx, communityId),

    /** The community's next spend-request number (gapless), taken under the head lock. */
    async nextSpendSeq(tx: Tx, communityId: string): Promise<number> {
      await repo.lockHead(tx, communityId);
      return repo.nextSpendSeq(tx, communityId);
    },

    /** Holds `amount` of the fund for an open spend request; `insufficient_funds` if not available. */
    async reserve(tx: Tx, communityId: string, amount: string): Promise<void> {
      assert(new Money(amount).gt(0), 'a reservation is positive');
      await repo.lockHead(tx, communityId);
      await repo.changeReserved(tx, communityId, amount).catch((error: unknown) => {
        throw translatePostError(error);
      });
    },

    /** Gives a reservation back (rejection, cancellation, or the payout that spends it). */
    async release(tx: Tx, communityId: string, amount: string): Promise<void> {
      assert(new Money(amount).gt(0), 'a release is positive');
      await repo.lockHead(tx, communityId);
      await repo.changeReserved(tx, communityId, new Money(amount).neg().toFixed(2));
    },

    async accounts(communityId: string, principal: Principal): Promise<{ items: Account[] }> {
      await memberOf(db, communityId, principal);
      const rows = await repo.listAccounts(db, communityId);
      return { items: rows.map(toAccount) };
    },

    async addAccount(communityId: string, principal: Principal, body: CreateAccountBody): Promise<Account> {
      requireAdministrator(await memberOf(db, communityId, principal));
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

    async fund(communityId: string, principal: Principal): Promise<Fund> {
      await memberOf(db, communityId, principal);
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

    async recordIncome(
      communityId: string,
      principal: Principal,
      body: RecordIncomeBody,
      idempotency: { key: string | undefined; fingerprint: string },
    ): Promise<Outcome<Income>> {
      const { income, item } = incomeOf(body, principal.userId);
      const write = (executor: Executor) =>
        repo.insertIncomes(executor, communityId, [item]).then(
          () => ({ status: 201, body: income }),
          (error: unknown) => {
            throw translatePostError(error);
          },
        );
      let outcome: Outcome<Income>;
      if (idempotency.key === undefined) {
        // The hot path: concurrent incomes of a community share one statement and one commit,
        // and the statement itself checks that the caller is a manager there.
        outcome = await incomes.submit(communityId, item).then(
          () => ({ status: 201, body: income }),
          async (error: unknown) => {
            if (pgCode(error) !== '42501') throw translatePostError(error);
            requireRole(await memberOf(db, communityId, principal), 'manager');
            throw forbidden('Only a manager records income');
          },
        );
      } else {
        requireRole(await memberOf(db, communityId, principal), 'manager');
        outcome = await runOnce(db, { communityId, ...idempotency }, write);
      }
      signal.touched(communityId);
      return outcome;
    },

    /**
     * Entries one page at a time, oldest first or newest first (`order` desc: the cursor then
     * marks the oldest entry shown), optionally those that occurred between two local days.
     */
    async entries(communityId: string, principal: Principal, query: EntriesQuery) {
      await memberOf(db, communityId, principal);
      const { after, limit = 100, order = 'asc' } = query;
      const from = calendarDay(query.from, 'from');
      const to = calendarDay(query.to, 'to');
      if (from !== undefined && to !== undefined && from > to) throw validationFailed('`from` is a later day than `to`');
      const position = after === undefined && order === 'desc' ? null : decodeSeqCursor(after);
      const rows = await repo.entriesPage(db, communityId, position, limit + 1, { order, from, to });
      const page = rows.slice(0, limit);
      const items = await withPostings(db, communityId, page);
      const last = page.at(-1);
      return { items, nextAfter: rows.length > limit && last ? encodeCursor(last.seq) : null };
    },

    async reverse(communityId: string, principal: Principal, entryId: string, body: ReversalBody, signing: SigningCheck): Promise<Entry> {
      const member = await memberOf(db, communityId, principal);
      requireRole(member, 'cosigner');
      const original = await repo.findEntryById(db, communityId, entryId);
      if (!original) throw notFound('entry');
      if (NOT_REVERSIBLE.has(original.kind)) {
        throw invalidState(`A ${original.kind} entry is not reversed this way`);
      }
      await signing(member, body.signingPassword);
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
            actorId: member.userId,
            details: { reversedSeq: original.seq, note: oneLine(body.reason) },
          },
        });
      });
      const [row] = await withPostings(db, communityId, [await entryRow(db, communityId, posted.seq)]);
      return row!;
    },

    /** Checks the books as of one snapshot, so postings committing meanwhile cannot confuse it. */
    async verify(communityId: string, principal: Principal) {
      await memberOf(db, communityId, principal);
      return db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute((tx) => verifyLedger(tx, communityId));
    },

    /** The books as an hledger journal, from one snapshot (see ledger.journal.ts). */
    async exportHledger(communityId: string, principal: Principal, community: { name: string; timezone: string }) {
      await memberOf(db, communityId, principal);
      return journalStream(db, { id: communityId, ...community });
    },
  };
}

/** Checks a co-signer's signing password; supplied by the communities module. */
export type SigningCheck = (member: Awaited<ReturnType<typeof memberOf>>, signingPassword: string) => Promise<void>;

